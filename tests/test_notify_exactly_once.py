"""Exactly once across cycles: two cycles at once on an S3 store (moto) send once; many changes, one digest."""

from __future__ import annotations

import tempfile

import pytest

from quartz.store import remote as storage
from quartz.store.db import Store
from tests.helpers.notify import FLEET, Fleet


def _stored_intents(location: str) -> list[dict]:
    with tempfile.TemporaryDirectory() as scratch:
        pulled = storage.pull(location, scratch)
        with Store.open(pulled.local_path) as store:
            return store.query("notify/intents_recent", limit=100)


def test_two_cycles_at_once_send_once(s3, tmp_path, receiver):
    fleet = Fleet(tmp_path, location=f"s3://{s3.bucket}/state/quartz.duckdb")
    try:
        fleet.run("success")
        fleet.cycle()
        fleet.run("failure")
        rival: dict = {}

        def run_rival_first(phase: str) -> None:
            if phase == "sync" and not rival:
                rival["report"] = fleet.cycle(site="rival-site")

        with pytest.raises(storage.StoreRaceLost):
            fleet.cycle(on_phase=run_rival_first)
        assert rival["report"].notify.sent == 1
        assert len(receiver.messages) == 1  # the loser's push before its POST failed: it sent nothing
        fleet.cycle()
        assert len(receiver.messages) == 1
        assert [(i["event"], i["status"]) for i in _stored_intents(fleet.location)] == [("branch_red", "sent")]
    finally:
        fleet.stop()


def test_the_intent_is_in_s3_before_the_post(s3, tmp_path, receiver):
    fleet = Fleet(tmp_path, location=f"s3://{s3.bucket}/state/quartz.duckdb")
    seen_in_s3: list = []

    def look_in_s3():
        seen_in_s3.extend(i["status"] for i in _stored_intents(fleet.location))

    receiver_post = receiver.server.RequestHandlerClass.do_POST

    def post_and_look(handler):
        look_in_s3()
        receiver_post(handler)

    receiver.server.RequestHandlerClass.do_POST = post_and_look
    try:
        fleet.run("success")
        fleet.cycle()
        fleet.run("failure")
        fleet.cycle()
        assert seen_in_s3 == ["pending"] and len(receiver.messages) == 1
    finally:
        fleet.stop()


def test_more_than_five_changes_for_one_channel_make_one_digest(tmp_path, receiver):
    branches = "branches: [main, b1, b2, b3, b4, b5, b6]"
    text = FLEET.replace("workflows: [rocm-build.yml]}", f"workflows: [rocm-build.yml], {branches}}}")
    fleet = Fleet(tmp_path, text)
    try:
        fleet.cycle()
        for branch in ("main", "b1", "b2", "b3", "b4", "b5", "b6"):
            fleet.run("failure", branch=branch)
        report = fleet.cycle()
        assert report.notify.claimed == 7 and report.notify.digests == 1
        assert len(receiver.messages) == 1 and receiver.texts() == ["Quartz: 7 changes"]
        intents = fleet.intents()
        assert len(intents) == 7 and {i["status"] for i in intents} == {"sent"}
        assert len({i["batch"] for i in intents}) == 1
    finally:
        fleet.stop()
