"""Sync against the simulator over real HTTP, into a DuckDB file."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from quartz.devtools.simulator import JobSpec, SimulatorServer, World
from quartz.errors import BadInput
from quartz.github.client import GitHubClient
from quartz.progress import Progress
from quartz.store.db import Store
from quartz.sync.runs import sync
from tests.helpers.sync import START, TOKEN, Sleeps, counts, fleet_config, fleet_world, make_client

WORKFLOWS = [("ROCm/rockrel", "multi_arch_release.yml"), ("ROCm/pytorch", "rocm-build.yml"),
             ("ROCm/pytorch", "rocm-test.yml"), ("ROCm/vllm", "rocm-test.yml")]


@dataclass
class Env:
    world: World
    server: SimulatorServer
    store: Store
    client: GitHubClient
    config: object

    def sync(self, **kw):
        return sync(self.config, self.store, self.client, self.world.now, **kw)

    def run_ids(self, repo: str, workflow: str) -> set[int]:
        rows = self.store.db.execute("SELECT run_id FROM workflow_runs WHERE repo = ? AND workflow_path = ?",
                                     [repo, workflow]).fetchall()
        return {r[0] for r in rows}

    def world_ids(self, repo: str, workflow: str, since: datetime) -> set[int]:
        return {r.id for r in self.world.runs_in(repo, workflow, lo=int(since.timestamp()))}

    def one(self, sql: str, *params):
        return self.store.db.execute(sql, list(params)).fetchone()


@pytest.fixture()
def env(tmp_path):
    world = fleet_world(history_days=10)
    with SimulatorServer(world, token=TOKEN) as server:
        store = Store.open(tmp_path / "quartz.duckdb")
        yield Env(world, server, store, make_client(server, store), fleet_config())
        store.close()


def test_backfill_stores_the_window_with_jobs_attempts_and_trigger_artifacts(env):
    report = env.sync()
    assert report.ok and report.projects_synced == ["rocm", "pytorch", "vllm"]
    since = env.world.now - timedelta(days=7)
    completed = 0
    for repo, workflow in WORKFLOWS:
        assert env.run_ids(repo, workflow) == env.world_ids(repo, workflow, since)
    for run_id, status, attempt, synced in env.store.db.execute(
            "SELECT run_id, status, run_attempt, jobs_synced_attempt FROM workflow_runs").fetchall():
        run = env.world.get_run(run_id)
        assert (status, attempt) == (run.status, run.run_attempt)
        stored_jobs = env.one("SELECT count(*) FROM jobs WHERE run_id = ?", run_id)[0]
        if status == "completed":
            completed += 1
            assert synced == attempt and stored_jobs == len(env.world.all_jobs(run))
        else:
            assert synced is None and stored_jobs == 0
    # One jobs request per completed run; one listing request per 100 runs and window.
    assert env.server.request_count(path=r"/jobs\?") == completed
    # Artifacts only for runs the nightly cascade can be triggered by: rocm, main, success.
    with_artifacts = {r[0] for r in env.store.db.execute("SELECT DISTINCT run_id FROM artifacts").fetchall()}
    expected = {r.id for r in env.world.runs_in("ROCm/rockrel", "multi_arch_release.yml", lo=int(since.timestamp()))
                if r.branch == "main" and r.conclusion == "success"}
    assert with_artifacts == expected and expected
    assert env.one("SELECT count(*) FROM run_attempts")[0] == env.one("SELECT count(*) FROM workflow_runs")[0]
    newest = max(r.created for r in env.world.runs_in("ROCm/vllm", "rocm-test.yml"))
    watermark = env.one("SELECT watermark FROM sync_state WHERE scope = 'runs:ROCm/vllm:rocm-test.yml'")[0]
    assert int(watermark.timestamp()) == newest


def test_second_sync_costs_nothing_and_changes_nothing(env):
    env.sync()
    before = counts(env.store)
    snapshot = env.store.db.execute("SELECT * EXCLUDE (fetched_at) FROM workflow_runs ORDER BY run_id").fetchall()
    env.server.reset_counters()
    report = env.sync()
    assert report.ok and (report.points, report.requests, report.not_modified) == (0, 4, 4)
    assert env.server.points_used == 0
    assert counts(env.store) == before
    assert env.store.db.execute("SELECT * EXCLUDE (fetched_at) FROM workflow_runs ORDER BY run_id").fetchall() \
        == snapshot


def test_incremental_sync_fetches_only_new_runs(env):
    env.sync()
    env.world.advance(timedelta(hours=3))  # anything running from history finishes
    env.sync()
    new = [env.world.create_run("ROCm/pytorch", "rocm-build.yml", "main") for _ in range(3)]
    env.world.advance(timedelta(hours=3))
    env.server.reset_counters()
    report = env.sync()
    assert (report.runs_new, report.runs_updated) == (3, 0)
    assert env.server.request_count(path=r"/jobs\?") == 3
    assert env.server.request_count(path="created=") == 0  # page 1 was enough
    assert {r.id for r in new} <= env.run_ids("ROCm/pytorch", "rocm-build.yml")
    assert report.points == 4  # the changed page 1 and three jobs listings; other workflows 304


def test_a_running_run_is_polled_until_it_completes(env):
    env.sync()
    run = env.world.create_run("ROCm/vllm", "rocm-test.yml")
    env.world.advance(timedelta(minutes=5))
    env.sync()
    assert env.one("SELECT status, jobs_synced_attempt FROM workflow_runs WHERE run_id = ?", run.id) \
        == (run.status, None)
    assert run.status != "completed"
    env.world.advance(timedelta(hours=3))
    env.sync()
    status, conclusion, synced = env.one(
        "SELECT status, conclusion, jobs_synced_attempt FROM workflow_runs WHERE run_id = ?", run.id)
    assert (status, conclusion, synced) == ("completed", run.conclusion, 1)
    assert env.one("SELECT count(*) FROM jobs WHERE run_id = ?", run.id)[0] == len(env.world.all_jobs(run))


def test_a_rerun_becomes_attempt_two_and_keeps_attempt_one_jobs(env):
    run = env.world.create_run("ROCm/vllm", "rocm-test.yml", conclusion="failure")
    env.world.advance(timedelta(hours=3))
    env.sync()
    first_jobs = {r[0] for r in env.store.db.execute("SELECT job_id FROM jobs WHERE run_id = ?", [run.id]).fetchall()}
    assert first_jobs
    env.world.rerun(run.id)
    env.world.advance(timedelta(hours=3))
    env.server.reset_counters()
    env.sync()
    assert env.server.request_count(path=rf"/runs/{run.id}/attempts/2/jobs") == 1
    assert env.one("SELECT run_attempt, conclusion FROM workflow_runs WHERE run_id = ?", run.id) \
        == (2, run.conclusion)
    attempts = env.store.db.execute("SELECT run_attempt, conclusion FROM run_attempts WHERE run_id = ? "
                                    "ORDER BY 1", [run.id]).fetchall()
    assert attempts == [(1, "failure"), (2, run.conclusion)]
    by_attempt = env.store.db.execute("SELECT run_attempt, count(*) FROM jobs WHERE run_id = ? GROUP BY 1 "
                                      "ORDER BY 1", [run.id]).fetchall()
    assert by_attempt == [(1, len(first_jobs)), (2, len(env.world.jobs_of_attempt(run, 2)))]
    assert first_jobs <= {r[0] for r in env.store.db.execute("SELECT job_id FROM jobs").fetchall()}


def test_a_run_first_seen_after_a_rerun_gets_every_attempt(env):
    run = env.world.create_run("ROCm/vllm", "rocm-test.yml", conclusion="failure")
    env.world.advance(timedelta(hours=1))
    env.world.rerun(run.id, conclusion="success")
    env.world.advance(timedelta(hours=1))
    env.sync()
    attempts = env.store.db.execute("SELECT run_attempt, status, conclusion FROM run_attempts WHERE run_id = ? "
                                    "ORDER BY 1", [run.id]).fetchall()
    assert attempts == [(1, "completed", "failure"), (2, "completed", "success")]
    assert env.one("SELECT count(DISTINCT run_attempt) FROM jobs WHERE run_id = ?", run.id)[0] == 2


def test_more_than_a_page_of_new_runs_between_two_syncs(env):
    env.sync()
    made = []
    for _ in range(150):
        made.append(env.world.create_run("ROCm/vllm", "rocm-test.yml").id)
        env.world.advance(timedelta(seconds=20))
    env.world.advance(timedelta(hours=2))
    report = env.sync()
    assert report.ok and set(made) <= env.run_ids("ROCm/vllm", "rocm-test.yml")
    assert env.server.request_count(path="created=") >= 1


def test_an_open_run_that_left_page_one_is_polled_by_id(tmp_path):
    world = fleet_world(history_days=0)
    world.add_workflow("ROCm/vllm", "soak.yml", jobs=[JobSpec("soak", 10 * 3600)])
    config = fleet_config("projects:\n  vllm: {repo: ROCm/vllm, category: 3p_downstream, "
                          "workflows: [rocm-test.yml, soak.yml]}\n")
    with SimulatorServer(world, token=TOKEN) as server, Store.open(tmp_path / "q.duckdb") as store:
        client = make_client(server, store)
        soak = world.create_run("ROCm/vllm", "soak.yml")
        world.advance(timedelta(hours=1))
        world.create_run("ROCm/vllm", "soak.yml", conclusion="success")
        world.advance(timedelta(minutes=1))
        sync(config, store, client, world.now)
        for _ in range(120):
            world.create_run("ROCm/vllm", "soak.yml", conclusion="success")
            world.advance(timedelta(seconds=30))
        server.reset_counters()
        sync(config, store, client, world.now)
        assert server.request_count(path=rf"/actions/runs/{soak.id}$") == 1
        world.advance(timedelta(hours=20))  # jobs take up to 1.25x their nominal duration
        sync(config, store, client, world.now)
        assert store.db.execute("SELECT status FROM workflow_runs WHERE run_id = ?", [soak.id]).fetchone() \
            == ("completed",)


def test_windows_are_split_so_the_1000_result_cap_hides_nothing(tmp_path):
    world = World(START, seed=3)
    world.add_repo("ROCm/vllm")
    world.add_workflow("ROCm/vllm", "rocm-test.yml", jobs=1)
    made = world.generate_history("ROCm/vllm", "rocm-test.yml", 2, 1100)  # 2,200 runs in two days
    world.advance(timedelta(hours=3))
    config = fleet_config("projects:\n  vllm: {repo: ROCm/vllm, category: 3p_downstream, "
                          "workflows: [rocm-test.yml]}\n")
    with SimulatorServer(world, token=TOKEN) as server, Store.open(tmp_path / "q.duckdb") as store:
        report = sync(config, store, make_client(server, store), world.now, backfill_days=3)
        assert report.ok
        stored = store.db.execute("SELECT count(*) FROM workflow_runs").fetchone()[0]
        assert stored == made == 2200
        windows = [r.path for r in server.requests if "created=" in r.path and not re.search(r"[?&]page=", r.path)]
        assert len(windows) >= 4  # the whole range, then pieces under the cap
        assert store.db.execute("SELECT count(*) FROM jobs").fetchone()[0] == 2200


def test_longer_backfill_later_extends_history(env):
    env.sync(backfill_days=2)
    assert env.run_ids("ROCm/vllm", "rocm-test.yml") == env.world_ids(
        "ROCm/vllm", "rocm-test.yml", env.world.now - timedelta(days=2))
    env.sync(backfill_days=5)
    assert env.run_ids("ROCm/vllm", "rocm-test.yml") == env.world_ids(
        "ROCm/vllm", "rocm-test.yml", env.world.now - timedelta(days=5))


def test_a_failing_project_is_reported_and_the_others_sync(env):
    env.config = fleet_config(FLEET_WITH_GHOST)
    report = env.sync()
    assert [name for name, _ in report.failures] == ["ghost", "pytorch"]
    ghost_why = dict(report.failures)["ghost"]
    assert "ROCm/ghost" in ghost_why and "404" in ghost_why
    assert "missing.yml" in dict(report.failures)["pytorch"]
    assert set(report.projects_synced) == {"rocm", "vllm"}
    assert env.run_ids("ROCm/pytorch", "rocm-build.yml")  # pytorch's other workflow synced
    error = env.one("SELECT last_error FROM sync_state WHERE scope = 'runs:ROCm/ghost:ci.yml'")[0]
    assert "404" in error
    assert "ghost" in report.markdown() and not report.ok


def test_get_5xx_while_syncing_is_retried(env):
    env.server.faults.error(r"/jobs", "GET", status=502, nth=3, times=2)
    report = env.sync()
    assert report.ok and env.client.stats.retries == 2
    completed = env.one("SELECT count(*) FROM workflow_runs WHERE status = 'completed'")[0]
    assert env.one("SELECT count(DISTINCT run_id) FROM jobs")[0] == completed


def test_rate_limit_exhausted_mid_sync_waits_for_the_reset(env):
    sleeps = Sleeps(env.world)
    env.client = make_client(env.server, env.store, sleep=sleeps, max_wait_s=4000)
    env.server.set_rate_limit_remaining(40)
    report = env.sync()
    assert report.ok and len(sleeps.waits) == 1 and sleeps.waits[0] > 60
    since = env.world.now - timedelta(days=7) - timedelta(seconds=sleeps.waits[0])
    assert env.run_ids("ROCm/vllm", "rocm-test.yml") >= env.world_ids("ROCm/vllm", "rocm-test.yml",
                                                                        since + timedelta(minutes=2))


def test_rate_limit_past_max_wait_stops_cleanly_and_the_next_sync_resumes(env):
    env.client = make_client(env.server, env.store, sleep=Sleeps(env.world), max_wait_s=60)
    env.server.set_rate_limit_remaining(40)
    report = env.sync()
    assert not report.ok and "UTC" in report.stopped and report.skipped
    partial = counts(env.store)["workflow_runs"]
    assert partial > 0
    env.world.advance(timedelta(hours=1))
    report = env.sync()
    assert report.ok
    since = env.world.now - timedelta(hours=1, days=7)
    for repo, workflow in WORKFLOWS:
        assert env.run_ids(repo, workflow) >= env.world_ids(repo, workflow, since + timedelta(hours=1))


def test_unknown_project_and_negative_backfill_are_bad_input(env):
    with pytest.raises(BadInput, match="unknown project"):
        env.sync(projects=["nope"])
    with pytest.raises(BadInput, match="backfill"):
        env.sync(backfill_days=-1)


def test_only_the_chosen_projects_are_synced(env):
    report = env.sync(projects=["vllm"])
    assert report.projects_synced == ["vllm"]
    assert env.one("SELECT count(DISTINCT repo) FROM workflow_runs")[0] == 1


def test_progress_prints_plain_lines_in_github_actions(env, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    out = io.StringIO()
    env.sync(progress=Progress.auto("sync", out))
    lines = out.getvalue().splitlines()
    assert lines[:3] == [line for line in lines[:3] if line.startswith("sync: [")]
    assert lines[0].startswith("sync: [1/3] rocm") and "projects synced" in lines[-1]


FLEET_WITH_GHOST = """
projects:
  rocm: {repo: ROCm/rockrel, category: core, workflows: [multi_arch_release.yml]}
  ghost: {repo: ROCm/ghost, category: core, workflows: [ci.yml]}
  pytorch: {repo: ROCm/pytorch, category: 1p_downstream, workflows: [missing.yml, rocm-build.yml]}
  vllm: {repo: ROCm/vllm, category: 3p_downstream, workflows: [rocm-test.yml]}
"""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal(env, monkeypatch):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    out = _Terminal()
    env.sync(progress=Progress.auto("sync", out))
    text = out.getvalue()
    assert "\r" in text and "[" + "#" * 28 + "] 3/3" in text and text.endswith("\n")
