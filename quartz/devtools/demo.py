"""`quartz demo`: the whole of Quartz on the bundled simulator, no credentials, no network.

It builds the fleet of cascades.yaml in a simulated GitHub, backfills its
history, then runs the real cycle (sync → advance → render) every simulated
hour over the last two days while a small script plays out on the simulated
side: a nightly that passes end to end, one whose vLLM is broken by a new
PyTorch commit (planted in the simulator; culprit probes name it), one whose
PyTorch build fails (its dependants are skipped with the reason), a kernel test that fails and is
re-run by hand until it passes, a release cascade started by hand, and
tonight's nightly still running when the demo stops. Each ROCm nightly also reports
what TheRock's notify_quartz would (quartz/devtools/rockrel.py) through ingest, so the
cascades that start on a nightly's component (the Linux ROCm build, PyTorch tests per
GPU family) start hours before that nightly's last report.

Hand-offs three ways, side by side on the cascade pages: the ROCm nightly's run reaches PyTorch at the next
(hourly) cycle — schedule only; PyTorch's build and the inference-stack kernels ping when their runs end
(as .github/actions/ping does), so a cycle starts PING_QUEUE later and hands off at once; and `torch-early`
starts from PyTorch's build job (a job-level trigger) while its test shards still run.

Notifications go to a local webhook sink the demo starts (its messages land in
site/demo-webhook.json) and to issues in a simulated ROCm/quartz-alerts, unless
cascades.yaml has a `notify:` section of its own.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from quartz.config import Config
from quartz.devtools import demo_notify, rockrel, simworld
from quartz.errors import BadInput

TOKEN = "demo-token"  # the simulator's own; never a real credential
LIVE_DAYS = 2
STEP = dt.timedelta(hours=1)
DEMO_MARKER = "demo:store"
# The workflows whose runs ping Quartz when they end (their last job is the ping action), and how long the
# simulated GitHub takes to start the Quartz workflow for a ping.
PINGING = (("pytorch", "rocm-build.yml"), ("triton", "amd-ci.yml"), ("aiter", "aiter-test.yaml"),
           ("flash_attention", "rocm-ci.yml"))
PING_QUEUE = dt.timedelta(seconds=20)

# What happens to the runs each cascade stage starts, by nightly: (cascade, stage) → conclusion.
STORY = {
    "A": {("nightly", "pytorch"): "success", ("nightly", "vllm"): "success", ("nightly", "triton"): "success",
          ("nightly", "sglang"): "success", ("nightly", "transformers"): "success",
          ("inference-stack", "triton"): "success", ("inference-stack", "aiter"): "failure",
          ("inference-stack", "flash_attention"): "success", ("inference-stack", "vllm"): "success"},
    "B": {("nightly", "pytorch"): "failure", ("nightly", "triton"): "success"},
    "C": {("nightly", "pytorch"): "success", ("nightly", "triton"): "success"},
    "release": {("release", "pytorch"): "success", ("release", "jax"): "success",
                ("release", "vllm"): "success"},
    # A new PyTorch commit breaks the nightly's vLLM (planted in the simulator, not forced): its culprit
    # probes re-run vLLM, then put PyTorch back to night A's build, and name PyTorch.
    "D": {("nightly", "pytorch"): "success", ("nightly", "triton"): "success", ("nightly", "sglang"): "success",
          ("nightly", "transformers"): "success", ("inference-stack", "triton"): "success",
          ("inference-stack", "aiter"): "success", ("inference-stack", "flash_attention"): "success",
          ("inference-stack", "vllm"): "success"},
}
CULPRIT_NIGHT = "D"
# The nightlies that also report as TheRock does, with their build date (days before the end): one a day.
NIGHTLY_DAYS = {"A": 2, "B": 1, "C": 0}


@dataclass
class DemoReport:
    cycles: int = 0
    runs: int = 0
    cascade_runs: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    site: Path | None = None
    store: Path | None = None
    messages: dict[str, int] = field(default_factory=dict)  # webhook messages / issues opened / closed
    pings: int = 0  # cycles a ping started


def run_demo(config: Config, store_path: Path, site_dir: Path, *, days: int = 14, seed: int = 7,
             end: dt.datetime | None = None, say=print) -> DemoReport:
    from quartz import cycle
    from quartz.devtools.simulator import SimulatorServer
    from quartz.github.client import GitHubClient
    from quartz.store.db import Store

    t0 = time.perf_counter()
    if days <= LIVE_DAYS:
        raise BadInput(f"--days must be more than {LIVE_DAYS}")
    end = (end or dt.datetime.now(dt.UTC)).replace(second=0, microsecond=0)
    live_from = end - dt.timedelta(days=LIVE_DAYS)
    _fresh_store(store_path)

    world = simworld.build_world(config, end - dt.timedelta(days=days + 1), seed=seed, jobs=_build_then_test())
    rocm = config.projects.get("rocm")
    if rocm and rocm.workflows[0] == rockrel.ORCHESTRATOR:
        rockrel.add_child_workflows(world, rocm.repo)  # the nightly's child runs (reported, never synced)
    config = demo_notify.configure(config, world)
    world.advance_to(live_from)
    history = simworld.add_history(world, config, days - LIVE_DAYS, seed=seed)
    say(f"demo: simulated {len(config.projects)} projects with {history} runs of history; "
        f"now playing the last {LIVE_DAYS} days cycle by cycle")
    script = _Script(world, config, end, seed)
    report = DemoReport(store=store_path, site=site_dir)
    with SimulatorServer(world, token=TOKEN) as server, demo_notify.sink(config) as sink:
        client = GitHubClient(server.url, TOKEN, sleep=lambda s: world.advance(dt.timedelta(seconds=s)),
                              clock=lambda: world.now_ts, write_interval_s=0)
        with Store.open(store_path) as store:
            store.execute("demo/mark", scope=DEMO_MARKER, now=world.now)
        while world.now <= end:
            script.before_cycle()
            script.deliver_reports(store_path)  # TheRock's notify_quartz → `quartz ingest`, between cycles
            final = world.now + STEP > end
            result = cycle.run_cycle(config, str(store_path), client, site_dir, None, world.now,
                                     render=final, clock=lambda: world.now)
            if result.failure is not None:
                raise result.failure
            report.cycles += 1
            with Store.open(store_path) as store:
                script.after_cycle(store, client)
            if final:
                break
            report.pings += _step_with_pings(world, config, client, store_path, site_dir, script)
        report.runs = len(world.runs)
        report.messages = demo_notify.finish(sink, world, site_dir)
    with Store.open(store_path) as store:
        report.cascade_runs = {r["status"]: r["count"] for r in store.query("demo/cascade_counts")}
    report.seconds = time.perf_counter() - t0
    return report


def _build_then_test():
    """PyTorch's build job ends an hour before its test shards (the simulator runs a run's jobs side by side)."""
    from quartz.devtools.simulator import JobSpec

    return {("pytorch", "rocm-build.yml"): [
        JobSpec("build", 2400, 0.0, 0.0, ("linux-mi325-1gpu-rocm",)),
        *(JobSpec(f"test ({n}/3)", 6000, 0.02, 0.02, ("linux-mi325-1gpu-rocm",)) for n in (1, 2, 3))]}


def _step_with_pings(world, config: Config, client, store_path: Path, site_dir: Path, script) -> int:
    """Advance one STEP; every pinging run that ends within it starts a cycle PING_QUEUE later."""
    from quartz import cycle
    from quartz.store.db import Store
    from quartz.sync import ping as ping_module

    until, pings, done = world.now + STEP, 0, set()
    while True:
        due = [(run.latest.completed, run.id, run) for project, workflow in PINGING
               if project in config.projects
               for run in world.runs_in(config.projects[project].repo, workflow, lo=world.now_ts - 86400)
               if run.event == "workflow_dispatch"  # every run pings; only a cascade's hand-offs need it here
               and (run.id, run.run_attempt) not in done and world.now_ts <= run.latest.completed
               and run.latest.completed + PING_QUEUE.total_seconds() <= until.timestamp()]
        if not due:
            break
        completed, run_id, run = min(due)
        done.add((run_id, run.run_attempt))
        world.advance(dt.timedelta(seconds=completed + PING_QUEUE.total_seconds() - world.now_ts))
        ping = ping_module.parse({"repo": run.repo.full_name, "run_id": run.id}, config)
        result = cycle.run_cycle(config, str(store_path), client, site_dir, None, world.now, render=False,
                                 clock=lambda: world.now, ping=ping)
        if result.failure is not None:
            raise result.failure
        with Store.open(store_path) as store:
            script.after_cycle(store, client)
        pings += 1
    world.advance(until - world.now)
    return pings


class _Script:
    """The simulated side of the demo: pushes, nightlies, and the scripted outcomes of dispatched runs."""

    def __init__(self, world, config: Config, end: dt.datetime, seed: int):
        self.world = world
        self.config = config
        self.rng = random.Random(seed)
        self.nightlies = {  # when each scripted ROCm nightly starts
            "A": end - dt.timedelta(days=2) + dt.timedelta(hours=1),
            "D": end - dt.timedelta(days=1, hours=10),
            "B": end - dt.timedelta(days=1) + dt.timedelta(hours=1),
            "C": end - dt.timedelta(hours=6),  # the orchestrator runs ~4 h 40: its cascade is running at the end
        }
        self.release_at = end - dt.timedelta(hours=20)
        self.rocm_runs: dict[int, str] = {}  # rocm run id → story label
        self.forced: set[int] = set()
        self.rerun_due: dict[int, dt.datetime] = {}  # failed run → when a person re-runs it
        self.release_started = False
        self.end, self.seed = end, seed
        self.lineages: list[rockrel.RockrelNightly] = []  # what TheRock reports about each nightly
        self.culprit_planted = False

    def before_cycle(self) -> None:
        now = self.world.now
        rocm = self.config.projects.get("rocm")
        for label, when in self.nightlies.items():
            if rocm and when <= now and label not in self.rocm_runs.values():
                pytorch = self.config.projects.get("pytorch")
                if label == CULPRIT_NIGHT and pytorch:  # tonight's PyTorch commit, the one that breaks vLLM
                    self.world.push(pytorch.repo, pytorch.default_branch)
                run = self.world.create_run(rocm.repo, rocm.workflows[0], rocm.default_branch, event="schedule",
                                            conclusion="success", created_at=when)
                self.rocm_runs[run.id] = label
                if rocm.workflows[0] == rockrel.ORCHESTRATOR and label in NIGHTLY_DAYS:  # one a day, as rockrel's
                    day = (self.end - dt.timedelta(days=NIGHTLY_DAYS[label])).strftime("%Y%m%d")
                    self.lineages.append(rockrel.RockrelNightly(self.world, rocm.repo, run, build_date=day,
                                                                seed=self.seed))
        for run_id, due in list(self.rerun_due.items()):
            if due <= now:
                self.world.rerun(run_id, failed_only=True, conclusion="success", actor="rocm-devops")
                del self.rerun_due[run_id]
        self._pushes()

    def deliver_reports(self, store_path: Path) -> None:
        """The reports TheRock's nightly has sent since the last cycle, through the same ingest as real ones."""
        from quartz.rocm import ingest
        from quartz.store.db import Store

        payloads = [payload for lineage in self.lineages for payload in lineage.due(self.world.now)]
        if not payloads:
            return  # opening the store costs more than most cycles' reports
        with Store.open(store_path) as store:
            for payload in payloads:
                ingest.ingest(self.config, store, payload, fetch=False, now=self.world.now)

    def _pushes(self) -> None:
        """Ordinary development: an hour's worth of pushes across the fleet."""
        for project in self.config.projects.values():
            if project.category == "core" and project.name == "rocm":
                continue
            for workflow in project.workflows:
                if self.rng.random() < 0.18:
                    branch = self.rng.choice(project.branches)
                    self.world.push(project.repo, branch)
                    self.world.create_run(project.repo, workflow, branch, event="push")

    def after_cycle(self, store, client) -> None:
        from quartz.cascades import admin

        if not self.release_started and self.world.now >= self.release_at and "release" in self.config.cascades:
            rocm_run = next((rid for rid, label in self.rocm_runs.items() if label == "A"), None)
            admin.start(self.config, store, client, "release", self.world.now,
                           params={"release": next(iter(self.config.releases)), "rocm_run_id": str(rocm_run or 0)},
                           created_by="release-manager")
            self.release_started = True
        rows = store.query("demo/linked_stages")
        by_run = {row["run_id"]: row for row in rows}
        for row in rows:
            label = self._label(row, by_run)
            if label == CULPRIT_NIGHT and (row["cascade"], row["stage"]) == ("nightly", "pytorch"):
                self._plant_culprit(row["run_id"])
            if row["run_id"] in self.forced or label is None:
                continue
            conclusion = STORY.get(label, {}).get((row["cascade"], row["stage"]))
            if conclusion is None:
                continue
            run = self.world.get_run(row["run_id"])
            if run.status != "completed":
                self.world.force_outcome(run.id, conclusion)
                if conclusion == "failure" and row["cascade"] == "inference-stack":
                    self.rerun_due[run.id] = self.world.now + dt.timedelta(hours=3)
            self.forced.add(row["run_id"])

    def _plant_culprit(self, pytorch_run_id: int) -> None:
        """vLLM fails with the PyTorch that night D built; with any other PyTorch it passes."""
        vllm = self.config.projects.get("vllm")
        if self.culprit_planted or vllm is None:
            return
        sha = self.world.get_run(pytorch_run_id).sha
        self.world.plant_culprit(vllm.repo, vllm.workflows[0], "pytorch_run_id", sha, otherwise="success")
        self.culprit_planted = True

    def _label(self, row: dict, by_run: dict) -> str | None:
        if row["trigger_kind"] == "manual":
            return "release"
        if row["trigger_run_id"] in self.rocm_runs:
            return self.rocm_runs[row["trigger_run_id"]]
        # inference-stack starts from the nightly's PyTorch build: follow it back to its nightly.
        parent = by_run.get(row["trigger_run_id"])
        return self.rocm_runs.get(parent["trigger_run_id"]) if parent else None


