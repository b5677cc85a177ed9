"""Cascade runs: the list (cascades.html, api/v1/cascades.json) and one page per run."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from quartz.site import paths
from quartz.site.common import SiteMap, cap, doc, iso, loads, newest, paginate_blocks, seconds_between

PAGES_PER_CASCADE = 100  # cascade runs per cascade that get their own page (plus every running one)
LIST_BLOCK = 100


def chosen_ids(cascade_rows: list[dict]) -> set[str]:
    """Which cascade runs get a page: every running one and the newest PAGES_PER_CASCADE of each cascade."""
    seen: dict[str, int] = defaultdict(int)
    chosen = set()
    for row in cascade_rows:  # newest first
        seen[row["cascade"]] += 1
        if row["status"] == "running" or seen[row["cascade"]] <= PAGES_PER_CASCADE:
            chosen.add(row["cascade_run_id"])
    return chosen


def load_details(store, ids: list[str]) -> tuple[dict, dict, dict]:
    stages, events, attempts = defaultdict(list), defaultdict(list), defaultdict(list)
    for row in store.query("site/cascade_stages", ids=ids):
        stages[row["cascade_run_id"]].append(row)
    for row in store.query("site/cascade_events", ids=ids):
        events[row["cascade_run_id"]].append(row)
    for row in store.query("site/dispatch_attempts", ids=ids):
        attempts[(row["cascade_run_id"], row["stage"])].append(row)
    return stages, events, attempts


def list_item(row: dict, stage_rows: list[dict] | None, sitemap: SiteMap) -> dict:
    counts: dict[str, int] = defaultdict(int)
    stopped = None
    for s in stage_rows or []:
        counts[s["status"]] += 1
        if stopped is None and s["status"] in ("failure", "timed_out", "cancelled"):
            stopped = s["stage"]
    return {
        "id": row["cascade_run_id"],
        "cascade": row["cascade"],
        "status": row["status"],
        "reason": cap(row["reason"]),
        "trigger_kind": row["trigger_kind"],
        "trigger_run_id": row["trigger_run_id"],
        "created_at": iso(row["created_at"]),
        "finished_at": iso(row["finished_at"]),
        "duration_s": seconds_between(row["created_at"], row["finished_at"]),
        "stage_counts": dict(sorted(counts.items())),
        "stopped_at": stopped,
        "html": sitemap.cascade_html(row["cascade_run_id"]),
        "api": sitemap.cascade_api(row["cascade_run_id"]),
    }


def list_docs(items_newest_first: list[dict], cascade_rows: list[dict], now: dt.datetime):
    """(relative api path, doc) for cascades.json and its older fixed blocks."""
    stamps = {r["cascade_run_id"]: r["updated_at"] for r in cascade_rows}
    oldest_first = list(reversed(items_newest_first))
    head, blocks = paginate_blocks(oldest_first, LIST_BLOCK)
    out = []
    for number, block in enumerate(blocks, start=1):
        out.append((f"{paths.API}/cascades-{number}.json", doc(
            "cascades", newest(*(stamps[i["id"]] for i in block)), now,
            block=number, items=list(reversed(block)),
            next=f"cascades-{number - 1}.json" if number > 1 else None)))
    out.insert(0, (paths.api_cascades(), doc(
        "cascades", newest(*(stamps[i["id"]] for i in head)), now,
        block=None, total=len(items_newest_first), items=list(reversed(head)),
        next=f"cascades-{len(blocks)}.json" if blocks else None)))
    return out


# ---------------------------------------------------------------- one cascade run

_WAITING = {
    "pending": "waiting for its parents to pass",
    "dispatched": "dispatched; waiting for its run to appear",
    "running": "its run is in progress",
    "failure": "its run failed",
    "cancelled": "cancelled",
    "timed_out": "timed out",
    "skipped": "skipped because a required parent did not pass",
}


def stage_reason(stage_row: dict | None, definition) -> str | None:
    """Why a stage is where it is; every stage not yet passed gets one."""
    if stage_row is None:
        parents = ", ".join(definition.depends_on) if definition and definition.depends_on else None
        return f"not started; waiting for {parents}" if parents else "not started"
    if stage_row["status"] == "success":
        return cap(stage_row["reason"]) if stage_row["reason"] else None
    if stage_row["reason"]:
        return cap(stage_row["reason"])
    text = _WAITING.get(stage_row["status"], stage_row["status"])
    if stage_row["status"] == "pending" and definition and definition.depends_on:
        text = f"waiting for {', '.join(definition.depends_on)} to pass"
    return text


def detail_doc(config, row: dict, stage_rows: list[dict], events: list[dict], attempts: dict,
               trigger: dict | None, sitemap: SiteMap, now: dt.datetime) -> dict:
    cascade = config.cascades.get(row["cascade"])
    definitions = dict(cascade.stages) if cascade else {}
    by_name = {s["stage"]: s for s in stage_rows}
    names = list(definitions) + sorted(set(by_name) - set(definitions))
    stages = [_stage_doc(row, name, definitions.get(name), by_name.get(name), attempts, sitemap) for name in names]
    timing = _timing(row, stages, trigger)
    critical = _critical_path(stages, timing)
    for s in stages:
        s["timing"] = timing[s["name"]]
        s["on_critical_path"] = s["name"] in critical
        s.pop("_row")
    trigger_doc = _trigger_doc(row, trigger, cascade, sitemap)
    last_done = newest(*(s["_finished"] for s in timing.values() if s.get("_finished")))
    upstream_done = trigger["updated_at"] if trigger else row["created_at"]
    for t in timing.values():
        t.pop("_finished", None)
        t.pop("_ready", None)
    return doc(
        "cascade", newest(row["updated_at"], *(e["occurred_at"] for e in events)), now,
        id=row["cascade_run_id"],
        cascade=row["cascade"],
        description=cascade.description if cascade else None,
        status=row["status"],
        reason=cap(row["reason"]),
        trigger_kind=row["trigger_kind"],
        created_by=cap(row["created_by"]),
        created_at=iso(row["created_at"]),
        finished_at=iso(row["finished_at"]),
        duration_s=seconds_between(row["created_at"], row["finished_at"]),
        lead_time_s=seconds_between(upstream_done, last_done) if row["finished_at"] else None,
        params={cap(k, 60): cap(v) for k, v in loads(row["params"], {}).items()},
        trigger=trigger_doc,
        versions=_versions(row, trigger_doc, stages),
        stages=stages,
        critical_path=critical,
        timeline=[{"at": iso(e["occurred_at"]), "stage": e["stage"], "kind": cap(e["kind"], 40),
                   "message": cap(e["message"])} for e in events],
        html=paths.cascade_page(row["cascade_run_id"]),
        graph=_graph(cascade, names),
    )


def _stage_doc(row: dict, name: str, d, s: dict | None, attempts: dict, sitemap: SiteMap) -> dict:
    """One stage as stored (s) against its definition (d); either may be missing."""
    run = None
    if s and s["run_id"] is not None:
        run = {"run_id": s["run_id"], "repo": s["repo"], "head_sha": s["head_sha"],
               "head_branch": cap(s["head_branch"]), "html_url": s["html_url"],
               "conclusion": s["run_conclusion"], "status": s["run_status"],
               "html": sitemap.build_html(s["run_id"]), "api": sitemap.build_api(s["run_id"])}
    return {
        "name": name,
        "project": d.project if d else (s["project"] if s else None),
        "status": s["status"] if s else "pending",
        "reason": stage_reason(s, d),
        "optional": bool(d.optional) if d else False,
        "depends_on": list(d.depends_on) if d else [],
        "attempt": s["attempt"] if s else 0,
        "attempts": [_attempt(a) for a in attempts.get((row["cascade_run_id"], name), [])],
        "correlation_id": s["correlation_id"] if s else None,
        "run": run,
        "dispatched_at": iso(s["dispatched_at"]) if s else None,
        "started_at": iso(s["started_at"]) if s else None,
        "finished_at": iso(s["finished_at"]) if s else None,
        "_row": s,
    }


def _trigger_doc(row: dict, trigger: dict | None, cascade, sitemap: SiteMap) -> dict | None:
    if row["trigger_run_id"] is None:
        return None
    configured = cascade.trigger.project if cascade and cascade.trigger else None
    return {"run_id": row["trigger_run_id"], "repo": row["trigger_repo"], "head_sha": row["trigger_sha"],
            "project": trigger["project"] if trigger else configured,
            "head_branch": cap(trigger["head_branch"]) if trigger else None,
            "html_url": trigger["html_url"] if trigger else None,
            "finished_at": iso(trigger["updated_at"]) if trigger else None,
            "html": sitemap.build_html(row["trigger_run_id"]),
            "api": sitemap.build_api(row["trigger_run_id"])}


def _attempt(a: dict) -> dict:
    return {"attempt": a["attempt"], "correlation_id": a["correlation_id"], "kind": a["kind"],
            "sent_at": iso(a["sent_at"]), "outcome": a["outcome"], "response_status": a["response_status"],
            "run_id": a["run_id"], "error": cap(a["error"])}


def _versions(row: dict, trigger: dict | None, stages: list[dict]) -> list[dict]:
    """The exact versions this cascade run carries: the trigger run and every stage's run."""
    found = []
    if trigger:
        found.append({"role": "trigger", "project": trigger["project"], "repo": trigger["repo"],
                      "run_id": trigger["run_id"], "head_sha": trigger["head_sha"],
                      "head_branch": trigger["head_branch"], "html_url": trigger["html_url"]})
    for s in stages:
        if s["run"]:
            found.append({"role": f"stage {s['name']}", "project": s["project"], "repo": s["run"]["repo"],
                          "run_id": s["run"]["run_id"], "head_sha": s["run"]["head_sha"],
                          "head_branch": s["run"]["head_branch"], "html_url": s["run"]["html_url"]})
    return found


