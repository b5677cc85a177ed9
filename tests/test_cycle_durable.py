"""A cycle never loses what it synced: the store is pushed before render and publish, which may fail.

Real parts throughout: the simulator over HTTP, moto's S3 server, DuckDB files,
and the `quartz` command in a subprocess where the exit code and stderr matter.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from quartz import config as config_module
from quartz import cycle
from quartz.devtools import simworld
from quartz.devtools.simulator import SimulatorServer
from quartz.github.client import GitHubClient
from quartz.store import remote as storage
from quartz.store.db import Store
from tests.helpers.site import validate_json_files

pytestmark = pytest.mark.slow

# The `quartz` subprocesses run on the real clock, so the simulated world ends now.
T0 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=2)
TOKEN = "sim-token-durable"
# The first day of a real installation: rocm has history; pytorch's workflow file name is still wrong
# (GitHub answers 404); vllm runs weekly and has no run yet.
FLEET = """\
settings: {backfill_days: 3}
projects:
  rocm: {repo: ROCm/rockrel, category: core, workflows: [multi_arch_release.yml]}
  pytorch: {repo: ROCm/pytorch, category: 1p_downstream, workflows: [rocm-build.yml]}
  vllm: {repo: ROCm/vllm, category: 3p_downstream, workflows: [rocm-test.yml]}
releases:
  "7.0": {rocm: main, pytorch: main}
cascades:
  nightly:
    trigger: {project: rocm, workflow: multi_arch_release.yml, branch: main, conclusion: success}
    stages:
      pytorch: {workflow: rocm-build.yml}
      vllm: {workflow: rocm-test.yml, depends_on: [pytorch]}
"""
WORLD = """\
projects:
  rocm: {repo: ROCm/rockrel, category: core, workflows: [multi_arch_release.yml]}
  pytorch: {repo: ROCm/pytorch, category: 1p_downstream, workflows: [build.yml]}
  vllm: {repo: ROCm/vllm, category: 3p_downstream, workflows: [rocm-test.yml]}
