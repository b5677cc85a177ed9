"""Move completed history out of the hot store into Parquet files, in an order a crash cannot hurt:

1. write each partition's file once (a fresh uuid key, If-None-Match: *);
2. in one transaction, list the files in `history_files` and delete their rows from the hot tables,
   checking that every table deleted exactly the rows its files hold;
3. the caller pushes the store.

A crash after 1 leaves files no manifest lists (orphans: never read, removed by `quartz history compact`);
a crash after 2 but before 3 leaves S3's store as it was, with the same orphans. Nothing is lost or read twice.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from quartz.errors import QuartzError
from quartz.store.compaction import literal
from quartz.store.history import tables
from quartz.store.history.home import HistoryHome, file_sha256

PART_P, PART_M = "__quartz_project", "__quartz_month"  # partition columns while writing (not in the files)


@dataclass
class ArchiveReport:
    runs: int = 0
    files: int = 0
    bytes: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # table → rows moved
    kept_hot: int = 0  # candidates already in the history (a run GitHub showed again): left hot, read hot

    def summary(self) -> str:
        if not self.runs:
            return "archive: nothing to move"
        moved = ", ".join(f"{n:,} {t}" for t, n in self.rows.items() if n)
        return f"archive: moved {self.runs:,} runs ({moved}) into {self.files} files, {self.bytes / 1e6:.1f} MB"


def archive(store, home: HistoryHome, now: dt.datetime, hot_days: int, *, batch_days: int = 0,
            on_commit=None) -> ArchiveReport:
    """Move completed runs older than `hot_days` (and their rows) to the history; the caller pushes after.

    With `batch_days`, do nothing until the oldest such run is that many days past the window, so a
    cycle archives about once a `batch_days` rather than a few runs every cycle. `on_commit(store, report)`
    runs inside the transaction that commits the move.
    """
    cutoff = now - dt.timedelta(days=hot_days)
    if batch_days:
        oldest = store.query_one("history/oldest_candidate", cutoff=cutoff)["oldest"]
        if oldest is None or oldest >= cutoff - dt.timedelta(days=batch_days):
            return ArchiveReport()
    report = ArchiveReport()
    report.runs, report.kept_hot = plan(store, cutoff)
    if not report.runs:
        return report
    with tempfile.TemporaryDirectory(prefix="quartz-archive-") as scratch:
        written = write_files(store, home, Path(scratch), now)
        commit(store, written, lambda: on_commit(store, report) if on_commit else None)
    report.files = len(written)
    report.bytes = sum(f["bytes"] for f in written)
    for f in written:
        report.rows[f["table_name"]] = report.rows.get(f["table_name"], 0) + f["rows"]
    return report


def plan(store, cutoff: dt.datetime) -> tuple[int, int]:
    """Fill the temp table `_archive_runs` (run_id, project, month); (runs to move, runs kept hot)."""
    db = store.db
    sql = store.sql("history/candidates")
    db.execute(f"CREATE OR REPLACE TEMP TABLE _archive_runs AS {sql}", {"cutoff": cutoff})
    # A run is never archived twice: one already in the history stays hot (the read views prefer it).
    kept = db.execute("DELETE FROM _archive_runs WHERE run_id IN (SELECT run_id FROM history_runs)").fetchone()[0]
    return db.execute("SELECT count(*) FROM _archive_runs").fetchone()[0], kept


def write_files(store, home: HistoryHome, scratch: Path, now: dt.datetime) -> list[dict]:
    """Step 1: one file per table and partition, written once at its final key. Returns manifest rows."""
    written = []
    scratch.mkdir(parents=True, exist_ok=True)
    for table in tables.present(store.db):
        out = scratch / table
        store.db.execute(
            f"COPY (SELECT t.*{_json_as_text(store.db, table)}, a.project AS {PART_P}, a.month AS {PART_M} "
            f"FROM {tables.quoted(table)} t "
            f"JOIN _archive_runs a USING (run_id) ORDER BY t.run_id) "
            f"TO {literal(out)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({PART_P}, {PART_M}))")
        for path in sorted(out.rglob("*.parquet")) if out.exists() else []:
            project = path.parent.parent.name.split("=", 1)[1]
            month = path.parent.name.split("=", 1)[1]
            written.append(publish_file(store, home, path, table, project, month, now))
    return written


def _json_as_text(db, table: str) -> str:
    """JSON columns are written as plain UTF-8 strings: every engine reads those (the views cast them back)."""
    json_columns = [name for name, kind in tables.columns(db, tables.quoted(table)) if kind == "JSON"]
    if not json_columns:
        return ""
    return " REPLACE (" + ", ".join(f'CAST(t."{c}" AS VARCHAR) AS "{c}"' for c in json_columns) + ")"


def publish_file(store, home: HistoryHome, path: Path, table: str, project: str, month: str,
                 now: dt.datetime) -> dict:
    """Put one finished Parquet file at a fresh key; its manifest row."""
    folder = tables.HISTORY_TABLES[table]
    rel_key = f"{folder}/project={project}/month={month}/{uuid.uuid4().hex}.parquet"
    rows = store.db.execute("SELECT count(*) FROM read_parquet($f, hive_partitioning = false)",
                            {"f": str(path)}).fetchone()[0]
    home.put_new(path, rel_key)
    return {"table_name": table, "project": project, "month": month, "rel_key": rel_key, "rows": rows,
            "bytes": path.stat().st_size, "sha256": file_sha256(path), "created_at": now}


def commit(store, written: list[dict], also=lambda: None) -> None:
    """Step 2: list the files and delete their rows, all or nothing; every count must match."""
    expected: dict[str, int] = {}
    for f in written:
        expected[f["table_name"]] = expected.get(f["table_name"], 0) + f["rows"]
    with store.transaction():
        store.executemany("history/file_insert", written)
        for table in tables.present(store.db):
            deleted = store.db.execute(
                f"DELETE FROM {tables.quoted(table)} WHERE run_id IN (SELECT run_id FROM _archive_runs)"
            ).fetchone()[0]
            if deleted != expected.get(table, 0):
                raise QuartzError(f"archive: {table} would lose {deleted} rows but its files hold "
                                  f"{expected.get(table, 0)}; nothing was changed")
        store.db.execute("INSERT INTO history_runs SELECT run_id FROM _archive_runs ORDER BY run_id")
        also()
