"""One vocabulary of states for runs, jobs, stages and cascades.

Every state is shown as icon + word + colour, so it reads without colour and
without JavaScript. Severity orders states when cells combine several runs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class State:
    key: str  # css class suffix and the JSON value
    word: str
    icon: str
    severity: int  # higher is worse; used to pick a combined status


STATES = {s.key: s for s in (
    State("success", "passed", "✓", 0),
    State("neutral", "neutral", "○", 1),
    State("skipped", "skipped", "⤼", 1),
    State("none", "no data", "–", 2),
    State("not_tested", "not tested", "◌", 2),  # a ROCm nightly cell built but never tested: never a pass
    State("pending", "pending", "…", 3),
    State("dispatched", "dispatched", "➚", 3),
    State("queued", "queued", "◷", 3),
    State("running", "running", "●", 4),
    State("in_progress", "in progress", "●", 4),  # status.json's word for running
    State("cancelled", "cancelled", "⊘", 5),
    State("partial_failure", "partial", "◐", 6),
    State("timed_out", "timed out", "⏱", 7),
    State("failure", "failed", "✗", 8),
)}

_CONCLUSIONS = {
    "success": "success",
    "failure": "failure",
    "startup_failure": "failure",
    "cancelled": "cancelled",
    "timed_out": "timed_out",
    "skipped": "skipped",
    "neutral": "neutral",
    "stale": "neutral",
    "action_required": "pending",
}


def run_state(status: str | None, conclusion: str | None) -> str:
    """GitHub's (status, conclusion) of a run or job → one state key."""
    if status == "completed" or (conclusion and status is None):
        return _CONCLUSIONS.get(conclusion or "", "neutral")
    if status in ("queued", "waiting", "requested", "pending"):
        return "queued"
    if status in ("in_progress",):
        return "running"
    return "none" if status is None else "running"


def state(key: str | None) -> State:
    """A stage/cascade/run state key → how to show it (unknown keys show as themselves)."""
    if key in STATES:
        return STATES[key]
    return State(str(key or "none"), str(key or "no data"), "?", 2)


def worst(keys) -> str:
    keys = [k for k in keys if k]
    return max(keys, key=lambda k: state(k).severity) if keys else "none"


PASSED = frozenset({"success"})
FINISHED = frozenset({"success", "failure", "cancelled", "timed_out", "skipped", "neutral", "partial_failure"})
