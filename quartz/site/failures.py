"""Failure lines on the site: per job (build pages), per run (health cells, cascade stages), and grouped
across the fleet (failures.html, api/v1/failures.json).

A group is every occurrence of one grouping key (quartz/failures/key.py) among the jobs that finished in
the last GROUP_WINDOW; it is *new* when the key failed no job in the NEW_AFTER before its first occurrence.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from quartz.site.common import SiteMap, cap, doc, iso, loads

GROUP_WINDOW = dt.timedelta(hours=24)
NEW_AFTER = dt.timedelta(days=14)
LINE_CAP = 1000  # the store keeps at most this much of a line already; caps again for the page
CONTEXT_CAP = 500
SUMMARY_CAP = 300


def load(store, run_ids) -> dict[int, list[dict]]:
    """run_id → its stored failure lines, latest attempt first."""
    found: dict[int, list[dict]] = defaultdict(list)
    for row in store.query("failures/for_runs", run_ids=sorted(set(run_ids))):
        found[row["run_id"]].append(row)
    return found


def job_failure(row: dict | None) -> dict | None:
    """The `failure` of a failed job in the JSON: what its log said, or why there is no line."""
    if row is None:
        return None
    return {
        "status": row["status"],
        "line": cap(row["line"], LINE_CAP),
        "line_number": row["line_number"],
        "context": [cap(c, CONTEXT_CAP) for c in loads(row["context"], [])][:5],
        "rule": row["rule"],
        "key": row["key"],
        "key_id": row["key_id"],
        "group": row.get("group"),
    }


def run_failure(rows: list[dict], attempt: int | None = None) -> dict | None:
    """The failure that speaks for a run: the first failed job of its latest attempt with a line (else the
    first with any record), with the job's name and link."""
    if not rows:
        return None
    newest = attempt or max(r["run_attempt"] for r in rows)
    mine = [r for r in rows if r["run_attempt"] == newest] or rows
    row = next((r for r in mine if r["status"] == "found"), mine[0])
    return {**job_failure(row), "job": cap(row["job_name"]), "job_id": row["job_id"],
            "job_html_url": row["job_html_url"]}


def summary(failure: dict | None) -> str | None:
    """One line for a tooltip, a stage's reason or the terminal: `job: line`, or why there is none."""
    if not failure:
        return None
    said = {"found": failure.get("line"), "none": "no known failure line in its log",
            "expired": "its log has expired", "missing": "its log was never written"}.get(failure["status"])
    return cap(f"{failure['job']}: {said}", SUMMARY_CAP) if said else None


# ---------------------------------------------------------------- groups across the fleet


def groups(store, now: dt.datetime, sitemap: SiteMap | None = None) -> list[dict]:
    """Today's failure groups (GROUP_WINDOW), the newest-seen first."""
    since = now - GROUP_WINDOW
    seen_before: dict[str, list[dt.datetime]] = defaultdict(list)
    today: dict[str, list[dict]] = defaultdict(list)
    for row in store.query("failures/occurrences", since=since - NEW_AFTER):
        if row["seen_at"] >= since:
            today[row["key_id"]].append(row)
        else:
            seen_before[row["key_id"]].append(row["seen_at"])
    out = [_group(rows, seen_before[key_id], sitemap or SiteMap()) for key_id, rows in today.items()]
    return sorted(out, key=lambda g: (g["last_seen"], g["key_id"]), reverse=True)


def _group(rows: list[dict], before: list[dt.datetime], sitemap: SiteMap) -> dict:
    first, last = rows[0], rows[-1]  # rows come oldest first
    projects = list(dict.fromkeys(r["project"] for r in rows))
    places = list(dict.fromkeys((r["project"], r["head_branch"]) for r in rows))
    new = not any(first["seen_at"] - NEW_AFTER <= at < first["seen_at"] for at in before)
    return {
        "key": first["key"], "key_id": first["key_id"], "rule": first["rule"],
        "line": cap(last["line"], LINE_CAP),
        "jobs": len(rows), "runs": len({r["run_id"] for r in rows}),
        "projects": projects, "branches": [{"project": p, "branch": cap(b)} for p, b in places],
        "first_seen": iso(first["seen_at"]), "last_seen": iso(last["seen_at"]), "first_project": first["project"],
        "new": new,
        "summary": _group_words(rows, projects, places, first),
        "occurrences": [{"project": r["project"], "branch": cap(r["head_branch"]), "job": cap(r["job_name"]),
                         "run_id": r["run_id"], "html": sitemap.build_html(r["run_id"]),
                         "job_id": r["job_id"], "job_html_url": r["job_html_url"],
                         "at": iso(r["seen_at"])} for r in reversed(rows[-50:])],
    }


