"""`quartz status [CASCADE_ID] [--json]`: where each cascade run is, and why, in the terminal.

Without an id: the newest cascade runs, one line each. With an id: its stages
(status, attempt, run link, reason) and its timeline. Text from GitHub (error
messages, names) is printed with control characters replaced, so it cannot
drive the terminal.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

RECENT = 20
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def inert(value) -> str:
    return _CONTROL.sub("?", "" if value is None else str(value))


def recent(store, limit: int = RECENT) -> list[dict]:
    """The newest cascade runs, each with the verdicts of its culprit searches (stage → verdict)."""
    from quartz.site import culprit

    rows = store.query("cascades/runs_recent", limit=limit)
    searches = culprit.load(store, [r["cascade_run_id"] for r in rows])
    return [{**r, "culprit": {s["stage"]: s["verdict"] or "searching"
                              for s in searches.get(r["cascade_run_id"], [])}} for r in rows]


def one(store, cascade_run_id: str) -> dict:
    row = store.query_one("cascades/run_get", cascade_run_id=cascade_run_id)
    if row is None:
        from quartz.cascades.admin import cascade_run_or_fail

        cascade_run_or_fail(store, cascade_run_id)  # raises with a suggestion
    return {
        "cascade_run": row,
        "stages": _with_failures(store, store.query("cascades/stages_of", cascade_run_id=cascade_run_id)),
        "events": store.query("cascades/events_of", cascade_run_id=cascade_run_id),
        "culprit": _culprit(store, cascade_run_id),
    }


def _culprit(store, cascade_run_id: str) -> list[dict]:
    """The culprit searches of the run's failed stages, as its JSON document shows them."""
    from quartz.site import culprit

    return [culprit.search_doc(s) for s in culprit.load(store, [cascade_run_id]).get(cascade_run_id, [])]


def _with_failures(store, stages: list[dict]) -> list[dict]:
    """Each failed stage gains `failure`: the failure line of its run's first failed job, if synced."""
    from quartz.site.failures import load, run_failure, summary

    failed = [s["run_id"] for s in stages if s["run_id"] and s["status"] in ("failure", "timed_out")]
    lines = load(store, failed) if failed else {}
    return [{**s, "failure": summary(run_failure(lines.get(s["run_id"], [])))} for s in stages]


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else "-"


def _table(headers: list[str], rows: list[list[str]], last_wide: bool = True) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    if last_wide:
        widths[-1] = 0  # the last column (a reason) is never padded or cut
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def format_recent(rows: list[dict]) -> str:
    if not rows:
        return "no cascade runs yet (they start when an upstream run matches a trigger, or with `quartz start`)"
    body = []
    for r in rows:
        stages = f"{r['succeeded']}/{r['stages']} ok"
        if r["failed"]:
            stages += f", {r['failed']} failed"
        if r["open"]:
            stages += f", {r['open']} open"
        trigger = f"run {r['trigger_run_id']}" if r["trigger_run_id"] else "-"
        body.append([inert(r["cascade_run_id"]), inert(r["cascade"]), inert(r["status"]), stages,
                     _when(r["created_at"]), f"{r['trigger_kind']} {trigger}"])
    verdicts = [f"  {inert(r['cascade_run_id'])} {inert(stage)}: {inert(verdict)}"
                for r in rows for stage, verdict in r.get("culprit", {}).items()]
    table = _table(["CASCADE RUN", "CASCADE", "STATUS", "STAGES", "STARTED (UTC)", "TRIGGER"], body)
    return table + ("\n\nculprit probes:\n" + "\n".join(verdicts) if verdicts else "")


def format_one(picture: dict) -> str:
    cr = picture["cascade_run"]
    lines = [f"{inert(cr['cascade_run_id'])}  ({inert(cr['cascade'])})  {inert(cr['status'])}"]
    trigger = cr["trigger_kind"]
    if cr["trigger_run_id"]:
        trigger += f", {inert(cr['trigger_repo'])} run {cr['trigger_run_id']}"
        if cr["trigger_sha"]:
            trigger += f" at {inert(cr['trigger_sha'])[:12]}"
    lines.append(f"trigger: {trigger}; started {_when(cr['created_at'])} UTC"
                 + (f", finished {_when(cr['finished_at'])} UTC" if cr["finished_at"] else ""))
    params = json.loads(cr["params"]) if isinstance(cr["params"], str) else (cr["params"] or {})
    if params:
        lines.append("params: " + ", ".join(f"{inert(k)}={inert(v)}" for k, v in params.items()))
    lines.append("")
    rows = [[inert(s["stage"]), inert(s["status"]), str(s["attempt"]), inert(s["run_url"] or s["run_id"] or "-"),
             inert(s["reason"]) + (f" — {inert(s['failure'])}" if s.get("failure") else "")]
            for s in picture["stages"]]
    lines.append(_table(["STAGE", "STATUS", "ATTEMPT", "RUN", "REASON"], rows))
    lines += _format_culprit(picture.get("culprit") or [])
    lines += ["", "timeline:"]
    for e in picture["events"]:
        where = f"{inert(e['stage'])}: " if e["stage"] else ""
        lines.append(f"  {_when(e['occurred_at'])}  {inert(e['kind']):<16} {where}{inert(e['message'])}")
    return "\n".join(lines)


def _format_culprit(searches: list[dict]) -> list[str]:
    lines = []
    for c in searches:
        lines += ["", f"culprit probes of {inert(c['stage'])} ({inert(c['status'])}): "
                      f"{inert(c['verdict'] or 'searching')}"]
        for p in c["probes"]:
            what = " + ".join(p["put_back"]) + " put back" if p["put_back"] else "re-run as it was"
            lines.append(f"  {inert(p['correlation_id'])}  {what:<28} {inert(p['status']):<10} "
                         f"{inert(p['run_url'] or p['run_id'] or '-')}")
    return lines


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def as_json(picture) -> str:
    if isinstance(picture, dict) and "cascade_run" in picture:
        cr = dict(picture["cascade_run"])
        for key in ("params", "upstream"):
            if isinstance(cr.get(key), str):
                cr[key] = json.loads(cr[key])
        picture = {**picture, "cascade_run": cr}
    else:
        picture = {"cascade_runs": picture}
    return json.dumps({"schema_version": 1, **_jsonable(picture)}, indent=2, sort_keys=True)


def main(args) -> int:
    from quartz.store import reader

    with reader.read_only(args.store) as store:
        picture = one(store, args.cascade_run_id) if args.cascade_run_id else recent(store)
    if args.json:
        print(as_json(picture))
    elif args.cascade_run_id:
        print(format_one(picture))
    else:
        print(format_recent(picture))
    return 0

