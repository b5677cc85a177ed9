"""The jobs of runs still going, for the workflows a job-level trigger watches (quartz/cascades/jobtriggers.py).

Other workflows' jobs are read once, when their run completed (quartz/sync/runs.py). For a watched workflow
each open run's job listing is polled with its ETag every cycle: while nothing changed GitHub answers 304,
which costs no rate-limit points, so a quiet cycle still costs 0.
"""

from __future__ import annotations

import datetime as dt

from quartz.config import Config
from quartz.github.rows import job_row

PER_PAGE = 100


def watched(config: Config) -> set[tuple[str, str]]:
    """(project, workflow) of every trigger that names jobs."""
    return {(c.trigger.project, c.trigger.workflow) for c in config.cascades.values()
            if c.trigger is not None and c.trigger.jobs}


def poll_open_runs(store, client, now: dt.datetime, repo: str, workflow: str, skip: set[int] = frozenset()) -> int:
    """Store the current jobs of every open run of one workflow; the number of job rows written."""
    written = 0
    for row in store.query("sync/open_runs_of_workflow", repo=repo, workflow_path=workflow):
        if row["run_id"] not in skip:
            written += poll_run(store, client, now, repo, row["run_id"], row["run_attempt"] or 1)
    return written


def poll_run(store, client, now: dt.datetime, repo: str, run_id: int, attempt: int) -> int:
    path = f"/repos/{repo}/actions/runs/{run_id}/attempts/{attempt}/jobs"
    first = client.get(path, {"per_page": PER_PAGE}, conditional=True)
    if first.not_modified:
        return 0
    rows = [job_row(job, run_id, attempt) for page in client.pages(path, first=first) for job in page.body["jobs"]]
    if rows:
        store.execute("sync/upsert_jobs", rows=rows)
    client.remember(first, now)  # after the rows are stored: a crash before asks again
    return len(rows)
