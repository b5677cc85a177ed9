"""A ROCm multi-arch nightly as TheRock reports it, for the simulated ROCm/rockrel.

The orchestrator (`multi_arch_release.yml`) is a run of the simulated GitHub; it calls the ROCm builds and
native packages as reusable workflows (reported under its own id) and starts child runs (ROCm tests per
family, PyTorch and JAX wheels per platform) with `quartz_tracking_id = "<run_id>;<release_type>"`. Every
phase is reported the way TheRock's `notify_quartz` does: a `workflow_run_in_progress` when it starts, a
`workflow_run_completed` when it ends, each a payload for `quartz ingest` (quartz/rocm/ingest.py).

Timing follows 2026-08-18 (hours after the start): Linux ROCm build ~2 h 55, Windows ~4 h 10, the
orchestrator ~4 h 40 (as simulated); ROCm tests on the families with runners until the next day; PyTorch
wheels 7–12 h; the last test (so the document) final ~25 h after the start. Red pattern, also as on that
night: ROCm tests red on most families with runners, PyTorch tests red on about half, families without
runners built but not tested.

    nightly = RockrelNightly(world, "ROCm/rockrel", orchestrator_run, build_date="20261205", seed=7)
    for payload_json in nightly.due(world.now): ingest(config, store, payload_json, ...)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from quartz.devtools.simulator import JobSpec
from quartz.devtools.simulator.outcomes import job_id

LINUX = ("gfx94X-dcgpu", "gfx950-dcgpu", "gfx90a", "gfx110X-all", "gfx1151", "gfx120X-all", "gfx1150", "gfx103X-all",
         "gfx1153", "gfx900", "gfx90c", "gfx906", "gfx908", "gfx101X-dgpu", "gfx1152", "gfx125X-dcgpu")
WINDOWS = ("gfx110X-all", "gfx1151", "gfx120X-all", "gfx90a", "gfx900", "gfx90c", "gfx906", "gfx908", "gfx101X-dgpu",
           "gfx103X-all", "gfx1150", "gfx1152", "gfx1153")
# Families with a test runner (the others are built only): 7 on Linux, 4 on Windows, as that night.
RUNNERS = {
    "linux": {"gfx94X-dcgpu": "linux-mi325-1gpu-ossci-rocm", "gfx950-dcgpu": "linux-mi355-1gpu-ossci-rocm",
              "gfx110X-all": "linux-gfx110X-gpu-rocm", "gfx1151": "linux-strix-halo-gpu-rocm",
              "gfx120X-all": "linux-gfx120X-gpu-rocm", "gfx1150": "linux-gfx1150-gpu-rocm",
              "gfx103X-all": "linux-gfx1030-gpu-rocm"},
    "windows": {"gfx110X-all": "windows-gfx110X-gpu-rocm", "gfx1151": "windows-strix-halo-gpu-rocm",
                "gfx120X-all": "windows-gfx120X-gpu-rocm", "gfx103X-all": "windows-gfx1030-gpu-rocm"},
}
# How likely a family's tests are red, per pipeline; the rest of the families are green.
RED = {"rocm": {"linux": 0.85, "windows": 0.7}, "pytorch": {"linux": 0.5, "windows": 0.35}, "jax": {"linux": 0.5}}
# Families whose fate is fixed, so the demo always tells the same story: PyTorch on MI300 green, on Strix Halo red.
FIXED = {("pytorch", "gfx94X-dcgpu"): False, ("pytorch", "gfx1151"): True}
ORCHESTRATOR = "multi_arch_release.yml"
CHILD_WORKFLOWS = ("test_artifacts.yml", "multi_arch_release_linux_pytorch_wheels.yml",
                   "multi_arch_release_windows_pytorch_wheels.yml", "multi_arch_release_linux_jax_wheels.yml")
# Reusable workflows the orchestrator calls (reported under its id; listed so ingest knows them as nested).
NESTED = ("setup_multi_arch.yml", "multi_arch_build_portable_linux.yml", "multi_arch_build_windows.yml",
          "multi_arch_build_native_linux_packages.yml", "multi_arch_release_linux.yml",
          "multi_arch_release_windows.yml")
TORCH = ("release/2.9", "release/2.10")
PYTHONS = ("3.11", "3.12", "3.13")
H = 3600


def _unit(*parts: object) -> float:
    return int.from_bytes(hashlib.sha256("/".join(map(str, parts)).encode()).digest()[:4], "big") / 2**32


def add_child_workflows(world, repo) -> None:
    """The child workflows of rockrel's nightly (not watched by sync: their runs arrive by report)."""
    for path in CHILD_WORKFLOWS:
        world.add_workflow(repo, path, name=path.rsplit(".", 1)[0].replace("_", " "), on=("workflow_dispatch",),
                           inputs={"quartz_tracking_id": {"required": False, "default": ""}},
                           jobs=[JobSpec("run", 3600, 0.0, 0.0)], queue_s=60)


