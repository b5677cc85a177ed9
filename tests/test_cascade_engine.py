"""The pure cascade engine: state + runs + now → actions, table-tested."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quartz.cascades import engine
from quartz.cascades.engine import CascadeRunState, IntentView, RunView, Snapshot, StageState
from quartz.config import loads
from quartz.errors import BadInput

T0 = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)
API = "https://api.github.test"
CID = "nightly-20261129-0400-abcdef"

CONFIG = loads("""
settings: {dispatch_timeout: 30m, run_timeout: 6h, schedule_interval: 10m, site_url: "https://quartz.example/"}
projects:
  rocm: {repo: ROCm/rockrel, category: core, workflows: [release.yml]}
  pytorch: {repo: ROCm/pytorch, category: 1p_downstream, workflows: [build.yml]}
  triton: {repo: ROCm/triton, category: 1p_downstream, workflows: [ci.yml]}
  aiter: {repo: ROCm/aiter, category: 1p_downstream, workflows: [ci.yml]}
  vllm: {repo: ROCm/vllm, category: 3p_downstream, workflows: [test.yml]}
  sglang: {repo: sgl-project/sglang, category: 3p_downstream, workflows: [amd.yml]}
  jax: {repo: ROCm/rocm-jax, category: 1p_downstream, workflows: [nightly.yml], default_branch: master}
releases:
  "7.10": {pytorch: release/2.10}
cascades:
  nightly:
    trigger: {project: rocm, workflow: release.yml, branch: main}
    report_status: true
    stages:
      pytorch:
        workflow: build.yml
        inputs: {rocm_run_id: "{{ upstream.rocm.run_id }}", rocm_sha: "{{ upstream.rocm.head_sha }}"}
        timeout: 4h
      triton:
        workflow: ci.yml
        depends_on: [pytorch]
        inputs: {pytorch_run_id: "{{ upstream.pytorch.run_id }}"}
      aiter:
        workflow: ci.yml
        depends_on: [pytorch]
        optional: true
        inputs: {wheels: "{{ upstream.pytorch.artifact_names }}"}
      vllm:
        workflow: test.yml
        depends_on: [triton, aiter]
        inputs: {triton_run_id: "{{ upstream.triton.run_id }}", rocm_run_id: "{{ upstream.rocm.run_id }}"}
      sglang:
        repository_dispatch: rocm-nightly
        depends_on: [pytorch]
        optional: true
        client_payload: {pytorch_run_id: "{{ upstream.pytorch.run_id }}"}
  release:
    params:
      release: {required: true, choices: ["7.10", "7.9"]}
      note: {default: "qualify"}
    stages:
      pytorch: {workflow: build.yml, ref: "{{ release.pytorch }}", inputs: {release: "{{ params.release }}"}}
      jax: {workflow: nightly.yml, ref: "{{ release.jax }}"}
      triton: {workflow: ci.yml, inputs: {note: "{{ params.note }}"}}
      triton_main: {project: triton, workflow: ci.yml, ref: main}
