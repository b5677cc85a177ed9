"""Finding a cascade's runs on GitHub: by correlation id after a dispatch, by id when sync has not stored it."""

from __future__ import annotations

import urllib.parse
from datetime import datetime, timedelta

from github import GithubException

from quartz.cascades import engine
from quartz.cascades import state as cascade_store
from quartz.cascades.engine import RunView
from quartz.github.client import NotFound

SEARCH_SLACK = timedelta(minutes=2)  # clocks differ a little; look for runs created a bit before the intent


def search_by_correlation(client, repo: str, stage, corr: str, dispatched_at: datetime,
                          now: datetime) -> RunView | None:
    """The run whose name shows this correlation id, among runs created since the dispatch."""
    created = (dispatched_at - SEARCH_SLACK).strftime("%Y-%m-%dT%H:%M:%SZ")
    if stage.kind == "workflow_dispatch":
        path = f"/repos/{repo}/actions/workflows/{urllib.parse.quote(stage.workflow, safe='')}/runs"
        params = {"event": "workflow_dispatch", "created": f">={created}", "per_page": 100}
    else:
        path = f"/repos/{repo}/actions/runs"
        params = {"event": "repository_dispatch", "created": f">={created}", "per_page": 100}
    first = client.get(path, params, conditional=True)
    if first.not_modified:  # nothing new since we last looked and did not find it
        return None
    matches = [r for page in client.pages(path, params, first=first) for r in page.body.get("workflow_runs", [])
               if engine.title_has_correlation(r.get("display_title"), corr)]
    if not matches:
        client.remember(first, now)
        return None
    oldest = min(matches, key=lambda r: (r.get("created_at") or "", r["id"]))
    return cascade_store.run_view_from_api(oldest)


def fetch_run(client, repo: str, run_id: int, now: datetime) -> RunView | None:
    """A run the sync has not stored (a workflow Quartz does not list, or not synced yet); None if it 404s."""
    try:
        response = client.get(f"/repos/{repo}/actions/runs/{run_id}", conditional=True, keep_body=True)
    except NotFound:
        return None
    if response.body is None:
        return None
    client.remember(response, now)
    return cascade_store.run_view_from_api(response.body)


def github_message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    return str(data.get("message") or exc.data or "")[:300].replace("\n", " ")
