"""History as Parquet: archive, hot ∪ cold reads, crash safety, migration, compaction, the layout contract.

Local stores and moto's S3 server over HTTP; DuckDB on disk; the site rendered before and after.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from quartz.site.render import render
from quartz.store import reader
from quartz.store import remote as storage
from quartz.store.db import Store
from quartz.store.history import archive as archiving
from quartz.store.history import tables, views
from quartz.store.history.compact import compact, delete_replaced
from quartz.store.history.home import HistoryHome
from quartz.store.history.run import AlreadyMigrated, archive_pulled
from tests.helpers.site import NOW, make_store

HOT_DAYS = 1  # the fixture's runs span about two days: some move, some stay


def every_row(store) -> dict[str, list[tuple]]:
    """Every row of every history table, as the read path sees them."""
    return {t: store.db.execute(f"SELECT * FROM {tables.quoted(t)} ORDER BY ALL").fetchall()
            for t in tables.present(store.db)}


def hot_count(store, table: str = "workflow_runs") -> int:
    return store.db.execute(f"SELECT count(*) FROM {tables.catalog(store.db)}.main.{table}").fetchone()[0]


def site_files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


@pytest.fixture
def local_store(tmp_path):
    """A populated store on disk, its rows and its rendered site before any archive."""
    path = tmp_path / "store" / "quartz.duckdb"
    path.parent.mkdir()
    config, store = make_store(path)
    before = every_row(store)
    render(config, store, tmp_path / "site-before", NOW)
    store.close()
    return config, path, before, tmp_path / "site-before"


def pulled_local(path: Path) -> storage.PulledStore:
    return storage.pull(str(path), path.parent)


@pytest.mark.parametrize("materialize_rows", [views.MATERIALIZE_ROWS, 0], ids=["temp-tables", "views"])
def test_archive_moves_old_runs_and_the_site_renders_the_same(local_store, tmp_path, monkeypatch, materialize_rows):
    monkeypatch.setattr(views, "MATERIALIZE_ROWS", materialize_rows)
    config, path, before, site_before = local_store
    result = archive_pulled(pulled_local(path), NOW, HOT_DAYS)
    assert result.report.runs > 0 and result.report.rows["jobs"] > 0
    assert (path.parent / "history" / "runs").is_dir()
    with reader.read_only(str(path)) as store:
        assert 0 < hot_count(store) < len(before["workflow_runs"])
        assert every_row(store) == before
        render(config, store, tmp_path / "site-after", NOW)
    assert site_files(tmp_path / "site-after") == site_files(site_before)


def test_a_second_archive_moves_nothing(local_store):
    _, path, before, _ = local_store
    first = archive_pulled(pulled_local(path), NOW, HOT_DAYS)
    second = archive_pulled(pulled_local(path), NOW, HOT_DAYS)
    assert first.report.runs > 0 and second.report.runs == 0 and not second.changed
    with reader.read_only(str(path)) as store:
        assert every_row(store) == before
        assert store.query_one("history/files") is not None


def test_open_runs_and_runs_of_running_cascades_stay_hot(local_store):
    _, path, _, _ = local_store
    archive_pulled(pulled_local(path), NOW, 0)
    with Store.open(path, read_only=True) as store:
        left = store.db.execute("SELECT count(*) FILTER (WHERE status <> 'completed'), count(*) FROM workflow_runs")
        open_runs, hot = left.fetchone()
        linked = store.db.execute(
            "SELECT count(*) FROM cascade_stages s JOIN cascade_runs c USING (cascade_run_id) "
            "WHERE c.status = 'running' AND s.run_id IS NOT NULL "
            "AND s.run_id NOT IN (SELECT run_id FROM workflow_runs)").fetchone()[0]
    assert open_runs > 0 and hot >= open_runs
    assert linked == 0


def test_a_crash_between_file_write_and_manifest_loses_and_doubles_nothing(local_store, tmp_path):
    _, path, before, _ = local_store
    home = HistoryHome.of(str(path))
    with Store.open(path) as store:  # the process dies after writing the files, before the transaction
        archiving.plan(store, NOW - dt.timedelta(days=HOT_DAYS))
        written = archiving.write_files(store, home, tmp_path / "scratch", NOW)
    assert written and all((home.local_root / w["rel_key"]).exists() for w in written)
    with reader.read_only(str(path)) as store:
        assert every_row(store) == before  # the orphans are not read
    archive_pulled(pulled_local(path), NOW, HOT_DAYS)
    with reader.read_only(str(path)) as store:
        assert every_row(store) == before  # moved once, from the hot rows, not from the orphans
    with Store.open(path) as store:  # a day later (the files' ages are real time)
        report = compact(store, home, dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    assert sorted(report.orphans) == sorted(w["rel_key"] for w in written)
    delete_replaced(home, report)
    assert not any((home.local_root / w["rel_key"]).exists() for w in written)
    with reader.read_only(str(path)) as store:
        assert every_row(store) == before


def test_an_unlisted_file_younger_than_a_day_is_not_removed(local_store, tmp_path):
    _, path, _, _ = local_store
    home = HistoryHome.of(str(path))
    with Store.open(path) as store:
        archiving.plan(store, NOW)
        written = archiving.write_files(store, home, tmp_path / "scratch", NOW)
        assert compact(store, home, dt.datetime.now(dt.UTC)).orphans == []
    assert written


def test_compact_merges_a_partitions_files_into_one(local_store):
    _, path, before, _ = local_store
    for hours in (40, 30, 20):  # three archives, each a little further: several files per partition
        archive_pulled(pulled_local(path), NOW - dt.timedelta(hours=hours), 0)
    home = HistoryHome.of(str(path))
    with Store.open(path) as store:
        files = store.query("history/files")
        report = compact(store, home, NOW)
        after = store.query("history/files")
    assert report.partitions > 0 and len(after) < len(files)
    assert len({(f["table_name"], f["project"], f["month"]) for f in after}) == len(after)
    delete_replaced(home, report)
    assert len(list(home.local_root.rglob("*.parquet"))) == len(after)
    with reader.read_only(str(path)) as store:
        assert every_row(store) == before


def test_the_tree_reads_as_hive_partitions_for_other_engines(local_store):
    """The README's contract: read_parquet('<root>/runs/*/*/*.parquet', hive_partitioning=true)."""
    _, path, _, _ = local_store
    archive_pulled(pulled_local(path), NOW, HOT_DAYS)
    root = path.parent / "history"
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    for folder in ("runs", "jobs", "run_attempts"):
        got = db.execute(f"SELECT count(*), count(DISTINCT month) FROM read_parquet('{root}/{folder}/*/*/*.parquet', "
                         "hive_partitioning = true)").fetchone()
        assert got[0] > 0 and got[1] >= 1
    mismatched = db.execute(
        f"SELECT count(*) FROM read_parquet('{root}/runs/*/*/*.parquet', hive_partitioning = true) "
        "WHERE month <> strftime(created_at, '%Y-%m')").fetchone()[0]
    assert mismatched == 0
    with Store.open(path, read_only=True) as store:
        listed = sum(f["rows"] for f in store.query("history/files") if f["table_name"] == "jobs")
    assert db.execute(f"SELECT count(*) FROM '{root}/jobs/**/*.parquet'").fetchone()[0] == listed


