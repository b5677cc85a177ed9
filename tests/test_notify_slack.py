"""Slack notifications end to end: the simulator over HTTP, cycles on a store on disk, a real webhook receiver."""

from __future__ import annotations

import pytest

from quartz.notify import outbox
from quartz.store.db import Store
from tests.helpers.notify import Fleet


@pytest.fixture
def fleet(tmp_path):
    made = Fleet(tmp_path)
    yield made
    made.stop()


def test_a_branch_turns_red_then_green_one_message_each(fleet, receiver):
    fleet.run("success")
    fleet.cycle()
    assert receiver.messages == []  # green from the start: nothing changed
    fleet.run("failure")
    fleet.cycle()
    fleet.cycle()  # nothing new: nothing sent again
    assert len(receiver.messages) == 1 and "is red" in receiver.texts()[0]
    fleet.run("success")
    fleet.cycle()
    assert len(receiver.messages) == 2 and "green again" in receiver.texts()[1]
    statuses = sorted((i["event"], i["status"]) for i in fleet.intents())
    assert statuses == [("branch_green", "sent"), ("branch_red", "sent")]


def test_flapping_between_two_cycles_gives_one_message(fleet, receiver):
    fleet.run("success")
    fleet.cycle()
    fleet.run("failure")
    fleet.run("success")
    fleet.run("failure")
    fleet.cycle()
    assert len(receiver.messages) == 1  # red, green, red: the state at the end is red, told once
    fleet.run("success")
    fleet.run("failure")
    fleet.run("success")
    fleet.cycle()
    assert len(receiver.messages) == 2 and "green again" in receiver.texts()[1]


def test_after_failures_waits_for_n_failed_runs_in_a_row(tmp_path, receiver):
    text = Fleet.__init__.__defaults__[0].replace("channels: [team]}", "channels: [team], after_failures: 2}")
    fleet = Fleet(tmp_path, text)
    try:
        fleet.run("success")
        fleet.cycle()
        fleet.run("failure")
        fleet.cycle()
        assert receiver.messages == []
        fleet.run("failure")
        fleet.cycle()
        assert len(receiver.messages) == 1 and "2 times in a row" in receiver.texts()[0]
    finally:
        fleet.stop()


def test_a_receiver_answering_500_leaves_unknown_never_resent(fleet, receiver):
    fleet.run("success")
    fleet.cycle()
    receiver.mode = "fail"
    fleet.run("failure")
    fleet.cycle()
    receiver.mode = "ok"
    fleet.cycle()
    assert len(receiver.messages) == 1
    [intent] = fleet.intents()
    assert (intent["status"], intent["response_status"]) == ("unknown", 500)


def test_a_receiver_answering_400_is_failed(fleet, receiver):
    fleet.run("success")
    fleet.cycle()
    receiver.mode = "refuse"
    fleet.run("failure")
    fleet.cycle()
    [intent] = fleet.intents()
    assert (intent["status"], intent["response_status"]) == ("failed", 400)
    assert "invalid_payload" in intent["error"]


def test_a_receiver_that_hangs_is_unknown_after_the_timeout(fleet, receiver):
    fleet.run("success")
    fleet.cycle()
    receiver.mode = "hang"
    fleet.run("failure")
    fleet.sync_only()
    with Store.open(fleet.location) as store:  # the notify phase alone, with a short timeout
        report = outbox.run(fleet.config, store, fleet.client(), fleet.world.now, "c-hang", timeout=0.5)
    receiver.release.set()
    assert report.unknown == 1 and len(receiver.messages) == 1
    [intent] = fleet.intents()
    assert intent["status"] == "unknown" and "Timeout" in intent["error"]
    fleet.cycle()
    assert len(receiver.messages) == 1


class Killed(BaseException):
    """Stands in for SIGKILL between the POST and recording its answer."""


def test_a_cycle_killed_after_sending_never_sends_again(fleet, receiver):
    fleet.run("success")
    fleet.cycle()
    fleet.run("failure")
    fleet.sync_only()

    def kill(key, answer):
        raise Killed(key)

    with Store.open(fleet.location) as store, pytest.raises(Killed):
        outbox.run(fleet.config, store, fleet.client(), fleet.world.now, "c-killed", after_send=kill)
    assert len(receiver.messages) == 1
    [intent] = fleet.intents()
    assert intent["status"] == "pending"
    report = fleet.cycle()
    assert report.notify.orphaned == 1 and len(receiver.messages) == 1
    fleet.cycle()
    assert len(receiver.messages) == 1
    [intent] = fleet.intents()
    assert intent["status"] == "unknown" and "may have been sent" in intent["error"]


def test_quartz_notify_command_sends_once(fleet, receiver, capsys, monkeypatch):
    from quartz import cli
    from tests.helpers.notify import TOKEN

    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    fleet.run("success")
    fleet.cycle()
    fleet.run("failure")
    fleet.sync_only()
    args = ["notify", "--config", str(fleet.tmp / "cascades.yaml"), "--store", fleet.location,
            "--github-url", fleet.server.url]
    # The command's clock is the real one: look back far enough to see the simulated runs.
    (fleet.tmp / "cascades.yaml").write_text(fleet.config.source.replace("backfill_days: 3", "backfill_days: 400"))
    assert cli.main(args) == 0
    assert cli.main(args) == 0
    assert len(receiver.messages) == 1
    assert "1 new, 1 sent" in capsys.readouterr().out
