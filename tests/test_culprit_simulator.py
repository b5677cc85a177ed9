"""Culprit probes end to end over HTTP: the simulator plants a culprit, Quartz names it."""

from __future__ import annotations

import pytest

from quartz.cascades import culprit
from tests.helpers import culprit as world_of
from tests.helpers.cascades import STEP


@pytest.fixture
def fleet(tmp_path):
    f = world_of.start(tmp_path)
    yield f
    f.server.stop()
    f.store.close()


def _failed_night(fleet, plant) -> str:
    """Night 1 passes; new ROCm and PyTorch commits land; `plant` plants the culprit; night 2 fails at vLLM."""
    assert fleet.cascade_status(world_of.night(fleet)) == "success"
    world_of.next_day(fleet)
    shas = {"rocm": fleet.world.push("ROCm/rockrel", "main"), "pytorch": fleet.world.push("ROCm/pytorch", "main")}
    plant(fleet.world, shas)
    cid = world_of.night(fleet)
    assert fleet.cascade_status(cid) == "failure"
    assert fleet.stages(cid)["vllm"]["status"] == "failure"
    return cid


def test_broken_by_pytorch(fleet):
    cid = _failed_night(fleet, lambda w, shas: w.plant_culprit("ROCm/vllm", "rocm-test.yml", "pytorch_run_id",
                                                             shas["pytorch"]))
    row, _ = world_of.until_verdict(fleet, cid)
    assert row["verdict_kind"] == "broken_by", row["verdict"]
    assert row["verdict"].startswith("broken by pytorch: vllm passes with this run's rocm and last good pytorch")
    assert "/ROCm/pytorch/compare/" in row["verdict"]
    made = world_of.probes(fleet, cid)
    assert [p["status"] for p in made] == ["failure", "success"]  # re-run as it was, then pytorch put back
    # The probes are dispatches like any other, each once, each its own correlation id in the run name.
    vllm_runs = fleet.downstream_runs("vllm")
    for p in made:
        [run] = [r for r in vllm_runs if p["correlation_id"] in r.display_title]
        assert run.id == p["run_id"]
    good_pytorch = fleet.stages(fleet.cascade_runs()[0]["cascade_run_id"])["pytorch"]["run_id"]
    [back] = [r for r in vllm_runs if made[1]["correlation_id"] in r.display_title]
    assert back.inputs["pytorch_run_id"] == str(good_pytorch)
    assert back.inputs["rocm_run_id"] == str(fleet.cascade_runs()[-1]["trigger_run_id"])
    # The probes never changed the cascade or its stage; more cycles send nothing more.
    assert fleet.cascade_status(cid) == "failure" and fleet.stages(cid)["vllm"]["attempt"] == 1
    # The passing probe is newer than the stage's red run, yet the branch stays red in the grid and for notify.
    stage_run = fleet.stages(cid)["vllm"]["run_id"]
    [cell] = [c for c in fleet.store.query("site/health_cells", stale_before=fleet.world.now - STEP * 100)
              if c["project"] == "vllm" and c["run_id"] is not None]
    [state] = [s for s in fleet.store.query("notify/branch_states", since=fleet.world.now - STEP * 1000)
               if s["project"] == "vllm"]
    assert (cell["run_id"], cell["conclusion"]) == (stage_run, "failure")
    assert (state["run_id"], state["conclusion"]) == (stage_run, "failure")
    posts = fleet.dispatch_posts()
    for _ in range(3):
        fleet.world.advance(STEP)
        fleet.cycle()
    assert fleet.dispatch_posts() == posts


def test_flaky(fleet):
    cid = _failed_night(fleet, lambda w, shas: w.plant_flaky("ROCm/vllm", "rocm-test.yml", failures=1))
    row, _ = world_of.until_verdict(fleet, cid)
    assert row["verdict_kind"] == "flaky" and row["verdict"].startswith("flaky: the same inputs passed on re-run")
    assert [p["put_back"] for p in world_of.probes(fleet, cid)] == ["[]"]


def test_needs_both(fleet):
    def plant(w, shas):
        w.plant_culprit("ROCm/vllm", "rocm-test.yml", "pytorch_run_id", shas["pytorch"])
        w.plant_culprit("ROCm/vllm", "rocm-test.yml", "rocm_run_id", shas["rocm"])

    cid = _failed_night(fleet, plant)
    row, _ = world_of.until_verdict(fleet, cid)
    assert row["verdict_kind"] == "needs_both", row["verdict"]
    assert "pytorch and rocm are put back" in row["verdict"]
    made = world_of.probes(fleet, cid)
    assert [p["status"] for p in made] == ["failure", "failure", "failure", "success"]
    assert len(made) == 4  # max_probes


