"""The failure line on real CI logs whose right line someone else stated (../shared/fixtures/logs-*/).

Each folder is one source (logs-hud: the PyTorch HUD classifier's own fixtures, 40 logs); the logs are read
in place, never copied here. The share found per source is printed (`pytest -s`), and a floor per source
holds what the rules reach today, so a rule change that loses a case fails here.
"""

from __future__ import annotations

import pytest

from quartz.failures import load_rules
from tests.helpers.logcorpus import SHARED, cases, found, sources

# The share of each source's stated lines the classifier finds (issue 26: 19 of 40 before the tiers).
FLOORS = {"logs-hud": 32}

pytestmark = pytest.mark.skipif(not sources(), reason=f"no real-log corpus in {SHARED} (logs-*/expected.json)")


def test_the_share_found_per_source(capsys):
    rules = load_rules()
    report, below = [], []
    for folder in sources():
        results = [(case, *found(case, rules)) for case in cases(folder)]
        hits = sum(hit for _, hit, _ in results)
        report.append(f"{folder.name}: {hits}/{len(results)} ({100 * hits / len(results):.0f}%)")
        for case, hit, failure in results:
            if not hit:
                got = f"{failure.rule} at line {failure.line_number}" if failure else "nothing"
                report.append(f"  missed {case.name}: stated line {case.line_number}, got {got}")
        if hits < FLOORS.get(folder.name, 0):
            below.append(f"{folder.name}: {hits} < {FLOORS[folder.name]}")
    with capsys.disabled():
        print("\nfailure-line corpus\n" + "\n".join(report))
    assert not below, below


def test_every_case_reads_as_github_serves_it():
    for folder in sources():
        for case in cases(folder):
            text = case.log.decode("utf-8")
            assert "#=MATCH=#" not in text and "‹" not in text and not text.startswith("#=SOURCE=#")
            assert text.split("\n")[case.line_number - 1].rstrip() == case.line.rstrip()


def test_no_gate_hides_a_match_on_real_lines():
    # quartz/failures/gate.py: a rule's literals are a shortcut, never a filter that loses a line.
    from quartz.failures import read_tail, strip_prefix

    for folder in sources():
        for case in cases(folder):
            for line in read_tail(case.log).lines:
                text, annotated = strip_prefix(line[:1000])
                for hay in (text, "##[error]" + text) if annotated else (text,):
                    for rule in load_rules():
                        if rule.gate and rule.pattern.search(hay):
                            seen = hay.lower() if rule.gate_lower else hay
                            assert any(literal in seen for literal in rule.gate), (rule.name, hay)
