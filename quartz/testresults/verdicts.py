"""Is this failure new, known, or flaky? A pure judgement over one test's history.

The input is one test's observations, one per run attempt that reported it (the shape a DuckDB query returns:
run_id, attempt, head_sha, branch, at, outcome, reruns). Flakiness rests on evidence of three kinds, each
meaning "the same code gave different results":

(a) rerun: the test failed, then passed, within one run attempt (outcome passed with reruns > 0);
(b) same commit: it failed in one attempt or run and passed in another, on the same head_sha;
(c) flip: on a branch, a commit where it failed sits between two commits where it passed (pass, FAIL, pass),
    the shape of noise rather than of a regression and its fix, which fail on consecutive commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

# A failure is "new" when the test did not fail on the same branch within this window.
NEW_WINDOW = timedelta(days=14)
# One isolated failure between green commits can be a bad runner; two make a pattern.
MIN_FLIPS = 2
# A flaky test that failed on this many consecutive commits of the branch is broken now, not flaky.
BROKEN_STREAK = 3

FAILING = ("failed", "error")


@dataclass(frozen=True)
class Observation:
    """One run attempt's result for one test."""

    run_id: int
    attempt: int
    head_sha: str
    branch: str
    at: datetime
    outcome: str  # passed, failed, error, skipped
    reruns: int = 0

    @property
    def failed(self) -> bool:
        return self.outcome in FAILING

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    @property
    def rerun_flaky(self) -> bool:
        return self.passed and self.reruns > 0


@dataclass(frozen=True)
class FlakyEvidence:
    """Why a test is (or is not) flaky, with the runs that show it."""

    score: float
    rerun_runs: tuple[int, ...]  # (a) runs where it failed then passed
    same_commit: tuple[str, ...]  # (b) commits where it both failed and passed
    flips: tuple[str, ...]  # (c) commits where it failed between green neighbours
    runs: tuple[int, ...]  # every run showing any of the above
    branches: tuple[str, ...]
    first_seen: datetime | None
    last_seen: datetime | None

    @property
    def is_flaky(self) -> bool:
        return bool(self.rerun_runs or self.same_commit) or len(self.flips) >= MIN_FLIPS


def _commit_sequences(observations: list[Observation]) -> dict[str, list[tuple[str, list[Observation]]]]:
    """Per branch, its commits in the order first seen, each with the observations made on it."""
    per_branch: dict[str, dict[str, list[Observation]]] = defaultdict(dict)
    for obs in sorted(observations, key=lambda o: (o.at, o.run_id, o.attempt, o.head_sha, o.outcome, o.reruns)):
        per_branch[obs.branch].setdefault(obs.head_sha, []).append(obs)
    return {branch: list(commits.items()) for branch, commits in per_branch.items()}


def _state(observations: list[Observation]) -> str | None:
    """A commit's result for this test: pass, fail, mixed (both), or None (only skipped)."""
    failed = any(o.failed or o.reruns > 0 for o in observations)
    passed = any(o.passed for o in observations)
    if failed and passed:
        return "mixed"
    return "fail" if failed else "pass" if passed else None


def flaky_evidence(history: Iterable[Observation]) -> FlakyEvidence:
    """The flaky evidence in one test's history, and a score in [0, 1].

    The score is the share of the test's failing observations that the evidence explains as noise: an
    observation that failed (or needed reruns) counts as explained when it passed on rerun (a), when its commit
    also passed elsewhere (b), or when its commit is a flip (c). 1.0 means every failure of this test was
    contradicted by a pass of the same code; a score near 0 means its failures are mostly real.
    """
    observations = list(history)
    rerun_obs = [o for o in observations if o.rerun_flaky]
    by_commit: dict[str, list[Observation]] = defaultdict(list)
    for obs in observations:
        by_commit[obs.head_sha].append(obs)
    # (b) needs a final failure and a final pass: a rerun inside one passing attempt is (a), not (b).
    mixed = {sha for sha, group in by_commit.items()
             if any(o.failed for o in group) and any(o.passed for o in group)}
    flips: set[str] = set()
    for commits in _commit_sequences(observations).values():
        states = [(sha, _state(group)) for sha, group in commits]
        states = [(sha, state) for sha, state in states if state is not None]
        for i in range(1, len(states) - 1):
            if states[i][1] == "fail" and states[i - 1][1] != "fail" and states[i + 1][1] != "fail":
                flips.add(states[i][0])
    failing = [o for o in observations if o.failed or o.reruns > 0]
    explained = [o for o in failing if o.rerun_flaky or o.head_sha in mixed or o.head_sha in flips]
    return FlakyEvidence(
        score=round(len(explained) / len(failing), 3) if failing else 0.0,
        rerun_runs=tuple(sorted({o.run_id for o in rerun_obs})),
        same_commit=tuple(sorted(mixed)),
        flips=tuple(sorted(flips)),
        runs=tuple(sorted({o.run_id for o in explained})),
        branches=tuple(sorted({o.branch for o in explained})),
        first_seen=min((o.at for o in explained), default=None),
        last_seen=max((o.at for o in explained), default=None),
    )


def _broken_streak(current: Observation, history: list[Observation]) -> bool:
    """Whether the test failed, with no pass at all, on the last BROKEN_STREAK commits of the branch so far."""
    commits = _commit_sequences([o for o in history if o.branch == current.branch and o.at <= current.at])
    states = [state for _, group in commits.get(current.branch, []) if (state := _state(group)) is not None]
    tail = states[-BROKEN_STREAK:]
    return len(tail) == BROKEN_STREAK and all(state == "fail" for state in tail)


def classify_failure(current: Observation, history: Iterable[Observation], *,
                     window: timedelta = NEW_WINDOW) -> str:
    """The verdict for a failed case: "flaky", "known" or "new".

    - flaky: the test's history within the window (all branches, the current observation included) shows
      flaky evidence, unless it has now failed on BROKEN_STREAK consecutive commits of this branch (then it is
      broken, and judged like any other failure);
    - known: it failed on this branch within the window before this run;
    - new: it did not.
    """
    since = current.at - window
    recent = [o for o in history if since <= o.at <= current.at]
    if not any(o.run_id == current.run_id and o.attempt == current.attempt for o in recent):
        recent.append(current)
    if flaky_evidence(recent).is_flaky and not _broken_streak(current, recent):
        return "flaky"
    before = [o for o in recent if o.branch == current.branch and o.run_id != current.run_id]
    return "known" if any(o.failed or o.reruns > 0 for o in before) else "new"
