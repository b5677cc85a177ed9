"""Pings: a fleet run's last job asks for a cycle that syncs that run first (quartz/sync/ping.py).

Real parts: the simulator over HTTP, moto's S3 server, the cycle as the scheduled workflow runs it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quartz import config as config_module
from quartz.sync import ping as ping_module
from tests.test_cycle import FLEET, TOKEN, Fleet

CONFIG = config_module.loads(FLEET, "cascades.yaml")


@pytest.fixture
def fleet(s3, tmp_path):
    made = Fleet(s3, tmp_path)
    yield made
    made.server.stop()


def finish(fleet, run) -> None:
    """Move the simulated clock to a few seconds after the run completed."""
    fleet.world.advance(dt.timedelta(seconds=run.latest.completed - fleet.world.now_ts + 5))


def ping_cycle(fleet, payload, on_phase=None):
    ping = ping_module.parse(payload, fleet.config)
    return fleet.cycle(on_phase=on_phase) if ping is None else cycle_with(fleet, ping, on_phase)


def cycle_with(fleet, ping, on_phase):
    from quartz import cycle

    return cycle.run_cycle(fleet.config, fleet.location, fleet.client(), fleet.tmp / "site", fleet.target,
                           fleet.world.now, on_phase=on_phase, clock=lambda: fleet.world.now, ping=ping)


@pytest.mark.slow
def test_a_ping_syncs_its_run_and_dispatches_before_the_regular_sync(fleet):
    fleet.cycle()
    run = fleet.world.create_run("ROCm/rockrel", "multi_arch_release.yml", "main", event="schedule",
                                 conclusion="success")
    finish(fleet, run)
    seen = {}

    def at(phase):
        seen[phase] = len(fleet.dispatched_runs("ROCm/pytorch", "rocm-build.yml"))

    event = {"action": "quartz-ping", "client_payload": {"repo": "rocm/ROCKREL", "run_id": run.id}}
    report = ping_cycle(fleet, event, on_phase=at)
    assert report.status == "ok"
    assert seen["sync"] == 1, "the ping's cascade was dispatched before the regular sync began"
    assert report.advance.started == 1 and report.advance.dispatched == 1
    assert f"synced run {run.id} of ROCm/rockrel" in report.markdown()
    (signal, latency), = fleet.stored("SELECT signal, epoch(dispatched_at - signal_at) FROM cascade_stages "
                                      "WHERE stage = 'pytorch'")
    assert signal == f"the trigger run {run.id} completed" and 0 <= latency < 60
    fleet.run_until_done()
    assert len(fleet.dispatched_runs("ROCm/pytorch", "rocm-build.yml")) == 1  # exactly once


@pytest.mark.slow
def test_without_a_ping_the_dispatch_waits_for_the_whole_sync(fleet):
    fleet.cycle()
    run = fleet.world.create_run("ROCm/rockrel", "multi_arch_release.yml", "main", event="schedule",
                                 conclusion="success")
    finish(fleet, run)
    seen = {}
    fleet.cycle(on_phase=lambda phase: seen.setdefault(phase, len(
        fleet.dispatched_runs("ROCm/pytorch", "rocm-build.yml"))))
    assert seen["sync"] == 0 and seen["notify"] == 1


@pytest.mark.slow
def test_a_ping_for_a_run_still_ending_waits_for_it_with_free_conditional_polls(fleet):
    fleet.cycle()
    run = fleet.world.create_run("ROCm/rockrel", "multi_arch_release.yml", "main", event="schedule",
                                 conclusion="success")
    fleet.world.advance(dt.timedelta(seconds=run.latest.completed - fleet.world.now_ts - 12))  # its last job
    report = ping_cycle(fleet, {"repo": "ROCm/rockrel", "run_id": run.id})
    assert report.ping.run_completed and 10 <= report.ping.seconds_waited <= ping_module.COMPLETION_WAIT_S
    assert report.advance.dispatched == 1


@pytest.mark.slow
@pytest.mark.parametrize("payload, why", [
    ({"repo": "someone/else", "run_id": 5}, "is not a project in cascades.yaml"),
    ({"repo": "ROCm/rockrel", "run_id": "12; rm -rf /"}, "is not a positive integer"),
    ({"repo": "ROCm/rockrel", "run_id": 987654321}, "ping ignored: run 987654321 of ROCm/rockrel"),
    ({"repo": "ROCm/rockrel"}, "is not a positive integer"),
    (["ROCm/rockrel", 1], "not an object"),
])
def test_a_bad_ping_is_one_line_in_the_summary_and_the_cycle_goes_on(fleet, payload, why):
    fleet.cycle()
    fleet.nightly()
    report = ping_cycle(fleet, payload)
    assert report.status == "ok"
    assert why in report.ping.note and "\n" not in report.ping.note
    assert why in report.markdown()
    assert report.advance.dispatched == 1  # the regular sync and advance ran as always


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                   max_size=5), max_leaves=12),
       st.sampled_from(["repo", "run_id", "client_payload", "action"]))
def test_any_json_is_parsed_or_ignored_with_one_line_never_raises(value, key):
    for event in (value, {key: value}, {"client_payload": {"repo": value, "run_id": value}},
                  {"repo": "ROCm/rockrel", "run_id": value}):
        report = ping_module.parse(event, CONFIG)
        assert (report.ping is None) == bool(report.note)
        assert "\n" not in report.note and len(report.note) < 300
        if report.ping is not None:
            assert report.ping.repo == "ROCm/rockrel" and report.ping.run_id > 0


def test_an_event_file_too_big_or_not_json_is_ignored(tmp_path):
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"client_payload": {"repo": "ROCm/rockrel", "run_id": 1, "x": "a" * 300_000}}))
    assert "larger than" in ping_module.read(big, CONFIG).note
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff{not json")
    assert "could not be read" in ping_module.read(bad, CONFIG).note
    assert "could not be read" in ping_module.read(tmp_path / "missing.json", CONFIG).note
    good = tmp_path / "event.json"
    good.write_text(json.dumps({"action": "quartz-ping", "client_payload": {"repo": "ROCm/rockrel", "run_id": 7}}))
    assert ping_module.read(good, CONFIG).ping.run_id == 7
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"action": "deploy", "client_payload": {"repo": "ROCm/rockrel", "run_id": 7}}))
    assert "not quartz-ping" in ping_module.read(other, CONFIG).note


@pytest.mark.slow
def test_quartz_cycle_ping_option_with_a_bad_event_exits_0_and_says_why(fleet, tmp_path):
    config_path = tmp_path / "cascades.yaml"
    config_path.write_text(FLEET)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "quartz-ping", "client_payload": {"repo": "evil/<script>", "run_id": 1}}))
    env = {**os.environ, "GITHUB_API_URL": fleet.server.url, "GITHUB_TOKEN": TOKEN}
    result = subprocess.run(
        [sys.executable, "-m", "quartz", "cycle", "--config", str(config_path), "--store", fleet.location,
         "--out", str(tmp_path / "out"), "--target", fleet.target, "--ping", str(event)],
        capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "ping ignored: repo 'evil/<script>' is not owner/name" in result.stdout


def test_the_ping_action_sends_repository_dispatch_that_starts_the_quartz_cycle(tmp_path):
    """The composite action's script, run for real (bash, jq, curl) against the simulator."""
    import shutil
    from pathlib import Path

    import yaml

    from quartz.devtools import simworld
    from quartz.devtools.simulator import SimulatorServer

    if not (shutil.which("jq") and shutil.which("curl")):
        pytest.skip("jq and curl (on every GitHub-hosted runner) are not on this machine")
    action = yaml.safe_load((Path(__file__).resolve().parent.parent / ".github/actions/ping/action.yml").read_text())
    script = action["runs"]["steps"][0]["run"]
    assert all("${{" not in s.get("run", "") for s in action["runs"]["steps"]), "expressions only through env"
    world = simworld.build_world(CONFIG, dt.datetime(2026, 11, 20, tzinfo=dt.UTC), seed=3)
    world.add_repo("ROCm/quartz")
    world.add_workflow("ROCm/quartz", "quartz-cycle.yml", on=("schedule", "repository_dispatch"),
                       dispatch_types=("quartz-ping",),
                       run_name="ping ${{ github.event.client_payload.repo }} "
                                "${{ github.event.client_payload.run_id }}")
    server = SimulatorServer(world, token=TOKEN).start()
    try:
        env = {"PATH": os.environ["PATH"], "QUARTZ_REPO": "ROCm/quartz", "PING_TOKEN": TOKEN,
               "API_URL": server.url, "RUN_REPO": "ROCm/rockrel", "RUN_ID": "4242", "RUN_ATTEMPT": "1"}
        sent = subprocess.run(["bash", "-e", "-c", script], env=env, capture_output=True, text=True, timeout=60)
        assert sent.returncode == 0 and "Pinged ROCm/quartz: run 4242 of ROCm/rockrel" in sent.stdout
        world.advance(dt.timedelta(minutes=1))
        titles = [r.display_title for r in world.runs_in("ROCm/quartz", "quartz-cycle.yml")]
        assert titles == ["ping ROCm/rockrel 4242"]
        refused = subprocess.run(["bash", "-e", "-c", script], env={**env, "PING_TOKEN": "wrong"},
                                 capture_output=True, text=True, timeout=60)
        assert refused.returncode == 0 and "::warning::Quartz ping to ROCm/quartz not sent (401)" in refused.stdout
    finally:
        server.stop()


