"""Job-level triggers: a cascade starts when the jobs it needs succeeded, while the upstream run goes on.

Real parts: the simulator over HTTP (its jobs progress with its clock, ETags answer 304), DuckDB on disk."""

from __future__ import annotations

import datetime as dt

import pytest

from quartz import config as config_module
from quartz import cycle
from quartz.cascades.jobtriggers import succeeded_at
from quartz.config import ConfigError
from quartz.devtools import simworld
from quartz.devtools.simulator import SimulatorServer
from quartz.github.client import GitHubClient
from quartz.store.db import Store

T0 = dt.datetime(2026, 11, 20, 0, 0, tzinfo=dt.UTC)
TOKEN = "sim-token-jobs"
FLEET = """\
settings: {backfill_days: 2}
projects:
  pytorch: {repo: ROCm/pytorch, category: 1p_downstream, workflows: [rocm-build.yml]}
  vllm: {repo: ROCm/vllm, category: 3p_downstream, workflows: [rocm-test.yml]}
cascades:
  early:
    trigger: {project: pytorch, workflow: rocm-build.yml, branch: main, jobs: ['lint*']}
    stages:
      vllm: {workflow: rocm-test.yml, inputs: {torch_run: "{{ upstream.pytorch.run_id }}"}}
"""


class World:
    def __init__(self, tmp_path, text: str = FLEET):
        self.config = config_module.loads(text, "cascades.yaml")
        self.world = simworld.build_world(self.config, T0, seed=5)
        self.world.advance(dt.timedelta(days=1))
        self.server = SimulatorServer(self.world, token=TOKEN).start()
        self.store = str(tmp_path / "quartz.duckdb")
        self.tmp = tmp_path

    def cycle(self) -> cycle.CycleReport:
        world = self.world
        client = GitHubClient(self.server.url, TOKEN, sleep=lambda s: world.advance(dt.timedelta(seconds=s)),
                              clock=lambda: world.now_ts, write_interval_s=0)
        return cycle.run_cycle(self.config, self.store, client, self.tmp / "site", None, world.now,
                               clock=lambda: world.now, render=False)

    def dispatched(self) -> list:
        return [r for r in self.world.runs_in("ROCm/vllm", "rocm-test.yml") if "early-" in r.display_title]

    def stored(self, sql: str):
        with Store.open(self.store, read_only=True) as store:
            return store.db.execute(sql).fetchall()


@pytest.fixture
def world(tmp_path):
    made = World(tmp_path)
    yield made
    made.server.stop()


def lint_done(run) -> int:
    return max(j.end for j in run.world.jobs_of_attempt(run, 1) if j.spec.name == "lint")


@pytest.mark.slow
def test_the_cascade_starts_when_its_jobs_succeeded_not_when_the_run_ends(world):
    world.cycle()
    run = world.world.create_run("ROCm/pytorch", "rocm-build.yml", "main", conclusion="success")
    world.world.advance(dt.timedelta(seconds=run.latest.started - world.world.now_ts + 30))
    assert world.cycle().advance.started == 0  # jobs running, lint not done
    world.world.advance(dt.timedelta(seconds=lint_done(run) - world.world.now_ts + 20))
    report = world.cycle()
    assert report.advance.started == 1 and report.advance.dispatched == 1
    assert world.world.runs[run.id].status != "completed", "the upstream run is still going"
    assert len(world.dispatched()) == 1
    reason = world.stored("SELECT reason FROM cascade_runs")[0][0]
    assert "jobs lint* succeeded" in reason
    (signal, latency), = world.stored("SELECT signal, epoch(dispatched_at - signal_at) FROM cascade_stages")
    assert signal == f"jobs lint* of the trigger run {run.id} succeeded" and 20 <= latency < 30
    world.cycle()  # sees the dispatched run
    quiet = world.cycle()  # nothing moved: every open run's jobs answer 304
    assert quiet.points == 0 and quiet.sync.not_modified == 3, quiet.sync.summary()  # 2 workflows + 1 open run
    for _ in range(6):  # the upstream run completes, the stage finishes: never a second cascade run
        world.world.advance(dt.timedelta(hours=1))
        world.cycle()
    assert len(world.dispatched()) == 1
    assert world.stored("SELECT count(*), min(status) FROM cascade_runs") == [(1, "success")]


@pytest.mark.slow
def test_a_failed_job_never_starts_the_cascade(world):
    world.cycle()
    run = world.world.create_run("ROCm/pytorch", "rocm-build.yml", "main", conclusion="failure")
    world.world.advance(dt.timedelta(hours=3))
    world.cycle()
    jobs = {j.spec.name: j.conclusion for j in world.world.jobs_of_attempt(run, 1)}
    expected = 1 if jobs.get("lint") == "success" else 0
    assert len(world.dispatched()) == expected


