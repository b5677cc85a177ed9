"""GitHub → store, incremental and idempotent: workflow runs, attempts, jobs and artifacts (`runs`).
"""
