"""A fixture builder: realistic stores for site tests, the golden site and demos.

`fleet_config()` gives a small valid fleet (optionally with hostile names);
`populate(store, config, now)` fills every table the site reads: runs with
re-run attempts, jobs, artifacts, cascade runs in every state with stages,
events and dispatch intents, and a cycle log. Deterministic for a given seed.
Rows go in with plain INSERTs because they stand in for what sync and the
cascade engine write; the site only ever reads them through named queries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random

import yaml

from quartz import config as config_mod
from quartz.failures import load_rules
from quartz.github.joblogs import JobLog
from quartz.store.db import Store
from quartz.sync.failurelines import line_row

# The line a failed job of each kind ends with (failure lines are classified from these by the real rules).
FAILURE_TEXT = {
    "build": "/src/aten/native/hip/Loss.hip:412:18: error: use of undeclared identifier 'hipLaunchKernelGGL'",
    "test": "E       RuntimeError: HIP error: invalid device function",
    "lint": "error: line too long (131 > 120 characters) (E501)",
    "upload": "Error: upload failed: Connection reset by peer",
}
RULES = load_rules()
HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}",
    "it's \"quoted\" & <b>bold</b> ünïcødé ✓ 日本語",
    "</script><!-- x",
)
LONG = "very-long-" + "name-" * 40


def fleet_config(*, hostile: bool = False, wide: bool = False) -> config_mod.Config:
    """A valid fleet: 5 projects over 3 categories, 2 releases, 3 cascades (or 20 × 6 when wide)."""
    projects: dict = {
        "rocm": {"repo": "ROCm/rockrel", "category": "core", "display_name": "ROCm release",
                 "workflows": ["multi_arch_release.yml"], "branches": ["main", "release/7.10"]},
        "pytorch": {"repo": "ROCm/pytorch", "category": "1p_downstream", "display_name": "PyTorch (ROCm)",
                    "workflows": ["rocm-build.yml", "rocm-test.yml"], "branches": ["main", "release/2.10"]},
        "triton": {"repo": "ROCm/triton", "category": "1p_downstream", "workflows": ["amd-ci.yml"]},
        "vllm": {"repo": "ROCm/vllm", "category": "3p_downstream", "display_name": "vLLM",
                 "workflows": ["rocm-test.yml"], "branches": ["main", "release/v0.11"]},
        "sglang": {"repo": "sgl-project/sglang", "category": "3p_downstream", "display_name": "SGLang",
                   "workflows": ["pr-test-amd.yml"]},
    }
    if hostile:
        projects["vllm"]["branches"] += [HOSTILE[0], HOSTILE[1], "../../../etc/passwd", LONG]
        projects["vllm"]["display_name"] = HOSTILE[1]
        projects["sglang"]["display_name"] = HOSTILE[2]
    if wide:
        projects = {}
        categories = ["core", "1p_downstream", "3p_downstream"]
        for i in range(20):
            projects[f"project{i:02d}"] = {
                "repo": f"org{i}/repo{i}", "category": categories[i % 3],
                "display_name": f"Project number {i}", "workflows": ["ci.yml"],
                "branches": ["main"] + [f"release/{v}.{i}" for v in range(1, 6)],
            }
    data: dict = {
        "settings": {"title": "ROCm CI/CD health", "schedule_interval": "10m"},
        "projects": projects,
        "releases": {
            "7.10": {"rocm": "release/7.10", "pytorch": "release/2.10", "vllm": "release/v0.11"},
            "7.9": {"rocm": "main", "pytorch": "main", "vllm": "main"},
        } if not wide else {"R1": {"project00": "release/1.0"}},
        "cascades": _cascades() if not wide else {},
    }
    return config_mod.loads(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "fixture.yaml")


def _cascades() -> dict:
    return {
        "nightly": {
            "description": "ROCm nightly → PyTorch → vLLM and SGLang",
            "trigger": {"project": "rocm", "workflow": "multi_arch_release.yml", "branch": "main"},
            "stages": {
                "pytorch": {"workflow": "rocm-build.yml", "ref": "main",
                            "inputs": {"rocm_run_id": "{{ upstream.rocm.run_id }}"}},
                "triton": {"workflow": "amd-ci.yml", "optional": True},
                "vllm": {"workflow": "rocm-test.yml", "depends_on": ["pytorch"]},
                "sglang": {"repository_dispatch": "rocm-nightly", "depends_on": ["pytorch"], "optional": True},
            },
        },
        "release": {
            "description": "Release qualification",
            "params": {"release": {"required": True, "choices": ["7.10", "7.9"]}},
            "stages": {
                "pytorch": {"workflow": "rocm-build.yml", "ref": "{{ release.pytorch }}"},
                "vllm": {"workflow": "rocm-test.yml", "ref": "{{ release.vllm }}", "depends_on": ["pytorch"]},
            },
        },
    }


# ---------------------------------------------------------------- rows


class _Ids:
    def __init__(self):
        self.run = 9_000_000
        self.job = 50_000_000
        self.artifact = 700_000

    def next_run(self) -> int:
        self.run += 1
        return self.run


def _sha(*parts) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


def _insert(store: Store, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    store.db.executemany(sql, [[row[c] for c in columns] for row in rows])


class _Builder:
    def __init__(self, store: Store, config, now: dt.datetime, rng: random.Random, hostile: bool,
                 jobs_per_run: int):
        self.store, self.config, self.now, self.rng = store, config, now, rng
        self.hostile, self.jobs_per_run = hostile, jobs_per_run
        self.ids = _Ids()
        self.runs: list[dict] = []
        self.attempts: list[dict] = []
        self.jobs: list[dict] = []
        self.artifacts: list[dict] = []
        self.failure_lines: list[dict] = []

    def text(self, normal: str) -> str:
        """Usually the normal text; in a hostile store, now and then a payload."""
        if self.hostile and self.rng.random() < 0.5:
            return f"{normal} {self.rng.choice(HOSTILE)}"
        return normal

    def run(self, project, workflow: str, branch: str, created: dt.datetime, conclusion: str | None,
            *, title: str | None = None, attempts: int = 1, event: str = "push", sha: str | None = None) -> dict:
        run_id = self.ids.next_run()
        started = created + dt.timedelta(minutes=self.rng.randint(0, 4))
        duration = dt.timedelta(minutes=self.rng.randint(12, 95))
        done = conclusion is not None
        sha = sha or _sha(project.name, branch, created.isoformat())
        row = {
            "run_id": run_id, "repo": project.repo, "project": project.name, "workflow_id": 1000 + len(workflow),
            "workflow_path": workflow, "name": workflow.rsplit(".", 1)[0],
            "display_title": title or self.text(f"Nightly build of {branch}"), "event": event,
            "head_branch": branch, "head_sha": sha,
            "head_commit_message": self.text(f"Bump dependencies ({sha[:7]})\n\nLonger body text."),
            "run_number": run_id % 10_000, "run_attempt": attempts,
            "status": "completed" if done else "in_progress", "conclusion": conclusion,
            "actor": self.text("rocm-bot"), "created_at": created, "run_started_at": started,
            "updated_at": started + duration if done else self.now,
            "html_url": f"https://github.com/{project.repo}/actions/runs/{run_id}",
            "source": "sync", "inputs": None, "jobs_synced_attempt": attempts, "artifacts_synced": True,
            "fetched_at": self.now,
        }
        self.runs.append(row)
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            a_conclusion = conclusion if last else "failure"
            a_start = started + (attempt - 1) * (duration + dt.timedelta(minutes=3))
            self.attempts.append({
                "run_id": run_id, "run_attempt": attempt, "status": "completed" if (done or not last) else
                "in_progress", "conclusion": a_conclusion, "created_at": created, "run_started_at": a_start,
                "updated_at": a_start + duration,
            })
            self._jobs(row, attempt, a_start, duration, a_conclusion, done or not last)
        if done:
            for name in ("wheels-gfx942", "test-reports"):
                self.ids.artifact += 1
                self.artifacts.append({
                    "artifact_id": self.ids.artifact, "run_id": run_id, "name": self.text(name),
                    "size_in_bytes": self.rng.randint(10_000, 900_000_000), "expired": False,
                    "created_at": row["updated_at"], "expires_at": row["updated_at"] + dt.timedelta(days=90),
                    "archive_download_url": f"https://api.github.com/repos/{project.repo}/actions/artifacts/"
                                            f"{self.ids.artifact}/zip",
                })
        return row

    def _jobs(self, run: dict, attempt: int, start: dt.datetime, duration: dt.timedelta,
              conclusion: str | None, done: bool) -> None:
        names = ["build (gfx942)", "build (gfx90a)", "test (gfx942, 1/2)", "test (gfx942, 2/2)", "lint",
                 "package", "upload"][: self.jobs_per_run]
        if self.hostile:
            names = [*names[:-1], HOSTILE[2], HOSTILE[0]]
        failing = self.rng.randrange(len(names)) if conclusion in ("failure", "timed_out") else -1
        step = duration / max(len(names), 1)
        for index, name in enumerate(names):
            self.ids.job += 1
            j_created = start + step * index
            j_start = j_created + dt.timedelta(seconds=self.rng.randint(5, 600))
            if not done and index >= len(names) // 2:
                status, j_conclusion, j_end = ("in_progress" if index == len(names) // 2 else "queued"), None, None
                j_start = j_start if status == "in_progress" else None
            else:
                status = "completed"
                last_after_failure = failing >= 0 and index > failing and index == len(names) - 1
                j_conclusion = "failure" if index == failing else "skipped" if last_after_failure else "success"
                j_end = j_start + step
            self.jobs.append({
                "job_id": self.ids.job, "run_id": run["run_id"], "run_attempt": attempt, "name": name,
                "status": status, "conclusion": j_conclusion, "created_at": j_created, "started_at": j_start,
                "completed_at": j_end, "runner_name": f"mi300-runner-{index}", "labels": json.dumps(["self-hosted"]),
            })
            if j_conclusion == "failure":
                self._failure_line(self.jobs[-1])

    def _failure_line(self, job: dict) -> None:
        """What sync would store for a failed job: its log tail classified by the real rules."""
        if len(self.failure_lines) % 5 == 4:
            self.failure_lines.append(line_row(job["job_id"], job["run_id"], JobLog("expired"), RULES, self.now))
            return
        text = self.text(FAILURE_TEXT.get(job["name"].split(" (")[0], "Error: the job failed"))
        log = f"2026-11-29T10:00:00.0000000Z step 1: ok\n2026-11-29T10:00:01.0000000Z {text}\n"
        self.failure_lines.append(line_row(job["job_id"], job["run_id"], JobLog("ok", log.encode()), RULES,
                                           self.now))

    def flush(self) -> None:
        _insert(self.store, "workflow_runs", self.runs)
        _insert(self.store, "run_attempts", self.attempts)
        _insert(self.store, "jobs", self.jobs)
        _insert(self.store, "artifacts", self.artifacts)
        _insert(self.store, "failure_lines", self.failure_lines)


def populate(store: Store, config, now: dt.datetime, *, seed: int = 1, hostile: bool = False,
             runs_per_branch: int = 6, jobs_per_run: int = 5, cycle_age: dt.timedelta = dt.timedelta(minutes=7)):
    """Fill `store` with a deterministic history ending at `now`."""
    rng = random.Random(seed)
    b = _Builder(store, config, now, rng, hostile, jobs_per_run)
    with store.transaction():
        _insert(store, "projects", [{
            "name": p.name, "repo": p.repo, "category": p.category, "display_name": p.display_name,
            "default_branch": p.default_branch, "updated_at": now} for p in config.projects.values()])
        _insert(store, "workflows", [{
            "repo": p.repo, "workflow_id": 1000 + len(w), "path": w, "name": w.rsplit(".", 1)[0], "state": "active"}
            for p in config.projects.values() for w in p.workflows])
        pattern = ["success", "success", "failure", "success", "cancelled", "success", "timed_out", "success"]
        for p_index, project in enumerate(config.projects.values()):
            for b_index, branch in enumerate(project.branches):
                for workflow in project.workflows:
                    for i in range(runs_per_branch):
                        created = now - dt.timedelta(hours=6 * (runs_per_branch - i) + p_index + b_index)
                        conclusion = pattern[(i + p_index + b_index) % len(pattern)]
                        newest = i == runs_per_branch - 1
                        if newest and (p_index + b_index) % 4 == 1:
                            conclusion = "failure"
                        b.run(project, workflow, branch, created, conclusion, attempts=2 if i == 1 else 1)
                    if (p_index + b_index) % 3 == 0:  # something still running here
                        b.run(project, workflow, branch, now - dt.timedelta(minutes=25), None)
        _cascade_history(store, config, now, b, rng)
        b.flush()
        _insert(store, "cycle_log", [{
            "cycle_id": f"cycle-{(now - cycle_age):%Y%m%d-%H%M}",
            "started_at": now - cycle_age - dt.timedelta(minutes=2),
            "finished_at": now - cycle_age, "status": "ok", "phase": "push", "requests": 140, "rate_points": 12,
            "runs_seen": 40, "stages_dispatched": 2, "cascades_finished": 1, "error": None, "summary": "{}"}])
    return b


# ---------------------------------------------------------------- cascades

# (cascade status, {stage: (stage status, reason)}) for the nightly shape; others derive from it.
_SCENARIOS = [
    ("success", {}),
    ("partial_failure", {"triton": ("failure", "run failed: 1 of 5 jobs failed (test (gfx942, 1/2))")}),
    ("failure", {"pytorch": ("failure", "run failed: build (gfx942) failed"),
                 "vllm": ("skipped", "required parent pytorch failed"),
                 "sglang": ("skipped", "required parent pytorch failed")}),
    ("failure", {"vllm": ("timed_out", "dispatched 2026-01-01 but no run appeared within 30m; "
                                       "check the workflow accepts quartz_correlation_id")}),
    ("cancelled", {"vllm": ("cancelled", "cancelled by rocm-oncall"),
                   "sglang": ("cancelled", "cancelled by rocm-oncall")}),
    ("running", {"vllm": ("running", None), "sglang": ("dispatched", "dispatched; waiting for the run to appear"),
                 "triton": ("pending", "waiting for the trigger run's artifacts")}),
]


def _cascade_history(store: Store, config, now: dt.datetime, b: _Builder, rng: random.Random) -> None:
    """Every cascade through each scenario: its run, its stages (with runs and dispatches), its event log."""
    rows: dict[str, list[dict]] = {"cascade_runs": [], "cascade_stages": [], "cascade_events": [],
                                   "dispatch_intents": []}
    for c_index, cascade in enumerate(config.cascades.values()):
        scenarios = _SCENARIOS if cascade.trigger else _SCENARIOS[:3] + _SCENARIOS[-1:]
        for s_index, (c_status, overrides) in enumerate(scenarios):
            created = now - dt.timedelta(hours=30 * (len(scenarios) - s_index) + c_index * 3)
            if c_status == "running":
                created = now - dt.timedelta(hours=2)
            cid = f"{cascade.name}-{created:%Y%m%d-%H%M}-{c_index}{s_index:x}"
            rows["cascade_runs"].append(_cascade_run_row(config, cascade, cid, c_status, created, now, b))
            events = [(created, None, "started", b.text(f"started by {'trigger' if cascade.trigger else 'hand'}"))]
            clock = created
            for stage in cascade.stages.values():
                clock = _stage_history(rows, events, config, cascade, stage, cid, c_status, s_index, overrides,
                                       clock, now, b, rng)
            for occurred, stage, kind, message in sorted(events, key=lambda e: e[0]):
                rows["cascade_events"].append({"seq": len(rows["cascade_events"]) + 1, "cascade_run_id": cid,
                                               "stage": stage, "occurred_at": occurred, "kind": kind,
                                               "message": message})
    for table, table_rows in rows.items():
        _insert(store, table, table_rows)


def _cascade_run_row(config, cascade, cid: str, c_status: str, created: dt.datetime, now: dt.datetime,
                     b: _Builder) -> dict:
    """One cascade run; a triggered cascade's upstream run is made first."""
    trigger_row, upstream, params = None, {}, {}
    if cascade.trigger:
        tproj = config.projects[cascade.trigger.project]
        trigger_row = b.run(tproj, cascade.trigger.workflow, cascade.trigger.branch or tproj.default_branch,
                            created - dt.timedelta(hours=2), "success", event="schedule")
        upstream = {cascade.trigger.project: {
            "run_id": trigger_row["run_id"], "head_sha": trigger_row["head_sha"],
            "head_branch": trigger_row["head_branch"], "html_url": trigger_row["html_url"],
            "conclusion": "success", "repo": tproj.repo}}
    else:
        params = {"release": "7.10", "rocm_run_id": "12345"}
    finished_at = None if c_status == "running" else created + dt.timedelta(hours=5)
    return {
        "cascade_run_id": cid, "cascade": cascade.name, "status": c_status,
        "trigger_kind": "auto" if cascade.trigger else "manual",
        "trigger_run_id": trigger_row["run_id"] if trigger_row else None,
        "trigger_repo": trigger_row["repo"] if trigger_row else None,
        "trigger_sha": trigger_row["head_sha"] if trigger_row else None,
        "ref": None, "params": json.dumps(params), "upstream": json.dumps(upstream),
        "reason": None if c_status in ("success", "running") else b.text(f"cascade ended {c_status}"),
        "created_by": "quartz" if cascade.trigger else b.text("release-manager"),
        "created_at": created, "updated_at": finished_at or now, "finished_at": finished_at,
    }


