"""The simulated world without HTTP: clock, outcomes, re-runs, history, the created syntax."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quartz.devtools.simulator import JobSpec, SimulatorError, World
from quartz.devtools.simulator.query import parse_created

START = datetime(2026, 11, 1, tzinfo=UTC)


def world_with(jobs, seed=0, **kw) -> World:
    world = World(START, seed=seed)
    world.add_repo("ROCm/vllm")
    world.add_workflow("ROCm/vllm", "test.yml", name="Test", jobs=jobs, **kw)
    return world


def ts(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def test_status_moves_queued_in_progress_completed_with_the_clock():
    world = world_with([JobSpec("a", 600), JobSpec("b", 1200)], queue_s=60)
    run = world.create_run("ROCm/vllm", "test.yml")
    assert (run.status, run.conclusion) == ("queued", None)
    world.advance(timedelta(seconds=run.latest.started - world.now_ts))
    assert run.status == "in_progress"
    first_end = min(j.end for j in world.latest_jobs(run))
    world.advance(timedelta(seconds=first_end - world.now_ts))
    assert [world.job_status(j) for j in world.latest_jobs(run)].count("completed") == 1
    world.advance(timedelta(hours=1))
    assert (run.status, run.conclusion) == ("completed", "success")


def test_outcomes_are_deterministic_per_seed():
    def conclusions(seed):
        world = world_with([JobSpec("a", 60, failure_rate=0.2, flaky_rate=0.2)], seed=seed)
        world.generate_history("ROCm/vllm", "test.yml", days=2, runs_per_day=50)
        return [r.conclusion for r in world.runs_in("ROCm/vllm")]

    assert conclusions(1) == conclusions(1)
    assert conclusions(1) != conclusions(2)
    assert 0.2 < conclusions(1).count("failure") / 100 < 0.6


def test_hard_failures_fail_again_and_flaky_ones_mostly_pass_on_rerun():
    world = world_with([JobSpec("hard", 60, failure_rate=1.0), JobSpec("ok", 60)])
    run = world.create_run("ROCm/vllm", "test.yml", created_at=START - timedelta(hours=1))
    world.rerun(run.id, failed_only=True)
    world.advance(timedelta(hours=1))
    assert run.run_attempt == 2 and run.conclusion == "failure"

    flaky = world_with([JobSpec("flaky", 60, flaky_rate=0.5)], seed=5)
    flaky.generate_history("ROCm/vllm", "test.yml", days=1, runs_per_day=200)
    failed = [r for r in flaky.runs.values() if r.conclusion == "failure"]
    assert failed
    for r in failed:
        flaky.rerun(r.id, failed_only=True)
    flaky.advance(timedelta(hours=1))
    passed = sum(r.conclusion == "success" for r in failed)
    assert 0.3 * len(failed) < passed < 0.7 * len(failed)


def test_rerun_failed_only_reruns_only_failed_jobs():
    world = world_with([JobSpec("a", 60), JobSpec("b", 60), JobSpec("c", 60)])
    run = world.create_run("ROCm/vllm", "test.yml", conclusion="failure", created_at=START - timedelta(hours=1))
    failed_index = [j.index for j in world.latest_jobs(run) if j.conclusion == "failure"]
    world.rerun(run.id, failed_only=True)
    assert [j.index for j in world.jobs_of_attempt(run, 2)] == failed_index
    latest = world.latest_jobs(run)
    assert len(latest) == 3
    assert {j.attempt for j in latest if j.index in failed_index} == {2}
    assert len(world.all_jobs(run)) == 3 + len(failed_index)
    with pytest.raises(SimulatorError):
        world.rerun(run.id)  # attempt 2 is still queued


@pytest.mark.parametrize("forced", ["success", "failure", "cancelled", "timed_out", "startup_failure",
                                    "skipped", "neutral"])
def test_forced_conclusions(forced):
    world = world_with([JobSpec("a", 600, failure_rate=0.5), JobSpec("b", 60)])
    run = world.create_run("ROCm/vllm", "test.yml", conclusion=forced)
    world.advance(timedelta(hours=2))
    assert run.conclusion == forced
    jobs = world.latest_jobs(run)
    if forced == "startup_failure":
        assert jobs == []
    if forced == "failure":
        assert any(j.conclusion == "failure" for j in jobs)
    if forced == "cancelled":
        assert any(j.conclusion == "cancelled" for j in jobs)


def test_cancel_stops_running_jobs_now():
    world = world_with([JobSpec("a", 600)], queue_s=0)
    run = world.create_run("ROCm/vllm", "test.yml")
    world.advance(timedelta(seconds=60))
    world.cancel(run.id)
    assert (run.status, run.conclusion) == ("completed", "cancelled")
    assert world.latest_jobs(run)[0].end == world.now_ts


def test_dispatch_title_uses_run_name_or_workflow_name():
    world = world_with(1, run_name="Test ${{ inputs.cid }} on ${{ github.ref_name }}",
                       inputs={"cid": {"required": True}})
    run = world.dispatch_workflow("ROCm/vllm", "test.yml", "main", {"cid": "c-9"})
    assert run.display_title == "Test c-9 on main"
    plain = world_with(1)
    assert plain.dispatch_workflow("ROCm/vllm", "test.yml", "refs/heads/main").display_title == "Test"


def test_generate_history_is_sorted_completed_and_indexed():
    world = world_with(25)
    world.create_run("ROCm/vllm", "test.yml")  # a live run after the history
    n = world.generate_history("ROCm/vllm", "test.yml", days=10, runs_per_day=30, branches=["main", "dev"])
    assert n == 300
    runs = world.runs_in("ROCm/vllm")
    assert [r.created for r in runs] == sorted(r.created for r in runs)
    assert all(r.status == "completed" for r in runs[:-1]) and runs[-1].status == "queued"
    day = world.runs_in("ROCm/vllm", "test.yml", ts("2026-10-25"), ts("2026-10-26"))
    assert len(day) == 30
    assert len(world.latest_jobs(runs[0])) == 25


def test_artifacts_appear_when_the_attempt_completes_and_expire():
    world = world_with(1, artifacts=(("wheel", 10),))
    run = world.create_run("ROCm/vllm", "test.yml")
    assert world.artifacts(run) == []
    world.advance(timedelta(hours=1))
    [art] = world.artifacts(run)
    assert art.name == "wheel" and not world.artifact_expired(art)
    world.advance(timedelta(days=91))
    assert world.artifact_expired(art)


@pytest.mark.parametrize("expr,lo,hi", [
    (">=2026-11-01", "2026-11-01", None),
    (">2026-11-01", "2026-11-02", None),
    ("<2026-11-01", None, "2026-11-01"),
    ("<=2026-11-01", None, "2026-11-02"),
    ("2026-11-01..2026-11-03", "2026-11-01", "2026-11-04"),
    ("*..2026-11-03", None, "2026-11-04"),
    ("2026-11-01..*", "2026-11-01", None),
    ("2026-11-01T05:00:00Z..2026-11-01T06:00:00Z", "2026-11-01T05:00:00", "2026-11-01T06:00:01"),
    (">=2026-11-01T05:00:00+02:00", "2026-11-01T03:00:00", None),
    (">=2026-11-01T05:00:00 02:00", "2026-11-01T03:00:00", None),  # '+' decoded as a space
])
def test_parse_created(expr, lo, hi):
    assert parse_created(expr) == (lo and ts(lo), hi and ts(hi))


def test_parse_created_rejects_garbage():
    with pytest.raises(SimulatorError) as err:
        parse_created("last week")
    assert err.value.status == 422


def test_choice_inputs_and_a_clock_that_only_moves_forward():
    world = world_with(1, inputs={"kind": {"type": "choice", "options": ["nightly", "release"]}})
    assert world.dispatch_workflow("ROCm/vllm", "test.yml", "main", {"kind": "release"}).inputs == {"kind": "release"}
    with pytest.raises(SimulatorError) as err:
        world.dispatch_workflow("ROCm/vllm", "test.yml", "main", {"kind": "weekly"})
    assert err.value.status == 422
    with pytest.raises(ValueError):
        world.advance(timedelta(seconds=-1))
