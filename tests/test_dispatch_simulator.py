"""Cascades against the simulator over real HTTP: the whole DAG, failures, and exactly-once dispatch."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from quartz.cascades import admin, engine
from quartz.cascades import advance as dispatch
from quartz.cascades import state as cascade_store
from tests.helpers.cascades import STEP, start_fleet, started_cascade


def start_only(fleet):
    report = dispatch.AdvanceReport()
    dispatch.start_triggered(fleet.config, fleet.store, fleet.world.now, fleet.server.url, report)
    assert report.started == 1


@pytest.fixture
def fleet(tmp_path):
    f = start_fleet(tmp_path)
    yield f
    f.server.stop()
    f.store.close()


@pytest.fixture
def failing_fleet(tmp_path):
    f = start_fleet(tmp_path, failing=("triton",))
    yield f
    f.server.stop()
    f.store.close()


def test_three_level_cascade_runs_from_upstream_success_to_the_end(fleet):
    rocm_run = fleet.upstream_success()
    report = fleet.cycle()
    assert report.started == 1 and report.dispatched == 1
    [cr] = fleet.cascade_runs()
    cid = cr["cascade_run_id"]
    assert cr["trigger_run_id"] == rocm_run and cr["trigger_kind"] == "auto"

    assert fleet.run_until_done(cid) == "success"

    stages = fleet.stages(cid)
    assert {s: v["status"] for s, v in stages.items()} == dict.fromkeys(stages, "success")
    for name in ("pytorch", "triton", "aiter", "vllm", "sglang"):
        [run] = fleet.downstream_runs(name)  # exactly one downstream run per stage
        assert f"{cid}.{name}.1" in run.display_title
        assert stages[name]["run_id"] == run.id
    # Inputs come from the same cascade run's upstream results.
    pytorch, triton, vllm = (fleet.downstream_runs(n)[0] for n in ("pytorch", "triton", "vllm"))
    assert pytorch.inputs["rocm_run_id"] == str(rocm_run)
    assert vllm.inputs["triton_run_id"] == str(triton.id) and vllm.inputs["pytorch_run_id"] == str(pytorch.id)
    assert fleet.downstream_runs("aiter")[0].inputs["wheels"] == "pytorch-wheel"
    # vLLM was dispatched only after both of its parents finished (fan-in).
    assert vllm.created >= max(triton.attempts[-1].completed, fleet.downstream_runs("aiter")[0].attempts[-1].completed)
    # Zuul-style: the ROCm commit shows every downstream result.
    sha = fleet.world.get_run(rocm_run).sha
    latest = {}
    for status in reversed(fleet.world.statuses("ROCm/rockrel", sha)):
        latest[status.context] = status
    assert {c: s.state for c, s in latest.items()} == {f"quartz/nightly/{n}": "success" for n in stages}
    assert latest["quartz/nightly/vllm"].target_url == f"https://quartz.example/cascades/{cid}.html"
    assert all(len(s.description) <= 140 for s in latest.values())
    kinds = [e["kind"] for e in fleet.events(cid)]
    assert kinds[0] == "started" and kinds[-1] == "finished" and kinds.count("dispatched") == 5
    # More cycles change nothing: no new cascade run, no dispatch, no status.
    posts = fleet.server.request_count(method="POST")
    for _ in range(3):
        fleet.world.advance(STEP)
        fleet.cycle()
    assert fleet.server.request_count(method="POST") == posts
    assert len(fleet.cascade_runs()) == 1


def test_repository_dispatch_carries_the_quartz_payload(fleet):
    cid = started_cascade(fleet)
    fleet.run_until_done(cid)
    intent = fleet.store.db.execute("SELECT payload FROM dispatch_intents WHERE stage = 'sglang'").fetchone()[0]
    quartz = json.loads(intent)["quartz"]
    assert quartz["correlation_id"] == f"{cid}.sglang.1" and quartz["stage"] == "sglang"
    assert quartz["upstream"]["pytorch"]["run_id"] == fleet.downstream_runs("pytorch")[0].id


def test_failure_skips_dependants_with_reasons_and_a_rerun_turns_it_green(failing_fleet):
    fleet = failing_fleet
    cid = started_cascade(fleet)
    assert fleet.run_until_done(cid) == "failure"
    stages = fleet.stages(cid)
    assert stages["triton"]["status"] == "failure"
    triton_run = fleet.downstream_runs("triton")[0]
    assert stages["vllm"]["status"] == "skipped"
    assert stages["vllm"]["reason"] == f"skipped: triton failed — {stages['triton']['run_url']}"
    assert str(triton_run.id) in stages["vllm"]["reason"]
    assert stages["aiter"]["status"] == stages["sglang"]["status"] == "success"
    assert fleet.downstream_runs("vllm") == []

    # Someone re-runs the triton run by hand and it passes: the stage turns green, vLLM goes.
    fleet.world.rerun(triton_run.id, conclusion="success")
    fleet.world.advance(timedelta(minutes=30))
    fleet.advance()  # no sync: the failed stage's run is looked up by id
    assert fleet.stages(cid)["triton"]["status"] == "success"
    assert fleet.cascade_status(cid) == "running" and len(fleet.downstream_runs("vllm")) == 1
    assert fleet.run_until_done(cid) == "success" or fleet.cascade_status(cid) == "success"
    stages = fleet.stages(cid)
    assert stages["triton"]["status"] == "success" and stages["vllm"]["status"] == "success"
    assert len(fleet.downstream_runs("vllm")) == 1
    assert "reopened" in [e["kind"] for e in fleet.events(cid)]


def test_retry_dispatches_a_new_attempt_with_a_new_correlation_id(failing_fleet):
    fleet = failing_fleet
    cid = started_cascade(fleet)
    assert fleet.run_until_done(cid) == "failure"
    assert admin.retry(fleet.config, fleet.store, cid, "triton", fleet.world.now) == 2
    assert fleet.cascade_status(cid) == "running"
    fleet.advance()
    runs = fleet.downstream_runs("triton")
    assert len(runs) == 2 and f"{cid}.triton.2" in runs[1].display_title
    assert fleet.stages(cid)["triton"]["correlation_id"] == f"{cid}.triton.2"
    assert fleet.stages(cid)["vllm"]["status"] == "pending"  # re-opened, waiting for triton again


def test_crash_after_the_post_before_saving_finds_the_run_and_sends_nothing_again(fleet):
    fleet.upstream_success()
    fleet.sync()

    def crash(intent, answer):
        raise RuntimeError("killed right after the POST")

    with pytest.raises(RuntimeError):
        fleet.advance(after_send=crash)
    assert fleet.dispatch_posts("pytorch") == 1
    fleet.reopen()  # a new process
    [cr] = fleet.cascade_runs()
    cid = cr["cascade_run_id"]
    assert fleet.stages(cid)["pytorch"]["status"] == "dispatched"
    assert fleet.stages(cid)["pytorch"]["run_id"] is None  # the answer was never saved

    fleet.world.advance(timedelta(minutes=1))
    report = fleet.advance()  # no sync: the run is found through the API by its correlation id
    assert report.dispatched == 0 and report.linked == 1
    [run] = fleet.downstream_runs("pytorch")
    assert fleet.stages(cid)["pytorch"]["run_id"] == run.id
    assert fleet.dispatch_posts("pytorch") == 1
    assert fleet.run_until_done(cid) == "success"
    assert len(fleet.downstream_runs("pytorch")) == 1


def test_an_advance_started_while_another_holds_an_unsent_intent_sends_nothing(fleet):
    fleet.upstream_success()
    fleet.sync()
    other_reports = []

    def meanwhile(intent):
        # A second advance runs on its own connection between the first one's intent and its POST.
        from quartz.store.db import Store

        with Store.open(fleet.path) as other:
            other_reports.append(dispatch.advance(fleet.config, other, fleet.client(other), fleet.world.now))

    fleet.advance(before_send=meanwhile)
    assert other_reports[0].dispatched == 0
    assert fleet.dispatch_posts() == 1 and len(fleet.downstream_runs("pytorch")) == 1


def test_a_plan_made_before_another_advance_dispatched_is_dropped(fleet):
    fleet.upstream_success()
    fleet.sync()
    start_only(fleet)  # the cascade run exists, pytorch is pending
    # Advance B reads and plans ...
    client = fleet.client()
    [(snap, version)] = cascade_store.load_snapshots(fleet.store, fleet.world.now - engine.REOPEN_WINDOW)
    stale = engine.plan(fleet.config, snap, fleet.world.now, api_url=client.base_url)
    assert any(isinstance(a, engine.Dispatch) for a in stale)
    # ... advance A dispatches first ...
    assert fleet.advance().dispatched == 1
    # ... then B carries out its stale plan: dropped, nothing sent.
    report = dispatch.AdvanceReport()
    dispatch.carry_out(fleet.store, client.pygithub_for_writes(), snap, version, stale, fleet.world.now, report,
                       None, None)
    assert report.dispatched == 0 and report.contended == 1
    assert fleet.dispatch_posts("pytorch") == 1


def test_a_stale_dispatch_loses_the_compare_and_set(fleet):
    fleet.upstream_success()
    fleet.sync()
    start_only(fleet)
    [(snap, _)] = cascade_store.load_snapshots(fleet.store, fleet.world.now - engine.REOPEN_WINDOW)
    [dispatch_action] = [a for a in engine.plan(fleet.config, snap, fleet.world.now, api_url="x")
                         if isinstance(a, engine.Dispatch)]
    assert dispatch.claim(fleet.store, dispatch_action, fleet.world.now) is True
    assert dispatch.claim(fleet.store, dispatch_action, fleet.world.now) is False  # the intent exists


def test_two_advances_in_threads_dispatch_each_stage_once(fleet):
    import threading

    from quartz.store.db import Store

    cid = started_cascade(fleet)
    for _ in range(12):
        fleet.world.advance(STEP)
        fleet.sync()
        stores = [Store.open(fleet.path) for _ in range(2)]
        errors: list[Exception] = []

        def run(store, errors=errors):
            try:
                dispatch.advance(fleet.config, store, fleet.client(store), fleet.world.now)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(s,)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for s in stores:
            s.close()
        assert errors == []
        if fleet.cascade_status(cid) != "running":
            break
    assert fleet.cascade_status(cid) == "success"
    for name in ("pytorch", "triton", "aiter", "vllm", "sglang"):
        assert len(fleet.downstream_runs(name)) == 1, name


def test_a_5xx_on_dispatch_whose_run_was_created_gives_exactly_one_run(fleet):
    fleet.upstream_success()
    fleet.sync()
    fleet.server.faults.dispatch_then_error(status=502)
    report = fleet.advance()
    assert report.dispatched == 1 and report.unknown == 1
    [cr] = fleet.cascade_runs()
    cid = cr["cascade_run_id"]
    pytorch = fleet.stages(cid)["pytorch"]
    assert pytorch["status"] == "dispatched" and "GitHub answered 502" in pytorch["reason"]
    outcome = fleet.store.db.execute("SELECT outcome, response_status FROM dispatch_intents").fetchall()
    assert outcome == [("unknown", 502)]
    assert fleet.run_until_done(cid) == "success"
    assert len(fleet.downstream_runs("pytorch")) == 1
    assert fleet.dispatch_posts("pytorch") == 1


def test_a_timeout_on_dispatch_is_treated_like_a_5xx(fleet):
    fleet.upstream_success()
    fleet.sync()
    fleet.server.faults.hang(r"/dispatches$", "POST", seconds=1.5, apply=True)
    report = dispatch.advance(fleet.config, fleet.store, fleet.client(timeout=0.5), fleet.world.now)
    assert report.unknown == 1
    [cr] = fleet.cascade_runs()
    assert "no answer from GitHub" in fleet.stages(cr["cascade_run_id"])["pytorch"]["reason"]
    fleet.world.advance(timedelta(minutes=1))
    again = fleet.advance()
    assert again.linked == 1 and again.dispatched == 0
    assert len(fleet.downstream_runs("pytorch")) == 1


def test_a_lost_workflow_dispatch_times_out_with_its_reason(fleet):
    fleet.upstream_success()
    fleet.sync()
    fleet.server.faults.drop_dispatch()
    fleet.advance()
    [cr] = fleet.cascade_runs()
    cid = cr["cascade_run_id"]
    fleet.world.advance(timedelta(minutes=12))
    fleet.cycle()
    dispatched_at = fleet.stages(cid)["pytorch"]["dispatched_at"]
    deadline = engine.clock(dispatched_at + timedelta(minutes=30))
    assert f"has not appeared yet; times out {deadline}" in fleet.stages(cid)["pytorch"]["reason"]
    assert fleet.run_until_done(cid) == "failure"
    stages = fleet.stages(cid)
    assert stages["pytorch"]["status"] == "timed_out"
    assert "never appeared" in stages["pytorch"]["reason"]
    assert f"quartz retry {cid} pytorch" in stages["pytorch"]["reason"]
    assert stages["triton"]["reason"] == "skipped: pytorch timed out"
    assert fleet.downstream_runs("pytorch") == [] and fleet.dispatch_posts("pytorch") == 1


def test_a_lost_repository_dispatch_times_out_with_its_reason(fleet):
    cid = started_cascade(fleet)
    fleet.server.faults.drop_dispatch(path=r"sgl-project/sglang/dispatches$")
    fleet.run_until_done(cid)
    sglang = fleet.stages(cid)["sglang"]
    assert sglang["status"] == "timed_out"
    assert f"no run with correlation id {cid}.sglang.1 appeared in sgl-project/sglang" in sglang["reason"]
    assert fleet.cascade_status(cid) == "partial_failure"  # sglang is optional
    assert fleet.dispatch_posts("sglang") == 1


def test_a_refused_dispatch_fails_the_stage_with_githubs_message(fleet):
    fleet.world.workflow("ROCm/pytorch", "rocm-build.yml").inputs.pop("rocm_sha")
    cid = started_cascade(fleet)
    pytorch = fleet.stages(cid)["pytorch"]
    assert pytorch["status"] == "failure"
    assert "GitHub refused the dispatch to ROCm/pytorch rocm-build.yml on main (422)" in pytorch["reason"]
    assert "rocm_sha" in pytorch["reason"]


def test_one_cascade_run_per_upstream_run_and_no_history(tmp_path):
    from tests.helpers.cascades import build_world

    world = build_world()
    # A day of ROCm history that completed before Quartz ever saw the cascade.
    world.generate_history("ROCm/rockrel", "multi_arch_release.yml", 1, 6, end=world.now - timedelta(hours=2))
    from quartz.devtools.simulator import SimulatorServer
    from tests.helpers.cascades import TOKEN, Fleet

    server = SimulatorServer(world, token=TOKEN).start()
    try:
        fleet = Fleet(world, server, str(tmp_path / "q.duckdb"))
        fleet.open()
        fleet.cycle()
        assert fleet.cascade_runs() == []
        fleet.upstream_success()
        for _ in range(3):
            fleet.cycle()
            fleet.world.advance(STEP)
        assert len(fleet.cascade_runs()) == 1
        fleet.store.close()
    finally:
        server.stop()


def test_cancel_stops_dispatching_and_cancels_running_runs(fleet):
    cid = started_cascade(fleet)
    fleet.world.advance(timedelta(minutes=3))
    fleet.cycle()
    assert fleet.stages(cid)["pytorch"]["status"] == "running"
    stages, runs = admin.cancel(fleet.config, fleet.store, fleet.client(), cid, fleet.world.now)
    assert (stages, runs) == (5, 1)
    assert fleet.downstream_runs("pytorch")[0].conclusion == "cancelled"
    assert fleet.cascade_status(cid) == "cancelled"
    posts = fleet.dispatch_posts()
    for _ in range(3):
        fleet.world.advance(STEP)
        fleet.cycle()
    assert fleet.dispatch_posts() == posts
    assert {s["status"] for s in fleet.stages(cid).values()} == {"cancelled"}
    sha = fleet.cascade_runs()[0]["trigger_sha"]
    assert {s.state for s in fleet.world.statuses("ROCm/rockrel", sha)[:5]} == {"error"}


def test_retry_and_cancel_refuse_bad_requests(fleet):
    from quartz.errors import BadInput

    cid = started_cascade(fleet)
    with pytest.raises(BadInput, match="no cascade run 'nightly-x'"):
        admin.retry(fleet.config, fleet.store, "nightly-x", "pytorch", fleet.world.now)
    with pytest.raises(BadInput, match="has no stage 'torch'"):
        admin.retry(fleet.config, fleet.store, cid, "torch", fleet.world.now)
    with pytest.raises(BadInput, match="stage pytorch is dispatched; wait"):
        admin.retry(fleet.config, fleet.store, cid, "pytorch", fleet.world.now)
    admin.cancel(fleet.config, fleet.store, fleet.client(), cid, fleet.world.now)
    with pytest.raises(BadInput, match="already finished"):
        admin.cancel(fleet.config, fleet.store, fleet.client(), cid, fleet.world.now)
