"""Culprit probe planning as a pure function, and the `culprit:` key of cascades.yaml."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quartz import config as config_module
from quartz.cascades import culprit
from quartz.cascades.culprit import ProbeState, Search
from quartz.cascades.engine import CascadeRunState, RunView
from quartz.devtools.culprits import FLEET

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
API = "https://api.github.com"
CONFIG = config_module.loads(FLEET)


def _run(run_id, repo, sha):
    return RunView(run_id=run_id, repo=repo, status="completed", conclusion="success", head_sha=sha,
                   html_url=f"https://github.com/{repo}/actions/runs/{run_id}")


def _search(probes=(), *, good_age=timedelta(days=1), stage="vllm", spent=None, busy=False, same_rocm=False):
    cr = CascadeRunState("nightly-2", "nightly", "failure", NOW - timedelta(hours=3), trigger_project="rocm",
                         trigger_run_id=2, trigger_repo="ROCm/rockrel",
                         upstream={"rocm": {"run_id": 2 if not same_rocm else 1, "head_sha": "r2"}})
    good_cr = CascadeRunState("nightly-1", "nightly", "success", NOW - good_age, trigger_project="rocm",
                              trigger_run_id=1, trigger_repo="ROCm/rockrel", upstream={"rocm": {"run_id": 1,
                                                                                                "head_sha": "r1"}})
    failed = culprit.versions(cr, {"pytorch": _run(20, "ROCm/pytorch", "p2")}, API)
    good = culprit.versions(good_cr, {"pytorch": _run(10, "ROCm/pytorch", "p1")}, API)
    return Search(cascade_run=cr, stage=stage, stage_status="failure", stage_run=_run(21, "ROCm/vllm", "v"),
                  failed=failed, good_id="nightly-1", good_created_at=good_cr.created_at, good=good,
                  probes=tuple(probes), spent=len(probes) if spent is None else spent, busy=busy)


def _probe(seq, put_back, status, run_id=None):
    return ProbeState(f"nightly-2.vllm.p{seq}", seq, tuple(put_back), status, run_id=run_id)


def plan(s):
    return culprit.plan(CONFIG, s, NOW, api_url=API)


def test_first_probe_re_runs_the_failed_tuple_as_it_was():
    [d], verdict = plan(_search())
    assert verdict is None and d.put_back == () and d.correlation_id == "nightly-2.vllm.p1"
    assert d.payload == {"rocm_run_id": "2", "pytorch_run_id": "20", "quartz_correlation_id": "nightly-2.vllm.p1"}


def test_then_each_changed_upstream_put_back_alone_then_both():
    [d], _ = plan(_search([_probe(1, [], "failure")]))
    assert d.put_back == ("pytorch",) and d.payload["pytorch_run_id"] == "10" and d.payload["rocm_run_id"] == "2"
    [d], _ = plan(_search([_probe(1, [], "failure"), _probe(2, ["pytorch"], "failure")]))
    assert d.put_back == ("rocm",) and d.payload["pytorch_run_id"] == "20" and d.payload["rocm_run_id"] == "1"
    [d], _ = plan(_search([_probe(1, [], "failure"), _probe(2, ["pytorch"], "failure"),
                           _probe(3, ["rocm"], "failure")]))
    assert d.put_back == ("pytorch", "rocm") and d.payload["pytorch_run_id"] == "10"


@pytest.mark.parametrize("probes, kind, words", [
    ([(1, [], "success")], "flaky", "flaky: the same inputs passed on re-run"),
    ([(1, [], "failure"), (2, ["pytorch"], "success")], "broken_by", "broken by pytorch: vllm passes with this "
                                                                     "run's rocm and last good pytorch (run 10"),
    ([(1, [], "failure"), (2, ["pytorch"], "failure"), (3, ["rocm"], "success")], "broken_by", "broken by rocm"),
    ([(1, [], "failure"), (2, ["pytorch"], "failure"), (3, ["rocm"], "failure"), (4, ["pytorch", "rocm"], "success")],
     "needs_both", "needs both: vllm passes only when pytorch and rocm are put back"),
    ([(1, [], "failure"), (2, ["pytorch"], "failure"), (3, ["rocm"], "failure"), (4, ["pytorch", "rocm"], "failure")],
     "inconclusive", "inconclusive: vllm fails even with pytorch and rocm put back"),
    ([(1, [], "timed_out")], "inconclusive", "inconclusive: probe nightly-2.vllm.p1 timed_out"),
    ([(1, [], "failure"), (2, ["pytorch"], "refused")], "inconclusive", "inconclusive: probe nightly-2.vllm.p2"),
])
def test_verdicts(probes, kind, words):
    dispatches, verdict = plan(_search([_probe(*p) for p in probes]))
    assert dispatches == [] and verdict.kind == kind and verdict.text.startswith(words), verdict.text


def test_broken_by_names_runs_sha_and_compare_link():
    _, verdict = plan(_search([_probe(1, [], "failure"), _probe(2, ["pytorch"], "success", run_id=99)]))
    assert verdict.culprits == ("pytorch",)
    assert "fails with this run's pytorch (run 20, sha p2" in verdict.text
    assert "https://github.com/ROCm/pytorch/compare/p1...p2" in verdict.text and "probe run" in verdict.text


def test_cost_control():
    # A probe in flight: wait for it.
    assert plan(_search([_probe(1, [], "running")])) == ([], None)
    # Another probe of the same stage running elsewhere: nothing now.
    assert plan(_search(busy=True)) == ([], None)
    # The budget covers every stage of the cascade run.
    _, verdict = plan(_search([_probe(1, [], "failure")], spent=4))
    assert verdict.kind == "inconclusive" and "budget spent (4 probes" in verdict.text
    # A last good run older than max_age: no probe at all.
    assert plan(_search(good_age=timedelta(days=8))) == ([], None)
    assert "over the cascade's max_age of 7 d" in culprit.why_not(CONFIG, _search(good_age=timedelta(days=8)), NOW)
    # A stage the cascade does not name is never probed.
    assert plan(_search(stage="pytorch")) == ([], None)


def test_only_upstreams_that_moved_are_put_back():
    s = _search(same_rocm=True)
    assert culprit.changed(CONFIG.cascades["nightly"].stages["vllm"], s.failed, s.good) == ["pytorch"]
    assert culprit.steps(CONFIG.cascades["nightly"].stages["vllm"], s) == [(), ("pytorch",)]


def test_follow_times_out_a_probe_whose_run_never_appears():
    stage = CONFIG.cascades["nightly"].stages["vllm"]
    p = ProbeState("c.vllm.p1", 1, (), "dispatched", dispatched_at=NOW - timedelta(minutes=31))
    after = culprit.follow(p, None, stage, NOW)
    assert after.status == "timed_out" and "no run with correlation id c.vllm.p1 appeared" in after.reason
    assert culprit.follow(p, None, stage, NOW - timedelta(minutes=5)).status == "dispatched"


def test_optional_stages_only_when_named():
    text = FLEET.replace("culprit: {stages: [vllm], max_probes: 4, max_age: 7d}", "culprit: {}").replace(
        "depends_on: [pytorch]\n", "depends_on: [pytorch]\n        optional: true\n")
    assert culprit.probed_stages(config_module.loads(text), "nightly") == ("pytorch",)
    assert culprit.probed_stages(CONFIG, "nightly") == ("vllm",)


# ---------------------------------------------------------------- cascades.yaml


def _problems(text):
    with pytest.raises(config_module.ConfigError) as info:
        config_module.loads(text)
    return info.value.problems


def test_a_stage_reading_no_upstream_cannot_be_probed_and_validate_says_so_at_the_culprit_line():
    text = FLEET.replace("culprit: {stages: [vllm]", "culprit: {stages: [pytorch, vllm]").replace(
        'pytorch: {workflow: rocm-build.yml, inputs: {rocm_run_id: "{{ upstream.rocm.run_id }}"}}',
        "pytorch: {workflow: rocm-build.yml}")
    [problem] = _problems(text)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "culprit:" in t)
    assert problem.line == line and "stage 'pytorch' cannot be probed" in problem.message


def test_culprit_key_errors():
    [unknown] = _problems(FLEET.replace("stages: [vllm]", "stages: [vlm]"))
    assert "unknown stage 'vlm'; did you mean 'vllm'?" in unknown.message
    [typo] = _problems(FLEET.replace("max_probes: 4", "max_probe: 4"))
    assert "unknown key 'max_probe'; did you mean 'max_probes'?" in typo.message
    [age] = _problems(FLEET.replace("max_age: 7d", "max_age: week"))
    assert "bad duration" in age.message
    rule = CONFIG.cascades["nightly"].culprit
    assert (rule.stages, rule.max_probes, rule.max_age_s) == (("vllm",), 4, 7 * 86400)


# ---------------------------------------------------------------- properties


OUTCOMES = st.sampled_from(["success", "failure", "failure", "cancelled", "timed_out", "refused"])


@settings(max_examples=200, deadline=None)
@given(outcomes=st.lists(OUTCOMES, min_size=6, max_size=6), max_probes=st.integers(1, 6),
       same_rocm=st.booleans(), spent_elsewhere=st.integers(0, 3))
def test_any_sequence_of_probe_outcomes_ends_in_one_verdict_within_budget(outcomes, max_probes, same_rocm,
                                                                         spent_elsewhere):
    text = FLEET.replace("max_probes: 4", f"max_probes: {max_probes}")
    config = config_module.loads(text)
    probes: list[ProbeState] = []
    verdict = None
    for _ in range(12):
        base = _search(probes, same_rocm=same_rocm, spent=len(probes) + spent_elsewhere)
        dispatches, verdict = culprit.plan(config, base, NOW, api_url=API)
        assert len(dispatches) <= 1 and not (dispatches and verdict)
        if verdict is not None:
            break
        [d] = dispatches
        assert d.put_back not in {p.put_back for p in probes}  # never the same probe twice
        running = ProbeState(d.correlation_id, d.seq, d.put_back, "running")
        assert culprit.plan(config, _search([*probes, running], same_rocm=same_rocm), NOW, api_url=API) == ([], None)
        probes.append(replace(running, status=outcomes[len(probes)]))
    assert verdict is not None and verdict.kind in culprit.VERDICTS
    assert len(probes) + spent_elsewhere <= max(max_probes, spent_elsewhere)
    # A verdict, once reached, is what the same probes always give.
    again = culprit.plan(config, _search(probes, same_rocm=same_rocm, spent=len(probes) + spent_elsewhere), NOW,
                         api_url=API)
    assert again == ([], verdict)


def test_quartz_validate_points_at_the_culprit_line(tmp_path):
    import subprocess
    import sys

    text = FLEET.replace('pytorch: {workflow: rocm-build.yml, inputs: {rocm_run_id: "{{ upstream.rocm.run_id }}"}}',
                         "pytorch: {workflow: rocm-build.yml}").replace("stages: [vllm]", "stages: [pytorch]")
    path = tmp_path / "cascades.yaml"
    path.write_text(text)
    result = subprocess.run([sys.executable, "-m", "quartz", "validate", "--config", str(path)], capture_output=True,
                            text=True, timeout=120)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "culprit:" in t)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{path}:{line}:" in result.stderr and "stage 'pytorch' cannot be probed" in result.stderr
