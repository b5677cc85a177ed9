"""Turn a real ROCm/Quartz status.json back into the notify_quartz reports that describe its runs.

The real file records, per leaf, the run id, attempt, status and times, and per
matrix cell the same; its summary records the GPU families and artifact URLs.
Each leaf becomes one report of the workflow that owns that slot (the tables in
quartz/rocm/therock.py, read backwards), each matrix cell one job named the way
TheRock names it ("Build | py 3.12 | torch release/2.10", with
" / Test | <family> | <runner>" for test cells). Links the file only implies
are given the way TheRock's producers give them: `artifact_run_id` for runs
that use the release's artifacts, an artifact-bucket URL input for a run that
builds its own, `publish_to_release_buckets` in the captured outputs of the
per-platform release run that published to the CDN. The reports go through
`quartz.rocm.ingest.ingest`, the same path a real report takes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import types

from quartz.rocm import ingest

REPO = "ROCm/rockrel"
CONCLUSION = {"success": "success", "failure": "failure", "cancelled": "cancelled", "skipped": "skipped"}
BUILD_WORKFLOW = {
    ("rocm", "linux"): "multi_arch_build_portable_linux.yml",
    ("rocm", "windows"): "multi_arch_build_windows.yml",
    ("pytorch", "linux"): "multi_arch_build_portable_linux_pytorch_wheels.yml",
    ("pytorch", "windows"): "multi_arch_build_windows_pytorch_wheels.yml",
    ("jax", "linux"): "multi_arch_build_linux_jax_wheels.yml",
}
# The release-level workflow that calls a framework's build and test workflows; its finished report closes the run.
RELEASE_WORKFLOW = {
    ("pytorch", "linux"): "multi_arch_release_linux_pytorch_wheels.yml",
    ("pytorch", "windows"): "multi_arch_release_windows_pytorch_wheels.yml",
    ("jax", "linux"): "multi_arch_release_linux_jax_wheels.yml",
}
TEST_WORKFLOW = {("rocm", "test"): "test_artifacts.yml", ("pytorch", "test"): "test_pytorch_wheels.yml",
                 ("pytorch", "test_full"): "test_pytorch_wheels_full.yml", ("jax", "test"): "test_linux_jax_wheels.yml"}
AXIS = {"pytorch": "torch", "jax": "jax"}
_RUN_IN_URL = re.compile(r"/(\d+)-(linux|windows)/")
_CDN_SEGMENT = re.compile(r"/\d{8}-(\d+)/$")


def _t(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


class Reporter:
    """Builds reports for one release document and feeds them to ingest."""

    def __init__(self, doc: dict, config, store, *, repo: str = REPO):
        self.doc, self.config, self.store, self.repo = doc, config, store, repo
        self.release_type = {"rc": "prerelease"}.get(doc.get("release_type"), "nightly")
        self.trigger = doc["trigger_workflow_run_id"]
        self.job_ids = itertools.count(doc["trigger_workflow_run_id"] * 1000)
        self.queue: list[tuple[str, dt.datetime, list | None]] = []
        self.conclusions: dict[int, str] = {}  # run id -> raw GitHub conclusion to report instead
        self.cell_jobs: dict[int, dict] = {}  # id of a document cell -> the job that stands for it

    def deliver(self, order=None) -> int:
        """Ingest the queued reports (in the given order of indexes, else as made)."""
        for index in order if order is not None else range(len(self.queue)):
            payload, now, dropped = self.queue[index]
            client = _JobsClient(dropped) if dropped is not None else None
            report = ingest.ingest(self.config, self.store, payload, fetch=dropped is not None, now=now, client=client)
            assert report.outcome in ("recorded", "updated", "stale", "unchanged"), report.summary()
        sent, self.queue = len(self.queue), []
        return sent

    # ------------------------------------------------------------ one report

    def send(self, path: str, run_id: int, attempt: int, status: str, started: str | None, completed: str | None,
             inputs: dict, jobs=(), captured=None) -> None:
        inputs = {"release_type": self.release_type, "rocm_version": self.doc["rocm_version"], **inputs}
        done = status != "in_progress"
        run = {
            "id": run_id, "run_attempt": attempt, "name": f"Release {self.doc['build_date']}",
            "display_title": f"Release {self.doc['build_date']}", "path": f".github/workflows/{path}",
            "workflow_id": 1, "status": "completed" if done else "in_progress",
            "conclusion": self.conclusions.get(run_id, CONCLUSION[status]) if done else None,
            "event": "schedule", "head_branch": "main",
            "head_sha": "0" * 40, "run_number": 1, "html_url": f"https://github.com/{self.repo}/actions/runs/{run_id}",
            "created_at": started, "run_started_at": started, "updated_at": completed or started,
            "actor": {"login": "rockrel-bot", "id": 1}, "inputs": inputs, "release_type": self.release_type,
            "captured_outputs": captured, "jobs": list(jobs), "referenced_workflows": [],
        }
        payload = {"event_type": "workflow_run_completed" if done else "workflow_run_in_progress",
                   "repository": self.repo, "workflow_run": run}
        now = _t(completed or started) or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        text, dropped = json.dumps(payload, separators=(",", ":")), None
        if len(text) > ingest.MAX_PAYLOAD_CHARS:  # as notify_quartz does: drop the jobs, ask for them to be fetched
            dropped, run["jobs"] = run["jobs"], []
            text = json.dumps(payload, separators=(",", ":"))
        self.queue.append((text, now, dropped))

    def job(self, name: str, cell: dict) -> dict:
        done = cell["status"] != "in_progress"
        job = {"id": next(self.job_ids), "name": name, "status": "completed" if done else "in_progress",
               "conclusion": CONCLUSION[cell["status"]] if done else None}
        if cell.get("started_at"):
            job["started_at"] = cell["started_at"]
        if done and cell.get("completed_at"):
            job["completed_at"] = cell["completed_at"]
        return job

    def linkage(self, run_id: int, platform: str, source: int | None = None) -> dict:
        """How a run points back at the release: the release's artifacts, or its own with the release's URL."""
        source = source or run_id
        if source != run_id:
            return {"artifact_run_id": str(source)}
        if run_id == self.trigger:
            return {}
        bucket = "https://therock-nightly-artifacts.s3.amazonaws.com"
        return {"package_install_url": f"{bucket}/{self.trigger}-{platform}/"}

    # ------------------------------------------------------------ the whole release

    def send_all(self, *, finish: bool = True, order=None) -> int:
        """Report every run of the document; `finish=False` leaves the release run unfinished."""
        self.queue_all(finish=finish)
        return self.deliver(order)

    def queue_all(self, *, finish: bool = True) -> None:
        doc, summary, pipelines = self.doc, self.doc["summary"], self.doc["pipelines"]
        self.send_owner()
        for platform in ("linux", "windows"):
            self.send_rocm_build(platform, summary[platform], pipelines.get("rocm", {}).get("build", {}))
        for kind, leaf in pipelines.get("native_packages", {}).items():
            self.send("multi_arch_build_native_linux_packages.yml", leaf["run_id"], leaf["run_attempt"],
                      leaf["status"], leaf.get("started_at"), leaf.get("completed_at"),
                      {"native_package_type": kind, "dist_amdgpu_families": ";".join(summary["linux"]["architectures"]),
                       **self.linkage(leaf["run_id"], "linux")})
        for pipeline in ("pytorch", "jax"):
            for platform, leaf in pipelines.get(pipeline, {}).get("build", {}).items():
                self.send_matrix_build(pipeline, platform, leaf)
        for pipeline in ("rocm", "pytorch", "jax"):
            for phase in ("test", "test_full"):
                for platform, arches in pipelines.get(pipeline, {}).get(phase, {}).items():
                    refreshed = {}
                    for arch, leaf in arches.items():
                        if self.refreshed(pipeline, platform, leaf):
                            refreshed[arch] = leaf
                            self.send_test_snapshots(pipeline, phase, platform, arch, leaf)
                        else:
                            self.send_test(pipeline, phase, platform, arch, leaf)
                    self.send_release_reports(pipeline, platform, refreshed)
        for platform in ("linux", "windows"):
            self.send_cdn(platform, summary[platform].get("urls", {}))
        if doc.get("completed_at") and finish:
            self.send_owner(completed=True)

    def send_owner(self, completed: bool = False) -> None:
        doc = self.doc
        status = doc.get("orchestrator_conclusion", "success") if completed else "in_progress"
        self.send("multi_arch_release.yml", self.trigger, doc["trigger_run_attempt"], status, doc["created_at"],
                  doc.get("completed_at") if completed else None, {})

    def send_rocm_build(self, platform: str, summary: dict, builds: dict) -> None:
        leaf = builds.get(platform)
        if leaf is None:
            return
        match = _RUN_IN_URL.search(summary.get("urls", {}).get("artifacts", ""))
        inputs = {"dist_amdgpu_families": ";".join(summary["architectures"]),
                  **self.linkage(leaf["run_id"], platform, int(match.group(1)) if match else None)}
        self.send(BUILD_WORKFLOW[("rocm", platform)], leaf["run_id"], leaf["run_attempt"], leaf["status"],
                  leaf.get("started_at"), leaf.get("completed_at"), inputs)

    def send_matrix_build(self, pipeline: str, platform: str, leaf: dict) -> None:
        runs = {}
        for cell in leaf["variants"]:
            runs.setdefault((cell["run_id"], cell["run_attempt"]), []).append(cell)
        for (run_id, attempt), cells in runs.items():
            jobs = [self.job(f"Build | py {c['py']} | {AXIS[pipeline]} {c[_axis_key(pipeline)]}", c) for c in cells]
            statuses = {c["status"] for c in cells}
            status = next((s for s in ("failure", "in_progress", "cancelled", "success") if s in statuses), "skipped")
            starts = [c["started_at"] for c in cells if c.get("started_at")]
            ends = [c["completed_at"] for c in cells if c.get("completed_at")]
            # The build call of a run that also tests reports its end before any of that run's test leaves closes
            # (its jobs stay in the run's job list, later times included).
            closes = [t["completed_at"] for phase in ("test", "test_full")
                      for arches in self.doc["pipelines"][pipeline].get(phase, {}).values() for t in arches.values()
                      if t["run_id"] == run_id and t.get("completed_at")]
            end = min([max(ends, default=None), *closes], default=None) if ends else None
            self.send(BUILD_WORKFLOW[(pipeline, platform)], run_id, attempt, status, min(starts, default=None),
                      end if status != "in_progress" else None,
                      {"amdgpu_families": ",".join(self.doc["summary"][platform]["architectures"]),
                       "artifact_run_id": str(self.trigger)}, jobs)

    def test_job(self, pipeline: str, platform: str, arch: str, cell: dict) -> dict:
        runner = "windows-gpu-runner" if platform == "windows" else "linux-gpu-runner"
        return self.job(f"Build | py {cell['py']} | {AXIS[pipeline]} {cell[_axis_key(pipeline)]} / Test | {arch} | "
                        f"{runner}", cell)

    def send_test(self, pipeline: str, phase: str, platform: str, arch: str, leaf: dict) -> None:
        runner = "windows-gpu-runner" if platform == "windows" else "linux-gpu-runner"
        jobs = [self.test_job(pipeline, platform, arch, c) for c in leaf.get("variants", [])]
        self.send(TEST_WORKFLOW[(pipeline, phase)], leaf["run_id"], leaf["run_attempt"], leaf["status"],
                  leaf.get("started_at"), leaf.get("completed_at"),
                  {"amdgpu_family": arch, "test_runs_on": runner, "artifact_run_id": str(self.trigger)}, jobs)

    # ------------------------------------------------------------ shared pytorch/jax runs

    def refreshed(self, pipeline: str, platform: str, leaf: dict) -> bool:
        """A matrix test leaf whose finish was stamped by its run's release-level (build-phase) report.

        PyTorch and JAX release workflows call their tests as reusable workflows, so test and build jobs share
        one run. A finished leaf whose status or completed_at is not what its own cells roll up to was closed
        by that run's release-level report, not by its test call.
        """
        cells = leaf.get("variants") or []
        if pipeline not in AXIS or not cells or not leaf.get("completed_at"):
            return False
        builds = self.doc["pipelines"][pipeline]["build"].get(platform, {}).get("variants", [])
        if leaf["run_id"] not in {c["run_id"] for c in builds}:
            return False  # a standalone test run (test_full) has a run of its own
        ends = [c["completed_at"] for c in cells if c.get("completed_at")]
        return (leaf["completed_at"] != max(ends, default=None)
                or leaf["status"] != _rollup(c["status"] for c in cells))

    def release_cells(self, leaf: dict) -> list[dict]:
        """The cells the release-level report's job list shows: this run attempt's finished ones."""
        return [c for c in leaf["variants"] if (c["run_id"], c["run_attempt"]) == (leaf["run_id"], leaf["run_attempt"])
                and c["status"] != "in_progress"]

    def send_test_snapshots(self, pipeline: str, phase: str, platform: str, arch: str, leaf: dict) -> None:
        """The test call's own reports: sent while running, with the jobs not yet finished in its run's list."""
        runner = "windows-gpu-runner" if platform == "windows" else "linux-gpu-runner"
        closing = {id(c) for c in self.release_cells(leaf)}
        first = {}  # run id -> its earliest attempt in this leaf
        for cell in leaf["variants"]:
            first[cell["run_id"]] = min(first.get(cell["run_id"], cell["run_attempt"]), cell["run_attempt"])
        placeholders: dict[tuple[int, int], list[dict]] = {}
        for cell in leaf["variants"]:  # job ids in the document's cell order, whichever report carries them
            self.cell_jobs[id(cell)] = self.test_job(pipeline, platform, arch, cell)
            if cell["run_attempt"] > first[cell["run_id"]]:
                # A re-run cell was first listed, still running, by the earlier attempt: that fixes its place.
                waiting = {k: v for k, v in cell.items() if k not in ("completed_at", "status")}
                placeholders.setdefault((cell["run_id"], first[cell["run_id"]]), []).append(
                    self.test_job(pipeline, platform, arch, {**waiting, "status": "in_progress"}))
        attempts: dict[tuple[int, int], list[dict]] = {(leaf["run_id"], leaf["run_attempt"]): []}
        for cell in leaf["variants"]:
            if id(cell) not in closing:
                attempts.setdefault((cell["run_id"], cell["run_attempt"]), []).append(cell)
        for run_id, attempt in sorted(set(attempts) | set(placeholders)):
            cells = attempts.get((run_id, attempt), [])
            starts = [c["started_at"] for c in cells if c.get("started_at")]
            jobs = sorted([self.cell_jobs[id(c)] for c in cells] + placeholders.get((run_id, attempt), []),
                          key=lambda j: j["id"])
            self.send(TEST_WORKFLOW[(pipeline, phase)], run_id, attempt, "in_progress",
                      min(starts, default=leaf["started_at"]), None,
                      {"amdgpu_family": arch, "test_runs_on": runner, "artifact_run_id": str(self.trigger)}, jobs)

    def send_release_reports(self, pipeline: str, platform: str, leaves: dict[str, dict]) -> None:
        """One finished release-level report per (run, attempt, time) that closed refreshed leaves."""
        groups: dict[tuple[int, int, str], dict[str, dict]] = {}
        for arch, leaf in leaves.items():
            groups.setdefault((leaf["run_id"], leaf["run_attempt"], leaf["completed_at"]), {})[arch] = leaf
        for (run_id, attempt, completed), group in groups.items():
            cells = {arch: self.release_cells(leaf) for arch, leaf in group.items()}
            statuses = [c["status"] for arch_cells in cells.values() for c in arch_cells]
            status = _rollup(statuses)
            if len(group) == 1:  # a run testing one family: its conclusion is that family's verdict
                status = next(iter(group.values()))["status"]
            jobs = [self.cell_jobs[id(c)] for arch_cells in cells.values() for c in arch_cells]
            # The run's job list holds its build jobs too: the release-level report is a build-phase report.
            jobs = [self.job(f"Build | py {c['py']} | {AXIS[pipeline]} {c[_axis_key(pipeline)]}", c)
                    for c in self.doc["pipelines"][pipeline]["build"].get(platform, {}).get("variants", [])
                    if (c["run_id"], c["run_attempt"]) == (run_id, attempt)] + jobs
            starts = [c["started_at"] for arch_cells in cells.values() for c in arch_cells if c.get("started_at")]
            self.send(RELEASE_WORKFLOW[(pipeline, platform)], run_id, attempt, status, min(starts, default=completed),
                      completed, {"amdgpu_families": ",".join(group), "artifact_run_id": str(self.trigger)}, jobs)

    def send_cdn(self, platform: str, urls: dict) -> None:
        if not urls.get("tarballs", "").startswith("https://rocm.nightlies.amd.com/"):
            return
        segment = _CDN_SEGMENT.search(urls.get("rpm", ""))
        if "rocm" not in self.doc["pipelines"] or platform not in self.doc["pipelines"]["rocm"]["build"]:
            return
        build = self.doc["pipelines"]["rocm"]["build"][platform]
        run_id = int(segment.group(1)) if segment else build["run_id"]
        self.send(f"multi_arch_release_{platform}.yml", run_id, build["run_attempt"], "success",
                  build.get("started_at"), build.get("completed_at"), self.linkage(run_id, platform),
                  captured={"publish_to_release_buckets": {"result": "success", "outputs": {}}})


class _JobsClient:
    """Answers ingest's job fetch (fetch_jobs=true) with the jobs the sender dropped."""

    def __init__(self, jobs: list[dict]):
        self.jobs = jobs

    def pages(self, path: str, params: dict):
        yield types.SimpleNamespace(body={"jobs": self.jobs})