def _fresh_store(path: Path) -> None:
    """The demo starts from an empty store, but never wipes one it did not make."""
    from quartz.store.db import Store, StoreError

    if not path.exists():
        return
    try:
        with Store.open(path) as store:
            is_demo = store.query_one("demo/is_marked", scope=DEMO_MARKER) is not None
    except StoreError:
        is_demo = False
    if not is_demo:
        raise BadInput(f"{path} exists and was not made by `quartz demo`; pass --store to use another file "
                       "(the demo never overwrites a real store)")
    path.unlink()
    Path(str(path) + ".wal").unlink(missing_ok=True)


def main(args) -> int:
    from quartz import config as config_module

    config = config_module.load(args.config)
    store_path = Path(args.store)
    if str(args.store).startswith("s3://"):
        raise BadInput("quartz demo uses a local store file; pass --store PATH")
    site_dir = Path(args.out)
    report = run_demo(config, store_path, site_dir, days=args.days, seed=args.seed,
                      say=lambda text: print(text, file=sys.stderr))
    counts = ", ".join(f"{n} {status}" for status, n in sorted(report.cascade_runs.items())) or "none"
    index = (site_dir / "index.html").resolve()
    print(f"demo: {report.cycles} scheduled cycles and {report.pings} started by pings over {report.runs} simulated "
          f"runs in {report.seconds:.0f} s; "
          f"cascade runs: {counts}")
    print(f"demo: notifications: {report.messages.get('webhook', 0)} webhook messages (site/demo-webhook.json), "
          f"{report.messages.get('opened', 0)} issues opened, {report.messages.get('closed', 0)} closed")
    print(f"demo: store {store_path}, site {site_dir}/")
    command = sys.argv[0] if Path(sys.argv[0]).name == "quartz" else "quartz"  # e.g. .venv/bin/quartz
    print(f"Look at it: {command} serve --out {site_dir}  (then http://127.0.0.1:8000/)  or open file://{index}")
    return 0
