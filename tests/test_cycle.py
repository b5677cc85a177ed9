"""The whole cycle against real parts: the simulator over HTTP, moto's S3 server, DuckDB files.

Races and crashes are staged with the cycle's `on_phase` hook: a second cycle
runs to completion while the first is between phases, or the cycle is killed
as a phase begins.
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

pytestmark = pytest.mark.slow

T0 = dt.datetime(2026, 11, 20, 0, 0, tzinfo=dt.UTC)
TOKEN = "sim-token-cycle"
FLEET = """\
settings: {backfill_days: 3}
projects:
  rocm: {repo: ROCm/rockrel, category: core, workflows: [multi_arch_release.yml]}
  pytorch: {repo: ROCm/pytorch, category: 1p_downstream, workflows: [rocm-build.yml]}
  vllm: {repo: ROCm/vllm, category: 3p_downstream, workflows: [rocm-test.yml]}
cascades:
  nightly:
    trigger: {project: rocm, workflow: multi_arch_release.yml, branch: main, conclusion: success}
    stages:
      pytorch: {workflow: rocm-build.yml, inputs: {rocm_run_id: "{{ upstream.rocm.run_id }}"}}
      vllm: {workflow: rocm-test.yml, depends_on: [pytorch]}
"""


class Fleet:
    def __init__(self, s3, tmp_path: Path):
        self.config = config_module.loads(FLEET, "cascades.yaml")
        self.world = simworld.build_world(self.config, T0, seed=3)
        self.world.advance(dt.timedelta(days=2))
        simworld.add_history(self.world, self.config, 1, seed=3)
        self.server = SimulatorServer(self.world, token=TOKEN).start()
        self.s3 = s3
        self.location = f"s3://{s3.bucket}/state/quartz.duckdb"
        self.target = f"s3://{s3.bucket}/site"
        self.tmp = tmp_path

    def client(self) -> GitHubClient:
        world = self.world
        return GitHubClient(self.server.url, TOKEN, sleep=lambda s: world.advance(dt.timedelta(seconds=s)),
                            clock=lambda: world.now_ts, write_interval_s=0)

    def cycle(self, on_phase=None, site="site") -> cycle.CycleReport:
        return cycle.run_cycle(self.config, self.location, self.client(), self.tmp / site, self.target,
                               self.world.now, on_phase=on_phase, clock=lambda: self.world.now)

    def nightly(self) -> int:
        run = self.world.create_run("ROCm/rockrel", "multi_arch_release.yml", "main", event="schedule",
                                    conclusion="success")
        self.world.advance(dt.timedelta(hours=5))
        return run.id

    def dispatched_runs(self, repo: str, workflow: str) -> list:
        return [r for r in self.world.runs_in(repo, workflow) if "nightly-" in r.display_title]

    def stored(self, sql: str):
        with tempfile.TemporaryDirectory() as scratch:
            pulled = storage.pull(self.location, scratch)
            with Store.open(pulled.local_path) as store:
                return store.db.execute(sql).fetchall()

    def etag(self) -> str:
        return self.s3.client.head_object(Bucket=self.s3.bucket, Key="state/quartz.duckdb")["ETag"]

    def run_until_done(self, cycles: int = 6) -> None:
        for _ in range(cycles):
            self.fleet_cycle()
            self.world.advance(dt.timedelta(hours=2))

    def fleet_cycle(self):
        return self.cycle()


@pytest.fixture
def fleet(s3, tmp_path):
    made = Fleet(s3, tmp_path)
    yield made
    made.server.stop()


def test_a_cycle_syncs_dispatches_renders_pushes_and_publishes(fleet):
    first = fleet.cycle()
    assert first.status == "ok"
    assert first.sync.runs_new > 0
    assert first.bytes_pushed > 0
    assert "index.html" in " ".join(fleet.s3.listing("site/"))
    fleet.nightly()
    second = fleet.cycle()
    assert second.advance.started == 1 and second.advance.dispatched == 1
    assert len(fleet.dispatched_runs("ROCm/pytorch", "rocm-build.yml")) == 1
    summary = second.markdown()
    assert "stages dispatched | 1" in summary and "rate-limit points" in summary
    fleet.run_until_done()
    assert len(fleet.dispatched_runs("ROCm/vllm", "rocm-test.yml")) == 1
    assert fleet.stored("SELECT status FROM cascade_runs") == [("success",)]


def test_two_cycles_at_once_one_wins_nothing_lost_nothing_doubled(fleet):
    fleet.cycle()
    fleet.nightly()
    rival: dict = {}

    def run_rival_first(phase: str) -> None:
        if phase == "sync" and not rival:
            rival["report"] = fleet.cycle(site="rival-site")

    with pytest.raises(storage.StoreRaceLost) as lost:
        fleet.cycle(on_phase=run_rival_first)
    assert "another" in str(lost.value).lower()
    assert rival["report"].advance.dispatched == 1
    # The loser stopped before its POST: one PyTorch run, and S3 holds the winner's store.
    assert len(fleet.dispatched_runs("ROCm/pytorch", "rocm-build.yml")) == 1
    assert fleet.stored("SELECT count(*) FROM dispatch_intents") == [(1,)]
    fleet.run_until_done()
    assert len(fleet.dispatched_runs("ROCm/pytorch", "rocm-build.yml")) == 1
    assert len(fleet.dispatched_runs("ROCm/vllm", "rocm-test.yml")) == 1
    # No run lost: every run of the tracked workflows the world holds is in the store.
    world_ids = {r.id for repo, wf in (("ROCm/rockrel", "multi_arch_release.yml"), ("ROCm/pytorch", "rocm-build.yml"),
                                       ("ROCm/vllm", "rocm-test.yml"))
                 for r in fleet.world.runs_in(repo, wf) if r.created >= fleet.world.now_ts - 3 * 86400}
    stored_ids = {row[0] for row in fleet.stored("SELECT run_id FROM workflow_runs")}
    assert world_ids <= stored_ids


class Killed(BaseException):
    """Stands in for SIGKILL: not an Exception, so no handler of the cycle's runs (as none would)."""


