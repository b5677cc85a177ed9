"""The store: migrations applied once and in order, newer stores refused, named queries only."""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest

from quartz.store import db as store_module
from quartz.store.db import Store, StoreError

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


def test_new_store_has_every_migration(tmp_path):
    with Store.open(tmp_path / "q.duckdb") as store:
        assert store.schema_version() == store_module.latest_version()
        tables = {r[0] for r in store.db.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    for table in ("projects", "workflow_runs", "run_attempts", "jobs", "artifacts", "cascade_runs",
                  "cascade_stages", "dispatch_intents", "cascade_events", "sync_state", "cycle_log"):
        assert table in tables


def test_older_store_is_migrated_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.duckdb"
    # Build a store as version 1 left it: only the first migration applied.
    version, name, sql = store_module.migrations()[0]
    db = duckdb.connect(str(path))
    db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
               " applied_at TIMESTAMPTZ NOT NULL, quartz_version VARCHAR NOT NULL)")
    db.execute(sql)
    db.execute("INSERT INTO schema_migrations VALUES (?, ?, ?, '0.0.1')", [version, name, NOW])
    db.execute("INSERT INTO projects VALUES ('rocm', 'ROCm/rockrel', 'core', 'ROCm', 'main', ?)", [NOW])
    db.execute("INSERT INTO jobs (job_id, run_id, run_attempt, name, html_url) VALUES (7, 1, 1, 'build', 'u')")
    db.close()
    with Store.open(path) as store:
        assert store.schema_version() == store_module.latest_version()
        assert store.db.execute("SELECT name FROM projects").fetchall() == [("rocm",)]
        assert store.db.execute("SELECT job_id, name FROM jobs").fetchall() == [(7, "build")]
        applied = [r[0] for r in store.db.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
    assert applied == [m[0] for m in store_module.migrations()]


def test_reopening_applies_nothing_twice(tmp_path):
    path = tmp_path / "q.duckdb"
    Store.open(path).close()
    with Store.open(path) as store:
        count = store.db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    assert count == len(store_module.migrations())


def test_store_written_by_a_newer_quartz_is_refused_untouched(tmp_path):
    path = tmp_path / "new.duckdb"
    Store.open(path).close()
    db = duckdb.connect(str(path))
    db.execute("INSERT INTO schema_migrations VALUES (999, 'from_the_future', ?, '9.0.0')", [NOW])
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught:
        Store.open(path)
    message = str(caught.value)
    assert "schema version 999" in message and "Quartz 9.0.0" in message and "Upgrade Quartz" in message
    assert path.read_bytes() == before


def test_transaction_rolls_back_on_error(tmp_path):
    with Store.open(tmp_path / "q.duckdb") as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.execute("sync/projects_upsert", projects=[{
                "name": "a", "repo": "o/a", "category": "core", "display_name": "A", "default_branch": "main",
                "updated_at": NOW}])
            raise RuntimeError("crash mid-write")
        assert store.db.execute("SELECT name FROM projects").fetchall() == []


def test_unknown_query_and_missing_parameter_are_clear(tmp_path):
    with Store.open(tmp_path / "q.duckdb") as store:
        with pytest.raises(StoreError, match="no query named 'nope'"):
            store.query("nope")
        with pytest.raises(StoreError, match="needs parameters"):
            store.execute("sync/projects_upsert", name="a")


def test_second_writer_process_gets_a_clear_message(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "q.duckdb"
    holder = Store.open(path)
    try:
        code = (
            "import sys\nfrom quartz.store.db import Store, StoreError\n"
            f"try:\n    Store.open({str(path)!r})\nexcept StoreError as e:\n    print(e); sys.exit(3)\n"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    finally:
        holder.close()
    assert result.returncode == 3, result.stderr
    assert "in use by another Quartz process" in result.stdout


def test_every_query_file_parses(tmp_path):
    with Store.open(tmp_path / "q.duckdb") as store:
        for name, sql in store_module.queries().items():
            try:
                store.db.execute("PREPARE probe AS " + sql.strip().rstrip(";"))
                store.db.execute("DEALLOCATE probe")
            except duckdb.ParserException as exc:
                if "not a preparable statement" not in str(exc):  # MERGE: check its syntax at least
                    pytest.fail(f"query {name}.sql does not parse: {exc}")
                assert len(duckdb.extract_statements(sql)) == 1
            except duckdb.Error as exc:  # pragma: no cover - the message is the point
                pytest.fail(f"query {name}.sql does not parse against the current schema: {exc}")


def test_every_query_declares_exactly_the_parameters_it_uses():
    used_pattern = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
    for name, sql in store_module.queries().items():
        assert "/" in name, f"query {name} is not in an owner's folder"
        assert sql.startswith("-- params:"), f"query {name}.sql does not declare its parameters on its first line"
        used = set(used_pattern.findall(re.sub(r"--[^\n]*", "", sql)))
        assert store_module.declared_params(sql) == used, f"query {name}.sql declares other parameters than it uses"
