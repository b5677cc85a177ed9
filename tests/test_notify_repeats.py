"""Exactly once when runs are re-run and states repeat: a re-run in progress changes nothing, a second failure
is a new message with its answer recorded and listed."""

from __future__ import annotations

import datetime as dt

import pytest

from quartz.store import reader
from quartz.store.db import Store
from tests.helpers.notify import FLEET, Fleet

CASCADE_RULES = FLEET.replace("branch_red, branch_green, cascade_failed", "cascade_failed")


@pytest.fixture
def fleet(tmp_path):
    made = Fleet(tmp_path)
    yield made
    made.stop()


def test_a_red_run_re_run_keeps_the_branch_red_until_the_re_run_ends(fleet, receiver):
    fleet.run("success")
    fleet.cycle()
    red = fleet.run("failure")
    fleet.cycle()
    assert receiver.texts() == [t for t in receiver.texts() if "is red" in t] and len(receiver.messages) == 1
    fleet.world.rerun(red, failed_only=True, conclusion="failure")  # "Re-run failed jobs"
    fleet.cycle()  # the re-run is queued: the branch is as its last completed attempt left it
    fleet.world.advance(dt.timedelta(minutes=20))
    fleet.cycle()
    assert len(receiver.messages) == 1, receiver.texts()
    fleet.world.advance(dt.timedelta(hours=3))
    fleet.cycle()  # the re-run failed too: still red, nothing new
    assert len(receiver.messages) == 1, receiver.texts()
    fleet.world.rerun(red, failed_only=True, conclusion="success")
    fleet.cycle()
    assert len(receiver.messages) == 1, receiver.texts()
    fleet.world.advance(dt.timedelta(hours=3))
    fleet.cycle()  # the third attempt passed: green, told once, keyed by that attempt
    assert len(receiver.messages) == 2 and "green again" in receiver.texts()[1]
    green = next(i for i in fleet.intents() if i["event"] == "branch_green")
    assert green["transition"] == f"green@{red}.3"


def _cascade(fleet: Fleet, conclusion: str) -> str:
    """One nightly cascade whose pytorch stage ends with `conclusion`; its cascade run id. Each cycle comes
    as soon as the run it waits for has completed (the trigger, then the stage's run)."""
    world = fleet.world
    known = {r[0] for r in _cascade_runs(fleet)}
    world.push("ROCm/rockrel", "main", message=f"a ROCm that ends in {conclusion}")  # a new version
    waiting = world.create_run("ROCm/rockrel", "multi_arch_release.yml", "main", event="schedule",
                               conclusion="success")
    for _ in range(6):
        world.advance(dt.timedelta(seconds=max(60, waiting.latest.completed - world.now_ts + 60)))
        fleet.cycle()
        for cascade_run, status, run_id in _cascade_runs(fleet):
            if cascade_run in known:
                continue
            if status != "running":
                return cascade_run
            if run_id:
                waiting = world.get_run(run_id)
                if world.attempt_status(waiting.latest) != "completed" and waiting.latest.forced != conclusion:
                    world.force_outcome(waiting.id, conclusion)
    raise AssertionError("the cascade did not finish")


def _cascade_runs(fleet: Fleet) -> list[tuple]:
    with reader.read_only(fleet.location) as store:
        return store.db.execute(
            "SELECT c.cascade_run_id, c.status, s.run_id FROM cascade_runs c LEFT JOIN cascade_stages s "
            "ON s.cascade_run_id = c.cascade_run_id AND s.stage = 'pytorch'").fetchall()


def test_a_cascade_failing_a_second_time_is_a_new_message_recorded_and_listed(tmp_path, receiver):
    fleet = Fleet(tmp_path, CASCADE_RULES)
    try:
        fleet.cycle()
        first = _cascade(fleet, "failure")
        _cascade(fleet, "success")
        receiver.mode = "fail"  # the second failure's POST is answered 500: it may have arrived
        second = _cascade(fleet, "failure")
        fleet.cycle()
        assert len(receiver.messages) == 3, receiver.texts()
        intents = sorted(fleet.intents(), key=lambda i: i["created_at"])
        assert [(i["event"], i["status"]) for i in intents] == [
            ("cascade_failed", "sent"), ("cascade_recovered", "sent"), ("cascade_failed", "unknown")]
        assert first in intents[0]["key"] and second in intents[2]["key"]
        data = fleet.cycle(render=True)
        assert data.notify.claimed == 0
        listed = (fleet.tmp / "site" / "api/v1/notifications.json").read_text()
        assert listed.count('"cascade_failed"') == 2
    finally:
        fleet.stop()


def test_a_key_that_exists_is_never_sent_again_whatever_its_state(fleet, receiver):
    fleet.run("success")
    fleet.cycle()
    receiver.mode = "refuse"
    fleet.run("failure")
    fleet.cycle()
    [intent] = fleet.intents()
    assert intent["status"] == "failed" and len(receiver.messages) == 1
    with Store.open(fleet.location) as store:  # a told state that lags its intents (an older Quartz wrote it)
        store.db.execute("UPDATE notify_state SET state = 'green'")
    receiver.mode = "ok"
    report = fleet.cycle()
    assert (report.notify.claimed, report.notify.replayed) == (0, 1)
    assert len(receiver.messages) == 1 and [i["status"] for i in fleet.intents()] == ["failed"]
    assert fleet.cycle().notify.replayed == 0  # the told state moved on with it
