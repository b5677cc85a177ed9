"""Read paths see hot + cold as one table, without changing their SQL.

For every history table with files, a TEMP view of the same name shadows the store's table in this
connection: the hot rows, then the Parquet rows of runs that are not hot (a run in both is read hot). A
table with few enough cold rows (runs, attempts) is a TEMP table instead, filled once: the render queries
runs per project and page, and scanning hundreds of files each time would cost minutes.
Only read paths (render, status) call this; sync and advance write to the real tables.

    with storage.read_only(location) as store:   # calls attach(store, location)
        store.query("site/trend_daily", ...)      # reads workflow_runs = hot ∪ cold
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from quartz.store.history import tables
from quartz.store.history.home import HistoryHome

MATERIALIZE_ROWS = 1_000_000  # cold rows up to which a table is copied into memory rather than viewed


@dataclass
class Attached:
    tables: int = 0  # views created
    files: int = 0  # history files read
    downloads: int = 0  # of which fetched from S3 now (the rest were in the cache)
    bytes_downloaded: int = 0


def attach(store, location: str, *, client=None, cache_dir=None) -> Attached:
    """Create the hot ∪ cold views for `store`, whose history lives beside `location`."""
    manifest = _manifest(store)
    if not manifest:
        return Attached()
    home = HistoryHome.of(location, client=client, cache_dir=cache_dir)
    by_table, cold_rows = defaultdict(list), defaultdict(int)
    for f in manifest:
        by_table[f["table_name"]].append(str(home.local_copy(f["rel_key"], f["sha256"])))
        cold_rows[f["table_name"]] += f["rows"]
    db = store.db
    hot_catalog = tables.catalog(db)
    for table in tables.present(db):
        if by_table.get(table):
            # Tables read many times per render (runs: per project and page) are read from the files once.
            kind = "TABLE" if cold_rows[table] <= MATERIALIZE_ROWS else "VIEW"
            db.execute(f"CREATE OR REPLACE TEMP {kind} {tables.quoted(table)} AS "
                       + union_sql(db, hot_catalog, table, by_table[table]))
    return Attached(tables=sum(1 for t in by_table if by_table[t]), files=len(manifest),
                    downloads=home.downloads, bytes_downloaded=home.bytes_downloaded)


def _manifest(store) -> list[dict]:
    has = store.db.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                           "AND table_name = 'history_files'").fetchone()[0]
    return store.query("history/files") if has else []


def union_sql(db, hot_catalog: str, table: str, files: list[str]) -> str:
    """The hot table's columns, then the files' rows cast to the same types (a column the files lack is NULL)."""
    hot = f"{hot_catalog}.main.{tables.quoted(table)}"
    source = f"read_parquet({_list(files)}, hive_partitioning = false, union_by_name = true)"
    have = {name for name, _ in tables.columns(db, f"SELECT * FROM {source}")}
    select = ", ".join(
        f'CAST({_ident(name) if name in have else "NULL"} AS {kind}) AS {_ident(name)}'
        for name, kind in tables.columns(db, hot))
    hot_runs = f"{hot_catalog}.main.{tables.quoted(tables.RUNS)}"
    return (f"SELECT * FROM {hot} UNION ALL SELECT {select} FROM {source} "
            f"WHERE run_id NOT IN (SELECT run_id FROM {hot_runs})")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _list(files: list[str]) -> str:
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