""")

ROCM_RUN = RunView(run_id=100, repo="ROCm/rockrel", status="completed", conclusion="success", workflow="release.yml",
                   project="rocm", event="push", head_sha="a" * 40, head_branch="main",
                   html_url="https://github.test/ROCm/rockrel/actions/runs/100",
                   created_at=T0 - timedelta(hours=2), updated_at=T0 - timedelta(minutes=5), artifact_names=("rocm",))
RUN_IDS = {"pytorch": 201, "triton": 202, "aiter": 203, "vllm": 204, "sglang": 205}
REPOS = {"pytorch": "ROCm/pytorch", "triton": "ROCm/triton", "aiter": "ROCm/aiter", "vllm": "ROCm/vllm",
         "sglang": "sgl-project/sglang"}


def run(stage, status="completed", conclusion="success", started_min_ago=30, attempt=1, **extra):
    fields = dict(
        run_id=RUN_IDS[stage], repo=REPOS[stage], status=status,
        conclusion=conclusion if status == "completed" else None, run_attempt=attempt,
        head_sha=stage[0] * 40, head_branch="main", html_url=f"https://github.test/{REPOS[stage]}/runs/{RUN_IDS[stage]}",
        display_title=f"{stage} {CID}.{stage}.1", created_at=T0 - timedelta(minutes=started_min_ago),
        run_started_at=T0 - timedelta(minutes=started_min_ago), updated_at=T0, artifact_names=("wheel-a", "wheel-b"),
    )
    fields.update(extra)
    return RunView(**fields)


def stage(name, status, attempt=1, dispatched_min_ago=40, linked=True, run_attempt=1, **extra):
    sent = status not in ("pending", "skipped")
    fields = dict(stage=name, status=status, attempt=attempt if sent else extra.pop("attempt0", 0),
                  correlation_id=f"{CID}.{name}.{attempt}" if sent else None,
                  dispatched_at=T0 - timedelta(minutes=dispatched_min_ago) if sent else None)
    if status in ("running", "success", "failure", "cancelled", "timed_out") and linked:
        fields["run_id"] = RUN_IDS[name]
    if status in ("success", "failure", "cancelled", "timed_out") and linked:
        fields["run_attempt"] = run_attempt
    fields.update(extra)
    return StageState(**fields)


def snapshot(stages, runs=(), found=None, status="running", cascade="nightly", intents=None, **cr):
    names = CONFIG.cascades[cascade].stages
    states = {n: StageState(n) for n in names}
    for s in stages:
        states[s.stage] = s
    base = dict(cascade_run_id=CID, cascade=cascade, status=status, created_at=T0 - timedelta(hours=1))
    if cascade == "nightly":
        base.update(trigger_run_id=100, trigger_repo="ROCm/rockrel", trigger_sha="a" * 40, trigger_project="rocm")
    base.update(cr)
    all_runs = {ROCM_RUN.run_id: ROCM_RUN, **{r.run_id: r for r in runs}}
    return Snapshot(CascadeRunState(**base), states, all_runs, found or {}, intents or {})


def summary(actions):
    out = []
    for a in actions:
        kind = type(a).__name__
        if kind == "Dispatch":
            out.append(("dispatch", a.stage, a.attempt))
        elif kind == "Finish":
            out.append(("finish", a.stage, a.status))
        elif kind == "Skip":
            out.append(("skip", a.stage))
        elif kind == "TimeOut":
            out.append(("timeout", a.stage))
        elif kind == "LinkRun":
            out.append(("link", a.stage, a.run_id))
        elif kind == "MarkRunning":
            out.append(("running", a.stage))
        elif kind == "Reopen":
            out.append(("reopen", a.stage, a.status))
        elif kind == "FinishCascade":
            out.append(("cascade", a.status))
        elif kind == "ReopenCascade":
            out.append(("cascade", "reopened"))
    return out


def plan(snap, now=T0):
    return engine.plan(CONFIG, snap, now, api_url=API)


S = stage
CASES = [
    ("fresh run dispatches the root only", [], [], {},
     [("dispatch", "pytorch", 1)]),
    ("dispatched 5 min ago, no run yet: wait", [S("pytorch", "dispatched", dispatched_min_ago=5)], [], {},
     []),
    ("dispatched 31 min ago, no run: time out and skip everything", [S("pytorch", "dispatched", dispatched_min_ago=31)],
     [], {},
     [("timeout", "pytorch"), ("skip", "triton"), ("skip", "aiter"), ("skip", "vllm"), ("skip", "sglang"),
      ("cascade", "failure")]),
    ("run found by correlation id, queued", [S("pytorch", "dispatched", dispatched_min_ago=2)], [],
     {f"{CID}.pytorch.1": run("pytorch", status="queued", started_min_ago=1)},
     [("link", "pytorch", 201), ("running", "pytorch")]),
    ("run found already finished: link, finish, fan out", [S("pytorch", "dispatched", dispatched_min_ago=50)], [],
     {f"{CID}.pytorch.1": run("pytorch")},
     [("link", "pytorch", 201), ("finish", "pytorch", "success"), ("dispatch", "triton", 1),
      ("dispatch", "aiter", 1), ("dispatch", "sglang", 1)]),
    ("linked at dispatch but not synced yet: wait", [S("pytorch", "dispatched", dispatched_min_ago=3, run_id=201)],
     [], {}, []),
    ("linked at dispatch, synced as in_progress: running",
     [S("pytorch", "dispatched", dispatched_min_ago=3, run_id=201)],
     [run("pytorch", status="in_progress", started_min_ago=2)], {}, [("running", "pytorch")]),
    ("a running stage whose run is no longer seen times out after the run timeout",
     [S("pytorch", "running", dispatched_min_ago=300)], [], {},
     [("timeout", "pytorch"), ("skip", "triton"), ("skip", "aiter"), ("skip", "vllm"), ("skip", "sglang"),
      ("cascade", "failure")]),
    ("running stays running", [S("pytorch", "running")], [run("pytorch", status="in_progress")], {}, []),
    ("success fans out to three children", [S("pytorch", "running")], [run("pytorch")], {},
     [("finish", "pytorch", "success"), ("dispatch", "triton", 1), ("dispatch", "aiter", 1),
      ("dispatch", "sglang", 1)]),
    ("neutral counts as success", [S("pytorch", "running")], [run("pytorch", conclusion="neutral")], {},
     [("finish", "pytorch", "success"), ("dispatch", "triton", 1), ("dispatch", "aiter", 1),
      ("dispatch", "sglang", 1)]),
    ("failure skips every dependant", [S("pytorch", "running")], [run("pytorch", conclusion="failure")], {},
     [("finish", "pytorch", "failure"), ("skip", "triton"), ("skip", "aiter"), ("skip", "vllm"), ("skip", "sglang"),
      ("cascade", "failure")]),
    ("startup_failure is a failure", [S("pytorch", "running")], [run("pytorch", conclusion="startup_failure")], {},
     [("finish", "pytorch", "failure"), ("skip", "triton"), ("skip", "aiter"), ("skip", "vllm"), ("skip", "sglang"),
      ("cascade", "failure")]),
    ("action_required is a failure", [S("pytorch", "running")], [run("pytorch", conclusion="action_required")], {},
     [("finish", "pytorch", "failure"), ("skip", "triton"), ("skip", "aiter"), ("skip", "vllm"), ("skip", "sglang"),
      ("cascade", "failure")]),
    ("cancelled run cancels the cascade", [S("pytorch", "running")], [run("pytorch", conclusion="cancelled")], {},
     [("finish", "pytorch", "cancelled"), ("skip", "triton"), ("skip", "aiter"), ("skip", "vllm"),
      ("skip", "sglang"), ("cascade", "cancelled")]),
    ("run over its 4h timeout times out", [S("pytorch", "running")],
     [run("pytorch", status="in_progress", started_min_ago=241)], {},
     [("timeout", "pytorch"), ("skip", "triton"), ("skip", "aiter"), ("skip", "vllm"), ("skip", "sglang"),
      ("cascade", "failure")]),
    ("queued a long time counts toward the run timeout", [S("pytorch", "running")],
     [run("pytorch", status="queued", started_min_ago=300, run_started_at=None)], {},
     [("timeout", "pytorch"), ("skip", "triton"), ("skip", "aiter"), ("skip", "vllm"), ("skip", "sglang"),
      ("cascade", "failure")]),
    ("fan-in waits for every parent", [S("pytorch", "success"), S("triton", "success"), S("aiter", "running"),
                                       S("sglang", "success")],
     [run("pytorch"), run("triton"), run("aiter", status="in_progress"), run("sglang")], {}, []),
    ("fan-in dispatches when all parents succeeded", [S("pytorch", "success"), S("triton", "running"),
                                                      S("aiter", "success"), S("sglang", "running")],
     [run("pytorch"), run("triton"), run("aiter"), run("sglang", status="in_progress")], {},
     [("finish", "triton", "success"), ("dispatch", "vllm", 1)]),
    ("optional parent failed: dependant skipped, cascade partial", [S("pytorch", "success"), S("triton", "success"),
                                                                    S("aiter", "running"), S("sglang", "success")],
     [run("pytorch"), run("triton"), run("aiter", conclusion="failure"), run("sglang")], {},
     [("finish", "aiter", "failure"), ("skip", "vllm"), ("cascade", "partial_failure")]),
    ("required fan-in parent failed: cascade failure", [S("pytorch", "success"), S("triton", "running"),
                                                        S("aiter", "success"), S("sglang", "success")],
     [run("pytorch"), run("triton", conclusion="failure"), run("aiter"), run("sglang")], {},
     [("finish", "triton", "failure"), ("skip", "vllm"), ("cascade", "failure")]),
    ("only an optional leaf failed: partial", [S("pytorch", "success"), S("triton", "success"), S("aiter", "success"),
                                               S("vllm", "success"), S("sglang", "running")],
     [run("pytorch"), run("triton"), run("aiter"), run("vllm"), run("sglang", conclusion="timed_out")], {},
     [("finish", "sglang", "failure"), ("cascade", "partial_failure")]),
    ("last stage succeeds: cascade success", [S("pytorch", "success"), S("triton", "success"), S("aiter", "success"),
                                              S("vllm", "running"), S("sglang", "success")],
     [run("pytorch"), run("triton"), run("aiter"), run("vllm"), run("sglang")], {},
     [("finish", "vllm", "success"), ("cascade", "success")]),
    ("all stages green and the cascade still running: success", [S(n, "success") for n in RUN_IDS],
     [run(n) for n in RUN_IDS], {}, [("cascade", "success")]),
    ("re-run by hand in progress re-opens the stage, its dependants and the cascade",
     [S("pytorch", "failure"), S("triton", "skipped", linked=False), S("aiter", "skipped", linked=False),
      S("vllm", "skipped", linked=False), S("sglang", "skipped", linked=False)],
     [run("pytorch", status="in_progress", attempt=2, started_min_ago=3)], {},
     [("reopen", "pytorch", "running"), ("running", "pytorch"), ("reopen", "triton", "pending"),
      ("reopen", "aiter", "pending"), ("reopen", "vllm", "pending"), ("reopen", "sglang", "pending"),
      ("cascade", "reopened")], {"status": "failure"}),
    ("re-run by hand that passed turns the stage green and dispatches its dependants",
     [S("pytorch", "failure"), S("triton", "skipped", linked=False), S("aiter", "skipped", linked=False),
      S("vllm", "skipped", linked=False), S("sglang", "skipped", linked=False)],
     [run("pytorch", attempt=2)], {},
     [("reopen", "pytorch", "running"), ("finish", "pytorch", "success"), ("reopen", "triton", "pending"),
      ("dispatch", "triton", 1), ("reopen", "aiter", "pending"), ("dispatch", "aiter", 1),
      ("reopen", "vllm", "pending"), ("reopen", "sglang", "pending"), ("dispatch", "sglang", 1),
      ("cascade", "reopened")], {"status": "failure"}),
    ("the same attempt seen again does not re-open", [S("pytorch", "failure")] +
     [S(n, "skipped", linked=False) for n in ("triton", "aiter", "vllm", "sglang")],
     [run("pytorch", conclusion="failure")], {}, [], {"status": "failure"}),
    ("a retried stage dispatches its next attempt", [S("pytorch", "pending", attempt0=1)], [], {},
     [("dispatch", "pytorch", 2)]),
    ("GitHub named a run id at dispatch but the run never appears: dispatch timeout",
     [S("pytorch", "dispatched", dispatched_min_ago=31, run_id=201)], [], {},
     [("timeout", "pytorch"), ("skip", "triton"), ("skip", "aiter"), ("skip", "vllm"), ("skip", "sglang"),
      ("cascade", "failure")]),
    ("artifact names not synced yet: aiter waits, triton and sglang go", [S("pytorch", "running")],
     [run("pytorch", artifact_names=None)], {},
     [("finish", "pytorch", "success"), ("dispatch", "triton", 1), ("dispatch", "sglang", 1)]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_plan_table(case):
    _title, stages, runs, found, expected, *extra = case
    assert summary(plan(snapshot(stages, runs, found, **(extra[0] if extra else {})))) == expected


def test_finished_cascade_plans_nothing():
    snap = snapshot([S(n, "success", reported_state="success") for n in RUN_IDS], [run(n) for n in RUN_IDS],
                    status="success")
    assert plan(snap) == []


def test_cancelled_cascade_plans_nothing():
    stages = [S("pytorch", "cancelled", reported_state="error")] + [
        StageState(n, "cancelled", reported_state="error") for n in ("triton", "aiter", "vllm", "sglang")]
    assert plan(snapshot(stages, [run("pytorch")], status="cancelled")) == []
    stages[0] = S("pytorch", "cancelled", reported_state="pending")
    [report] = plan(snapshot(stages, [run("pytorch")], status="cancelled"))
    assert (report.stage, report.state) == ("pytorch", "error")


def test_stage_removed_from_config_is_cancelled():
    snap = snapshot([S("pytorch", "running")], [run("pytorch", status="in_progress")])
    stages = dict(snap.stages)
    stages["gone"] = StageState("gone", "running", attempt=1, run_id=999)
    snap = Snapshot(snap.cascade_run, stages, snap.runs, {}, {})
    assert ("finish", "gone", "cancelled") in summary(plan(snap))


def test_dispatch_payload_of_a_workflow_stage_carries_inputs_and_correlation_id():
    [dispatch] = [a for a in plan(snapshot([])) if isinstance(a, engine.Dispatch)]
    assert dispatch.kind == "workflow_dispatch"
    assert (dispatch.repo, dispatch.target, dispatch.ref) == ("ROCm/pytorch", "build.yml", "main")
    assert dispatch.correlation_id == f"{CID}.pytorch.1"
    assert dict(dispatch.payload) == {"rocm_run_id": "100", "rocm_sha": "a" * 40,
                                      "quartz_correlation_id": f"{CID}.pytorch.1"}


def test_dispatch_payload_of_a_repository_dispatch_stage_has_a_quartz_key():
    actions = plan(snapshot([S("pytorch", "running")], [run("pytorch")]))
    [sglang] = [a for a in actions if isinstance(a, engine.Dispatch) and a.stage == "sglang"]
    assert sglang.kind == "repository_dispatch" and sglang.target == "rocm-nightly" and sglang.ref is None
    quartz = sglang.payload["quartz"]
    assert sglang.payload["pytorch_run_id"] == "201"
    assert quartz["cascade_run_id"] == CID and quartz["stage"] == "sglang" and quartz["attempt"] == 1
    assert quartz["correlation_id"] == f"{CID}.sglang.1"
    assert quartz["upstream"]["pytorch"]["run_id"] == 201
    assert quartz["upstream"]["rocm"]["artifacts_url"] == f"{API}/repos/ROCm/rockrel/actions/runs/100/artifacts"
    [aiter] = [a for a in actions if isinstance(a, engine.Dispatch) and a.stage == "aiter"]
    assert aiter.payload["wheels"] == "wheel-a,wheel-b"


def test_fan_in_renders_from_the_same_cascade_run_only():
    actions = plan(snapshot([S("pytorch", "success"), S("triton", "success"), S("aiter", "success"),
                             S("sglang", "success")],
                            [run("pytorch"), run("triton"), run("aiter"), run("sglang")]))
    [vllm] = [a for a in actions if isinstance(a, engine.Dispatch)]
    assert vllm.payload["triton_run_id"] == "202" and vllm.payload["rocm_run_id"] == "100"


def reason_of(actions, stage):
    for a in actions:
        if getattr(a, "stage", None) == stage and hasattr(a, "reason") and not isinstance(a, engine.ReportStatus):
            return a.reason
    return None


def test_reasons_a_person_can_act_on():
    actions = plan(snapshot([S("pytorch", "running")], [run("pytorch", status="in_progress", started_min_ago=42)]))
    assert reason_of(actions, "pytorch").startswith("running since Nov 29 03:18 UTC — https://github.test/")
    assert reason_of(actions, "triton") == "waiting for pytorch: running since Nov 29 03:18 UTC"
    assert reason_of(actions, "vllm") == "waiting for triton: waiting for pytorch; aiter: waiting for pytorch"

    actions = plan(snapshot([S("pytorch", "dispatched", dispatched_min_ago=12)]))
    assert reason_of(actions, "pytorch") == ("dispatched Nov 29 03:48 UTC, no run has appeared yet; "
                                             "times out Nov 29 04:18 UTC")

    actions = plan(snapshot([S("pytorch", "running")], [run("pytorch", conclusion="failure")]))
    assert reason_of(actions, "triton") == "skipped: pytorch failed — https://github.test/ROCm/pytorch/runs/201"
    assert reason_of(actions, "vllm") == "skipped: triton was skipped; aiter was skipped"


def test_unknown_dispatch_outcome_is_explained_and_never_resent():
    corr = f"{CID}.pytorch.1"
    snap = snapshot([S("pytorch", "dispatched", dispatched_min_ago=4)],
                    intents={corr: IntentView(corr, "unknown", 502, "Bad Gateway")})
    actions = plan(snap)
    assert not [a for a in actions if isinstance(a, engine.Dispatch)]
    assert "GitHub answered 502; looking for the run by correlation id" in reason_of(actions, "pytorch")
    late = plan(snap, now=T0 + timedelta(minutes=27))
    assert summary(late)[0] == ("timeout", "pytorch")
    reason = reason_of(late, "pytorch")
    assert f"no run with correlation id {corr} appeared in ROCm/pytorch" in reason
    assert f"quartz retry {CID} pytorch" in reason


def test_unchanged_reason_is_not_rewritten():
    actions = plan(snapshot([S("pytorch", "dispatched", dispatched_min_ago=12,
                                reason="dispatched Nov 29 03:48 UTC, no run has appeared yet; "
                                       "times out Nov 29 04:18 UTC")]))
    assert not [a for a in actions if isinstance(a, engine.Explain) and a.stage == "pytorch"]


def test_a_stage_still_going_keeps_its_reason_from_cycle_to_cycle():
    """Reasons name when a wait began, not how long it has lasted: a quiet cycle writes nothing."""
    first = plan(snapshot([S("pytorch", "running")], [run("pytorch", status="in_progress", started_min_ago=42)]))
    reasons = {a.stage: a.reason for a in first if isinstance(a, engine.Explain)}
    waiting = [S(name, "pending", reason=reason) for name, reason in reasons.items() if name != "pytorch"]
    later = plan(snapshot([S("pytorch", "running", reason=reasons["pytorch"]), *waiting],
                          [run("pytorch", status="in_progress", started_min_ago=42)]), now=T0 + timedelta(minutes=10))
    assert not [a for a in later if isinstance(a, engine.Explain)]


def test_commit_status_only_on_change():
    actions = plan(snapshot([]))
    reports = {a.stage: a for a in actions if isinstance(a, engine.ReportStatus)}
    assert set(reports) == set(RUN_IDS)
    r = reports["pytorch"]
    assert (r.repo, r.sha, r.context, r.state) == ("ROCm/rockrel", "a" * 40, "quartz/nightly/pytorch", "pending")
    assert r.target_url == f"https://quartz.example/cascades/{CID}.html"
    assert len(r.description) <= 140
    reported = [S("pytorch", "running", reported_state="pending")] + [
        StageState(n, reported_state="pending") for n in ("triton", "aiter", "vllm", "sglang")]
    again = plan(snapshot(reported, [run("pytorch", status="in_progress")]))
    assert not [a for a in again if isinstance(a, engine.ReportStatus)]
    done = plan(snapshot(reported, [run("pytorch", conclusion="failure")]))
    states = {a.stage: a.state for a in done if isinstance(a, engine.ReportStatus)}
    assert states == {"pytorch": "failure", "triton": "error", "aiter": "error", "vllm": "error", "sglang": "error"}


def test_no_commit_status_without_a_trigger_commit():
    snap = snapshot([], cascade="release", params={"release": "7.10", "note": "x"}, trigger_kind="manual")
    assert not [a for a in plan(snap) if isinstance(a, engine.ReportStatus)]


def test_release_cascade_renders_refs_from_the_release():
    snap = snapshot([], cascade="release", params={"release": "7.10", "note": "qualify"}, trigger_kind="manual")
    actions = plan(snap)
    dispatches = {a.stage: a for a in actions if isinstance(a, engine.Dispatch)}
    assert dispatches["pytorch"].ref == "release/2.10"
    assert dispatches["pytorch"].payload["release"] == "7.10"
    assert dispatches["triton"].ref == "main" and dispatches["triton"].payload["note"] == "qualify"
    # 7.10 names no jax branch: the stage fails with the reason instead of dispatching anything.
    assert ("finish", "jax", "failure") in summary(actions)
    assert "release.jax" in reason_of(actions, "jax")


def test_manual_ref_applies_to_stages_on_their_default_branch():
    snap = snapshot([], cascade="release", params={"release": "7.10", "note": "x"}, trigger_kind="manual",
                    ref="feature/x")
    dispatches = {a.stage: a for a in plan(snap) if isinstance(a, engine.Dispatch)}
    assert dispatches["triton"].ref == "feature/x"  # default branch: takes --ref
    assert dispatches["pytorch"].ref == "release/2.10"  # its own ref
    assert dispatches["triton_main"].ref == "main"  # set to the default branch on purpose: kept


# ---------------------------------------------------------------- triggers


def upstream(run_id=300, **extra):
    fields = dict(run_id=run_id, repo="ROCm/rockrel", status="completed", conclusion="success",
                  workflow="release.yml", project="rocm", event="push", head_sha="b" * 40, head_branch="main",
                  html_url=f"https://github.test/r/{run_id}", created_at=T0 - timedelta(hours=1),
                  updated_at=T0 - timedelta(minutes=1))
    fields.update(extra)
    return RunView(**fields)


FIRST_SEEN = {"nightly": T0 - timedelta(days=1), "release": T0 - timedelta(days=1)}
TRIGGER_CASES = [
    ("a matching success starts it", [upstream()], set(), FIRST_SEEN, 1),
    ("a failure does not", [upstream(conclusion="failure")], set(), FIRST_SEEN, 0),
    ("another branch does not", [upstream(head_branch="release/7.10")], set(), FIRST_SEEN, 0),
    ("another workflow does not", [upstream(workflow="other.yml")], set(), FIRST_SEEN, 0),
    ("another project does not", [upstream(project="pytorch")], set(), FIRST_SEEN, 0),
    ("a run still in progress does not", [upstream(status="in_progress", conclusion=None)], set(), FIRST_SEEN, 0),
    ("an upstream run already used does not", [upstream()], {("nightly", 300)}, FIRST_SEEN, 0),
    ("history before the cascade was first seen does not",
     [upstream(updated_at=T0 - timedelta(days=2))], set(), FIRST_SEEN, 0),
    ("a run within the grace before first seen does",
     [upstream(updated_at=T0 - timedelta(minutes=15))], set(), {"nightly": T0}, 1),
    ("a run before the grace does not",
     [upstream(updated_at=T0 - timedelta(minutes=25))], set(), {"nightly": T0}, 0),
    ("older than three days never does",
     [upstream(updated_at=T0 - timedelta(days=4))], set(), {"nightly": T0 - timedelta(days=30)}, 0),
    ("a cascade not seen yet does not start", [upstream()], set(), {}, 0),
    ("two upstream runs start two cascade runs", [upstream(300), upstream(301)], set(), FIRST_SEEN, 2),
    ("the same run listed twice starts one", [upstream(300), upstream(300)], set(), FIRST_SEEN, 1),
]


@pytest.mark.parametrize("title,candidates,started,first_seen,expected", TRIGGER_CASES,
                         ids=[c[0] for c in TRIGGER_CASES])
def test_trigger_table(title, candidates, started, first_seen, expected):
    starts = engine.plan_triggers(CONFIG, candidates, started, first_seen, T0, api_url=API)
    assert len(starts) == expected
    assert len({s.cascade_run_id for s in starts}) == expected


def test_trigger_records_what_templates_need():
    [start] = engine.plan_triggers(CONFIG, [upstream()], set(), FIRST_SEEN, T0, api_url=API)
    assert start.cascade == "nightly" and start.trigger_run_id == 300 and start.trigger_sha == "b" * 40
    assert start.upstream["rocm"]["run_id"] == 300
    assert start.cascade_run_id.startswith("nightly-20261129-0400-")
    assert start.stages == ("pytorch", "triton", "aiter", "vllm", "sglang")


def test_trigger_conclusion_any():
    cfg = loads(CONFIG.source.replace("branch: main}", "branch: main, conclusion: any}"))
    assert len(engine.plan_triggers(cfg, [upstream(conclusion="failure")], set(), FIRST_SEEN, T0, api_url=API)) == 1


# ---------------------------------------------------------------- helpers


@pytest.mark.parametrize("title,corr,expected", [
    ("rocm-build c.pytorch.1", "c.pytorch.1", True),
    ("rocm-build [c.pytorch.1]", "c.pytorch.1", True),
    ("rocm-build c.pytorch.1.", "c.pytorch.1", True),
    ("rocm-build c.pytorch.10", "c.pytorch.1", False),
    ("rocm-build xc.pytorch.1", "c.pytorch.1", False),
    ("rocm-build c.pytorch.1-b", "c.pytorch.1", False),
    ("rocm-build", "c.pytorch.1", False),
    (None, "c.pytorch.1", False),
    ("c.pytorch.10 then c.pytorch.1", "c.pytorch.1", True),
])
def test_correlation_id_is_matched_as_a_whole_token(title, corr, expected):
    assert engine.title_has_correlation(title, corr) is expected


def test_params_are_checked_with_actionable_messages():
    cascade = CONFIG.cascades["release"]
    assert engine.resolve_params(cascade, {"release": "7.10"}) == {"release": "7.10", "note": "qualify"}
    with pytest.raises(BadInput, match="missing parameter 'release'"):
        engine.resolve_params(cascade, {})
    with pytest.raises(BadInput, match="choose one of: 7.10, 7.9"):
        engine.resolve_params(cascade, {"release": "6.4"})
    with pytest.raises(BadInput, match="unknown parameter 'relase'; did you mean 'release'"):
        engine.resolve_params(cascade, {"relase": "7.10"})


def test_unknown_cascade_suggests_the_nearest():
    assert "did you mean 'nightly'" in str(engine.unknown_cascade(CONFIG, "nighty"))


@pytest.mark.parametrize("seconds,text", [(5, "5 s"), (720, "12 min"), (3900, "1 h 5 min"), (7200, "2 h"),
                                          (3 * 86400 + 7200, "3 d 2 h")])
def test_humanize(seconds, text):
    assert engine.humanize(seconds) == text


def test_cascade_status_rules():
    cascade = CONFIG.cascades["nightly"]
    ok = dict.fromkeys(RUN_IDS, "success")
    assert engine.cascade_status_for(cascade, ok) == "success"
    assert engine.cascade_status_for(cascade, {**ok, "aiter": "failure", "vllm": "skipped"}) == "partial_failure"
    assert engine.cascade_status_for(cascade, {**ok, "triton": "timed_out", "vllm": "skipped"}) == "failure"
    assert engine.cascade_status_for(cascade, {**ok, "vllm": "cancelled"}) == "cancelled"
