"""Completed history as Parquet files beside the store (hot/cold): archive, read views, compaction.

Layout (a contract other engines read): <history root>/<table>/project=<p>/month=<YYYY-MM>/<uuid>.parquet,
listed in the store's `history_files`. See README "History in Parquet".
"""
