"""Test reports synced from the simulator over real HTTP: JUnit artifacts in, test tables out."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from quartz.devtools.simulator import JobSpec, SimulatorServer, World
from quartz.github.client import GitHubClient
from quartz.store.db import Store
from quartz.sync import testreports
from quartz.sync.runs import sync
from tests.helpers.sync import START, TOKEN, fleet_config, make_client

FIXTURES_JUNIT = Path(__file__).parent / "fixtures" / "junit"

CONFIG = """
settings:
  backfill_days: 100
projects:
  vllm:
    repo: ROCm/vllm
    category: 3p_downstream
    workflows: [rocm-test.yml]
"""


@dataclass
class Env:
    world: World
    server: SimulatorServer
    store: Store
    client: GitHubClient
    config: object

    def sync(self):
        return sync(self.config, self.store, self.client, self.world.now)

    def rows(self, sql: str, *params) -> list[tuple]:
        return self.store.db.execute(sql, list(params)).fetchall()


def make_world(runs: int = 0) -> World:
    world = World(START, seed=5)
    world.add_repo("ROCm/vllm")
    world.add_workflow("ROCm/vllm", "rocm-test.yml", jobs=[
        JobSpec("build", 600), JobSpec("test (gfx942)", 900, failure_rate=1.0), JobSpec("test (gfx950)", 900)],
        artifacts=(("test-reports", 4096), ("wheels", 1 << 20)))
    if runs:
        world.generate_history("ROCm/vllm", "rocm-test.yml", 2, runs // 2, end=world.now)
    return world


@pytest.fixture()
def env(tmp_path):
    world = make_world()
    with SimulatorServer(world, token=TOKEN) as server:
        store = Store.open(tmp_path / "quartz.duckdb")
        yield Env(world, server, store, make_client(server, store), fleet_config(CONFIG))
        store.close()


def finished_run(world: World, conclusion: str | None = None):
    run = world.create_run("ROCm/vllm", "rocm-test.yml", "main", conclusion=conclusion)
    world.advance(timedelta(hours=1))
    return run


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_reports_are_read_once_and_a_second_sync_costs_no_request_for_them(env):
    run = finished_run(env.world)
    report = env.sync()
    assert report.ok, report.failures
    assert report.test_reports == 1
    # One artifact listing and one /zip request (the wheels artifact does not match the patterns).
    assert env.server.request_count(path=f"/runs/{run.id}/artifacts") == 1
    assert env.server.request_count(path=r"/actions/artifacts/\d+/zip") == 1
    assert env.rows("SELECT status, artifact, cases FROM test_reports WHERE run_id = ?", run.id) == [
        ("parsed", "test-reports", 24)]
    suites = env.rows("SELECT variant, suite, passed, failed FROM test_suites WHERE run_id = ? ORDER BY 1", run.id)
    assert suites == [("test-reports/test--gfx942", "pytest", 11, 1), ("test-reports/test--gfx950", "pytest", 12, 0)]
    failed = env.rows("SELECT variant, outcome, message FROM test_cases WHERE run_id = ? AND outcome = 'failed'",
                      run.id)
    assert failed == [("test-reports/test--gfx942", "failed", "RuntimeError: HIP error: invalid device function")]
    daily = env.rows("SELECT failures FROM test_daily WHERE variant = 'test-reports/test--gfx942' AND failures > 0")
    assert daily == [(1,)]

    env.server.reset_counters()
    again = env.sync()
    assert again.ok and again.test_reports == 0
    assert env.server.request_count(path="artifacts") == 0
    assert env.rows("SELECT count(*) FROM test_suites")[0][0] == 2
    assert env.rows("SELECT sum(failures) FROM test_daily")[0][0] == 1
    assert env.rows("SELECT sum(runs) FROM test_daily_runs")[0][0] == 2


def test_the_download_url_is_fetched_without_the_token_and_costs_one_request(env):
    run = finished_run(env.world)
    listing = env.client.get(f"/repos/ROCm/vllm/actions/runs/{run.id}/artifacts").body["artifacts"]
    artifact = next(a for a in listing if a["name"] == "test-reports")
    env.server.reset_counters()
    before = env.client.stats.snapshot()
    download = env.client.download_artifact("ROCm/vllm", artifact["id"], max_bytes=10 << 20)
    assert download.status == "ok" and zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    # The simulator answers 400 to a pre-signed URL that carries an Authorization header, as S3 does.
    assert [r.status for r in env.server.requests if r.path.startswith("/_downloads/")] == [200]
    assert env.client.stats.since(before).requests == 1 and env.server.points_used == 1
    small = env.client.download_artifact("ROCm/vllm", artifact["id"], max_bytes=100)
    assert small.status == "too_large" and small.data == b""


def test_an_expired_artifact_is_recorded_as_expired(env):
    run = finished_run(env.world)
    env.world.advance(timedelta(days=91))
    old = env.client.get(f"/repos/ROCm/vllm/actions/runs/{run.id}/artifacts").body["artifacts"][0]
    gone = env.client.download_artifact("ROCm/vllm", old["id"], max_bytes=10 << 20)
    assert gone.status == "expired" and "expired" in gone.reason
    env.world.rerun(run.id)  # attempt 2 makes fresh artifacts; attempt 1's stay expired
    env.world.advance(timedelta(hours=1))
    report = env.sync()
    assert report.ok, report.failures
    rows = env.rows("SELECT status, reason FROM test_reports WHERE run_id = ? ORDER BY artifact_id", run.id)
    assert ("expired", "the artifact has expired") in rows and ("parsed", None) in rows
    assert env.rows("SELECT DISTINCT run_attempt FROM test_suites WHERE run_id = ?", run.id) == [(2,)]


def test_a_zip_bomb_and_an_xxe_report_are_refused_and_the_run_keeps_its_other_data(env):
    run = finished_run(env.world)
    bomb = env.world.add_artifact(run.id, "test-reports-bomb")
    env.world.artifact_content[bomb.id] = zip_of({"junit.xml": b"\0" * (4 << 20)})
    xxe = env.world.add_artifact(run.id, "unit-junit-xml")
    env.world.artifact_content[xxe.id] = zip_of({"report.xml": (
        b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<testsuite name="s"><testcase name="&x;"/></testsuite>')})
    report = env.sync()
    assert report.ok and report.test_reports_refused == 2 and report.test_reports == 1
    reasons = dict(env.rows("SELECT artifact, reason FROM test_reports WHERE run_id = ? AND status = 'refused'",
                            run.id))
    assert "zip bomb" in reasons["test-reports-bomb"]
    assert "DTD" in reasons["unit-junit-xml"]
    assert "passwd" not in str(env.rows("SELECT * FROM test_cases"))
    assert env.rows("SELECT count(*) FROM jobs WHERE run_id = ?", run.id) == [(3,)]
    assert env.rows("SELECT count(*) FROM test_suites WHERE run_id = ?", run.id) == [(2,)]


def test_backfill_reads_a_bounded_slice_per_sync_newest_first(tmp_path):
    world = make_world(runs=60)
    with SimulatorServer(world, token=TOKEN) as server:
        store = Store.open(tmp_path / "quartz.duckdb")
        env = Env(world, server, store, make_client(server, store), fleet_config(CONFIG))
        env.sync()
        total = env.rows("SELECT count(*) FROM workflow_runs WHERE status = 'completed'")[0][0]
        read = env.rows("SELECT count(DISTINCT run_id) FROM test_reports")[0][0]
        assert total > testreports.RUNS_PER_CYCLE and read == testreports.RUNS_PER_CYCLE
        oldest_read = env.rows("SELECT min(w.created_at) FROM test_reports t JOIN workflow_runs w USING (run_id)")
        unread = env.rows("SELECT max(created_at) FROM workflow_runs WHERE status = 'completed' AND run_id NOT IN "
                          "(SELECT run_id FROM test_reports)")
        assert unread[0][0] <= oldest_read[0][0]
        env.sync()
        assert env.rows("SELECT count(DISTINCT run_id) FROM test_reports")[0][0] == total
        store.close()


def test_patterns_choose_the_artifacts():
    assert testreports.matches("test-reports-default-1-2-linux.rocm.gpu", ("test-reports*", "*junit*"))
    assert testreports.matches("CTest-JUnit", ("test-reports*", "*junit*"))
    assert not testreports.matches("wheels", ("test-reports*", "*junit*"))
    assert not testreports.matches("test-reports", ())
    assert testreports.variant_of("test-reports", "test--gfx942/junit.xml") == "test-reports/test--gfx942"
    assert testreports.variant_of("junit-shard-1", "report.xml") == "junit-shard-1"


def test_shapes_the_tool_counted_reach_the_store_as_distinct_tests(env):
    # Issue 26: a suite that failed to load, long ids that differ after the cut, TestNG repeats.
    run = finished_run(env.world)
    junit_dir = FIXTURES_JUNIT
    shapes = env.world.add_artifact(run.id, "unit-junit-xml")
    env.world.artifact_content[shapes.id] = zip_of({name: (junit_dir / name).read_bytes() for name in (
        "suite_load_error.xml", "long_params.xml", "testng_dataprovider.xml")})
    report = env.sync()
    assert report.ok, report.failures
    cases = env.rows("SELECT suite, name, outcome FROM test_cases WHERE run_id = ? AND variant LIKE 'unit-junit%' "
                     "ORDER BY 1, 2", run.id)
    assert [(suite, outcome) for suite, _, outcome in cases] == [
        ("org.example.MathTest", "failed"), ("org.example.ParserTest", "error"), ("pytest", "failed")]
    assert cases[0][1] == "adds #2" and cases[1][1] == "org.example.ParserTest" and len(cases[2][1]) == 300
    suites = dict(env.rows("SELECT suite, passed + failed + skipped + errors FROM test_suites WHERE run_id = ? "
                           "AND variant LIKE 'unit-junit%'", run.id))
    assert suites == {"org.example.ParserTest": 1, "org.example.LexerTest": 2, "pytest": 2,
                      "org.example.MathTest": 3}
