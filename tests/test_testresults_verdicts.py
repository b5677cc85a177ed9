"""New, known or flaky: the verdict on a failed test from its history, and the evidence behind "flaky"."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from quartz.testresults.verdicts import Observation, classify_failure, flaky_evidence

T0 = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)


def obs(run: int, outcome: str, sha: str, *, hours: float = 0, branch: str = "main", attempt: int = 1,
        reruns: int = 0) -> Observation:
    return Observation(run, attempt, sha, branch, T0 + dt.timedelta(hours=hours), outcome, reruns)


def commits(pattern: str, *, branch: str = "main", start_run: int = 100, start_hours: float = 0):
    """One observation per commit: 'P' passed, 'F' failed, 'S' skipped, one hour apart."""
    outcome = {"P": "passed", "F": "failed", "E": "error", "S": "skipped"}
    return [obs(start_run + n, outcome[c], f"{branch}-sha{n}", hours=start_hours + n, branch=branch)
            for n, c in enumerate(pattern)]


# --- evidence -------------------------------------------------------------------------------------------------


def test_a_pass_after_reruns_is_evidence_a():
    history = commits("PPP") + [obs(200, "passed", "sha-x", hours=5, reruns=2)]
    evidence = flaky_evidence(history)
    assert evidence.rerun_runs == (200,)
    assert evidence.same_commit == () and evidence.flips == ()
    assert evidence.is_flaky
    assert evidence.score == 1.0  # its only failing observation was contradicted
    assert evidence.runs == (200,)
    assert evidence.first_seen == evidence.last_seen == T0 + dt.timedelta(hours=5)


def test_failing_after_every_rerun_is_not_evidence():
    evidence = flaky_evidence([obs(1, "failed", "a", reruns=2), obs(2, "failed", "b", hours=1, reruns=2)])
    assert not evidence.is_flaky
    assert evidence.score == 0.0


def test_a_failed_attempt_and_a_passing_attempt_on_one_commit_is_evidence_b():
    history = [obs(1, "failed", "abc", attempt=1), obs(1, "passed", "abc", attempt=2, hours=0.5),
               obs(2, "failed", "def", hours=2)]
    evidence = flaky_evidence(history)
    assert evidence.same_commit == ("abc",)
    assert evidence.is_flaky
    assert evidence.score == 0.5  # one of its two failures is contradicted; "def" may be real
    assert evidence.runs == (1,)


def test_the_same_commit_on_two_branches_or_runs_counts_too():
    history = [obs(1, "failed", "abc", branch="main"), obs(7, "passed", "abc", branch="release/7.0", hours=3)]
    evidence = flaky_evidence(history)
    assert evidence.same_commit == ("abc",)
    assert evidence.branches == ("main",)


def test_isolated_failures_between_green_commits_are_flips_c():
    evidence = flaky_evidence(commits("PFPPFP"))
    assert evidence.flips == ("main-sha1", "main-sha4")
    assert evidence.is_flaky
    assert evidence.score == 1.0


def test_one_isolated_failure_is_not_yet_a_pattern():
    evidence = flaky_evidence(commits("PPFPP"))
    assert evidence.flips == ("main-sha2",)
    assert not evidence.is_flaky
    assert evidence.score == 1.0  # the failure it has looks like noise, but one is not enough to say flaky


def test_a_regression_and_its_fix_are_not_flips():
    evidence = flaky_evidence(commits("PPFFFPP"))
    assert evidence.flips == ()
    assert not evidence.is_flaky
    assert evidence.score == 0.0


def test_flips_are_judged_per_branch_and_skips_are_transparent():
    history = commits("PFSP", branch="main") + commits("FF", branch="dev", start_run=300, start_hours=0.5)
    evidence = flaky_evidence(history)
    assert evidence.flips == ("main-sha1",)  # P F (S) P on main; dev's failures are a streak, not a flip


def test_the_last_commit_cannot_be_a_flip_yet():
    assert flaky_evidence(commits("PPF")).flips == ()


def test_no_history_no_evidence():
    evidence = flaky_evidence([])
    assert (evidence.score, evidence.is_flaky, evidence.first_seen, evidence.runs) == (0.0, False, None, ())


# --- verdicts -------------------------------------------------------------------------------------------------


def test_new_when_it_did_not_fail_on_this_branch_in_the_window():
    history = commits("PPPP") + [obs(50, "failed", "old", hours=-15 * 24)]  # failed, but 15 days ago
    current = obs(999, "failed", "head", hours=10)
    assert classify_failure(current, history) == "new"


def test_a_failure_on_another_branch_does_not_make_it_known():
    history = commits("PP") + commits("F", branch="feature", start_run=300)
    assert classify_failure(obs(999, "failed", "head", hours=5), history) == "new"


def test_known_when_it_failed_on_this_branch_recently():
    history = commits("PPFF")
    current = obs(999, "failed", "head", hours=10)
    assert classify_failure(current, history) == "known"
    assert classify_failure(current, history, window=dt.timedelta(hours=5)) == "new"


def test_flaky_when_its_history_shows_evidence():
    history = commits("PPPP") + [obs(200, "passed", "x", hours=5, reruns=1)]
    assert classify_failure(obs(999, "failed", "head", hours=10), history) == "flaky"


def test_flaky_when_this_very_commit_passed_in_another_attempt():
    current = obs(999, "failed", "head", hours=10, attempt=1)
    history = commits("PPPP") + [obs(999, "passed", "head", hours=11, attempt=2)]
    # The second attempt is after `current`, outside what is known at `current.at`; only the past counts.
    assert classify_failure(current, history) == "new"
    current2 = obs(999, "failed", "head", hours=12, attempt=3)
    assert classify_failure(current2, history + [current]) == "flaky"


def test_a_flaky_test_that_now_fails_on_every_commit_is_broken_not_flaky():
    history = commits("PFPFPFF")
    assert flaky_evidence(history).is_flaky
    current = obs(999, "failed", "head", hours=20)
    assert classify_failure(current, history) == "known"


def test_evidence_older_than_the_window_is_forgotten():
    history = [obs(200, "passed", "x", hours=-30 * 24, reruns=1)] + commits("PPP")
    assert classify_failure(obs(999, "failed", "head", hours=10), history) == "new"


# --- properties -----------------------------------------------------------------------------------------------

_observation = st.builds(
    Observation,
    run_id=st.integers(1, 30),
    attempt=st.integers(1, 3),
    head_sha=st.sampled_from(["a", "b", "c", "d", "e"]),
    branch=st.sampled_from(["main", "dev"]),
    at=st.integers(0, 40 * 24).map(lambda h: T0 + dt.timedelta(hours=h)),
    outcome=st.sampled_from(["passed", "failed", "error", "skipped"]),
    reruns=st.integers(0, 3),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_observation, max_size=30), _observation)
def test_evidence_and_verdicts_are_total_and_bounded(history, current):
    evidence = flaky_evidence(history)
    assert 0.0 <= evidence.score <= 1.0
    assert set(evidence.runs) <= {o.run_id for o in history}
    assert (evidence.first_seen is None) == (evidence.runs == ())
    assert flaky_evidence(list(reversed(history))) == evidence  # order of the input does not matter
    failed = Observation(current.run_id, current.attempt, current.head_sha, current.branch, current.at, "failed")
    assert classify_failure(failed, history) in ("new", "known", "flaky")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from("PF"), max_size=12))
def test_a_history_without_any_pass_is_never_flaky(pattern):
    history = commits("".join(p for p in pattern if p == "F"))
    assert not flaky_evidence(history).is_flaky
