"""Exactly once under random histories (Hypothesis): runs, re-runs, cascade outcomes, a cycle killed between
sending and recording, and two cycles at once, against the simulator over HTTP, a store in S3 (moto) and a real
local webhook sink (quartz.notify.sink). Checked:
- after every cycle, exactly the intents the world's changes call for exist, no more and no fewer (the
  branch's state from the simulator's runs, each as its newest completed attempt left it; every failed
  cascade run, and a pass after a failure): no transition left untold, none told that did not happen;
- no key is sent twice: every message the sink received is a different one, no more of them than intents;
- every message sent is listed (the document behind the Notifications page and api/v1/notifications.json),
  with its answer.
Few examples (each is a fleet and a dozen cycles over S3); the explicit one walks every kind of step.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from quartz.notify import outbox
from quartz.notify.sink import WebhookSink
from quartz.site.notifications import notifications_doc
from quartz.store import reader
from quartz.store import remote as storage
from tests.helpers.notify import FLEET, WEBHOOK_ENV, Fleet
from tests.test_notify_repeats import _cascade

pytestmark = pytest.mark.slow
COUNTED = ("success", "failure", "timed_out", "startup_failure")
KINDS = ("run", "rerun", "cascade", "killed", "race")
STEPS = st.tuples(st.sampled_from(KINDS), st.sampled_from(["success", "failure"]))


class Killed(BaseException):
    """Stands in for SIGKILL between a POST and recording its answer."""


def branch_truth(fleet: Fleet) -> str | None:
    """red | green | None, from the simulator's runs alone: each run as its newest completed attempt left it."""
    world = fleet.world
    counted = []
    for run in world.runs_in("ROCm/pytorch", "rocm-build.yml", hi=world.now_ts + 1):
        done = [a for a in run.attempts if world.attempt_status(a) == "completed"]
        if run.branch == "main" and done and world.attempt_conclusion(run, done[-1]) in COUNTED:
            counted.append((run.created, run.id, world.attempt_conclusion(run, done[-1])))
    if not counted:
        return None
    return "green" if max(counted)[2] == "success" else "red"


def newest_cascade(fleet: Fleet) -> tuple[str, str] | None:
    """The cascade's newest finished run; a run re-opened by a re-run keeps the place its last finish gave it
    (status `running` then): an older run does not speak for the cascade while the newest is re-run."""
    with reader.read_only(fleet.location) as store:
        return store.db.execute(
            "SELECT c.cascade_run_id, c.status FROM cascade_runs c WHERE c.status IN ('success', 'failure', 'running') "
            "AND coalesce(c.finished_at, (SELECT max(e.occurred_at) FROM cascade_events e WHERE e.cascade_run_id = "
            "c.cascade_run_id AND e.stage IS NULL AND e.kind = 'finished')) IS NOT NULL "
            "ORDER BY coalesce(c.finished_at, (SELECT max(e.occurred_at) FROM cascade_events e WHERE "
            "e.cascade_run_id = c.cascade_run_id AND e.stage IS NULL AND e.kind = 'finished')) DESC, "
            "c.cascade_run_id DESC LIMIT 1").fetchone()


class Oracle:
    """After every cycle that notified: exactly the intents the world's changes call for, no more, no fewer."""

    def __init__(self, fleet: Fleet):
        self.fleet, self.keys = fleet, set()
        self.branch = "green"  # what was last told (a channel starts out assuming green)
        self.cascade: tuple | None = None  # the newest finished cascade run (and how it ended) already judged
        self.cascade_told = "success"
        self.moments: set[tuple] = set()  # (status, cascade run) already told: each moment is told once

    def after_notify(self) -> list[dict]:
        intents = self.fleet.intents()
        new = [i for i in intents if i["key"] not in self.keys]
        self.keys |= {i["key"] for i in intents}
        truth = branch_truth(self.fleet) or self.branch
        told = [i["event"] for i in new if i["subject"].startswith("branch:")]
        assert told == ([] if truth == self.branch else [f"branch_{truth}"]), (self.branch, truth, told)
        self.branch = truth
        told = [i["event"] for i in new if i["subject"].startswith("cascade:")]
        want = []
        finished = newest_cascade(self.fleet)
        if finished and tuple(finished) != self.cascade and finished[1] != "running":  # a re-run keeps its place
            cascade_run, status = finished
            if status == "failure":  # every failed cascade run is news: a new moment
                want = ["cascade_failed"]
            elif self.cascade_told == "failure":  # a newer run, or the same one re-run, passed
                want = ["cascade_recovered"]
            if want and (status, cascade_run) in self.moments:
                want = []  # that run already had this moment told: its key is never sent again
            elif want:
                self.moments.add((status, cascade_run))
            self.cascade, self.cascade_told = tuple(finished), status
        assert told == want, (finished, told)
        return intents