@pytest.mark.parametrize("phase", list(cycle.PHASES))
def test_a_cycle_killed_at_any_phase_leaves_s3_usable_and_the_next_cycle_finishes(fleet, phase):
    fleet.cycle()
    fleet.nightly()
    before = fleet.etag()

    def kill(name: str) -> None:
        if name == phase:
            raise Killed(f"killed at {name}")

    with pytest.raises(Killed, match=f"killed at {phase}"):
        fleet.cycle(on_phase=kill)
    if phase in ("pull", "sync", "advance"):
        assert fleet.etag() == before, "nothing may reach S3 before the first dispatch"
    # Whatever happened, S3 holds a store that opens and knows every dispatch it made.
    intents = fleet.stored("SELECT count(*) FROM dispatch_intents")[0][0]
    assert intents == len(fleet.dispatched_runs("ROCm/pytorch", "rocm-build.yml"))
    fleet.run_until_done()
    assert len(fleet.dispatched_runs("ROCm/pytorch", "rocm-build.yml")) == 1
    assert len(fleet.dispatched_runs("ROCm/vllm", "rocm-test.yml")) == 1
    assert fleet.stored("SELECT status FROM cascade_runs") == [("success",)]


def test_quartz_cycle_command_writes_the_step_summary(fleet, tmp_path):
    config_path = tmp_path / "cascades.yaml"
    config_path.write_text(FLEET)
    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_API_URL": fleet.server.url, "GITHUB_TOKEN": TOKEN,
           "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"}
    result = subprocess.run(
        [sys.executable, "-m", "quartz", "cycle", "--config", str(config_path), "--store", fleet.location,
         "--out", str(tmp_path / "out"), "--target", fleet.target],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    text = summary.read_text()
    assert "Quartz cycle" in text and "rate-limit points" in text
    assert TOKEN not in result.stdout + result.stderr + text


def test_a_runner_without_site_renders_only_what_changed_and_publishes_the_whole_site(fleet, tmp_path):
    from quartz.site.render import render

    fleet.cycle(site="runner-1")
    fleet.nightly()
    second = fleet.cycle(site="runner-2")  # a fresh runner: no site/ from the cycle before
    assert second.render_restored
    # Pages whose data did not change were neither rendered nor uploaded again.
    local = {p.relative_to(fleet.tmp / "runner-2").as_posix() for p in (fleet.tmp / "runner-2").rglob("*.html")}
    assert second.render.unchanged > 0 and second.render.pages > len(local)
    assert second.publish.deleted == 0
    # What S3 serves is exactly what a full render of the same store would produce.
    with tempfile.TemporaryDirectory() as scratch:
        pulled = storage.pull(fleet.location, scratch)
        with Store.open(pulled.local_path) as store:
            render(fleet.config, store, tmp_path / "full", fleet.world.now)
    full = {p.relative_to(tmp_path / "full").as_posix(): p.read_bytes()
            for p in (tmp_path / "full").rglob("*") if p.is_file() and p.name != ".quartz-manifest.json"}
    published = {key[len("site/"):] for key in fleet.s3.listing("site/")}
    assert set(full) <= published
    assert {rel for rel in published - set(full) if not rel.startswith(".quartz-")} == set()
    for rel, body in full.items():
        assert fleet.s3.body("site/" + rel) == body, rel


def test_a_quiet_cycle_on_a_fresh_runner_builds_and_uploads_only_the_pages_that_show_the_clock(fleet, tmp_path):
    from quartz.site.render import render

    fleet.cycle(site="runner-1")
    fleet.cycle(site="runner-2")  # nothing new since: settles what the first cycle dispatched
    fleet.world.advance(dt.timedelta(minutes=1))
    quiet = fleet.cycle(site="runner-3")
    assert quiet.render_restored and quiet.render.carried > 50
    assert quiet.render.pages <= 1 + len(fleet.config.releases)
    assert quiet.publish.uploaded <= 8 and quiet.publish.deleted == 0
    with tempfile.TemporaryDirectory() as scratch:  # S3 serves what a full render of the store makes
        pulled = storage.pull(fleet.location, scratch)
        with Store.open(pulled.local_path) as store:
            full = render(fleet.config, store, tmp_path / "full", fleet.world.now)
    assert full.carried == 0
    for path in (tmp_path / "full").rglob("*"):
        if path.is_file() and path.name != ".quartz-manifest.json":
            rel = path.relative_to(tmp_path / "full").as_posix()
            assert fleet.s3.body("site/" + rel) == path.read_bytes(), rel


def test_a_cascade_waiting_on_its_stage_is_left_as_it_was_and_the_quiet_cycle_renders_light(fleet):
    fleet.cycle(site="runner-1")
    fleet.nightly()
    fleet.cycle(site="runner-2")  # starts the cascade and dispatches its first stage
    fleet.cycle(site="runner-3")  # links the dispatched run
    fleet.world.advance(dt.timedelta(minutes=1))
    fleet.cycle(site="runner-4")  # sees it running
    before = fleet.stored("SELECT status, version, updated_at FROM cascade_runs")
    fleet.world.advance(dt.timedelta(minutes=1))
    quiet = fleet.cycle(site="runner-5")
    assert before[0][0] == "running"
    assert fleet.stored("SELECT status, version, updated_at FROM cascade_runs") == before
    assert quiet.render_restored and quiet.render.carried > 50


def test_a_publish_that_did_not_finish_means_a_full_render_next_time(fleet):
    fleet.cycle(site="runner-1")
    # The render manifest changed on S3 but the publish manifest still describes the older one.
    fleet.s3.client.put_object(Bucket=fleet.s3.bucket, Key="site/.quartz-manifest.json", Body=b'{"version": 2}')
    report = fleet.cycle(site="runner-2")
    assert not report.render_restored
    assert report.render.unchanged == 0 or report.render.written > 0