def _rollup(statuses) -> str:
    seen = set(statuses)
    return next((s for s in ("failure", "in_progress", "cancelled", "success") if s in seen), "skipped")


def _axis_key(pipeline: str) -> str:
    return {"pytorch": "torch", "jax": "jax_ref"}[pipeline]


def small_doc(day: str, run_id: int, *, leaf: str = "success", finished: str | None = "success",
              attempt: int = 1, version: str | None = None) -> dict:
    """A release document in the real files' shape: rocm builds and one test per platform."""
    start, end = f"{day[:4]}-{day[4:6]}-{day[6:]}T01:00:00Z", f"{day[:4]}-{day[4:6]}-{day[6:]}T06:00:00Z"

    def leaf_of(rid: int) -> dict:
        out = {"status": leaf, "run_id": rid, "run_attempt": 1, "started_at": start}
        if leaf != "in_progress":
            out["completed_at"] = end
        return out

    doc = {"trigger_workflow_run_id": run_id, "trigger_run_attempt": attempt,
           "rocm_version": version or f"7.13.0a{day}", "build_date": day, "created_at": start,
           "summary": {"linux": {"architectures": ["gfx94X-dcgpu"], "urls": {}},
                       "windows": {"architectures": ["gfx110X-all"], "urls": {}}},
           "pipelines": {"rocm": {"build": {"linux": leaf_of(run_id), "windows": leaf_of(run_id)},
                                  "test": {"linux": {"gfx94X-dcgpu": leaf_of(run_id + 1)},
                                           "windows": {"gfx110X-all": leaf_of(run_id + 2)}}}}}
    if finished:
        doc.update(completed_at=end, orchestrator_conclusion=finished)
    if version and "rc" in version:
        doc["release_type"] = "rc"
    return doc