def _timing(row: dict, stages: list[dict], trigger: dict | None) -> dict:
    """Per stage: when it could start (parents done), dispatch latency, queue time and run time.

    Dispatch latency runs from the upstream signal's completion as recorded at dispatch (cascades/signal.py:
    a run's completion or a job-level hand-off) to the dispatch; unknown (null) when none was recorded."""
    finished = {}
    out = {}
    origin = row["created_at"]
    for s in stages:  # parents before children (config order)
        r = s["_row"] or {}
        parents = [finished.get(p) for p in s["depends_on"]]
        ready = newest(origin, *parents) if all(parents) or not s["depends_on"] else None
        dispatched, started, done = r.get("dispatched_at"), r.get("started_at") or r.get("run_started_at"), \
            r.get("finished_at")
        # Only stages that ran shape the critical path; a skipped stage "finishes" without running.
        finished[s["name"]] = done if (dispatched or started) else None
        out[s["name"]] = {
            "ready_at": iso(ready),
            "offset_s": seconds_between(origin, ready),
            "dispatch_latency_s": seconds_between(r.get("signal_at"), dispatched),
            "signal_at": iso(r.get("signal_at")),
            "signal": cap(r.get("signal")),
            "queue_s": seconds_between(dispatched, started),
            "run_s": seconds_between(started, done),
            "_finished": finished[s["name"]],
            "_ready": ready,
        }
    return out


