"""Time to signal: how long a three-stage cascade's hand-offs wait, by schedule, by ping, by job-level trigger.

rocm → pytorch → vllm → sglang: three hand-offs. Each project's workflow has a build job (30 min) and test
jobs (90 min) running side by side, so a run's build is done an hour before the run.

- schedule only (a model, not a measurement of GitHub): a hand-off waits for the next scheduled cycle,
  uniformly within `schedule_interval`, plus GitHub's start delay for scheduled runs, which GitHub does not
  publish (MODEL_START_DELAY_S is an assumption; busy hours are far worse);
- with pings (measured): each upstream run pings when it ends and a cycle starts at that moment (the queue of
  the Quartz workflow on GitHub is not Quartz's time and is not counted); measured is the wall time from the
  cycle's start to the end of its ping phase, by which the dispatch was sent (the store pushed to S3 first);
- job-level triggers (measured in simulated time): the trigger and each stage name `jobs: ['build*']`; cycles
  every `schedule_interval` with no start delay; measured is how long before its upstream run ended each
  stage was dispatched, and the recorded latency from its signal (the build jobs' end) to the dispatch.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from pathlib import Path

MODEL_START_DELAY_S = 180  # assumed delay of a scheduled run's start on GitHub (not published by GitHub)
TOKEN = "bench-signal-token"
STAGES = ("pytorch", "vllm", "sglang")
REPOS = {"rocm": ("ROCm/rockrel", "multi_arch_release.yml"), "pytorch": ("ROCm/pytorch", "rocm-build.yml"),
         "vllm": ("ROCm/vllm", "rocm-test.yml"), "sglang": ("ROCm/sglang", "rocm-test.yml")}


def fleet_yaml(jobs: bool) -> str:
    hand_off = ", jobs: ['build*']" if jobs else ""
    projects = "".join(f"  {name}: {{repo: {repo}, category: {'core' if name == 'rocm' else '1p_downstream'}, "
                       f"workflows: [{workflow}]}}\n" for name, (repo, workflow) in REPOS.items())
    return (f"settings: {{backfill_days: 1}}\nprojects:\n{projects}cascades:\n  chain:\n"
            f"    trigger: {{project: rocm, workflow: multi_arch_release.yml, branch: main{hand_off}}}\n"
            f"    stages:\n"
            f"      pytorch: {{workflow: rocm-build.yml{hand_off}}}\n"
            f"      vllm: {{workflow: rocm-test.yml, depends_on: [pytorch]{hand_off}}}\n"
            f"      sglang: {{workflow: rocm-test.yml, depends_on: [vllm]}}\n")


def build_world(start: dt.datetime):
    from quartz.devtools.simulator import JobSpec, World

    world = World(start, seed=11)
    for repo, workflow in REPOS.values():
        world.add_repo(repo)
        world.add_workflow(repo, workflow, run_name="run ${{ inputs.quartz_correlation_id }}",
                           inputs={"quartz_correlation_id": {"required": False, "default": ""}},
                           jobs=[JobSpec("build", 1800), JobSpec("test (1/2)", 5400), JobSpec("test (2/2)", 5400)],
                           queue_s=60)
    return world


def measure(workdir: Path, s3_endpoint: str, *, say=lambda _text: None) -> dict:
    from quartz import config as config_module

    interval = config_module.loads(fleet_yaml(False), "bench.yaml").settings.schedule_interval_s
    say("bench: time to signal — a three-stage cascade handed off by ping")
    pings = _with_pings(workdir, s3_endpoint)
    say("bench: time to signal — the same cascade with job-level triggers on a schedule")
    jobs = _with_job_triggers(workdir, interval)
    return {"schedule_interval_s": interval, "model_start_delay_s": MODEL_START_DELAY_S,
            "schedule_model": {"mean_s": interval / 2 + MODEL_START_DELAY_S, "worst_s": interval + MODEL_START_DELAY_S},
            "pings": pings, "job_triggers": jobs, "hand_offs": len(STAGES)}


class _Rig:
    """A simulator, a store in moto's S3 and the cycle as production runs it, on one fleet file."""

    def __init__(self, workdir: Path, jobs: bool, s3_endpoint: str | None, name: str):
        from quartz import config as config_module
        from quartz.devtools.simulator import SimulatorServer

        self.config = config_module.loads(fleet_yaml(jobs), "bench.yaml")
        self.world = build_world(dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
        self.server = SimulatorServer(self.world, token=TOKEN, rate_limit=10**9).start()
        self.s3 = None
        self.location = str(workdir / f"{name}.duckdb")
        if s3_endpoint:
            import boto3

            self.s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                                   aws_access_key_id="bench", aws_secret_access_key="bench")
            self.s3.create_bucket(Bucket=name)
            self.location = f"s3://{name}/quartz.duckdb"
        self.workdir = workdir

    def cycle(self, ping=None, on_phase=None):
        from quartz import cycle
        from quartz.github.client import GitHubClient

        world = self.world
        client = GitHubClient(self.server.url, TOKEN, sleep=lambda s: world.advance(dt.timedelta(seconds=s)),
                              clock=lambda: world.now_ts, write_interval_s=0)
        return cycle.run_cycle(self.config, self.location, client, self.workdir / "signal-site", None, world.now,
                               clock=lambda: world.now, render=False, s3=self.s3, ping=ping, on_phase=on_phase)

    def stage_run(self, stage: str):
        repo, workflow = REPOS[stage]
        found = [r for r in self.world.runs_in(repo, workflow) if f".{stage}." in r.display_title]
        return found[-1] if found else None

    def until(self, epoch: float) -> None:
        self.world.advance(dt.timedelta(seconds=max(0.0, epoch - self.world.now_ts)))


