"""A ping: a fleet workflow's last job says "run N of repo R is done", so the cycle it starts syncs that run
first and advances before the regular sync of the whole fleet.

The ping is only a hint. GitHub keeps one pending run per concurrency group, so of many pings that arrive
during a cycle only the newest starts the next one; the others' runs are found by the regular sync as
always. A ping for a repository cascades.yaml does not list, a payload that is not what the ping action
sends, or a run GitHub does not know is ignored with one line in the cycle summary, never an error.

The payload (`client_payload` of `repository_dispatch` type `quartz-ping`, from .github/actions/ping):
`{"repo": "owner/name", "run_id": 123, "run_attempt": 1}`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path

from quartz.config import Config, Project
from quartz.deadline import DeadlineReached
from quartz.github.client import GitHubError
from quartz.text import cap

EVENT_TYPE = "quartz-ping"
MAX_EVENT_BYTES = 256 * 1024  # GitHub caps client_payload at 64 KB; an event file is a little more
COMPLETION_WAIT_S = 30  # the ping is sent by the run's last job: the run completes seconds later
COMPLETION_POLL_S = 5
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")


@dataclass(frozen=True)
class Ping:
    repo: str
    run_id: int
    project: Project


@dataclass
class PingReport:
    ping: Ping | None = None
    note: str = ""  # one line for the cycle summary: what was synced, or why the ping was ignored
    run_completed: bool = False
    runs: int = 0  # runs stored (0 or 1)
    jobs: int = 0
    seconds_waited: float = 0.0

    def markdown(self) -> str:
        return f"### Ping\n\n{self.note}\n"


def read(path: str | Path | None, config: Config) -> PingReport | None:
    """The ping in a GitHub event file (or a bare payload); None without a path. Never raises on bad input."""
    if not path:
        return None
    try:
        raw = Path(path).read_bytes()[:MAX_EVENT_BYTES + 1]
        if len(raw) > MAX_EVENT_BYTES:
            return PingReport(note=f"ping ignored: the event is larger than {MAX_EVENT_BYTES // 1024} KB")
        event = json.loads(raw)
    except (OSError, ValueError) as exc:
        return PingReport(note=f"ping ignored: the event could not be read ({type(exc).__name__})")
    return parse(event, config)


def parse(event: object, config: Config) -> PingReport:
    """Validate one ping; the report's note says why it was ignored, if it was."""
    if isinstance(event, dict) and "client_payload" in event:
        if event.get("action") not in (None, EVENT_TYPE):
            return PingReport(note=f"ping ignored: event type {_show(event.get('action'))}, not {EVENT_TYPE}")
        event = event["client_payload"]
    if not isinstance(event, dict):
        return PingReport(note="ping ignored: the payload is not an object with repo and run_id")
    repo, run_id = event.get("repo"), event.get("run_id")
    if not isinstance(repo, str) or not _REPO.match(repo):
        return PingReport(note=f"ping ignored: repo {_show(repo)} is not owner/name")
    if isinstance(run_id, str) and run_id.isdigit():
        run_id = int(run_id)
    if not isinstance(run_id, int) or isinstance(run_id, bool) or not 0 < run_id < 2**63:
        return PingReport(note=f"ping ignored: run_id {_show(run_id)} is not a positive integer")
    project = next((p for p in config.projects.values() if p.repo.lower() == repo.lower()), None)
    if project is None:
        return PingReport(note=f"ping ignored: {repo} is not a project in cascades.yaml")
    return PingReport(ping=Ping(project.repo, run_id, project))


def sync_pinged(report: PingReport, store, client, now: dt.datetime, triggers) -> PingReport:
    """Store the pinged run (and its jobs once it completed): one conditional GET, a few if it is finishing.
    Never raises for what GitHub answers: the note says why the run was not synced first."""
    ping = report.ping
    if ping is None:
        return report
    try:
        _sync_run(report, store, client, now, triggers)
    except DeadlineReached:
        report.note = f"ping for run {ping.run_id} of {ping.repo}: the time budget ran out; the sync will see it"
    except (GitHubError, KeyError, TypeError, ValueError) as exc:  # the regular sync reads the run as always
        why = str(exc) if isinstance(exc, GitHubError) else f"unexpected answer ({type(exc).__name__})"
        report.note = f"ping ignored: run {ping.run_id} of {ping.repo}: {cap(' '.join(why.split()), 200)}"
    return report


def _sync_run(report: PingReport, store, client, now: dt.datetime, triggers) -> None:
    from quartz.sync.bookkeeping import Bookkeeping
    from quartz.sync.runs import FIRST_PAGE_DEPTH, _Counts, _WorkflowSync

    ping = report.ping
    run = _wait_for_completion(report, client, now)
    workflow = Path(str(run.get("path") or "")).name
    if workflow not in ping.project.workflows:
        report.note = (f"ping ignored: run {ping.run_id} of {ping.repo} is of {_show(workflow)}, a workflow "
                       f"cascades.yaml does not watch for {ping.project.name}")
        return
    counts = _Counts()
    _WorkflowSync(store, client, now, ping.project, workflow, triggers, counts,
                  Bookkeeping(store, FIRST_PAGE_DEPTH)).ingest([run])
    report.run_completed = run.get("status") == "completed"
    if not report.run_completed and any(t.jobs for t in triggers.get((ping.project.name, workflow), ())):
        from quartz.sync import jobwatch  # a job-level trigger may be ready while the run is still going

        counts.jobs += jobwatch.poll_run(store, client, now, ping.repo, ping.run_id, int(run.get("run_attempt") or 1))
    report.runs, report.jobs = counts.runs_new + counts.runs_updated, counts.jobs
    state = "completed" if report.run_completed else f"still {_show(run.get('status'))}"
    report.note = (f"ping: synced run {ping.run_id} of {ping.repo} ({workflow}, {state}) first; "
                   f"{counts.jobs} jobs stored")


def _wait_for_completion(report: PingReport, client, now: dt.datetime) -> dict:
    """The run as GitHub has it, polled (conditionally: a 304 is free) while its last job is ending."""
    ping = report.ping
    path = f"/repos/{ping.repo}/actions/runs/{ping.run_id}"
    while True:
        response = client.get(path, conditional=True, keep_body=True)
        if response.body is None:
            raise GitHubError("GitHub sent no run", response.status, response.url)
        client.remember(response, now)
        run = response.body
        if run.get("status") == "completed" or report.seconds_waited >= COMPLETION_WAIT_S:
            return run
        if client.deadline is not None and not client.deadline.allows(COMPLETION_POLL_S):
            return run
        client.sleep(COMPLETION_POLL_S)
        report.seconds_waited += COMPLETION_POLL_S


def _show(value: object) -> str:
    """Untrusted text from a payload, short and on one line, for the summary."""
    return repr(cap(" ".join(str(value).split()), 60))


def merge_advance(first, second):
    """One AdvanceReport for the cycle's two advances (after the ping, after the sync): counts and lists add
    up, and a report inside it (the culprit probes') merges the same way."""
    if first is None or second is None:
        return second or first
    for f in fields(second):
        mine, theirs = getattr(first, f.name), getattr(second, f.name)
        nested = None in (mine, theirs) or is_dataclass(mine) or is_dataclass(theirs)
        setattr(second, f.name, merge_advance(mine, theirs) if nested else mine + theirs)
    return second
