"""The culprit search of a failed cascade run (issue 28), for its page, its JSON and `quartz status`.

Each probed stage: the verdict in words, the upstreams that moved since the last good run, and every probe
(what it put back, its run, how it ended). Probes are shown apart from the real stages: they never change
the cascade's status.
"""

from __future__ import annotations

from collections import defaultdict

from quartz.site.common import cap, iso, loads, newest


def load(store, ids: list[str]) -> dict[str, list[dict]]:
    """cascade run id → its searches, each with its probes."""
    if not ids:
        return {}
    probes = defaultdict(list)
    for p in store.query("culprit/probes_of", ids=ids):
        probes[(p["cascade_run_id"], p["stage"])].append(p)
    found = defaultdict(list)
    for s in store.query("culprit/searches_of", ids=ids):
        found[s["cascade_run_id"]].append({**s, "probes": probes.get((s["cascade_run_id"], s["stage"]), [])})
    return found


def annotate(store, details: dict, sitemap) -> None:
    """Give every cascade document `culprit`: None, or its searches."""
    searches = load(store, sorted(details))
    for cid, ddoc in details.items():
        mine = searches.get(cid)
        ddoc["culprit"] = {"searches": [search_doc(s, sitemap) for s in mine]} if mine else None
        if mine:  # the file's data is as new as its newest probe
            changed = newest(*(s["updated_at"] for s in mine), *(p["updated_at"] for s in mine for p in s["probes"]))
            ddoc["generated_at"] = max(ddoc["generated_at"], iso(changed))


def search_doc(s: dict, sitemap=None) -> dict:
    good = s["last_good_id"]
    return {
        "stage": s["stage"],
        "status": s["status"],
        "verdict_kind": s["verdict_kind"],
        "verdict": cap(s["verdict"], 1000),
        "culprits": loads(s["culprits"], []),
        "last_good": None if good is None else {
            "id": good, "html": sitemap.cascade_html(good) if sitemap else None},
        "changed": [{"name": c["name"], "then": _version(c.get("then")), "now": _version(c.get("now"))}
                    for c in loads(s["changed"], [])],
        "started_at": iso(s["created_at"]),
        "finished_at": iso(s["finished_at"]),
        "probes": [probe_doc(p) for p in s["probes"]],
    }


def _version(v: dict | None) -> dict | None:
    if not v:
        return None
    return {"run_id": v.get("run_id"), "head_sha": v.get("head_sha"), "html_url": v.get("html_url")}


def probe_doc(p: dict) -> dict:
    return {
        "correlation_id": p["correlation_id"],
        "seq": p["seq"],
        "put_back": loads(p["put_back"], []),
        "status": p["status"],
        "reason": cap(p["reason"]),
        "run_id": p["run_id"],
        "run_url": p["run_url"],
        "dispatched_at": iso(p["dispatched_at"]),
        "finished_at": iso(p["finished_at"]),
        "outcome": p["outcome"],
        "response_status": p["response_status"],
    }
