"""The failure line of every failed job: a pass after the runs pass, bounded per cycle.

Failed jobs (conclusion failure or timed_out) of completed runs that have no `failure_lines` row yet are
taken newest first, at most MAX_JOBS_PER_CYCLE a cycle, so new failures show at once and an old backlog
is worked through over cycles. Each costs one API request (the 302 to the log) plus a capped download
that is not an API request; the tail is classified with the fleet's rules and only the extracted line,
its context and key are stored, never the log. A log GitHub no longer has (410) or never had (404) is
stored as `expired`/`missing`, so it is not asked for again. A download that fails for another reason
stores nothing: the job is asked for again next cycle.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field

from quartz.deadline import DeadlineReached
from quartz.failures import find_failure, read_tail
from quartz.failures.classify import classify
from quartz.github.client import GitHubClient, GitHubError, RateLimited
from quartz.github.joblogs import JobLog, fetch_job_log

MAX_JOBS_PER_CYCLE = 100
MAX_PASS_SECONDS = 180.0  # each download is capped (joblogs.py); this caps their sum, the rest waits a cycle


@dataclass
class FailureLinesReport:
    found: int = 0  # a rule named the line
    none: int = 0  # log read, no rule matched
    expired: int = 0
    missing: int = 0
    errors: list[str] = field(default_factory=list)  # not stored: asked for again next cycle
    stopped: str | None = None  # the rate limit stopped the pass

    @property
    def stored(self) -> int:
        return self.found + self.none + self.expired + self.missing


def sync_failure_lines(config, store, client: GitHubClient, now: dt.datetime, *,
                       max_jobs: int = MAX_JOBS_PER_CYCLE, max_seconds: float = MAX_PASS_SECONDS,
                       clock=time.monotonic) -> FailureLinesReport:
    """Fetch, classify and store the failure lines of up to `max_jobs` failed jobs, for at most
    `max_seconds`."""
    report = FailureLinesReport()
    deadline = clock() + max_seconds
    jobs = store.query("failures/jobs_needing_lines", max_jobs=max_jobs)
    rules = config.rules() if jobs else ()  # compiling them costs 70 ms: not in a quiet cycle
    for job in jobs:
        if clock() > deadline:
            break
        try:
            log = fetch_job_log(client, job["repo"], job["job_id"])
        except RateLimited as exc:
            report.stopped = str(exc)
            break
        except DeadlineReached:
            break  # the cycle's time budget: the rest waits for the next cycle
        except GitHubError as exc:
            report.errors.append(f"{job['repo']} job {job['job_id']}: {exc}")
            continue
        row = line_row(job["job_id"], job["run_id"], log, rules, now)
        store.execute("failures/upsert", rows=[row])  # one row at a time: a crash keeps what was read
        setattr(report, row["status"], getattr(report, row["status"]) + 1)
    return report


def line_row(job_id: int, run_id: int, log: JobLog, rules, now: dt.datetime) -> dict:
    """The failure_lines row for one job's log (or for the absence of one)."""
    row = {"job_id": job_id, "run_id": run_id, "status": log.status, "line": None, "line_number": None,
           "context": None, "rule": None, "key": None, "key_id": None, "fetched_at": now}
    if log.status != "ok":
        return row
    failure = _failure(log, rules)
    if failure is None:
        return {**row, "status": "none"}
    # A cut log numbers its lines from the cut: no honest line number to show.
    number = None if log.truncated else failure.line_number
    return {**row, "status": "found", "line": failure.line, "line_number": number,
            "context": json.dumps(list(failure.context)), "rule": failure.rule, "key": failure.key,
            "key_id": failure.key_id}


def _failure(log: JobLog, rules):
    if not log.truncated:
        return find_failure(log.data, rules)
    return classify(read_tail(log.data, truncated=True).lines, rules)  # a ranged tail: its first line is cut


def add_to_sync(config, store, client: GitHubClient, now: dt.datetime, report, deadline=None) -> None:
    """The pass as `sync()` runs it: counted in its SyncReport, within the cycle's time budget if it has one."""
    before = client.stats.requests
    seconds = MAX_PASS_SECONDS if deadline is None else max(0.0, min(MAX_PASS_SECONDS, deadline.remaining()))
    lines = sync_failure_lines(config, store, client, now, max_seconds=seconds)
    report.failure_lines += lines.stored
    report.log_requests += client.stats.requests - before
    report.stopped = report.stopped or lines.stopped
    report.log_errors += lines.errors
