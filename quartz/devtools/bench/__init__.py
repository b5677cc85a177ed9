"""`quartz bench`: measured figures for sync, cycles, render and the store at fleet scale.

    quartz bench [--projects 20] [--days 365] [--runs-per-day 30] [--jobs-per-run 25] [--quick] [--json FILE]

What it does, all on this machine (the simulator over HTTP, moto's S3 server, DuckDB files):

1. builds a synthetic fleet (fleet.py) with its whole history in the simulator;
2. backfill: a real `sync` over HTTP into a scratch store, on every project or,
   when the history is large, on a sample of whole projects (extrapolated per
   completed run, and labelled so); the naive PyGithub baseline (baseline.py)
   reads the same sample;
3. writes the full history straight into the store (bulk.py, the rows sync
   writes) and puts it in S3;
4. runs real cycles (pull → sync → advance → push → render → publish),
   each in a process of its own so its peak memory is its own, each rendering
   into an empty site directory as the scheduled workflow does (from the second
   on, the render starts from the published render manifest): the first after
   the bulk load (no ETags cached yet), steady-state ones with nothing new
   (three, ten minutes apart: the median one is reported, all three listed),
   and one after a new run in every project (one of them starts a cascade); the
   baseline polls the same world before the first steady one and the last. Then an
   incremental render: the store after the new runs, rendered over the
   first cycle's (complete) site;
5. culprit probes on a small world with planted culprits (culprit.py): per verdict, the cycles, probe
   dispatches and GitHub requests from the failure to the verdict;
6. prints the figures beside the goals, and writes them as JSON with --json.

Requests and rate-limit points are counted by the simulator (what GitHub would
see). Times depend on the machine; counts and ratios do not. Everything lives
in a temporary directory: --config and --store are not used.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from quartz.devtools.bench import (
    baseline,
    bulk,
    classifier,
    culprit,
    fleet,
    fleet1000,
    nightlies,
    nightlytrigger,
    report,
    signal,
    testreports,
)
from quartz.devtools.bench.fleet import STEADY_GAP, Sizes
from quartz.errors import BadInput, QuartzError

TOKEN = "bench-token"  # the simulator's own; never a real credential
BUCKET = "quartz-bench"
SAMPLE_RUNS = 12_000  # backfill over HTTP is measured on about this many runs at most
STEADY_SAMPLES = 3  # quiet cycles measured; the median one is reported
NEW_RUN_WAIT = dt.timedelta(hours=1)  # long enough for a new run to complete


def sample_projects(sizes: Sizes) -> list[str]:
    """Whole projects whose history is backfilled over HTTP: all of them when small enough."""
    names = fleet.project_names(sizes)
    count = max(1, min(len(names), SAMPLE_RUNS // max(sizes.runs_per_project, 1)))
    return names[:count]


def run_bench(sizes: Sizes, workdir: Path, *, say=lambda _text: None, fleet_1000: bool = False) -> dict:
    """Every figure of the benchmark, as a JSON-ready dict."""
    from moto.server import ThreadedMotoServer

    from quartz.devtools.simulator import SimulatorServer

    sizes.check()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request otherwise
    t0 = time.perf_counter()
    config = fleet.load_config(sizes)
    config_path = workdir / "cascades.yaml"
    config_path.write_text(fleet.fleet_yaml(sizes), encoding="utf-8")
    say(f"bench: building {sizes.projects} projects × {sizes.days} days × {sizes.runs_per_day} runs/day "
        f"× {sizes.jobs_per_run} jobs in the simulator")
    world = fleet.build_world(sizes, config)
    # The simulator and moto answer the cycles from this process: with millions of the world's objects in
    # view, a full collection triggered by their replies paused them for a second or more at random, and
    # the measured cycle paid for it. The world is built and stays: the collector need not look at it again.
    gc.freeze()
    figures: dict = {"sizes": asdict(sizes), "runs": sizes.runs, "jobs": sizes.jobs,
                     "seconds": {"build_world": time.perf_counter() - t0}}
    _compile_quartz()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        s3 = _S3(f"http://{host}:{port}", workdir / "history-cache")
        server = SimulatorServer(world, token=TOKEN, rate_limit=10**9, html_url=bulk.HTML).start()
        try:
            figures["backfill"] = _backfill(config, sizes, world, server, workdir, say)
            store_path = workdir / "quartz.duckdb"
            figures["bulk"] = _bulk(config, sizes, world, store_path, s3, say)
            figures["cycles"] = _cycles(config, config_path, world, server, s3, workdir, say)
            figures["test_reports"] = testreports.measure(workdir, quick=sizes == Sizes.quick(), say=say)
            figures["nightlies"] = nightlies.measure(workdir, say=say)  # 30 ROCm nightlies × 29 family rows
            figures["time_to_signal"] = signal.measure(workdir, s3.endpoint, say=say)
            figures["classifier"] = classifier.measure(quick=sizes == Sizes.quick(), say=say)
            figures["nightly_trigger"] = nightlytrigger.measure(workdir, say, quick=sizes == Sizes.quick())
        finally:
            server.stop()
        figures["culprit"] = culprit.measure(workdir, say=say)
        if fleet_1000:  # after the main fleet's simulator stopped
            figures["fleet_1000"] = fleet1000.measure(workdir, s3, _spec, _child, TOKEN, say)
    finally:
        moto.stop()
    figures["bench_process_maxrss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    figures["seconds"]["total"] = time.perf_counter() - t0
    figures["goals"] = report.goals(figures)
    return figures


def _compile_quartz() -> None:
    """Quartz's bytecode, as `pip install .` leaves it in the scheduled workflow. Without it (an editable
    install under PYTHONDONTWRITEBYTECODE) every measured cycle compiles its modules again, ~0.1 s of it
    inside the timed phases. Where the package cannot be written to, cycles simply compile as before."""
    import compileall

    import quartz

    compileall.compile_dir(Path(quartz.__file__).parent, quiet=2)


# ---------------------------------------------------------------- the steps


def _backfill(config, sizes: Sizes, world, server, workdir: Path, say) -> dict:
    from quartz.github.client import GitHubClient
    from quartz.store.db import Store
    from quartz.sync import runs as sync

    sample = sample_projects(sizes)
    say(f"bench: backfill over HTTP of {len(sample)} of {sizes.projects} projects")
    client = GitHubClient(server.url, TOKEN, sleep=lambda _s: None, clock=lambda: world.now_ts)
    server.reset_counters()
    t = time.perf_counter()
    with Store.open(workdir / "backfill.duckdb") as store:
        result = sync.sync(config, store, client, world.now, projects=sample)
        runs = store.query_one("bench/completed_runs")["runs"]
    if not result.ok:
        raise QuartzError(f"bench: the backfill over HTTP failed: {result.failures or result.stopped}")
    ours = {"requests": server.request_count(), "points": server.points_used, "runs": runs,
            "seconds": time.perf_counter() - t, "ok": result.ok,
            "log_requests": result.log_requests, "failure_lines": result.failure_lines}
    say(f"bench: naive backfill of the same {len(sample)} projects")
    server.reset_counters()
    t = time.perf_counter()
    naive_runs = baseline.backfill(config, server.url, TOKEN, world.now, sizes.days + 1, sample)
    naive = {"requests": server.request_count(), "points": server.points_used, "runs": naive_runs,
             "seconds": time.perf_counter() - t}
    return {"projects_measured": len(sample), "projects": sizes.projects, "quartz": ours, "naive": naive,
            "extrapolated": len(sample) < sizes.projects}


def _bulk(config, sizes: Sizes, world, store_path: Path, s3: _S3, say) -> dict:
    from quartz.store import remote as storage
    from quartz.store.db import Store
    from quartz.store.history.run import archive_pulled

    say(f"bench: writing {sizes.runs:,} runs and {sizes.jobs:,} jobs straight into the store")
    t = time.perf_counter()
    with Store.open(store_path) as store:
        loaded = bulk.load_history(config, store, world, world.now, sizes.days + 1)
    seconds = time.perf_counter() - t
    pulled = storage.PulledStore(location=s3.store, local_path=store_path, s3=storage.parse_s3(s3.store), etag=None)
    full_bytes = store_path.stat().st_size
    say(f"bench: migrating the store to hot/cold (history older than {config.settings.hot_days} days to Parquet)")
    t = time.perf_counter()
    migrated = archive_pulled(pulled, world.now, config.settings.hot_days, migrate=True, client=s3.client,
                              cache_dir=s3.cache.parent / "migration-cache")
    migration = {"seconds": time.perf_counter() - t, "runs_moved": migrated.report.runs,
                 "files": migrated.report.files, "history_bytes": migrated.report.bytes,
                 "store_bytes_after": store_path.stat().st_size}
    storage.push(pulled, client=s3.client)
    return {"runs": loaded.runs, "jobs": loaded.jobs, "seconds": seconds, "store_bytes": full_bytes,
            "migration": migration}


def _cycles(config, config_path: Path, world, server, s3: _S3, workdir: Path, say) -> dict:
    """Each cycle renders into an empty site directory, as the scheduled workflow does (it keeps no site/)."""
    cycles = {}
    say("bench: first cycle after the bulk load")
    cycles["first"] = _cycle(config_path, world, server, s3, workdir / "site-first")
    samples = []
    for n in range(STEADY_SAMPLES):
        world.advance(STEADY_GAP)
        say(f"bench: steady-state cycle, nothing new ({n + 1} of {STEADY_SAMPLES})")
        samples.append(_cycle(config_path, world, server, s3, workdir / f"site-steady-{n}",
                              naive_of=config if n == 0 else None))
    # A shared 2-core machine can slow one cycle by half: the median one speaks for the steady state.
    by_time = sorted(samples, key=report.cycle_seconds)
    cycles["steady"] = {**by_time[len(by_time) // 2], "naive": samples[0]["naive"],
                        "samples_seconds": [report.cycle_seconds(c) for c in samples],
                        "samples_phase_seconds": [c["seconds"] for c in samples]}
    world.advance(STEADY_GAP)
    fleet.add_new_runs(world, config)
    world.advance(NEW_RUN_WAIT)
    say("bench: cycle after one new run in every project")
    cycles["new_run"] = _cycle(config_path, world, server, s3, workdir / "site-new", naive_of=config)
    # Later cycles start from the published render manifest and write only what changed,
    # so the first cycle's directory is the one complete site on disk.
    full_site = workdir / "site-first"
    say("bench: incremental render after one new run per project (over the first cycle's full site)")
    cycles["incremental_render"] = _child(_spec(config_path, world, server, s3, full_site, "render"), s3)
    cycles["store_bytes"] = s3.size(s3.store_key)  # the object: the file gzip-compressed
    cycles["store_file_bytes"] = cycles["new_run"]["store_file_bytes"]
    cycles["site_bytes"] = sum(p.stat().st_size for p in full_site.rglob("*") if p.is_file())
    cycles["site_files"] = sum(1 for p in full_site.rglob("*") if p.is_file())
    index = full_site / "index.html"
    cycles["index_bytes"] = index.stat().st_size if index.exists() else 0
    return cycles


def _cycle(config_path: Path, world, server, s3: _S3, site_dir: Path, naive_of=None) -> dict:
    naive = None
    if naive_of is not None:  # the baseline polls the same world first (it only reads)
        server.reset_counters()
        t = time.perf_counter()
        read = baseline.cycle(naive_of, server.url, TOKEN, world.now)
        naive = {"requests": server.request_count(), "points": server.points_used, "runs_read": read,
                 "seconds": time.perf_counter() - t}
    server.reset_counters()
    t = time.perf_counter()
    figures = _child(_spec(config_path, world, server, s3, site_dir, "cycle"), s3)
    figures["wall_seconds"] = time.perf_counter() - t
    figures["github_requests"] = server.request_count()
    figures["github_points"] = server.points_used
    figures["naive"] = naive
    return figures


def _spec(config_path: Path, world, server, s3: _S3, site_dir: Path, mode: str) -> dict:
    return {"mode": mode, "config": str(config_path), "location": s3.store, "site_dir": str(site_dir),
            "target": s3.site, "now": world.now.isoformat(), "github_url": server.url, "token": TOKEN}


def _child(spec: dict, s3: _S3) -> dict:
    done = subprocess.run([sys.executable, "-m", "quartz.devtools.bench.child", json.dumps(spec)], env=s3.env(),
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise QuartzError(f"bench: the {spec['mode']} child failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class _S3:
    """moto's server: the store's and the site's home, reached the way the scheduled workflow reaches S3."""

    def __init__(self, endpoint: str, cache: Path):
        import boto3

        self.endpoint = endpoint
        self.cache = cache  # the runner's history cache, kept between cycles (actions/cache in production)
        self.store_key = "state/quartz.duckdb"
        self.store = f"s3://{BUCKET}/{self.store_key}"
        self.site = f"s3://{BUCKET}/site"
        self.client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="bench",
                                   aws_secret_access_key="bench", region_name="us-east-1")
        self.client.create_bucket(Bucket=BUCKET)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "GITHUB_STEP_SUMMARY")}
        env.update(AWS_ENDPOINT_URL_S3=self.endpoint, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                   AWS_DEFAULT_REGION="us-east-1", QUARTZ_HISTORY_CACHE=str(self.cache))
        return env

    def size(self, key: str) -> int:
        return self.client.head_object(Bucket=BUCKET, Key=key)["ContentLength"]


# ---------------------------------------------------------------- CLI


def main(args) -> int:
    sizes = Sizes.quick() if args.quick else Sizes(args.projects, args.days, args.runs_per_day, args.jobs_per_run)
    sizes.check()
    if args.json and not Path(args.json).resolve().parent.is_dir():
        raise BadInput(f"--json {args.json}: its directory does not exist")
    with tempfile.TemporaryDirectory(prefix="quartz-bench-") as scratch:
        figures = run_bench(sizes, Path(scratch), say=lambda text: print(text, file=sys.stderr, flush=True),
                            fleet_1000=not (args.quick or getattr(args, "no_fleet_1000", False)))
    figures["command"] = _command(args)
    figures["generated_at"] = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    print(report.table(figures))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


def _command(args) -> str:
    if args.quick:
        return "quartz bench --quick"
    return (f"quartz bench --projects {args.projects} --days {args.days} --runs-per-day {args.runs_per_day} "
            f"--jobs-per-run {args.jobs_per_run}")
