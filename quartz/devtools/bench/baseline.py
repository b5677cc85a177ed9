"""The naive poller Quartz is compared with: plain PyGithub, no ETags, no state.

Backfill: for each workflow, one `get_runs(created=<day>)` listing per day of
history (a day stays under the 1,000-result cap) and `run.jobs()` for every
completed run. Each cycle: list the runs created in the last 24 hours (so
re-runs and status changes of the last day are seen) and read `run.jobs()` for
every completed run listed — without a store it cannot know which it has
already. per_page=100, generous to the baseline. It keeps nothing: the
benchmark only counts what it costs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from github import Auth, Github

from quartz.config import Config

LOOKBACK = dt.timedelta(hours=24)


def _client(url: str, token: str) -> Github:
    return Github(base_url=url, auth=Auth.Token(token), retry=None, per_page=100, seconds_between_requests=0)


def _day(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d")


def _read(runs: Iterable) -> int:
    """Read the jobs of every completed run; returns how many runs were read."""
    count = 0
    for run in runs:
        if run.status == "completed":
            for _job in run.jobs():
                pass
            count += 1
    return count


def backfill(config: Config, url: str, token: str, now: dt.datetime, days: int, projects: list[str]) -> int:
    """Read `days` of history of the given projects; returns the completed runs read."""
    gh = _client(url, token)
    read = 0
    for name in projects:
        project = config.projects[name]
        repo = gh.get_repo(project.repo)
        for file in project.workflows:
            workflow = repo.get_workflow(file)
            for back in range(days, -1, -1):
                read += _read(workflow.get_runs(created=_day(now - dt.timedelta(days=back))))
    return read


def cycle(config: Config, url: str, token: str, now: dt.datetime) -> int:
    """One naive poll of every workflow; returns the completed runs whose jobs were read."""
    gh = _client(url, token)
    read = 0
    since = (now - LOOKBACK).strftime("%Y-%m-%dT%H:%M:%SZ")
    for project in config.projects.values():
        repo = gh.get_repo(project.repo)
        for file in project.workflows:
            read += _read(repo.get_workflow(file).get_runs(created=f">={since}"))
    return read