def _with_pings(workdir: Path, s3_endpoint: str) -> dict:
    from quartz.sync import ping as ping_module

    rig = _Rig(workdir, False, s3_endpoint, "signal-pings")
    try:
        rig.cycle()  # the first cycle: the store exists, the workflows' ETags are primed
        run = rig.world.create_run("ROCm/rockrel", "multi_arch_release.yml", "main", event="schedule")
        seconds = []
        for stage in STAGES:
            rig.until(run.latest.completed + 1)
            ping = ping_module.parse({"repo": run.repo.full_name, "run_id": run.id}, rig.config)
            marks: dict[str, float] = {}
            t0 = time.perf_counter()
            rig.cycle(ping, on_phase=lambda phase, marks=marks: marks.setdefault(phase, time.perf_counter()))
            run = rig.stage_run(stage)
            if run is None:
                raise RuntimeError(f"bench: the ping did not dispatch {stage}")
            seconds.append(marks["sync"] - t0)  # pull, the pinged run synced, advance and its dispatch
        return {"seconds": seconds, "max_s": max(seconds), "total_s": sum(seconds)}
    finally:
        rig.server.stop()


def _with_job_triggers(workdir: Path, interval: int) -> dict:
    rig = _Rig(workdir, True, None, "signal-jobs")
    try:
        rig.cycle()
        upstream = rig.world.create_run("ROCm/rockrel", "multi_arch_release.yml", "main", event="schedule")
        runs = {"rocm": upstream}
        parents = {"pytorch": "rocm", "vllm": "pytorch", "sglang": "vllm"}
        before_end = {}
        for _ in range(200):  # a scheduled cycle every interval until the last stage is dispatched
            rig.world.advance(dt.timedelta(seconds=interval))
            rig.cycle()
            for stage in STAGES:
                if stage not in runs and rig.stage_run(stage) is not None:
                    runs[stage] = rig.stage_run(stage)
                    parent = runs[parents[stage]]
                    before_end[stage] = parent.latest.completed - rig.world.now_ts
            if len(runs) == len(STAGES) + 1:
                break
        from quartz.store.db import Store

        with Store.open(rig.location, read_only=True) as store:
            latencies = [r[0] for r in store.db.execute(
                "SELECT epoch(dispatched_at - signal_at) FROM cascade_stages ORDER BY dispatched_at").fetchall()]
        return {"latency_s": latencies, "mean_latency_s": statistics.mean(latencies),
                "dispatched_before_upstream_end_s": [before_end[s] for s in STAGES if s in before_end],
                "first_to_last_dispatch_s": runs["sglang"].created - runs["pytorch"].created
                if "sglang" in runs else None}
    finally:
        rig.server.stop()


def lines(f: dict) -> list[str]:
    """The bench table's rows for time to signal."""
    n, model = f["hand_offs"], f["schedule_model"]
    pings, jobs = f["pings"], f["job_triggers"]
    early = jobs["dispatched_before_upstream_end_s"]
    return ["", f"Time to signal (a three-stage cascade: {n} hand-offs, upstream done → downstream dispatched)",
            "| | per hand-off | the cascade's hand-offs |", "|---|---|---|",
            f"| schedule only (a model: uniform wait within schedule_interval {f['schedule_interval_s'] // 60} min "
            f"+ an assumed GitHub start delay of {f['model_start_delay_s'] // 60} min) | mean "
            f"{model['mean_s'] / 60:.0f} min, worst {model['worst_s'] / 60:.0f} min | mean "
            f"{n * model['mean_s'] / 60:.0f} min, worst {n * model['worst_s'] / 60:.0f} min |",
            f"| with pings (measured: Quartz's own time, cycle start → dispatch sent; the Quartz workflow's queue "
            f"on GitHub not counted) | max {pings['max_s']:.1f} s (target < 60 s) | {pings['total_s']:.1f} s |",
            f"| job-level triggers on the schedule (simulated time; build jobs end 1 h before their run) | "
            f"signal → dispatch mean {jobs['mean_latency_s'] / 60:.1f} min; dispatched "
            f"{statistics.mean(early) / 60:.0f} min before the upstream run ended | "
            f"{sum(early) / 60:.0f} min earlier than whole-run hand-offs |"]
