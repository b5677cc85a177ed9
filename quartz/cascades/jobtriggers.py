"""Job-level triggers: a cascade whose trigger names jobs (`jobs: ['build*']`) starts as soon as those jobs
of an upstream run succeeded, while the rest of the run is still going; likewise a stage with `jobs` lets its
dependants start once those jobs of its own run succeeded (the stage itself finishes with its run).

Sync reads the jobs of open runs of the workflows such a trigger watches (quartz/sync/jobwatch.py); here
each candidate run's matching jobs are checked. A run is ready when at least one of its jobs matches and
every matching job completed with `success`. Exactly once as for whole-run triggers: a cascade run is keyed by
(cascade, trigger run), so the run completing later starts nothing more.

Known limit: jobs GitHub has not created yet (a matrix computed by an earlier job) cannot be waited for;
name patterns that only match jobs created when the run starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from fnmatch import fnmatchcase

from quartz.cascades import state as cascade_store
from quartz.cascades.engine import RunView, Snapshot
from quartz.config import Cascade


def succeeded_at(jobs: Iterable[Mapping], patterns: tuple[str, ...]) -> datetime | None:
    """When the last job matching `patterns` completed, if all of them succeeded; else None."""
    matching = [j for j in jobs if any(fnmatchcase(j["name"] or "", p) for p in patterns)]
    if not matching or any(j["status"] != "completed" or j["conclusion"] != "success" for j in matching):
        return None
    times = [j["completed_at"] for j in matching if j["completed_at"] is not None]
    return max(times) if times else None


def candidates(store, cascade: Cascade, not_before: datetime) -> list[RunView]:
    """The trigger workflow's runs not started yet, each with `jobs_succeeded_at` when its jobs are ready."""
    t = cascade.trigger
    rows = store.query("cascades/job_trigger_candidates", project=t.project, workflow=t.workflow,
                       cascade=cascade.name, not_before=not_before)
    views = []
    for row in rows:
        ready = succeeded_at(row["jobs"] or (), t.jobs)
        view = cascade_store.run_view(row)
        # updated_at is what the trigger window is measured on: the moment the jobs were ready counts.
        views.append(replace(view, jobs_succeeded_at=ready,
                             updated_at=max(filter(None, (view.updated_at, ready)), default=None)))
    return views


def with_stage_jobs(store, cascade: Cascade, snap: Snapshot) -> Snapshot:
    """The snapshot with `jobs_succeeded_at` on the open runs of stages that hand off by `jobs`."""
    runs = dict(snap.runs)
    watched = [(st.run_id, cascade.stages[st.stage].jobs) for st in snap.stages.values()
               if st.run_id and st.stage in cascade.stages and cascade.stages[st.stage].jobs]
    if cascade.trigger is not None and cascade.trigger.jobs and snap.cascade_run.trigger_run_id:
        watched.append((snap.cascade_run.trigger_run_id, cascade.trigger.jobs))  # its moment: dispatch latency
    for run_id, patterns in watched:
        run = runs.get(run_id)
        if run is not None:
            jobs = store.query("cascades/jobs_of_run", run_id=run.run_id, run_attempt=run.run_attempt)
            runs[run_id] = replace(run, jobs_succeeded_at=succeeded_at(jobs, patterns))
    return replace(snap, runs=runs)