# ---------------------------------------------------------------- S3 (moto over HTTP)


def _to_s3(s3, path: Path) -> str:
    location = f"s3://{s3.bucket}/state/quartz.duckdb"
    pulled = storage.PulledStore(location=location, local_path=path, s3=storage.parse_s3(location), etag=None)
    storage.push(pulled, client=s3.client)
    return location


def _history_gets(s3):
    count = {"gets": 0}

    def seen(params, **_):
        if "/history/" in params.get("Key", ""):
            count["gets"] += 1
    s3.client.meta.events.register("provide-client-params.s3.GetObject", seen)
    s3.client.meta.events.register("provide-client-params.s3.HeadObject", seen)
    return count


def test_migration_on_s3_loses_nothing_runs_once_and_downloads_each_partition_once(local_store, s3, tmp_path,
                                                                                  monkeypatch):
    config, path, before, site_before = local_store
    location = _to_s3(s3, path)
    shutil.rmtree(path.parent)
    monkeypatch.setenv("QUARTZ_HISTORY_CACHE", str(tmp_path / "cache"))
    with storage.opened(location, client=s3.client) as (_store, pulled):
        pass  # the store as the cycle would hold it
    pulled = storage.pull(location, tmp_path / "work", client=s3.client)
    result = archive_pulled(pulled, NOW, HOT_DAYS, migrate=True, client=s3.client)
    storage.push(pulled, client=s3.client)
    assert result.report.runs > 0 and result.report.files == len(s3.listing("state/history/"))
    shutil.rmtree(tmp_path / "cache")  # a reader elsewhere: nothing cached yet

    gets = _history_gets(s3)
    with reader.read_only(location, client=s3.client) as store:
        assert every_row(store) == before
        render(config, store, tmp_path / "site-after", NOW)
    assert gets["gets"] == result.report.files
    with reader.read_only(location, client=s3.client) as store:
        assert every_row(store) == before
    assert gets["gets"] == result.report.files  # the second reader found every partition in the cache
    # Runs and attempts are read from one copy of their cold rows, made once for this manifest.
    assert [p.name.startswith("cold-") for p in (tmp_path / "cache").rglob("*.duckdb")] == [True]
    assert site_files(tmp_path / "site-after") == site_files(site_before)

    again = storage.pull(location, tmp_path / "again", client=s3.client)
    with pytest.raises(AlreadyMigrated, match="was migrated"):
        archive_pulled(again, NOW, HOT_DAYS, migrate=True, client=s3.client)