def test_ready_needs_every_matching_job_to_have_succeeded():
    t1, t2 = T0, T0 + dt.timedelta(minutes=3)
    done = {"status": "completed", "conclusion": "success"}
    jobs = [{"name": "build (a)", **done, "completed_at": t1}, {"name": "build (b)", **done, "completed_at": t2},
            {"name": "test", "status": "in_progress", "conclusion": None, "completed_at": None}]
    assert succeeded_at(jobs, ("build*",)) == t2
    assert succeeded_at(jobs, ("build*", "test")) is None
    assert succeeded_at(jobs, ("nothing*",)) is None
    jobs[1] = {**jobs[1], "conclusion": "failure"}
    assert succeeded_at(jobs, ("build*",)) is None
    jobs[1] = {**jobs[1], "conclusion": "skipped"}
    assert succeeded_at(jobs, ("build*",)) is None


@pytest.mark.parametrize("trigger, message, line", [
    ("{project: pytorch, workflow: rocm-build.yml, jobs: ['lint'], conclusion: failure}", "jobs", 7),
    ("{project: pytorch, workflow: rocm-build.yml, jobs: []}", "jobs", 7),
    ("{project: pytorch, workflow: rocm-build.yml, jobs: 'lint'}", "jobs", 7),
])
def test_a_bad_jobs_key_is_an_error_at_its_line(trigger, message, line):
    text = FLEET.replace("{project: pytorch, workflow: rocm-build.yml, branch: main, jobs: ['lint*']}", trigger)
    with pytest.raises(ConfigError) as caught:
        config_module.loads(text, "cascades.yaml")
    first = str(caught.value).splitlines()[0]
    assert f"cascades.yaml:{line}:" in first and message in str(caught.value)


STAGED = """\
settings: {backfill_days: 2}
projects:
  rocm: {repo: ROCm/rockrel, category: core, workflows: [multi_arch_release.yml]}
  pytorch: {repo: ROCm/pytorch, category: 1p_downstream, workflows: [rocm-build.yml]}
  vllm: {repo: ROCm/vllm, category: 3p_downstream, workflows: [rocm-test.yml]}
cascades:
  staged:
    trigger: {project: rocm, workflow: multi_arch_release.yml, branch: main}
    stages:
      pytorch: {workflow: rocm-build.yml, jobs: ['lint']}
      vllm: {workflow: rocm-test.yml, depends_on: [pytorch], inputs: {torch: "{{ upstream.pytorch.run_id }}"}}
"""


@pytest.mark.slow
def test_a_stage_with_jobs_hands_off_when_they_succeeded_and_finishes_with_its_run(tmp_path):
    world = World(tmp_path, STAGED)
    try:
        _staged_hand_off(world)
    finally:
        world.server.stop()


def _staged_hand_off(world):
    w = world.world
    world.cycle()
    upstream = w.create_run("ROCm/rockrel", "multi_arch_release.yml", "main", event="schedule", conclusion="success")
    w.advance(dt.timedelta(seconds=upstream.latest.completed - w.now_ts + 10))
    world.cycle()  # starts the cascade, dispatches pytorch
    torch = [r for r in w.runs_in("ROCm/pytorch", "rocm-build.yml") if "staged-" in r.display_title]
    assert len(torch) == 1
    w.advance(dt.timedelta(seconds=lint_done(torch[0]) - w.now_ts + 20))
    world.cycle()  # links the run and sees lint succeed
    world.cycle()
    vllm = [r for r in w.runs_in("ROCm/vllm", "rocm-test.yml") if "staged-" in r.display_title]
    assert len(vllm) == 1 and w.runs[torch[0].id].status != "completed"
    stages = dict(world.stored("SELECT stage, status FROM cascade_stages"))
    assert stages["pytorch"] == "running" and stages["vllm"] in ("dispatched", "running")
    (signal,), = world.stored("SELECT signal FROM cascade_stages WHERE stage = 'vllm'")
    assert signal == f"jobs lint of pytorch's run {torch[0].id} succeeded"
    for _ in range(6):
        w.advance(dt.timedelta(hours=1))
        world.cycle()
    assert len([r for r in w.runs_in("ROCm/vllm", "rocm-test.yml") if "staged-" in r.display_title]) == 1
    stages = dict(world.stored("SELECT stage, status FROM cascade_stages"))
    assert stages["pytorch"] == "success" and stages["vllm"] in ("success", "failure")  # vllm's own jobs decide


def test_jobs_on_a_stage_whose_runs_sync_cannot_see_is_an_error():
    text = STAGED.replace("pytorch: {workflow: rocm-build.yml, jobs: ['lint']}",
                          "pytorch: {repository_dispatch: go, jobs: ['lint']}")
    with pytest.raises(ConfigError) as caught:
        config_module.loads(text, "cascades.yaml")
    assert "cascades.yaml:10:" in str(caught.value) and "'jobs' needs a workflow stage" in str(caught.value)
