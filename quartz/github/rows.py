"""GitHub's JSON → the store's rows: the one place that parses its timestamps and caps its untrusted text.

Sync, ingest and the cascade state all read the same run and job objects; they map them here, so a job
written by `quartz sync` and one written by `quartz ingest` are the same row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from quartz.text import cap

NAME_CAP = 512  # names, branches, events, actors, runner names, labels
TITLE_CAP = 1024  # a run's display title
MESSAGE_CAP = 4096  # a head commit's message
URL_CAP = 1024
SHA_CAP = 64
LABELS_MAX = 50  # labels kept per job

# GitHub's vocabulary for a workflow run (REST docs; `status` filters take either).
RUN_STATUSES = ("queued", "in_progress", "completed", "waiting", "requested", "pending")
CONCLUSIONS = ("success", "failure", "neutral", "cancelled", "timed_out", "action_required", "stale", "skipped",
               "startup_failure")


def parse_time(text: str | None) -> dt.datetime | None:
    """GitHub's ISO 8601 timestamp (`2026-12-02T18:41:58Z`) as an aware UTC datetime; None or '' stays None."""
    if not text:
        return None
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def labels_json(labels) -> str:
    """A job's runner labels as JSON: GitHub lists strings; some reports send `{"name": ...}` objects."""
    names = [lb if isinstance(lb, str) else str(lb.get("name")) for lb in labels or []
             if isinstance(lb, str) or (isinstance(lb, dict) and lb.get("name") is not None)]
    return json.dumps([cap(n, NAME_CAP) for n in names[:LABELS_MAX]])


def job_row(job: Mapping, run_id: int, attempt: int | None = None) -> dict:
    """One `jobs` row from GitHub's job object; `attempt` when the object may lack its run_attempt."""
    return {
        "job_id": int(job["id"]), "run_id": run_id, "run_attempt": int(job.get("run_attempt") or attempt or 1),
        "name": cap(job.get("name"), NAME_CAP) or "", "status": job.get("status"),
        "conclusion": job.get("conclusion"), "created_at": parse_time(job.get("created_at")),
        "started_at": parse_time(job.get("started_at")), "completed_at": parse_time(job.get("completed_at")),
        "runner_name": cap(job.get("runner_name"), NAME_CAP) or None,
        "labels": labels_json(job.get("labels")), "html_url": cap(job.get("html_url"), URL_CAP),
    }