def test_history_files_are_written_once_on_s3(s3, tmp_path):
    home = HistoryHome.of(f"s3://{s3.bucket}/q/quartz.duckdb", client=s3.client, cache_dir=tmp_path / "c")
    source = tmp_path / "f.parquet"
    source.write_bytes(b"PAR1 not really")
    home.put_new(source, "runs/project=a/month=2026-01/x.parquet")
    with pytest.raises(Exception, match="already exists"):
        home.put_new(source, "runs/project=a/month=2026-01/x.parquet")
    assert s3.listing("q/history/") == ["q/history/runs/project=a/month=2026-01/x.parquet"]


# ---------------------------------------------------------------- commands and the cycle


def test_archive_and_history_commands(local_store, tmp_path, capsys):
    from quartz.cli import main

    config, path, before, _ = local_store
    config_file = tmp_path / "fleet.yaml"
    config_file.write_text(config.source)
    common = ["--config", str(config_file), "--store", str(path)]
    assert main(["archive", "--migrate", "--hot-days", "1", *common]) == 0
    assert "archive: moved" in capsys.readouterr().out
    assert main(["archive", "--migrate", *common]) == 2
    assert "was migrated" in capsys.readouterr().err
    assert main(["archive", *common]) == 0
    assert "nothing to move" in capsys.readouterr().out
    assert main(["history", "compact", *common]) == 0
    assert "history compact: merged 0 files" in capsys.readouterr().out
    assert main(["render", *common, "--out", str(tmp_path / "site")]) == 0
    with reader.read_only(str(path)) as store:
        assert every_row(store) == before
        assert hot_count(store) < len(before["workflow_runs"])


def test_a_cycle_archives_aged_history_and_still_renders_it(s3, tmp_path):
    import json

    from tests.test_cycle import Fleet

    fleet = Fleet(s3, tmp_path)
    try:
        assert fleet.cycle().status == "ok"
        with reader.read_only(fleet.location, client=s3.client) as store:
            before = every_row(store)
        fleet.world.advance(dt.timedelta(days=fleet.config.settings.hot_days + 10))
        aged = fleet.cycle(site="site-aged")
        assert aged.status == "ok" and aged.archive.report.runs > 0
        # A new run changes the workflow's first page, which still lists runs now in the history.
        fleet.world.create_run("ROCm/rockrel", "multi_arch_release.yml", "main", event="push", conclusion="failure")
        fleet.world.advance(dt.timedelta(hours=5))
        steady = fleet.cycle(site="site-steady")
        assert steady.sync.runs_new == 1 and steady.archive.report.runs == 0
        assert fleet.stored("SELECT count(*) FROM workflow_runs WHERE run_id IN (SELECT run_id FROM history_runs)") \
            == [(0,)]
        with reader.read_only(fleet.location, client=s3.client) as store:
            after = every_row(store)
            assert hot_count(store) < len(after["workflow_runs"])
        for table, key in (("workflow_runs", 1), ("run_attempts", 2), ("jobs", 1)):  # runs still open were updated
            keys = [r[:key] for r in after[table]]
            assert len(keys) == len(set(keys)) and set(keys) > {r[:key] for r in before[table]}
        builds = json.loads((tmp_path / "site-aged/api/v1/projects/rocm/builds.json").read_text())
        assert {item["run_id"] for item in builds["items"]} >= {
            r[0] for r in before["workflow_runs"] if r[2] == "rocm"}
    finally:
        fleet.server.stop()
