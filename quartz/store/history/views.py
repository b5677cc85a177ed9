"""Read paths see hot + cold as one table, without changing their SQL.

For every history table with files, a TEMP view of the same name shadows the store's table in this
connection: the hot rows, then the Parquet rows of runs that are not hot (a run in both is read hot). A
table with few enough cold rows (runs, attempts) is read many times per render (per project and page), and
scanning hundreds of files each time would cost minutes: for an S3 store its cold rows are copied once per
manifest into a DuckDB file in the history cache (`cold-<digest>.duckdb`, rebuilt only when the archive
changes the manifest) and viewed from there; for a local store they are copied into a TEMP table.
Only read paths (render, status) call this; sync and advance write to the real tables.

    with reader.read_only(location) as store:    # calls attach(store, location)
        store.query("site/trend_daily", ...)      # reads workflow_runs = hot ∪ cold
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb

from quartz.store.compaction import literal
from quartz.store.history import tables
from quartz.store.history.home import HistoryHome

MATERIALIZE_ROWS = 1_000_000  # cold rows up to which a table is copied (cache file or memory), not viewed
COLD = "quartz_cold"  # the attached cache file's catalog name


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
    present = [t for t in tables.present(db) if by_table.get(t)]
    small = [t for t in present if cold_rows[t] <= MATERIALIZE_ROWS]
    cached = _cold_cache(db, hot_catalog, home, small, by_table, manifest) if small and home.cache_dir else None
    for table in present:
        if cached is not None and table in small:
            db.execute(f"CREATE OR REPLACE TEMP VIEW {tables.quoted(table)} AS {_from_cache(hot_catalog, table)}")
            continue
        kind = "TABLE" if table in small else "VIEW"
        db.execute(f"CREATE OR REPLACE TEMP {kind} {tables.quoted(table)} AS "
                   + union_sql(db, hot_catalog, table, by_table[table]))
    return Attached(tables=sum(1 for t in by_table if by_table[t]), files=len(manifest),
                    downloads=home.downloads, bytes_downloaded=home.bytes_downloaded)


def materialize(store) -> int:
    """Copy the tables viewed from the cold cache file into TEMP tables, for a reader that queries them many
    times (a full render: per project and page); a light render's few queries read the views. How many."""
    db = store.db  # with no cache file attached, `cold` is empty and nothing changes
    cold = {r[0] for r in db.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = $name",
                                     {"name": COLD}).fetchall()}
    views = {r[0] for r in db.execute("SELECT view_name FROM duckdb_views() WHERE temporary").fetchall()}
    hot_catalog = tables.catalog(db)
    done = 0
    for table in tables.present(db):
        if table in cold and table in views:
            db.execute(f"DROP VIEW {tables.quoted(table)}")
            db.execute(f"CREATE TEMP TABLE {tables.quoted(table)} AS {_from_cache(hot_catalog, table)}")
            done += 1
    return done


def _manifest(store) -> list[dict]:
    has = store.db.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                           "AND table_name = 'history_files'").fetchone()[0]
    return store.query("history/files") if has else []


def union_sql(db, hot_catalog: str, table: str, files: list[str]) -> str:
    """The hot table's columns, then the files' rows cast to the same types (a column the files lack is NULL)."""
    source, select = _cold_select(db, hot_catalog, table, files)
    return _hot_then_cold(hot_catalog, table, source, select)


def _cold_select(db, hot_catalog: str, table: str, files: list[str]) -> tuple[str, str]:
    """(the files as a relation, its columns cast to the hot table's types in the hot table's order)."""
    source = f"read_parquet({_list(files)}, hive_partitioning = false, union_by_name = true)"
    have = {name for name, _ in tables.columns(db, f"SELECT * FROM {source}")}
    select = ", ".join(
        f'CAST({_ident(name) if name in have else "NULL"} AS {kind}) AS {_ident(name)}'
        for name, kind in tables.columns(db, f"{hot_catalog}.main.{tables.quoted(table)}"))
    return source, select


def _hot_then_cold(hot_catalog: str, table: str, cold: str, select: str) -> str:
    hot = f"{hot_catalog}.main.{tables.quoted(table)}"
    hot_runs = f"{hot_catalog}.main.{tables.quoted(tables.RUNS)}"
    return (f"SELECT * FROM {hot} UNION ALL SELECT {select} FROM {cold} "
            f"WHERE run_id NOT IN (SELECT run_id FROM {hot_runs})")


def _from_cache(hot_catalog: str, table: str) -> str:
    """Hot rows, then the attached cache file's copy of the cold ones (already in the hot table's columns)."""
    return _hot_then_cold(hot_catalog, table, f"{COLD}.main.{tables.quoted(table)}", "*")


def _cold_cache(db, hot_catalog: str, home: HistoryHome, small: list[str], by_table: dict,
                manifest: list[dict]) -> Path | None:
    """Attach (building it first if this manifest has none) the cache file of the small tables' cold rows."""
    listed = sorted(f"{f['table_name']}:{f['rel_key']}:{f['sha256']}" for f in manifest if f["table_name"] in small)
    # The hot tables' columns too: a migration that adds one needs a copy with it.
    shapes = [repr(tables.columns(db, f"{hot_catalog}.main.{tables.quoted(t)}")) for t in small]
    digest = hashlib.sha256("\n".join([*small, *shapes, *listed]).encode()).hexdigest()[:24]
    folder = home.cache_dir / "cold"
    path = folder / f"cold-{digest}.duckdb"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{path.name}.{os.getpid()}.part"
        partial.unlink(missing_ok=True)
        build = duckdb.connect(str(partial))
        try:
            for table in small:
                source, select = _cold_select(db, hot_catalog, table, by_table[table])
                build.execute(f"CREATE TABLE {tables.quoted(table)} AS SELECT {select} FROM {source} "
                              "ORDER BY run_id")
        except BaseException:
            build.close()
            partial.unlink(missing_ok=True)
            raise
        build.close()
        partial.replace(path)
        for old in folder.glob("cold-*.duckdb"):  # earlier manifests' copies are never read again
            if old != path:
                old.unlink(missing_ok=True)
    db.execute(f"DETACH DATABASE IF EXISTS {COLD}")
    db.execute(f"ATTACH {literal(path)} AS {COLD} (READ_ONLY)")
    return path


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _list(files: list[str]) -> str:
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
