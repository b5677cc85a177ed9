"""What changed since the last good run: for every failed or partially failed cascade run, the newest
earlier run of the same cascade that succeeded, the version tuple of each (trigger and every stage:
repo, run, sha), which changed (with GitHub compare links), which stages flipped from pass to fail, and
which of its failure groups are new.

Joined at render time from the pages' own documents; the cascade engine is not involved. Commit counts
between two shas are left out: GitHub's compare API costs one request per pair and the render makes none.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse

from quartz.site import failures
from quartz.site.common import SiteMap, iso

FAILED = ("failure", "partial_failure")


def annotate(store, details: dict, cascade_rows: list[dict], sitemap: SiteMap) -> None:
    """Give every cascade document `since_last_good` (None unless the run failed)."""
    older: dict[str, list[dict]] = {}
    for row in reversed(cascade_rows):  # oldest first
        older.setdefault(row["cascade"], []).append(row)
    position = {r["cascade_run_id"]: n for rows in older.values() for n, r in enumerate(rows)}
    for cid, ddoc in details.items():
        ddoc["since_last_good"] = None
        if ddoc["status"] not in FAILED:
            continue
        earlier = older[ddoc["cascade"]][:position[cid]]
        good = next((r for r in reversed(earlier) if r["status"] == "success"), None)
        ddoc["since_last_good"] = compare(store, ddoc, details.get(good["cascade_run_id"]) if good else None,
                                          good, sitemap)


def compare(store, now_doc: dict, good_doc: dict | None, good_row: dict | None, sitemap: SiteMap) -> dict:
    good_versions = {v["role"]: v for v in (good_doc or {}).get("versions", [])}
    versions = []
    for v in now_doc["versions"]:
        then = good_versions.get(v["role"])
        changed = then is not None and (then["head_sha"] != v["head_sha"] or then["repo"] != v["repo"])
        versions.append({
            "role": v["role"], "project": v["project"], "repo": v["repo"],
            "then": {"run_id": then["run_id"], "head_sha": then["head_sha"]} if then else None,
            "now": {"run_id": v["run_id"], "head_sha": v["head_sha"]},
            "changed": changed,
            "compare_url": compare_url(v, then) if changed else None,
        })
    then_states = {s["name"]: s["status"] for s in (good_doc or {}).get("stages", [])}
    flipped = [{"stage": s["name"], "then": then_states[s["name"]], "now": s["status"],
                "failure": failures.summary(s.get("failure"))}
               for s in now_doc["stages"]
               if then_states.get(s["name"]) == "success" and s["status"] in ("failure", "timed_out")]
    return {
        "last_good": None if good_row is None else {
            "id": good_row["cascade_run_id"], "created_at": iso(good_row["created_at"]),
            "html": sitemap.cascade_html(good_row["cascade_run_id"]),
            "api": sitemap.cascade_api(good_row["cascade_run_id"])},
        "versions_known": good_doc is not None,
        "versions": versions,
        "flipped": flipped,
        "new_failures": _new_failures(store, now_doc),
    }


def _new_failures(store, now_doc: dict) -> list[dict]:
    found = [(s["name"], s["failure"]) for s in now_doc["stages"] if s.get("failure") and s["failure"]["key_id"]]
    created = dt.datetime.fromisoformat(now_doc["created_at"].replace("Z", "+00:00"))
    new = failures.new_keys(store, [f["key_id"] for _, f in found], created)
    return [{"stage": stage, "key": f["key"], "key_id": f["key_id"], "rule": f["rule"], "line": f["line"],
             "group": f["group"]} for stage, f in found if f["key_id"] in new]


def compare_url(now: dict, then: dict) -> str | None:
    """`https://HOST/{repo}/compare/{old}...{new}`, HOST taken from the run's own link (GHES works)."""
    if not (now.get("html_url") and now.get("head_sha") and then.get("head_sha")) or now["repo"] != then["repo"]:
        return None
    parts = urllib.parse.urlsplit(now["html_url"])
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}/{now['repo']}/compare/{then['head_sha']}...{now['head_sha']}"
