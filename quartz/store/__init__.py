"""The store: DuckDB (`db`: the only code that opens it, migrations, named queries) and the file's
life in S3 (`remote`: pull, push with If-Match).
"""