def _stage_history(rows: dict, events: list, config, cascade, stage, cid: str, c_status: str, s_index: int,
                   overrides: dict, clock: dt.datetime, now: dt.datetime, b: _Builder,
                   rng: random.Random) -> dt.datetime:
    """One stage of one cascade run: its row, its run and dispatch if it got that far, its events.
    Returns the clock the next stage starts from."""
    status, reason = overrides.get(stage.name, ("success", None))
    if c_status == "running" and stage.name == "pytorch":
        status, reason = "success", None
    project = config.projects[stage.project]
    dispatched = clock + dt.timedelta(minutes=rng.randint(1, 12))
    started = dispatched + dt.timedelta(minutes=rng.randint(1, 20))
    finished = started + dt.timedelta(minutes=rng.randint(20, 90))
    has_run = status in ("success", "failure", "running", "cancelled")
    attempt = 0 if status in ("pending", "skipped") else (2 if s_index == 1 and status == "failure" else 1)
    corr = f"{cid}.{stage.name}.{attempt}" if attempt else None
    run_row = None
    if has_run:
        run_conclusion = None if status == "running" else status
        branch = project.default_branch if cascade.trigger else (
            config.releases.get("7.10", {}).get(project.name, project.default_branch))
        run_row = b.run(project, stage.workflow or project.workflows[0], branch, started,
                        run_conclusion, title=f"{stage.name} {corr}",
                        event="workflow_dispatch" if stage.workflow else "repository_dispatch",
                        attempts=max(attempt, 1))
    rows["cascade_stages"].append({
        "cascade_run_id": cid, "stage": stage.name, "attempt": attempt, "status": status,
        "reason": b.text(reason) if reason else None, "correlation_id": corr,
        "run_id": run_row["run_id"] if run_row else None, "repo": project.repo,
        "dispatched_at": dispatched if attempt else None,
        "signal_at": clock if attempt else None,
        "signal": b.text("the upstream run completed") if attempt else None,
        "started_at": started if has_run else None,
        "finished_at": finished if status not in ("pending", "dispatched", "running") else None,
        "updated_at": finished if status not in ("running", "pending", "dispatched") else now,
    })
    if attempt:
        events.append((dispatched, stage.name, "dispatched", f"dispatched attempt {attempt} ({corr})"))
        rows["dispatch_intents"].append({
            "correlation_id": corr, "cascade_run_id": cid, "stage": stage.name, "attempt": attempt,
            "repo": project.repo, "kind": stage.kind, "target": stage.workflow or stage.event_type,
            "ref": project.default_branch, "payload": json.dumps({"quartz_correlation_id": corr}),
            "created_at": dispatched, "sent_at": dispatched, "outcome": "sent", "response_status": 200,
            "run_id": run_row["run_id"] if run_row else None, "error": None,
        })
    if has_run:
        events.append((started, stage.name, "linked", f"linked run {run_row['run_id']}"))
    if status not in ("pending", "dispatched", "running"):
        events.append((finished, stage.name, "finished" if status != "skipped" else "skipped",
                       b.text(reason or f"{stage.name} {status}")))
    return finished if not stage.optional else clock
