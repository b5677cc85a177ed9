"""The store: the only code that touches DuckDB.

    store = Store.open("quartz.duckdb")                      # creates or migrates
    rows = store.query("site/project_runs", project="vllm")   # queries/site/project_runs.sql
    with store.transaction():
        store.execute("rocm/run_upsert", **row)
        store.executemany("sync/upsert_jobs", rows)

Queries are files under `queries/<owner>/`, one statement each, with DuckDB named
parameters (`$project`) that the first line declares (`-- params: project`).
Migrations are `migrations/NNN_name.sql`, applied in order and recorded in
`schema_migrations`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path

import duckdb

from quartz import __version__
from quartz.errors import QuartzError
from quartz.store.compaction import BLOCK_SIZE

_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


class StoreError(QuartzError):
    """A store that cannot be used as it is; the message says what to do."""


def _package_files(folder: str) -> dict[str, str]:
    """name → text of every .sql file under `folder`, subfolders included (`site/health_cells`)."""
    found = {}
    todo = [("", resources.files("quartz.store").joinpath(folder))]
    while todo:
        prefix, root = todo.pop()
        for entry in root.iterdir():
            if entry.is_dir():
                todo.append((f"{prefix}{entry.name}/", entry))
            elif entry.name.endswith(".sql"):
                found[prefix + entry.name] = entry.read_text(encoding="utf-8")
    return found


@functools.cache
def migrations() -> tuple[tuple[int, str, str], ...]:
    """(version, name, sql) for every migration shipped, in order."""
    found = []
    for filename, sql in _package_files("migrations").items():
        match = _MIGRATION_NAME.match(filename)
        if not match:
            raise StoreError(f"migration file {filename!r} is not named NNN_name.sql")
        found.append((int(match.group(1)), match.group(2), sql))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise StoreError(f"two migrations share a number: {versions}")
    return tuple(found)


@functools.cache
def queries() -> dict[str, str]:
    """Every named query: `queries/<owner>/<name>.sql` is `<owner>/<name>`."""
    return {name[: -len(".sql")]: sql for name, sql in _package_files("queries").items()}


def declared_params(sql: str) -> set[str]:
    """The parameters a query file declares on its first line: `-- params: project, since` (or `(none)`)."""
    first = sql.split("\n", 1)[0]
    if not first.startswith("-- params:"):
        return set()
    return {p.strip() for p in first[len("-- params:"):].split(",") if p.strip() and p.strip() != "(none)"}


def latest_version() -> int:
    return migrations()[-1][0]


class Store:
    def __init__(self, connection: duckdb.DuckDBPyConnection, path: str):
        self.db = connection
        self.path = path

    # ------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: str | Path = "quartz.duckdb", *, read_only: bool = False) -> Store:
        """Open (creating if needed) and bring the schema up to date."""
        path = str(path)
        if read_only and path != ":memory:" and not Path(path).exists():
            raise StoreError(f"store {path} does not exist; run `quartz sync` or `quartz demo` first")
        try:
            # A new file gets the small blocks compaction writes (an existing one keeps its own).
            connection = duckdb.connect(path, read_only=read_only,
                                        config={"default_block_size": str(BLOCK_SIZE)})
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreError(
                    f"store {path} is in use by another Quartz process; wait for it to finish"
                ) from None
            raise StoreError(f"cannot open store {path}: {exc}") from None
        except duckdb.Error as exc:
            raise StoreError(
                f"cannot open store {path}: {exc}. If it was written by a newer DuckDB major version, "
                "upgrade Quartz; the file itself is untouched"
            ) from None
        connection.execute("SET TimeZone = 'UTC'")
        store = cls(connection, path)
        try:
            store._migrate(read_only=read_only)
        except Exception:
            connection.close()
            raise
        return store

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _migrate(self, *, read_only: bool) -> None:
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL, quartz_version VARCHAR NOT NULL)"
        ) if not read_only else None
        applied = {row[0] for row in self.db.execute("SELECT version FROM schema_migrations").fetchall()}
        newest_known = latest_version()
        if applied and max(applied) > newest_known:
            writer = self.db.execute(
                "SELECT quartz_version FROM schema_migrations ORDER BY version DESC LIMIT 1"
            ).fetchone()[0]
            raise StoreError(
                f"store {self.path} has schema version {max(applied)}, written by Quartz {writer}; "
                f"this Quartz {__version__} knows up to version {newest_known}. Upgrade Quartz "
                "(pip install -U quartz-ci) rather than let an older one rewrite it"
            )
        pending = [m for m in migrations() if m[0] not in applied]
        if pending and read_only:
            raise StoreError(f"store {self.path} needs migrating; open it once read-write")
        for version, name, sql in pending:
            with self.transaction():
                self.db.execute(sql)
                self.db.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?, ?)",
                    [version, name, dt.datetime.now(dt.UTC), __version__],
                )

    def schema_version(self) -> int:
        return self.db.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] or 0

    # ------------------------------------------------------------ queries

    @contextlib.contextmanager
    def transaction(self):
        """All or nothing; nested use joins the outer transaction."""
        if getattr(self, "_in_transaction", False):
            yield self
            return
        self._in_transaction = True
        self.db.execute("BEGIN TRANSACTION")
        try:
            yield self
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")
        finally:
            self._in_transaction = False

    @staticmethod
    def sql(name: str) -> str:
        try:
            return queries()[name]
        except KeyError:
            raise StoreError(f"no query named {name!r} in quartz/store/queries/ (write it as owner/name)") from None

    def query(self, name: str, /, **params) -> list[dict]:
        """Run a named query and return rows as dicts."""
        cursor = self.db.execute(self.sql(name), _only_used(self.sql(name), params))
        columns = [d[0] for d in cursor.description] if cursor.description else []
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def query_one(self, name: str, /, **params) -> dict | None:
        rows = self.query(name, **params)
        return rows[0] if rows else None

    def execute(self, name: str, /, **params) -> None:
        self.db.execute(self.sql(name), _only_used(self.sql(name), params))

    def executemany(self, name: str, rows: Iterable[Mapping]) -> None:
        sql = self.sql(name)
        batch = [_only_used(sql, row) for row in rows]
        if batch:
            self.db.executemany(sql, batch)


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def _only_used(sql: str, params: Mapping) -> dict:
    """DuckDB rejects named parameters the statement does not use; pass exactly the used ones."""
    wanted = set(_PARAM.findall(sql))
    missing = wanted - set(params)
    if missing:
        raise StoreError(f"query needs parameters {sorted(missing)}")
    return {key: params[key] for key in wanted}
