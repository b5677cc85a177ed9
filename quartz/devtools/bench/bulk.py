"""Write a simulated world's completed history straight into a store, as `quartz sync` would have.

A full backfill over HTTP of 220,000 runs takes long (about one request per run),
so the benchmark builds its big store here and measures backfill on a sample.
The rows are the ones sync writes for the same world — same columns, values and
capping — which tests/test_bench.py checks against a real HTTP backfill. Rows go
in as DataFrames, a few thousand runs at a time, so memory stays flat.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pandas as pd

from quartz.config import Config
from quartz.devtools.simulator import World, downloads, outcomes
from quartz.devtools.simulator.model import JOB_ID_BASE, MAX_ATTEMPTS, MAX_JOBS
from quartz.failures import load_rules
from quartz.github.joblogs import JobLog
from quartz.sync.failurelines import line_row
from quartz.sync.runs import record_projects

HTML = "https://github.com"  # the simulator's html_url; run and job pages link there
CHUNK_RUNS = 4000


@dataclass
class BulkReport:
    runs: int = 0
    jobs: int = 0


def load_history(config: Config, store, world: World, now: dt.datetime, backfill_days: int) -> BulkReport:
    """Every completed run created since now - backfill_days, with its attempt, jobs and failure lines, and sync's
    bookkeeping."""
    floor = (now - dt.timedelta(days=backfill_days)).replace(microsecond=0)
    report = BulkReport()
    record_projects(config, store, now)
    for project in config.projects.values():
        for workflow in project.workflows:
            wf = world.workflow(project.repo, workflow)
            runs = [r for r in world.runs_in(project.repo, wf, lo=int(floor.timestamp()))
                    if r.run_attempt == 1 and world.attempt_status(r.latest) == "completed"]
            newest = None
            with store.transaction():
                store.execute("sync/upsert_workflows", rows=[{"repo": project.repo, "workflow_id": wf.id,
                                                               "path": wf.path, "name": wf.name, "state": None}])
                for start in range(0, len(runs), CHUNK_RUNS):
                    chunk = runs[start:start + CHUNK_RUNS]
                    report.jobs += _write_chunk(store, world, project, workflow, chunk, now)
                    report.runs += len(chunk)
                if runs:
                    newest = dt.datetime.fromtimestamp(max(r.created for r in runs), dt.UTC)
                store.execute("sync/state_put", states=[{
                    "scope": f"runs:{project.repo}:{workflow}", "watermark": newest or floor,
                    "backfilled_from": floor, "etag": None, "last_synced_at": now}])
    return report


def _write_chunk(store, world: World, project, workflow: str, runs: list, now: dt.datetime) -> int:
    seed = world.seed
    repo_name = project.repo
    run_rows: dict[str, list] = {k: [] for k in _RUN_COLUMNS}
    job_rows: dict[str, list] = {k: [] for k in _JOB_COLUMNS}
    labels_of: dict[tuple, str] = {}
    lines: list[dict] = []
    for run in runs:
        att = run.latest
        jobs = outcomes.attempt_jobs(seed, run, att)
        sha = run.sha
        run_url = f"{HTML}/{repo_name}/actions/runs/{run.id}"
        for key, value in (
            ("run_id", run.id), ("workflow_id", run.workflow.id), ("name", run.workflow.name),
            ("display_title", run.title), ("event", run.event), ("head_branch", run.branch), ("head_sha", sha),
            ("head_commit_message", world.commit(run.workflow.repo, sha, run.created).message),
            ("run_number", run.number), ("conclusion", outcomes.aggregate(jobs, att.forced, att.cancelled is not None)),
            ("actor", run.actor), ("created_at", run.created), ("run_started_at", att.started),
            ("updated_at", att.completed), ("html_url", run_url),
        ):
            run_rows[key].append(value)
        base = JOB_ID_BASE + (run.seq * MAX_ATTEMPTS + att.number - 1) * MAX_JOBS
        for j in jobs:
            job_id = base + j.index
            labels = labels_of.get(j.spec.labels)
            if labels is None:
                labels = labels_of[j.spec.labels] = json.dumps(list(j.spec.labels))
            for key, value in (
                ("job_id", job_id), ("run_id", run.id), ("name", j.spec.name), ("conclusion", j.conclusion),
                ("created_at", j.created), ("started_at", j.start), ("completed_at", j.end),
                ("runner_name", f"runner-{j.index}"), ("labels", labels),
            ):
                job_rows[key].append(value)
            if j.conclusion in ("failure", "timed_out"):
                lines.append(_failure_line(world, run, j, job_id, now))
    runs_frame = pd.DataFrame(run_rows)
    jobs_frame = pd.DataFrame(job_rows)
    store.db.register("bench_runs_frame", runs_frame)
    store.db.register("bench_jobs_frame", jobs_frame)
    try:
        store.execute("bench/insert_runs", runs="bench_runs_frame", repo=repo_name, project=project.name,
                      workflow_path=workflow, fetched_at=now)
        store.execute("bench/insert_attempts", runs="bench_runs_frame")
        store.execute("bench/insert_jobs", jobs="bench_jobs_frame")
        if lines:
            store.execute("failures/upsert", rows=lines)
    finally:
        store.db.unregister("bench_runs_frame")
        store.db.unregister("bench_jobs_frame")
    return len(jobs_frame)


_LINES: dict[str, dict] = {}


def _failure_line(world: World, run, job, job_id: int, now: dt.datetime) -> dict:
    """The failure_lines row earlier cycles would have stored (the bulk load stands for them), so the first
    cycle does not fetch a backlog of logs. The simulator's log of a failed job depends only on the job's
    name where its failure line is concerned: classify once per name."""
    row = _LINES.get(job.spec.name)
    if row is None:
        text = downloads.job_log(world, run, job, job_id).encode()
        row = _LINES[job.spec.name] = line_row(0, 0, JobLog("ok", text), load_rules(), now)
    return {**row, "job_id": job_id, "run_id": run.id, "fetched_at": now}


_RUN_COLUMNS = ("run_id", "workflow_id", "name", "display_title", "event", "head_branch", "head_sha",
                "head_commit_message", "run_number", "conclusion", "actor", "created_at", "run_started_at",
                "updated_at", "html_url")
_JOB_COLUMNS = ("job_id", "run_id", "name", "conclusion", "created_at", "started_at", "completed_at",
                "runner_name", "labels")
