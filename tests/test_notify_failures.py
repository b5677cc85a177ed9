"""Notifications that carry the "why": a new failure group is told once, and a red branch names its failure line."""

from __future__ import annotations

import json

import pytest

from tests.helpers.notify import FLEET, Fleet

RULES = "    - {events: [branch_red, branch_green, cascade_failed, cascade_recovered], channels: [team]}\n"


@pytest.fixture
def fleet(tmp_path):
    text = FLEET.replace(RULES, "    - {events: [branch_red, failure_group_new], channels: [team]}\n")
    assert text != FLEET
    made = Fleet(tmp_path, text)
    yield made
    made.stop()


def test_a_new_failure_group_is_told_once_and_the_red_branch_names_its_line(fleet, receiver):
    fleet.run("success")
    fleet.cycle()
    assert receiver.messages == []
    fleet.run("failure")
    fleet.cycle()
    messages = [json.dumps(m) for m in receiver.messages]
    assert len(messages) == 2, messages
    red = next(m for m in messages if "is red" in m)
    new = next(m for m in messages if "New failure" in m)
    assert "Failure: " in red and "HIP error: invalid device function" in red  # the job and its failure line
    assert "seen in 1 project" in new
    fleet.run("failure")  # the same failure again (the simulator may fail another job too)
    fleet.cycle()
    told = len(receiver.messages)
    fleet.cycle()  # nothing new: nothing told
    assert len(receiver.messages) == told
    hip = [m for m in receiver.texts() if m.startswith("New failure") and "invalid device function" in m]
    assert len(hip) == 1  # one group, told once, however many jobs it failed
    assert sum("is red" in t for t in receiver.texts()) == 1  # still red: not news