def test_a_refused_probe_ends_the_search(fleet):
    def plant(w, shas):
        w.plant_culprit("ROCm/vllm", "rocm-test.yml", "pytorch_run_id", shas["pytorch"])

    cid = _failed_night(fleet, plant)
    wf = fleet.world.workflow("ROCm/vllm", "rocm-test.yml")
    wf.on = frozenset({"push"})  # the workflow no longer takes workflow_dispatch: GitHub answers 422
    posts = fleet.dispatch_posts()
    row, _ = world_of.until_verdict(fleet, cid)
    assert row["verdict_kind"] == "inconclusive" and "422" in row["verdict"], row["verdict"]
    for _ in range(3):
        fleet.world.advance(STEP)
        fleet.cycle()
    assert fleet.dispatch_posts() == posts + 1  # one POST, never a retry loop


def test_probe_ids_never_match_stage_attempts():
    assert culprit.probe_id("c", "vllm", 1) == "c.vllm.p1"
    from quartz.cascades import engine
    assert not engine.title_has_correlation("vllm CI c.vllm.p1", "c.vllm.1")
    assert not engine.title_has_correlation("vllm CI c.vllm.1", "c.vllm.p1")


NOTIFY = """
notify:
  channels:
    team: {type: slack, webhook_env: QUARTZ_TEST_SLACK_WEBHOOK}
  rules:
    - {events: [cascade_failed, culprit_verdict], channels: [team]}
"""


def test_the_verdict_is_told_once_as_a_follow_up(tmp_path, receiver):
    from quartz import config as config_module
    from quartz.notify import outbox

    fleet = world_of.start(tmp_path)
    try:
        fleet.config = config_module.loads(world_of.FLEET + NOTIFY)

        def tell():
            outbox.run(fleet.config, fleet.store, fleet.client(), fleet.world.now, f"cycle-{fleet.world.now_ts}")

        tell()
        cid = _failed_night(fleet, lambda w, shas: w.plant_culprit("ROCm/vllm", "rocm-test.yml", "pytorch_run_id",
                                                                 shas["pytorch"]))
        tell()
        assert len(receiver.messages) == 1 and "Cascade nightly failed" in receiver.texts()[0]
        world_of.until_verdict(fleet, cid)
        for _ in range(3):
            tell()
            fleet.world.advance(STEP)
            fleet.cycle()
        texts = receiver.texts()
        assert len(texts) == 2, texts
        assert "broken by pytorch" in texts[1] and cid in texts[1]
        [intent] = [r for r in fleet.store.db.execute("SELECT key FROM notify_intents WHERE event = "
                                                      "'culprit_verdict'").fetchall()]
        assert intent[0] == f"team|culprit_verdict|culprit:{cid}:vllm|broken_by"
    finally:
        fleet.server.stop()
        fleet.store.close()


def test_the_verdict_and_probes_on_the_page_in_json_and_in_status(fleet, tmp_path):
    import json

    import jsonschema

    from quartz.cascades import status
    from quartz.site import paths, schemas
    from quartz.site.render import render

    cid = _failed_night(fleet, lambda w, shas: w.plant_culprit("ROCm/vllm", "rocm-test.yml", "pytorch_run_id",
                                                             shas["pytorch"]))
    world_of.until_verdict(fleet, cid)
    out = tmp_path / "site"
    render(fleet.config, fleet.store, out, fleet.world.now)
    doc = json.loads((out / paths.api_cascade(cid)).read_text())
    jsonschema.Draft202012Validator(schemas.schema("cascade")).validate(doc)
    [search] = doc["culprit"]["searches"]
    assert search["verdict_kind"] == "broken_by" and search["culprits"] == ["pytorch"]
    assert [p["put_back"] for p in search["probes"]] == [[], ["pytorch"]]
    assert {c["name"] for c in search["changed"]} == {"pytorch", "rocm"}
    assert doc["status"] == "failure" and [s["attempt"] for s in doc["stages"] if s["name"] == "vllm"] == [1]
    page = (out / paths.cascade_page(cid)).read_text()
    assert "Whose change broke it" in page and "broken by pytorch: vllm passes with this run&#39;s rocm" in page
    assert f"{cid}.vllm.p2" in page
    good = fleet.cascade_runs()[0]["cascade_run_id"]
    assert json.loads((out / paths.api_cascade(good)).read_text())["culprit"] is None
    text = status.format_one(status.one(fleet.store, cid))
    assert "culprit probes of vllm (done): broken by pytorch" in text and f"{cid}.vllm.p2  pytorch put back" in text
    assert json.loads(status.as_json(status.one(fleet.store, cid)))["culprit"][0]["verdict_kind"] == "broken_by"
    listed = status.format_recent(status.recent(fleet.store))  # `quartz status` with no id names it too
    assert f"culprit probes:\n  {cid} vllm: broken by pytorch" in listed
    [row] = [r for r in json.loads(status.as_json(status.recent(fleet.store)))["cascade_runs"]
             if r["cascade_run_id"] == cid]
    assert row["culprit"]["vllm"].startswith("broken by pytorch")