"""


class SparseFleet:
    def __init__(self, tmp_path: Path):
        self.config = config_module.loads(FLEET, "cascades.yaml")
        world_config = config_module.loads(WORLD, "world.yaml")
        self.world = simworld.build_world(world_config, T0, seed=5)
        self.world.advance(dt.timedelta(days=2))
        rocm_only = config_module.loads(WORLD.split("  pytorch")[0], "rocm.yaml")
        simworld.add_history(self.world, rocm_only, 1, seed=5)
        self.server = SimulatorServer(self.world, token=TOKEN).start()
        self.tmp = tmp_path
        self.config_path = tmp_path / "cascades.yaml"
        self.config_path.write_text(FLEET)

    def client(self) -> GitHubClient:
        world = self.world
        return GitHubClient(self.server.url, TOKEN, sleep=lambda s: world.advance(dt.timedelta(seconds=s)),
                            clock=lambda: world.now_ts, write_interval_s=0)

    def quartz(self, *args: str, debug: bool = False) -> subprocess.CompletedProcess:
        env = {**os.environ, "GITHUB_API_URL": self.server.url, "GITHUB_TOKEN": TOKEN,
               "GITHUB_STEP_SUMMARY": str(self.tmp / "summary.md")}
        env.pop("QUARTZ_DEBUG", None)
        if debug:
            env["QUARTZ_DEBUG"] = "1"
        return subprocess.run([sys.executable, "-m", "quartz", *args, "--config", str(self.config_path)],
                              capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture
def sparse(tmp_path):
    fleet = SparseFleet(tmp_path)
    yield fleet
    fleet.server.stop()


def stored(location: str, sql: str) -> list[tuple]:
    with tempfile.TemporaryDirectory() as scratch:
        pulled = storage.pull(location, scratch)
        with Store.open(pulled.local_path) as store:
            return store.db.execute(sql).fetchall()


def test_a_first_day_fleet_renders_every_page(sparse):
    report = cycle.run_cycle(sparse.config, str(sparse.tmp / "q.duckdb"), sparse.client(), sparse.tmp / "site",
                             None, sparse.world.now)
    assert report.failure is None
    assert report.status == "partial"  # pytorch's workflow is not there
    assert [p for p, _ in report.sync.failures] == ["pytorch"]
    site = sparse.tmp / "site"
    for page in ("index.html", "trends.html", "cascades.html", "known-good.html", "projects/vllm.html",
                 "projects/pytorch.html", "releases/7.0.html"):
        assert (site / page).is_file(), page
    checked, problems = validate_json_files(site)
    assert checked > 5 and problems == []
    trends = (site / "trends.html").read_text()
    # Worst first, and projects with no runs yet at the end rather than a crash.
    assert trends.index("projects/rocm.html") < trends.index("projects/vllm.html")


def test_a_cycle_that_cannot_write_its_site_exits_1_in_one_line_and_keeps_its_sync_in_s3(sparse, s3):
    location = f"s3://{s3.bucket}/state/quartz.duckdb"
    blocker = sparse.tmp / "not-a-dir"
    blocker.write_text("a file where the site's parent directory should be")
    result = sparse.quartz("cycle", "--store", location, "--out", str(blocker / "site"))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("quartz cycle: render failed: NotADirectoryError") and "store was pushed" in last
    # The runs it synced are in S3, and so is the note that its render failed.
    runs = stored(location, "SELECT count(*) FROM workflow_runs WHERE project = 'rocm'")[0][0]
    assert runs > 0
    ((status, error),) = stored(location, "SELECT render_status, render_error FROM cycle_log")
    assert status == "failed" and error.startswith("render: NotADirectoryError")
    summary = (sparse.tmp / "summary.md").read_text()
    assert "**render failed:**" in summary and "nothing this cycle synced is lost" in summary

    # The next cycle renders again, and its freshness line says the dashboard was behind.
    sparse.world.advance(dt.timedelta(minutes=10))
    ok = sparse.quartz("cycle", "--store", location, "--out", str(sparse.tmp / "site"))
    assert ok.returncode == 1 and "render failed" not in ok.stderr  # exit 1: pytorch is still misconfigured
    index = (sparse.tmp / "site" / "index.html").read_text()
    assert "The dashboard was behind" in index and "1 render failed" in index
    # ... once: the cycle after that rendered fine, so its page no longer warns.
    sparse.world.advance(dt.timedelta(minutes=10))
    sparse.quartz("cycle", "--store", location, "--out", str(sparse.tmp / "site"))
    assert "The dashboard was behind" not in (sparse.tmp / "site" / "index.html").read_text()


def test_debug_shows_the_traceback_that_is_otherwise_kept_back(sparse, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = str(tmp_path / "q.duckdb")
    quiet = sparse.quartz("cycle", "--store", store, "--out", str(blocker / "site"))
    loud = sparse.quartz("cycle", "--store", store, "--out", str(blocker / "site"), debug=True)
    assert quiet.returncode == loud.returncode == 1
    assert "Traceback" not in quiet.stderr
    assert "Traceback" in loud.stderr and "NotADirectoryError" in loud.stderr
    flag = sparse.quartz("render", "--debug", "--store", store, "--out", str(blocker / "site"))
    assert flag.returncode == 1 and "Traceback" in flag.stderr


def test_render_and_status_read_an_s3_store_and_never_write_it(sparse, s3):
    location = f"s3://{s3.bucket}/state/quartz.duckdb"
    missing = sparse.quartz("render", "--store", location, "--out", str(sparse.tmp / "site"))
    assert missing.returncode == 1 and "does not exist yet" in missing.stderr
    assert sparse.quartz("cycle", "--store", location, "--out", str(sparse.tmp / "first")).returncode == 1
    etag = s3.client.head_object(Bucket=s3.bucket, Key="state/quartz.duckdb")["ETag"]
    rendered = sparse.quartz("render", "--store", location, "--out", str(sparse.tmp / "site"))
    assert rendered.returncode == 0, rendered.stderr
    assert (sparse.tmp / "site" / "index.html").is_file()
    status = sparse.quartz("status", "--store", location)
    assert status.returncode == 0, status.stderr
    assert s3.client.head_object(Bucket=s3.bucket, Key="state/quartz.duckdb")["ETag"] == etag


def test_an_unexpected_error_is_one_line_with_a_hint(sparse, tmp_path):
    # A store file another tool left half-written: DuckDB refuses it, Quartz says so in one line.
    bad = tmp_path / "q.duckdb"
    bad.write_bytes(b"DUCK" + b"\0" * 100)
    result = sparse.quartz("render", "--store", str(bad), "--out", str(tmp_path / "site"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("quartz render: ")
