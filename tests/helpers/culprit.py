"""A fleet whose nightly probes culprits: ROCm → PyTorch → vLLM, vLLM reading both upstreams."""

from __future__ import annotations

from datetime import timedelta

from quartz import config as config_module
from quartz.devtools.culprits import FLEET, build_world
from quartz.devtools.simulator import SimulatorServer
from tests.helpers.cascades import STEP, TOKEN, Fleet

__all__ = ["FLEET", "build_world", "start", "night", "until_verdict", "search", "probes", "next_day"]

def start(tmp_path) -> Fleet:
    world = build_world()
    server = SimulatorServer(world, token=TOKEN).start()
    fleet = Fleet(world, server, str(tmp_path / "quartz.duckdb"), config=config_module.loads(FLEET))
    fleet.open()
    fleet.cycle()
    return fleet


def night(fleet: Fleet, max_cycles: int = 40) -> str:
    """A ROCm nightly that passes, and its cascade run to the end: its id."""
    fleet.upstream_success()
    fleet.cycle()
    cid = fleet.cascade_runs()[-1]["cascade_run_id"]
    fleet.run_until_done(cid, max_cycles)
    return cid


def until_verdict(fleet: Fleet, cid: str, stage: str = "vllm", max_cycles: int = 60) -> tuple[dict | None, int]:
    """Cycles until the culprit search of (cid, stage) ends: (its row, cycles taken)."""
    for n in range(1, max_cycles + 1):
        row = search(fleet, cid, stage)
        if row is not None and row["status"] != "searching":
            return row, n - 1
        fleet.world.advance(STEP)
        fleet.cycle()
    return search(fleet, cid, stage), max_cycles


def search(fleet: Fleet, cid: str, stage: str = "vllm") -> dict | None:
    rows = [r for r in fleet.store.query("culprit/searches_of", ids=[cid]) if r["stage"] == stage]
    return rows[0] if rows else None


def probes(fleet: Fleet, cid: str) -> list[dict]:
    return fleet.store.query("culprit/probes_of", ids=[cid])


def next_day(fleet: Fleet) -> None:
    fleet.world.advance(timedelta(hours=12))
