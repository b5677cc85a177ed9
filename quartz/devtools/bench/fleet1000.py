"""The bench's `fleet_1000` section: 1,000 projects in steady state, on the same machine.

A small history per project (the point is the fleet's width, not its depth), bulk-loaded and pushed to
S3; one cycle primes the ETags, then a steady-state cycle with nothing new is measured: GitHub requests and
rate-limit points (counted by the simulator), seconds per phase, the store's bytes.
"""

from __future__ import annotations

import time
from pathlib import Path

from quartz.devtools.bench import bulk, fleet
from quartz.devtools.bench.fleet import Sizes
from quartz.github import prefetch

BUCKET = "quartz-bench"  # the bench's bucket (moto)

SIZES = Sizes(projects=1000, days=2, runs_per_day=3, jobs_per_run=3)
SECONDARY_POINTS_PER_MINUTE = 900  # GitHub's secondary limit; a GET is one point


def measure(workdir: Path, s3, spec, child, token: str, say) -> dict:
    """Steady-state figures for 1,000 projects. `spec` and `child` are the bench's own cycle runners."""
    from quartz.devtools.simulator import SimulatorServer
    from quartz.store import remote as storage
    from quartz.store.db import Store

    root = workdir / "fleet_1000"
    root.mkdir()
    config = fleet.load_config(SIZES)
    config_path = root / "cascades.yaml"
    config_path.write_text(fleet.fleet_yaml(SIZES), encoding="utf-8")
    say(f"bench: fleet_1000: {SIZES.projects} projects, {SIZES.runs:,} runs")
    world = fleet.build_world(SIZES, config)
    server = SimulatorServer(world, token=token, rate_limit=10**9, html_url=bulk.HTML).start()
    try:
        store_path = root / "quartz.duckdb"
        with Store.open(store_path) as store:
            bulk.load_history(config, store, world, world.now, SIZES.days + 1)
        location = f"s3://{BUCKET}/fleet_1000/quartz.duckdb"
        pulled = storage.PulledStore(location=location, local_path=store_path, s3=storage.parse_s3(location),
                                     etag=None)
        storage.push(pulled, client=s3.client)
        where = {"location": location, "target": f"s3://{BUCKET}/fleet_1000/site"}
        say("bench: fleet_1000: first cycle (primes the ETags)")
        t = time.perf_counter()
        first = child(spec(config_path, world, server, s3, root / "site-first", "cycle") | where,
                      s3)
        first_seconds = time.perf_counter() - t
        world.advance(fleet.STEADY_GAP)
        say("bench: fleet_1000: steady-state cycle")
        server.reset_counters()
        steady = child(spec(config_path, world, server, s3, root / "site-steady", "cycle") | where,
                       s3)
        requests, points = server.request_count(), server.points_used
    finally:
        server.stop()
    return {
        "projects": SIZES.projects, "runs": SIZES.runs, "jobs": SIZES.jobs,
        "first_cycle_seconds": first_seconds, "first_cycle_requests": first["requests"],
        "requests": requests, "points": points, "seconds": sum(steady["seconds"].values()),
        "phase_seconds": steady["seconds"], "sync_seconds": steady["seconds"].get("sync", 0.0),
        "store_bytes": s3.size("fleet_1000/quartz.duckdb"),  # the object in S3 (gzip)
        "store_file_bytes": steady["store_file_bytes"],
        "store_bytes_moved": steady["bytes_pulled"] + steady["bytes_pushed"] + steady["history_bytes_downloaded"],
        "listing": f"first pages prefetched by a pool of {prefetch.WORKERS} threads, at most "
                   f"{prefetch.POINTS_PER_MINUTE} started a minute (the bench's clock stands still: no waits)",
        "minutes_at_secondary_limit": requests / SECONDARY_POINTS_PER_MINUTE,
        "maxrss_bytes": steady["maxrss_bytes"],
    }

