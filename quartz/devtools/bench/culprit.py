"""Culprit probes in the bench (issue 28): what each verdict costs, on the planted-culprit world.

For each story (quartz/devtools/culprits.py): a night passes, the culprit is planted, the next night fails
at vLLM, then cycles (sync + advance, ten simulated minutes apart) run until the search has its verdict.
Counted from the cycle that saw the failure to the one that gave the verdict: cycles, probe dispatches,
GitHub requests and rate-limit points (by the simulator), and the wall time of those cycles.
"""

from __future__ import annotations

import time
from pathlib import Path

MAX_CYCLES = 80


def measure(workdir: Path, *, say=lambda _text: None) -> dict:
    out = {}
    for story in ("broken_by", "flaky", "needs_both"):
        say(f"bench: culprit probes, story {story}")
        out[story] = _story(story, workdir / f"culprit-{story}.duckdb")
    return out


def _story(story: str, store_path: Path) -> dict:
    from quartz import config as config_module
    from quartz.cascades.advance import advance
    from quartz.devtools import culprits
    from quartz.devtools.simulator import SimulatorServer
    from quartz.github.client import GitHubClient
    from quartz.store.db import Store
    from quartz.sync.runs import sync

    config = config_module.loads(culprits.FLEET)
    world = culprits.build_world()
    with SimulatorServer(world, token="bench-token") as server, Store.open(store_path) as store:
        client = GitHubClient(server.url, "bench-token", store=store, sleep=lambda s: None, write_interval_s=0)

        def cycle():
            sync(config, store, client, world.now)
            return advance(config, store, client, world.now)

        def night():
            """Cycles until the cascade run ends: the counts and clock before the last one (it saw the end)."""
            cycle()
            culprits.upstream_success(world)
            for _ in range(MAX_CYCLES):
                before = (*_counts(server), time.perf_counter())
                cycle()
                if _finished(store):
                    return before
                world.advance(culprits.STEP)
            return before

        night()
        world.advance(culprits.STEP * 72)
        culprits.plant(world, story, culprits.new_commits(world))
        requests0, points0, posts0, t0 = night()
        cycles = 1
        verdict = None
        while cycles < MAX_CYCLES:
            verdict = store.query_one("culprit/search_of_failed_stage", stage="vllm")
            if verdict and verdict["status"] != "searching":
                break
            world.advance(culprits.STEP)
            cycle()
            cycles += 1
        requests, points, posts = _counts(server)
        probes = store.query_one("culprit/probe_count")["probes"]
        return {"verdict_kind": verdict and verdict["verdict_kind"], "verdict": verdict and verdict["verdict"],
                "cycles_to_verdict": cycles, "probe_dispatches": probes,
                "dispatch_posts": posts - posts0, "requests": requests - requests0,
                "points": points - points0, "seconds": time.perf_counter() - t0}


def _finished(store) -> bool:
    row = store.query_one("culprit/newest_cascade_run")
    return row is not None and row["status"] != "running"


def _counts(server) -> tuple[int, int, int]:
    return server.request_count(), server.points_used, server.request_count(method="POST", path=r"/dispatches$")


def lines(figures: dict) -> list[str]:
    out = ["", "Culprit probes (planted culprits; from the cycle that saw vLLM fail to the verdict)",
           "| story | verdict | cycles to verdict | probe dispatches | GitHub requests (points) |",
           "|---|---|---|---|---|"]
    for story, f in figures.items():
        out.append(f"| {story} | {f['verdict_kind']} | {f['cycles_to_verdict']} | {f['probe_dispatches']} | "
                   f"{f['requests']:,} ({f['points']:,}) |")
    return out