def checked(fleet: Fleet, oracle: Oracle):
    """fleet.cycle, with the oracle's look after each cycle that finished (a cycle that lost the race raises)."""
    plain = fleet.cycle

    def cycle(*args, **kwargs):
        report = plain(*args, **kwargs)
        oracle.after_notify()
        return report

    return cycle


def rerun(fleet: Fleet, conclusion: str) -> None:
    """Re-run the branch's newest run (its failed jobs when it failed): one cycle while it runs, one after."""
    world = fleet.world
    runs = [r for r in world.runs_in("ROCm/pytorch", "rocm-build.yml", hi=world.now_ts + 1) if r.branch == "main"
            and world.attempt_status(r.latest) == "completed"]
    if not runs:
        return
    run = max(runs, key=lambda r: (r.created, r.id))
    failed = world.attempt_conclusion(run, run.latest) != "success"
    try:
        world.rerun(run.id, failed_only=failed, conclusion=conclusion)
    except Exception:  # the simulator refuses some re-runs (too many attempts, no failed jobs): GitHub would too
        return
    fleet.cycle()
    world.advance(dt.timedelta(hours=3))
    fleet.cycle()


def killed(fleet: Fleet, conclusion: str, oracle: Oracle) -> None:
    """A new run; the notify phase is killed after its first send, before recording the answer."""
    fleet.run(conclusion)
    fleet.sync_only()

    def kill(key, answer):
        raise Killed(key)

    try:  # nothing to tell (the branch stayed as it was): the phase ends normally
        with storage.opened(fleet.location) as (store, pulled):
            outbox.run(fleet.config, store, fleet.client(), fleet.world.now, f"killed-{uuid.uuid4().hex[:6]}",
                       before_send=lambda: storage.push_checkpoint(pulled, store), after_send=kill)
    except Killed:
        pass
    oracle.after_notify()


def race(fleet: Fleet, conclusion: str) -> None:
    """A new run and two cycles at once: the rival pushes first, the other loses the race and sends nothing."""
    fleet.run(conclusion)
    rival: dict = {}

    def run_rival_first(phase: str) -> None:
        if phase == "sync" and not rival:
            rival["report"] = fleet.cycle(site="rival-site")

    with pytest.raises(storage.StoreRaceLost):
        fleet.cycle(on_phase=run_rival_first)


def step(fleet: Fleet, kind: str, conclusion: str, oracle: Oracle) -> None:
    if kind == "run":
        fleet.run(conclusion)
        fleet.cycle()
    elif kind == "rerun":
        rerun(fleet, conclusion)
    elif kind == "cascade":
        _cascade(fleet, conclusion)
    elif kind == "killed":
        killed(fleet, conclusion, oracle)
    else:
        race(fleet, conclusion)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(steps=st.lists(STEPS, min_size=1, max_size=4))
@example(steps=[("run", "failure"), ("rerun", "failure"), ("cascade", "failure"), ("cascade", "success"),
                ("cascade", "failure"), ("killed", "success"), ("race", "failure")])
@example(steps=[("cascade", "success"), ("cascade", "failure"), ("rerun", "failure")])  # found by Hypothesis
def test_notifications_stay_exactly_once_under_random_histories(tmp_path_factory, s3, monkeypatch, steps):
    rules = FLEET.replace("cascade_failed, cascade_recovered]", "cascade_failed, cascade_recovered],"
                          " projects: [pytorch]")
    with WebhookSink() as sink:
        monkeypatch.setenv(WEBHOOK_ENV, sink.url)
        fleet = Fleet(tmp_path_factory.mktemp("fleet"), rules,
                      location=f"s3://{s3.bucket}/{uuid.uuid4().hex}/quartz.duckdb")
        try:
            fleet.run("success")
            oracle = Oracle(fleet)
            fleet.cycle = checked(fleet, oracle)
            fleet.cycle()
            for kind, conclusion in steps:
                step(fleet, kind, conclusion, oracle)
            intents = oracle.after_notify()
            bodies = [json.dumps(m, sort_keys=True) for m in sink.messages]
            assert len(set(bodies)) == len(bodies), "a message was sent twice"
            assert len(bodies) <= len(intents), "a message was sent without an intent of its own"
            with reader.read_only(fleet.location) as store:
                listed = notifications_doc(fleet.config, store, fleet.world.now)["notifications"]
            assert sorted(i["key"] for i in listed) == sorted(i["key"] for i in intents)
            assert Counter(m["text"] for m in sink.messages) <= Counter(i["title"] for i in listed), \
                "a message sent is not listed"
            assert Counter(i["status"] for i in listed)["sent"] <= len(bodies)
            assert all(i["status"] in ("sent", "unknown") for i in listed), listed
        finally:
            fleet.stop()