def test_a_probe_is_durable_before_its_post_and_a_lost_answer_is_found_by_its_run_name(fleet):
    def plant(w, shas):
        w.plant_culprit("ROCm/vllm", "rocm-test.yml", "pytorch_run_id", shas["pytorch"])
        # The second dispatch to vLLM (the first probe): GitHub creates the run but its answer is lost (502).
        fleet.server.faults.dispatch_then_error(path=r"/repos/ROCm/vllm/actions/workflows/[^/]+/dispatches$",
                                                status=502, nth=2)

    cid = _failed_night(fleet, plant)
    [p] = world_of.probes(fleet, cid)
    assert p["outcome"] == "unknown" and p["run_id"] is None and "never re-sending" in p["reason"]
    seen = []

    def before_send(intent):
        [row] = [p for p in world_of.probes(fleet, cid) if p["correlation_id"] == intent.correlation_id]
        seen.append((intent.correlation_id, row["status"], row["outcome"], fleet.dispatch_posts()))

    posts = fleet.dispatch_posts()
    for _ in range(30):
        fleet.world.advance(STEP)
        fleet.cycle(before_send=before_send)
        if seen:
            break
    # The next probe's row is committed before its one POST.
    assert seen == [(f"{cid}.vllm.p2", "dispatched", None, posts)]
    row, _ = world_of.until_verdict(fleet, cid)
    assert row["verdict_kind"] == "broken_by"
    first = world_of.probes(fleet, cid)[0]
    assert first["run_id"] is not None and first["status"] == "failure"
    assert len([r for r in fleet.downstream_runs("vllm") if first["correlation_id"] in r.display_title]) == 1


def test_two_failed_nights_never_probe_the_same_stage_at_once(fleet):
    def plant(w, shas):  # needs both: the first night's search is long enough for the second to wait for it
        w.plant_culprit("ROCm/vllm", "rocm-test.yml", "pytorch_run_id", shas["pytorch"])
        w.plant_culprit("ROCm/vllm", "rocm-test.yml", "rocm_run_id", shas["rocm"])

    first = _failed_night(fleet, plant)
    fleet.upstream_success()  # tonight's again, while the first night's probes run
    in_flight = []
    for _ in range(60):
        fleet.world.advance(STEP)
        fleet.cycle()
        in_flight.append(fleet.store.db.execute(
            "SELECT count(*) FROM culprit_probes WHERE stage = 'vllm' AND status IN ('dispatched', 'running')"
        ).fetchone()[0])
        searches = fleet.store.db.execute("SELECT status FROM culprit_searches").fetchall()
        if len(searches) == 2 and all(s[0] == "done" for s in searches):
            break
    assert max(in_flight) == 1
    second = fleet.cascade_runs()[-1]["cascade_run_id"]
    assert second != first and fleet.cascade_status(second) == "failure"
    for cid in (first, second):
        row = world_of.search(fleet, cid)
        assert row["verdict_kind"] == "needs_both" and row["last_good_id"] == fleet.cascade_runs()[0]["cascade_run_id"]


def test_a_probe_whose_run_never_appears_times_out_and_ends_the_search(fleet):
    def plant(w, shas):
        w.plant_culprit("ROCm/vllm", "rocm-test.yml", "pytorch_run_id", shas["pytorch"])
        # GitHub accepts the first probe's dispatch (the second to vLLM) and starts nothing.
        fleet.server.faults.drop_dispatch(path=r"/repos/ROCm/vllm/actions/workflows/[^/]+/dispatches$", nth=2)

    cid = _failed_night(fleet, plant)
    row, cycles = world_of.until_verdict(fleet, cid)
    assert row["verdict_kind"] == "inconclusive", row["verdict"]
    assert f"probe {cid}.vllm.p1 timed out:" in row["verdict"]
    [p] = world_of.probes(fleet, cid)
    assert p["status"] == "timed_out" and 3 <= cycles <= 5  # dispatch_timeout is 30m, cycles 10m apart