@pytest.mark.slow
def test_a_ping_for_a_workflow_quartz_does_not_watch_is_noted_and_stores_nothing(fleet):
    fleet.cycle()
    fleet.world.add_workflow("ROCm/rockrel", "lint.yml", jobs=1)
    run = fleet.world.create_run("ROCm/rockrel", "lint.yml", "main")
    finish(fleet, run)
    report = ping_cycle(fleet, {"repo": "ROCm/rockrel", "run_id": run.id})
    assert report.status == "ok" and "'lint.yml', a workflow cascades.yaml does not watch" in report.ping.note
    assert fleet.stored(f"SELECT count(*) FROM workflow_runs WHERE run_id = {run.id}") == [(0,)]


@pytest.mark.slow
def test_pings_that_github_folded_into_one_cycle_lose_no_run(fleet):
    """GitHub keeps one pending run per concurrency group: of two pings only the newer starts a cycle."""
    fleet.cycle()
    first = fleet.world.create_run("ROCm/rockrel", "multi_arch_release.yml", "main", event="schedule",
                                   conclusion="success")
    second = fleet.world.create_run("ROCm/rockrel", "multi_arch_release.yml", "main", event="schedule",
                                    conclusion="success")
    finish(fleet, max(first, second, key=lambda r: r.latest.completed))
    report = ping_cycle(fleet, {"repo": "ROCm/rockrel", "run_id": second.id})  # the first ping was replaced
    assert report.advance.started == 2 and report.advance.dispatched == 2
    triggers = {row[0] for row in fleet.stored("SELECT trigger_run_id FROM cascade_runs")}
    assert triggers == {first.id, second.id}


def test_the_two_advances_of_a_ping_cycle_add_up_culprit_probes_included():
    from quartz.cascades.advance import AdvanceReport
    from quartz.cascades.probes import ProbeReport
    from quartz.sync.ping import merge_advance

    first = AdvanceReport(dispatched=1, errors=["a"], probes=ProbeReport(dispatched=1, verdicts=["flaky"]))
    second = AdvanceReport(dispatched=2, errors=["c"], probes=ProbeReport(dispatched=2, errors=["b"]))
    merged = merge_advance(first, second)
    assert (merged.dispatched, merged.errors) == (3, ["a", "c"])  # in the order the advances ran
    assert (merged.probes.dispatched, merged.probes.verdicts, merged.probes.errors) == (3, ["flaky"], ["b"])
    only_first = merge_advance(AdvanceReport(probes=ProbeReport(dispatched=1)), AdvanceReport())
    assert only_first.probes.dispatched == 1
