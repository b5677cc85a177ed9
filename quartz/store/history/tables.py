"""Which store tables have history, in one place: each is tied to its run by `run_id`, so a run and all of
its rows (attempts, jobs, artifacts, reports, test cases, failure lines) move together. Tables a store does
not have (yet) are skipped, so capabilities that add tables only add a line here.
"""

from __future__ import annotations

# store table → folder under history/ (the table name engines see)
HISTORY_TABLES: dict[str, str] = {
    "workflow_runs": "runs",
    "run_attempts": "run_attempts",
    "jobs": "jobs",
    "artifacts": "artifacts",
    "ingest_reports": "ingest_reports",
    "test_cases": "test_cases",
    "failure_lines": "failure_lines",
}
RUNS = "workflow_runs"
NO_PROJECT = "_none"  # partition of runs of repos no longer configured (a project name starts alphanumeric)


def present(db) -> list[str]:
    """The history tables this store has, each with a run_id column, runs first."""
    rows = db.execute(
        "SELECT table_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND column_name = 'run_id' AND NOT internal"
    ).fetchall()
    have = {r[0] for r in rows}
    return [name for name in HISTORY_TABLES if name in have]


def quoted(name: str) -> str:
    """A table name from HISTORY_TABLES, safe to put in SQL (they are ours, never user text)."""
    if name not in HISTORY_TABLES:
        raise ValueError(f"{name!r} is not a history table")
    return f'"{name}"'


def catalog(db) -> str:
    """The store's catalog name (its file stem), quoted: the real tables behind the read views."""
    name = db.execute("SELECT current_database()").fetchone()[0]
    return '"' + name.replace('"', '""') + '"'


def columns(db, relation: str) -> list[tuple[str, str]]:
    """(name, type) of every column of a table or a query, in order."""
    return [(r[0], r[1]) for r in db.execute(f"DESCRIBE {relation}").fetchall()]
