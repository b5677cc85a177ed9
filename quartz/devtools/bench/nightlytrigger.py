"""The bench's `nightly_trigger` section: what a cascade that starts on a nightly's component costs a cycle.

A simulated rockrel nightly reports through `quartz ingest` while cycles (sync, advance) run every 10
minutes over HTTP against the simulator, from its start until its last report the next day. The trigger
reads the nightly from the store (the reports ingest wrote), so the GitHub requests it makes are counted
around its own step in each cycle (target: 0); its time per cycle and the delay from the Linux ROCm
build turning green to the cascade run starting are measured too.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from pathlib import Path

START = dt.datetime(2026, 11, 28, 0, 0, tzinfo=dt.UTC)
STEP = dt.timedelta(minutes=10)
TOKEN = "bench-nightly-token"
FLEET = """
settings: {schedule_interval: 10m, backfill_days: 1}
ingest: {allowed_repos: [ROCm/rockrel]}
projects:
  rocm: {repo: ROCm/rockrel, category: core, workflows: [multi_arch_release.yml]}
  ck: {repo: ROCm/composable_kernel, category: 1p_downstream, workflows: [therock-ci.yml]}
cascades:
  libs:
    trigger: {nightly: {platform: linux, pipeline: rocm, phase: build}}
    stages:
      ck: {workflow: therock-ci.yml, inputs: {rocm_version: "{{ nightly.rocm_version }}"}}
"""


def measure(workdir: Path, say, *, quick: bool = False) -> dict:
    from quartz import config as config_module
    from quartz.cascades import advance as dispatch
    from quartz.cascades import nightly_trigger
    from quartz.devtools import rockrel
    from quartz.devtools.simulator import JobSpec, SimulatorServer, World
    from quartz.github.client import GitHubClient
    from quartz.rocm import ingest
    from quartz.store.db import Store
    from quartz.sync.runs import sync

    say("bench: nightly_trigger: one simulated rockrel nightly reporting while cycles run")
    config = config_module.loads(FLEET)
    world = World(START - dt.timedelta(hours=1), seed=11)
    repo = world.add_repo("ROCm/rockrel")
    world.add_workflow(repo, rockrel.ORCHESTRATOR, jobs=[JobSpec("build", int(4.5 * 3600))])
    rockrel.add_child_workflows(world, repo)
    ck = world.add_repo("ROCm/composable_kernel")
    world.add_workflow(ck, "therock-ci.yml", run_name="CI ${{ inputs.quartz_correlation_id }}",
                       inputs={k: {"required": False} for k in ("rocm_version", "quartz_correlation_id")},
                       on=("push", "workflow_dispatch"), jobs=[JobSpec("test", 1200)])
    figures = {"step_minutes": (STEP * (3 if quick else 1)).total_seconds() / 60, "cycles": 0, "reports": 0,
               "trigger_requests": 0, "trigger_ms": []}
    with SimulatorServer(world, token=TOKEN) as server, Store.open(workdir / "nightly.duckdb") as store:
        client = GitHubClient(server.url, TOKEN, store=store, sleep=lambda s: None, write_interval_s=0)
        dispatch.advance(config, store, client, world.now)  # Quartz sees the cascade before the nightly
        world.advance_to(START)
        orch = world.create_run(repo, rockrel.ORCHESTRATOR, "main", event="schedule", conclusion="success",
                                created_at=START)
        nightly = rockrel.RockrelNightly(world, repo.full_name, orch, build_date="20261128", seed=11)
        step = STEP * (3 if quick else 1)  # --quick: a cycle every 30 minutes
        while not nightly.finished:
            world.advance(step)
            for payload in nightly.due(world.now):
                ingest.ingest(config, store, payload, fetch=False, now=world.now)
                figures["reports"] += 1
            sync(config, store, client, world.now)
            before, t0 = server.request_count(), time.perf_counter()
            nightly_trigger.start_triggered(config, store, world.now, server.url, dispatch.AdvanceReport())
            figures["trigger_ms"].append(1000 * (time.perf_counter() - t0))
            figures["trigger_requests"] += server.request_count() - before
            dispatch.advance(config, store, client, world.now)
            figures["cycles"] += 1
        started = store.query_one("cascades/nightly_started_at", cascade="libs")
    ms = figures.pop("trigger_ms")
    figures.update(ms_median=statistics.median(ms), ms_max=max(ms),
                   green_at=started["green_at"].isoformat(), started_at=started["fired_at"].isoformat(),
                   delay_minutes=(started["fired_at"] - started["green_at"]).total_seconds() / 60,
                   nightly_hours=(world.now - START).total_seconds() / 3600)
    return figures


def lines(f: dict) -> list[str]:
    return ["", f"Cascade on a nightly's component (`nightly_trigger`: a cycle every {f['step_minutes']:.0f} min over "
                f"one nightly, {f['reports']} reports ingested)", "| | |", "|---|---|",
            f"| GitHub requests the trigger adds, all {f['cycles']} cycles together (target 0) | "
            f"{f['trigger_requests']} {'✓' if f['trigger_requests'] == 0 else '✗'} |",
            f"| its time per cycle (reads the nightly from the store) | median {f['ms_median']:.0f} ms, "
            f"max {f['ms_max']:.0f} ms |",
            f"| Linux ROCm build green → cascade run started | {f['delay_minutes']:.0f} min "
            f"({f['green_at'][11:16]} → {f['started_at'][11:16]} UTC; the nightly's last report "
            f"{f['nightly_hours']:.0f} h after its start) |"]