@dataclass(order=True)
class _Step:
    due: int  # epoch seconds
    seq: int
    action: object = field(compare=False)  # () -> list of payloads


class RockrelNightly:
    """The reports of one nightly, handed out as the simulated clock reaches them."""

    def __init__(self, world, repo: str, orchestrator, *, build_date: str, seed: int, release_type="nightly"):
        self.world, self.repo, self.orch = world, repo, orchestrator
        self.build_date, self.seed, self.release_type = build_date, seed, release_type
        self.version = f"7.13.0a{build_date}"
        self.tracking = f"{orchestrator.id};{release_type}"
        self.start = orchestrator.latest.started
        self.steps: list[_Step] = []
        self._plan()

    # ------------------------------------------------------------ the plan

    def at(self, hours: float, action) -> None:
        self.steps.append(_Step(self.start + int(hours * H), len(self.steps), action))

    def red(self, pipeline: str, platform: str, family: str) -> bool:
        if (pipeline, family) in FIXED:
            return FIXED[(pipeline, family)]
        return _unit(self.seed, self.build_date, pipeline, platform, family) < RED[pipeline][platform]

    def _plan(self) -> None:
        end = (self.orch.latest.completed - self.start) / H  # the simulated orchestrator's own length
        self.at(0.02, lambda: [self.orch_report(None)])
        builds = (("linux", "multi_arch_build_portable_linux.yml", 2.92, LINUX),
                  ("windows", "multi_arch_build_windows.yml", 4.17, WINDOWS))
        for platform, path, done, families in builds:
            done = min(done, end - 0.15)
            inputs = {"dist_amdgpu_families": ";".join(families)}
            self.at(0.04, lambda p=path, i=inputs: [self.nested(p, i, None)])
            self.at(done, lambda p=path, i=inputs, d=done: [self.nested(p, i, "success", d)])
            cdn = f"multi_arch_release_{platform}.yml"
            self.at(done + 0.1, lambda c=cdn, d=done: [self.nested(c, {}, "success", d + 0.1, cdn=True)])
            self.plan_rocm_tests(platform, done + 0.05)
            self.plan_wheels("pytorch", platform, done + 0.05)
        for kind in ("rpm", "deb"):
            inputs = {"native_package_type": kind, "dist_amdgpu_families": ";".join(LINUX)}
            self.at(min(2.3, end - 0.2), lambda i=inputs: [self.nested("multi_arch_build_native_linux_packages.yml",
                                                                        i, "success", min(2.3, end - 0.2))])
        self.plan_wheels("jax", "linux", 3.0)
        self.at(end, lambda: [self.orch_report(self.orch.latest.completed)])

    def plan_rocm_tests(self, platform: str, start: float) -> None:
        for index, (family, runner) in enumerate(RUNNERS[platform].items()):
            # One runs into the next day (a busy runner), the rest take 10 min to 8 h.
            length = 22.0 if (platform, index) == ("linux", 4) else 0.2 + 8 * _unit(self.seed, family, platform)
            status = "failure" if self.red("rocm", platform, family) else "success"
            inputs = {"amdgpu_family": family, "test_runs_on": runner}
            self.child("test_artifacts.yml", start + 0.02 * index, start + length, inputs, status, ())

    def plan_wheels(self, pipeline: str, platform: str, start: float) -> None:
        """One child run: its build call, then a test call per family with a runner, then its own end."""
        built = start + (4.5 + 4 * _unit(self.seed, pipeline, platform) if pipeline == "pytorch" else 1.5)
        axis = "torch" if pipeline == "pytorch" else "jax"
        refs = TORCH if pipeline == "pytorch" else ("rocm-jaxlib-v0.8.0",)
        build_jobs = [(f"Build | py {py} | {axis} {ref}", "success") for py in PYTHONS for ref in refs]
        families = list(RUNNERS[platform]) if pipeline == "pytorch" else ["gfx94X-dcgpu"]
        tests = []
        for family in families:
            status = "failure" if self.red(pipeline, platform, family) else "success"
            ends = built + 0.5 + 2 * _unit(self.seed, pipeline, family, platform)
            jobs = [(f"Build | py 3.12 | {axis} {ref} / Test | {family} | {RUNNERS[platform].get(family, 'gpu')}",
                     status) for ref in refs]
            tests.append((family, ends, status, jobs))
        workflow = f"multi_arch_release_{platform}_{pipeline}_wheels.yml"
        build_call = {("pytorch", "linux"): "multi_arch_build_portable_linux_pytorch_wheels.yml",
                      ("pytorch", "windows"): "multi_arch_build_windows_pytorch_wheels.yml",
                      ("jax", "linux"): "multi_arch_build_linux_jax_wheels.yml"}[(pipeline, platform)]
        test_call = "test_pytorch_wheels.yml" if pipeline == "pytorch" else "test_linux_jax_wheels.yml"
        last = max(t[1] for t in tests) + 0.05
        self.wheels(workflow, build_call, test_call, platform, start, built, build_jobs, tests, last)

    # ------------------------------------------------------------ handing reports out

    def due(self, now: dt.datetime) -> list[str]:
        """The payloads whose moment has come, oldest first (each handed out once)."""
        limit = int(now.timestamp())
        ready = sorted(s for s in self.steps if s.due <= limit)
        self.steps = [s for s in self.steps if s.due > limit]
        out: list[str] = []
        for step in ready:
            out.extend(step.action())
        return out

    @property
    def finished(self) -> bool:
        return not self.steps

    # ------------------------------------------------------------ payloads

    def _time(self, hours_or_epoch: float | None) -> str | None:
        if hours_or_epoch is None:
            return None
        epoch = hours_or_epoch if hours_or_epoch > 10**8 else self.start + hours_or_epoch * H
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def payload(self, run, path: str, inputs: dict, status: str | None, started, updated, *, jobs=(),
                nested=(), captured=None) -> str:
        run_body = {
            "id": run.id, "run_attempt": 1, "run_number": run.number, "workflow_id": run.workflow.id,
            "name": run.display_title, "display_title": run.display_title, "path": f".github/workflows/{path}",
            "status": "completed" if status else "in_progress", "conclusion": status, "event": run.event,
            "head_branch": run.branch, "head_sha": run.sha, "html_url": f"https://github.com/{self.repo}/actions/runs/"
                                                                         f"{run.id}",
            "created_at": self._time(run.created), "run_started_at": self._time(started),
            "updated_at": self._time(updated), "actor": {"login": "rockrel-bot"},
            "triggering_actor": {"login": "rockrel-bot"}, "release_type": self.release_type,
            "inputs": {"release_type": self.release_type, "rocm_version": self.version,
                       "quartz_tracking_id": self.tracking, **inputs},
            "captured_outputs": captured, "jobs": list(jobs),
            "referenced_workflows": [{"path": f"{self.repo}/.github/workflows/{n}@{run.sha}"} for n in nested],
        }
        event = "workflow_run_completed" if status else "workflow_run_in_progress"
        return json.dumps({"event_type": event, "repository": self.repo, "workflow_run": run_body},
                          separators=(",", ":"))

    def orch_report(self, completed: int | None) -> str:
        status = self.orch.conclusion if completed else None
        return self.payload(self.orch, "multi_arch_release.yml", {}, status, self.start,
                            completed or self.start + 60, nested=NESTED)

    def nested(self, path: str, inputs: dict, status: str | None, hours: float | None = None, *,
               cdn: bool = False) -> str:
        captured = {"publish_to_release_buckets": {"result": "success", "outputs": {}}} if cdn else None
        updated = self.start + int(hours * H) if hours is not None else self.start + 120
        return self.payload(self.orch, path, inputs, status, self.start, updated, nested=NESTED, captured=captured)

    def child(self, path: str, start: float, end: float, inputs: dict, status: str, jobs) -> None:
        """A child run of its own: created when it starts, reported then and when it ends."""
        box: dict = {}
        linked = {"artifact_run_id": str(self.orch.id), **inputs}

        def begin() -> list[str]:
            box["run"] = self.world.create_run(self.repo, path, "main", event="workflow_dispatch",
                                               inputs={"quartz_tracking_id": self.tracking}, conclusion=status,
                                               created_at=dt.datetime.fromtimestamp(self.start + start * H, dt.UTC))
            return [self.payload(box["run"], path, linked, None, box["run"].created, box["run"].created)]

        def finish() -> list[str]:
            run = box["run"]
            return [self.payload(run, path, linked, status, run.created, self.start + int(end * H),
                                 jobs=self.jobs(run, jobs, end))]

        self.at(start, begin)
        self.at(end, finish)

    def jobs(self, run, named: list[tuple[str, str]], end: float) -> list[dict]:
        started, completed = self._time(run.created + 300), self._time(self.start + end * H)
        return [{"id": job_id(run, 1, i), "name": name, "status": "completed", "conclusion": status,
                 "started_at": started, "completed_at": completed} for i, (name, status) in enumerate(named)]

    def wheels(self, workflow, build_call, test_call, platform, start, built, build_jobs, tests, last) -> None:
        """A framework's release run: the build call's reports, one test call per family, then the run's end."""
        box: dict = {}
        linked = {"artifact_run_id": str(self.orch.id), "amdgpu_families": ""}
        every = build_jobs + [j for t in tests for j in t[3]]

        def begin() -> list[str]:
            box["run"] = self.world.create_run(self.repo, workflow, "main", event="workflow_dispatch",
                                               inputs={"quartz_tracking_id": self.tracking}, conclusion="success",
                                               created_at=dt.datetime.fromtimestamp(self.start + start * H, dt.UTC))
            return [self.payload(box["run"], build_call, linked, None, box["run"].created, box["run"].created,
                                 nested=(build_call, test_call))]

        def build_done() -> list[str]:
            run = box["run"]
            return [self.payload(run, build_call, linked, "success", run.created, self.start + int(built * H),
                                 jobs=self.jobs(run, build_jobs, built), nested=(build_call, test_call))]

        def test_done(family, ends, status, jobs):
            def send() -> list[str]:
                run = box["run"]
                inputs = {"artifact_run_id": str(self.orch.id), "amdgpu_family": family,
                          "test_runs_on": RUNNERS[platform].get(family, "")}
                named = [(n, s) for n, s in every if n in dict(jobs)]
                return [self.payload(run, test_call, inputs, status, run.created, self.start + int(ends * H),
                                     jobs=self._offset_jobs(run, every, named, ends), nested=(build_call, test_call))]
            return send

        def end() -> list[str]:
            run = box["run"]
            worst = "failure" if any(t[2] == "failure" for t in tests) else "success"
            return [self.payload(run, workflow, {**linked, "amdgpu_families": ",".join(t[0] for t in tests)}, worst,
                                 run.created, self.start + int(last * H), jobs=self._offset_jobs(run, every, every,
                                                                                                 last))]

        self.at(start, begin)
        self.at(built, build_done)
        for test in tests:
            self.at(test[1], test_done(*test))
        self.at(last, end)

    def _offset_jobs(self, run, every, named, end: float) -> list[dict]:
        """Jobs keep their ids (their place in the run's whole list) whichever report carries them."""
        index = {name: i for i, (name, _) in enumerate(every)}
        return [{"id": job_id(run, 1, index[name]), "name": name, "status": "completed", "conclusion": status,
                 "started_at": self._time(run.created + 300), "completed_at": self._time(self.start + end * H)}
                for name, status in named]
