"""`quartz ingest` against real endpoints: jobs fetched from the GitHub simulator, the store kept in S3 (moto)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import boto3
import pytest

from quartz import cli, config
from quartz.devtools.simulator import JobSpec, SimulatorServer, World
from quartz.errors import QuartzError
from quartz.github.client import GitHubClient
from quartz.rocm import ingest
from quartz.store import remote as storage
from quartz.store.db import Store
from tests.helpers import rocmdata

FIXTURES = rocmdata.PAYLOADS
pytestmark = rocmdata.needs_rocm  # every test here feeds a real report
REPO = Path(__file__).resolve().parent.parent
START = dt.datetime(2026, 6, 19, 15, tzinfo=dt.UTC)


@pytest.fixture
def world():
    world = World(START, seed=3)
    repo = world.add_repo("ROCm/Quartz-Tester")
    world.add_workflow(repo, "multi_arch_release.yml", name="Multi-Arch Release",
                       jobs=[JobSpec("setup / setup", 60), JobSpec("Linux::release / Build", 900, failure_rate=1.0),
                             JobSpec("Windows::release / Build", 600)])
    return world


def stripped_report(run_id: int) -> str:
    """The real release report with its jobs dropped, as the sender does when it must."""
    payload = json.loads((FIXTURES / "multi_arch_release_completed.json").read_text(encoding="utf-8"))
    payload["workflow_run"].update(id=run_id, jobs=[])
    return json.dumps(payload)


def test_fetch_jobs_reads_the_attempts_jobs_from_github(world, tmp_path, monkeypatch, capsys):
    run = world.create_run("ROCm/Quartz-Tester", "multi_arch_release.yml", event="workflow_dispatch")
    world.advance(dt.timedelta(hours=1))
    with SimulatorServer(world, token="sim-token") as server:
        monkeypatch.setenv("GITHUB_TOKEN", "sim-token")
        code = cli.main(["ingest", "--config", str(REPO / "cascades.yaml"), "--store", str(tmp_path / "q.duckdb"),
                         "--github-url", server.url, "--payload-json", stripped_report(run.id),
                         "--fetch-jobs", "true"])
    assert code == 0
    assert "3 jobs from api" in capsys.readouterr().out
    with Store.open(tmp_path / "q.duckdb") as store:
        jobs = store.query("rocm/status_jobs", run_ids=[run.id])
        assert store.query_one("rocm/report_get", run_id=run.id, run_attempt=1, unit=ingest.unit_of(
            json.loads(stripped_report(run.id))["workflow_run"])) is not None
    assert [j["name"] for j in jobs] == ["setup / setup", "Linux::release / Build", "Windows::release / Build"]
    assert [j["conclusion"] for j in jobs] == ["success", "failure", "success"]
    assert all(j["run_attempt"] == 1 and j["completed_at"] for j in jobs)


def test_github_failing_leaves_the_store_untouched(world, tmp_path):
    run = world.create_run("ROCm/Quartz-Tester", "multi_arch_release.yml", event="workflow_dispatch")
    world.advance(dt.timedelta(hours=1))
    cfg = config.load(REPO / "cascades.yaml")
    with SimulatorServer(world, token="sim-token") as server, Store.open(tmp_path / "q.duckdb") as store:
        server.faults.error(r"/jobs", "GET", status=502, times=50)
        client = GitHubClient(server.url, "sim-token", sleep=lambda _s: None)
        with pytest.raises(QuartzError, match="could not fetch the jobs") as info:
            ingest.ingest(cfg, store, stripped_report(run.id), fetch=True, now=START, client=client)
        assert info.value.exit_code == 1
        assert store.db.execute("SELECT count(*) FROM ingest_reports").fetchone() == (0,)
        assert store.db.execute("SELECT count(*) FROM workflow_runs").fetchone() == (0,)


def _args(store: str, payload: str):
    return cli.build_parser().parse_args(["ingest", "--config", str(REPO / "cascades.yaml"), "--store", store,
                                          "--payload-json", payload])


def _stored_reports(s3, tmp_path) -> int:
    pulled = storage.pull(f"s3://{s3.bucket}/quartz.duckdb", tmp_path / "check")
    with Store.open(pulled.local_path) as store:
        return store.db.execute("SELECT count(*) FROM ingest_reports").fetchone()[0]


def test_store_in_s3_is_pulled_and_pushed(s3, tmp_path):
    location = f"s3://{s3.bucket}/quartz.duckdb"
    for name in ("multi_arch_release_completed.json", "multi_arch_build_windows_completed.json"):
        assert ingest.main(_args(location, (FIXTURES / name).read_text(encoding="utf-8"))) == 0
    assert _stored_reports(s3, tmp_path) == 2


def test_losing_the_push_race_pulls_again_and_redoes_the_work(s3, tmp_path):
    location = f"s3://{s3.bucket}/quartz.duckdb"
    ingest.main(_args(location, (FIXTURES / "multi_arch_release_completed.json").read_text(encoding="utf-8")))
    # Another writer pushes its own change to the store right before our first conditional push.
    pulled = storage.pull(location, tmp_path / "other")
    with Store.open(pulled.local_path) as store:
        ingest.ingest(config.load(REPO / "cascades.yaml"), store,
                      (FIXTURES / "multi_arch_build_native_linux_packages_completed.json").read_text(encoding="utf-8"),
                      fetch=False, now=START)
    other = pulled.local_path.read_bytes()
    raced = []

    def cycle_pushes_first(params, **_):
        if not raced:
            raced.append(True)
            s3.client.put_object(Bucket=s3.bucket, Key="quartz.duckdb", Body=other)

    session = boto3.Session()
    session.events.register("before-parameter-build.s3.PutObject", cycle_pushes_first)
    boto3.DEFAULT_SESSION = session
    sleeps: list[float] = []
    try:
        code = ingest.main(_args(location, (FIXTURES / "multi_arch_build_windows_completed.json")
                                 .read_text(encoding="utf-8")), sleep=sleeps.append)
    finally:
        boto3.DEFAULT_SESSION = None
    assert code == 0 and raced and len(sleeps) == 1
    assert _stored_reports(s3, tmp_path) == 3  # the other writer's report and ours: nothing lost
