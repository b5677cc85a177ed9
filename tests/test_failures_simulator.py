"""The simulator's job logs (used by `quartz demo`) yield the failure line each kind of job is meant to show."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from quartz.devtools.simulator.downloads import FAILURE_LINES, job_log
from quartz.failures import find_failure, load_rules

RULES = load_rules()
# Job kind -> (rule, the line it should pick).
INTENDED = {
    "build": ("compiler-error", FAILURE_LINES["build"][0]),
    "test": ("hip-error", FAILURE_LINES["test"][1]),
    "release": ("network-error", FAILURE_LINES["release"][0]),
    "lint": ("error-prefix", FAILURE_LINES["lint"][0]),
    "deploy": ("error-prefix", "Error: the job failed"),  # a kind with no line of its own
}


def _log(kind: str, conclusion: str = "failure") -> str:
    world = SimpleNamespace(job_logs={})
    run = SimpleNamespace(workflow=SimpleNamespace(repo=SimpleNamespace(full_name="ROCm/vllm")),
                          sha="9f8e7d6c5b4a39281706f5e4d3c2b1a098765432")
    job = SimpleNamespace(spec=SimpleNamespace(name=f"{kind} (gfx942)"), conclusion=conclusion, start=1_796_000_000)
    return job_log(world, run, job, 1)


def test_every_failure_kind_is_intended():
    assert set(FAILURE_LINES) <= set(INTENDED)


@pytest.mark.parametrize("kind", sorted(INTENDED))
def test_simulator_failure_line(kind):
    rule, line = INTENDED[kind]
    log = _log(kind)
    assert "Process completed with exit code 1." in log
    failure = find_failure(log.encode(), RULES)
    assert failure is not None
    assert (failure.rule, failure.line) == (rule, line)
    assert failure.rule not in {"gha-error", "nonzero-exit"}


def test_a_successful_job_has_no_failure_line():
    assert find_failure(_log("test", "success").encode(), RULES) is None
