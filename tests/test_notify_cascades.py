"""Cascade events end to end: a dispatch whose run never appears is stuck, then times out, and the cascade
fails — three messages, each once."""

from __future__ import annotations

import datetime as dt

from tests.helpers.notify import FLEET, Fleet

TEXT = FLEET.replace(
    "    - {events: [branch_red, branch_green, cascade_failed, cascade_recovered], channels: [team]}",
    "    - {events: [cascade_failed, cascade_recovered, stage_timed_out, stage_stuck], channels: [team],"
    " stuck_after: 20m}")


def test_a_stage_stuck_then_timed_out_and_its_cascade_failed_are_told_once_each(tmp_path, receiver):
    fleet = Fleet(tmp_path, TEXT)
    try:
        fleet.cycle()
        fleet.server.faults.drop_dispatch()  # GitHub accepts the dispatch and starts nothing
        fleet.world.create_run("ROCm/rockrel", "multi_arch_release.yml", "main", event="schedule",
                               conclusion="success")
        fleet.world.advance(dt.timedelta(hours=5))
        report = fleet.cycle()
        assert report.advance.dispatched == 1 and receiver.messages == []
        fleet.world.advance(dt.timedelta(minutes=25))
        fleet.cycle()
        assert len(receiver.messages) == 1 and "has been dispatched for" in receiver.texts()[0]
        fleet.world.advance(dt.timedelta(minutes=20))
        fleet.cycle()
        fleet.cycle()
        texts = receiver.texts()
        assert len(texts) == 3, texts
        assert any("timed out" in t for t in texts) and any("Cascade nightly failed" in t for t in texts)
        assert sorted(i["event"] for i in fleet.intents()) == ["cascade_failed", "stage_stuck", "stage_timed_out"]
    finally:
        fleet.stop()
