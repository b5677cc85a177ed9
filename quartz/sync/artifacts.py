"""A run's artifacts (names, sizes, expiry): one request per run, asked for only where something needs them
(cascades that read `artifact_names`, the test-reports pass)."""

from __future__ import annotations

from quartz.github.client import GitHubClient
from quartz.github.rows import NAME_CAP, URL_CAP, parse_time
from quartz.text import cap

PER_PAGE = 100


def fetch_artifact_rows(client: GitHubClient, repo: str, run_id: int) -> list[dict]:
    rows = []
    for page in client.pages(f"/repos/{repo}/actions/runs/{run_id}/artifacts", {"per_page": PER_PAGE}):
        for a in page.body["artifacts"]:
            rows.append({
                "artifact_id": int(a["id"]), "run_id": run_id, "name": cap(a.get("name"), NAME_CAP),
                "size_in_bytes": a.get("size_in_bytes"), "expired": a.get("expired"),
                "created_at": parse_time(a.get("created_at")), "expires_at": parse_time(a.get("expires_at")),
                "archive_download_url": cap(a.get("archive_download_url"), URL_CAP),
            })
    return rows


def fetch_artifacts(store, client: GitHubClient, repo: str, run_id: int) -> int:
    """Store one run's artifacts now (for a run the sync did not fetch them for); returns how many."""
    rows = fetch_artifact_rows(client, repo, run_id)
    with store.transaction():
        if rows:
            store.execute("sync/upsert_artifacts", rows=rows)
        store.execute("sync/mark_artifacts_synced", run_id=run_id)
    return len(rows)