def _group_words(rows, projects, places, first) -> str:
    where = f"{len(projects)} project{'s' if len(projects) != 1 else ''}"
    if len(places) > len(projects):
        where += f" ({len(places)} branches)"
    at = first["seen_at"].astimezone(dt.UTC)
    when = f"{at:%H:%M}" if at.date() == rows[-1]["seen_at"].astimezone(dt.UTC).date() else f"{at:%b %d %H:%M}"
    return f"seen in {where} since {when} UTC, first in {first['project']}"


def groups_doc(store, now: dt.datetime, sitemap: SiteMap | None = None) -> dict:
    found = groups(store, now, sitemap)
    stamp = max((dt.datetime.fromisoformat(g["last_seen"]) for g in found), default=None)
    return doc("failures", stamp, now, window_hours=int(GROUP_WINDOW.total_seconds() // 3600),
               new_after_days=NEW_AFTER.days, groups=found)


def link_groups(lines: dict, groups_document: dict) -> None:
    """Point each stored line at its group on the Failures page, when the page lists it (today's only)."""
    listed = {g["key_id"] for g in groups_document["groups"]}
    for rows in lines.values():
        for row in rows:
            row["group"] = f"failures.html#k-{row['key_id']}" if row["key_id"] in listed else None


def new_keys(store, key_ids, before: dt.datetime) -> set[str]:
    """Which keys failed no job in the NEW_AFTER before `before`."""
    key_ids = sorted(set(k for k in key_ids if k))
    if not key_ids:
        return set()
    seen = {r["key_id"] for r in store.query("failures/keys_seen_between", key_ids=key_ids,
                                               lo=before - NEW_AFTER, hi=before)}
    return set(key_ids) - seen


# ---------------------------------------------------------------- joined into other pages at render time

FAILED = ("failure", "timed_out", "partial_failure")


def cell_run_ids(categories: list[dict]) -> set[int]:
    from quartz.site.health import all_cells
    return {c["run_id"] for _, c in all_cells(categories) if c["run_id"] is not None}


def annotate_cells(categories: list[dict], lines: dict) -> None:
    """Each grid cell gains `failure`: what its failed run's first failed job said (shown on hover)."""
    from quartz.site.health import all_cells
    for _, c in all_cells(categories):
        failure = run_failure(lines.get(c["run_id"], [])) if c["state"] in FAILED else None
        c["failure"] = {**failure, "summary": summary(failure)} if failure else None


def annotate_stages(details: dict, lines: dict) -> None:
    """A failed stage gains `failure`, and its reason says what the log said (the engine stays pure:
    the reason it stored is kept, the line is joined here)."""
    for ddoc in details.values():
        for stage in ddoc["stages"]:
            run = stage["run"]
            failed = stage["status"] in ("failure", "timed_out") or (run and run["conclusion"] in FAILED)
            failure = run_failure(lines.get(run["run_id"], [])) if run and failed else None
            stage["failure"] = failure
            said = summary(failure)
            if said:
                stage["reason"] = cap(f"{stage['reason']} — {said}" if stage["reason"] else said, 500)


def annotate_items(items: dict, details: dict) -> None:
    """A cascade run in the lists gains `failure`: what the log of the stage it stopped at said."""
    for cid, item in items.items():
        stages = {s["name"]: s for s in details.get(cid, {}).get("stages", [])}
        stopped = stages.get(item["stopped_at"]) if item["stopped_at"] else None
        item["failure"] = summary(stopped.get("failure")) if stopped else None