def _critical_path(stages: list[dict], timing: dict) -> list[str]:
    """From the stage that finished last, walk back through the parent that finished last."""
    by_name = {s["name"]: s for s in stages}
    done = [(timing[s["name"]]["_finished"], s["name"]) for s in stages if timing[s["name"]]["_finished"]]
    if not done:
        return []
    path = [max(done)[1]]
    while True:
        parents = [(timing[p]["_finished"], p) for p in by_name[path[-1]]["depends_on"]
                   if p in timing and timing[p]["_finished"]]
        if not parents:
            break
        path.append(max(parents)[1])
    return list(reversed(path))


def _graph(cascade, names: list[str]) -> dict:
    """Nodes with their depth (longest path from a root) and edges, from the config's stage graph."""
    depth: dict[str, int] = {}
    root = None
    if cascade and cascade.trigger:
        root = f"trigger: {cascade.trigger.project}"
    elif cascade and cascade.nightly_trigger:
        root = f"trigger: {cascade.nightly_trigger.describe()}"
    for name in names:
        d = cascade.stages.get(name) if cascade else None
        parents = [p for p in (d.depends_on if d else ()) if p in depth]
        depth[name] = (max(depth[p] for p in parents) + 1) if parents else (1 if root else 0)
    edges = []
    for name in names:
        d = cascade.stages.get(name) if cascade else None
        if d and d.depends_on:
            edges += [[p, name] for p in d.depends_on if p in depth]
        elif root:
            edges.append([root, name])
    nodes = ([{"id": root, "depth": 0, "trigger": True}] if root else []) + \
        [{"id": n, "depth": depth[n], "trigger": False} for n in names]
    return {"nodes": nodes, "edges": edges}

