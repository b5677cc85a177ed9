"""Culprit probes against GitHub and the store: the step `advance` runs after moving its cascade runs.

Per failed stage of a cascade that probes culprits (quartz/cascades/culprit.py plans and judges):
look for the probe's run (synced runs first, then by correlation id on GitHub, as stage dispatches are found),
follow it to its end or time it out, write the verdict, or dispatch the next probe exactly once: its row in
`culprit_probes` (primary key: its correlation id) is committed and, for an S3 store, pushed by
`before_send` before the one POST, which is never retried. A probe GitHub refuses (404, 422, a rate limit)
ends the search with GitHub's words; one whose answer is lost is looked for by correlation id, never re-sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from quartz.cascades import culprit, engine
from quartz.cascades import state as cascade_store
from quartz.cascades.culprit import ProbeState, Search
from quartz.cascades.lookup import fetch_run, search_by_correlation
from quartz.cascades.state import CONFLICTS
from quartz.deadline import Deadline, DeadlineReached
from quartz.github.client import GitHubError

NEW_FAILURES = timedelta(days=3)  # a failed stage older than this when first seen is history, not probed


@dataclass
class ProbeReport:
    dispatched: int = 0
    refused: int = 0
    verdicts: list[str] = field(default_factory=list)
    skipped: int = 0  # failed stages not probed (the search row says why)
    contended: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.dispatched} culprit probes dispatched, {len(self.verdicts)} verdicts"
        return text + "".join(f"; probe error: {e}" for e in self.errors)


def advance_probes(config, store, client, writer, now: datetime, *, post, make_intent, before_send=None,
                   after_send=None, deadline: Deadline | None = None) -> ProbeReport:
    """`post(writer, dispatch) -> Answer` and `make_intent(...)` are advance's own (one POST, never repeated;
    the Intent its hooks see), passed in so this step and advance do not import each other."""
    report = ProbeReport()
    sender = _Sender(writer, post, make_intent, before_send, after_send)
    cascades = [n for n, c in config.cascades.items() if c.culprit is not None]
    if not cascades:
        return report
    rows = [r for r in store.query("culprit/candidates", cascades=cascades, since=now - NEW_FAILURES)
            if r["stage"] in culprit.probed_stages(config, r["cascade"])]
    if not rows:
        return report
    searches = load_searches(config, store, rows, client.base_url)
    # A stage gets no probe while one of its probes (any cascade run) is in flight.
    busy = {(r["cascade"], r["stage"], r["cascade_run_id"]) for r in store.query("culprit/probes_active")}
    for s in searches:
        if deadline is not None and deadline.passed():
            break
        try:
            s = follow_probes(config, store, client, s, now)
        except DeadlineReached:
            break  # the next cycle looks again
        except GitHubError as exc:
            report.errors.append(f"{s.cascade_run.cascade_run_id} {s.stage}: {exc}")
            continue
        mine = (s.cascade_run.cascade, s.stage)
        s = replace(s, busy=any(k[:2] == mine and k[2] != s.cascade_run.cascade_run_id for k in busy))
        if step(config, store, sender, s, now, report, client.base_url):
            busy.add((*mine, s.cascade_run.cascade_run_id))
    return report


def step(config, store, sender, s: Search, now: datetime, report: ProbeReport, api_url: str) -> bool:
    """Plan one search and carry it out: a verdict, a skip, or the next probe (True: one was sent)."""
    if not s.probes:
        why = culprit.why_not(config, s, now)
        if why:
            put_search(config, store, s, now, "skipped", verdict=None, note=f"not probed: {why}")
            report.skipped += 1
            return False
    dispatches, verdict = culprit.plan(config, s, now, api_url=api_url)
    if verdict is not None:
        with store.transaction():
            put_search(config, store, s, now, "done", verdict=verdict)
            cascade_store.event(store, s.cascade_run.cascade_run_id, s.stage, "culprit_verdict", verdict.text,
                                now)
        report.verdicts.append(verdict.kind)
        return False
    if not s.probes:
        put_search(config, store, s, now, "searching", verdict=None)
    for d in dispatches:
        send_probe(store, sender, d, now, report)
    return bool(dispatches)


# ---------------------------------------------------------------- reading


def load_searches(config, store, rows: list[dict], api_url: str) -> list[Search]:
    """One Search per candidate row: the failed tuple, the last good one and the probes so far."""
    good_rows = {}
    for row in rows:
        key = (row["cascade"], row["created_at"])
        if key not in good_rows:
            good_rows[key] = store.query_one("culprit/last_good", cascade=row["cascade"], before=row["created_at"])
    ids = sorted({r["cascade_run_id"] for r in rows} | {g["cascade_run_id"] for g in good_rows.values() if g})
    stage_runs: dict[str, dict[str, engine.RunView]] = {}
    for r in store.query("culprit/stage_runs", ids=ids):
        stage_runs.setdefault(r["cascade_run_id"], {})[r["stage"]] = cascade_store.run_view(r)
    probes: dict[tuple[str, str], list[ProbeState]] = {}
    spent: dict[str, int] = {}
    for p in store.query("culprit/probes_of", ids=ids):
        probes.setdefault((p["cascade_run_id"], p["stage"]), []).append(probe_state(p))
        spent[p["cascade_run_id"]] = spent.get(p["cascade_run_id"], 0) + 1
    out = []
    for row in rows:
        cr = cascade_store.cascade_run_state(row)
        mine = stage_runs.get(cr.cascade_run_id, {})
        cascade = config.cascades[cr.cascade]
        ancestors = cascade.ancestors(row["stage"])
        failed = culprit.versions(cr, {n: r for n, r in mine.items() if n in ancestors}, api_url)
        good = good_rows[(row["cascade"], row["created_at"])]
        good_cr = cascade_store.cascade_run_state(good) if good else None
        theirs = stage_runs.get(good["cascade_run_id"], {}) if good else {}
        out.append(Search(
            cascade_run=cr, stage=row["stage"], stage_status=row["stage_status"], stage_run=mine.get(row["stage"]),
            failed=failed, good_id=good_cr.cascade_run_id if good_cr else None,
            good_created_at=good_cr.created_at if good_cr else None,
            good=culprit.versions(good_cr, {n: r for n, r in theirs.items() if n in ancestors}, api_url)
            if good_cr else {},
            probes=tuple(probes.get((cr.cascade_run_id, row["stage"]), ())), spent=spent.get(cr.cascade_run_id, 0)))
    return out


def probe_state(row: dict) -> ProbeState:
    put_back = row["put_back"]
    return ProbeState(correlation_id=row["correlation_id"], seq=row["seq"],
                      put_back=tuple(json.loads(put_back) if isinstance(put_back, str) else put_back or ()),
                      status=row["status"], reason=row["reason"], run_id=row["run_id"], run_url=row["run_url"],
                      dispatched_at=row["dispatched_at"], started_at=row["started_at"])


def follow_probes(config, store, client, s: Search, now: datetime) -> Search:
    """Link, follow and time out the search's probes in flight; write what changed."""
    active = [p for p in s.probes if p.status in culprit.PROBE_ACTIVE]
    if not active:
        return s
    stage = config.cascades[s.cascade_run.cascade].stages[s.stage]
    repo = config.projects[stage.project].repo
    synced = {r["run_id"]: cascade_store.run_view(r)
              for r in store.query("culprit/probe_runs", ids=[p.run_id for p in active if p.run_id])}
    by_title = {}
    for r in store.query("culprit/runs_by_probe"):
        if r["correlation_id"] not in by_title and engine.title_has_correlation(r["display_title"],
                                                                                r["correlation_id"]):
            by_title[r["correlation_id"]] = cascade_store.run_view(r)
    changed = {}
    for p in active:
        run = synced.get(p.run_id) if p.run_id else by_title.get(p.correlation_id)
        if p.run_id and (run is None or not run.completed):
            run = fetch_run(client, repo, p.run_id, now) or run
        elif run is None:
            run = search_by_correlation(client, repo, stage, p.correlation_id, p.dispatched_at or now, now)
        after = culprit.follow(p, run, stage, now)
        if after != p:
            changed[p.correlation_id] = after
    if changed:
        with store.transaction():
            for p in changed.values():
                store.execute("culprit/probe_update", correlation_id=p.correlation_id, now=now, status=p.status,
                              reason=p.reason, run_id=p.run_id, run_url=p.run_url, started_at=p.started_at)
    return replace(s, probes=tuple(changed.get(p.correlation_id, p) for p in s.probes))


# ---------------------------------------------------------------- writing


def put_search(config, store, s: Search, now: datetime, status: str, *, verdict, note: str | None = None) -> None:
    stage = config.cascades[s.cascade_run.cascade].stages[s.stage]
    moved = [{"name": n, "then": _short(s.good.get(n)), "now": _short(s.failed.get(n))}
             for n in culprit.changed(stage, s.failed, s.good)]
    store.execute("culprit/search_put", cascade_run_id=s.cascade_run.cascade_run_id, stage=s.stage,
                  cascade=s.cascade_run.cascade, last_good_id=s.good_id, changed=json.dumps(moved, default=str),
                  status=status, verdict_kind=verdict.kind if verdict else None,
                  verdict=verdict.text if verdict else note,
                  culprits=json.dumps(list(verdict.culprits)) if verdict else None, now=now)


def _short(results) -> dict | None:
    if not results:
        return None
    return {k: results.get(k) for k in ("run_id", "head_sha", "html_url", "repo")}


@dataclass(frozen=True)
class _Sender:
    writer: object
    post: object
    make_intent: object
    before_send: object
    after_send: object


def send_probe(store, sender: _Sender, d: culprit.ProbeDispatch, now: datetime, report: ProbeReport) -> None:
    try:
        with store.transaction():
            store.execute("culprit/probe_insert", cascade_run_id=d.cascade_run_id, correlation_id=d.correlation_id,
                          kind=d.kind, now=now, payload=json.dumps(dict(d.payload), default=str),
                          put_back=json.dumps(list(d.put_back)), reason=f"dispatching: {d.what}", ref=d.ref,
                          repo=d.repo, seq=d.seq, stage=d.stage, target=d.target)
    except CONFLICTS:
        report.contended += 1
        return
    intent = sender.make_intent(d.correlation_id, d.cascade_run_id, d.stage, 0, d.repo, d.kind, d.target, d.ref,
                                d.payload)
    if sender.before_send:
        sender.before_send(intent)  # push the store with the probe's row; raising stops the POST
    answer = sender.post(sender.writer, d)
    report.dispatched += 1
    if sender.after_send:
        sender.after_send(intent, answer)
    record_answer(store, d, answer, now, report)


def record_answer(store, d: culprit.ProbeDispatch, answer, now: datetime, report: ProbeReport) -> None:
    target = f"{d.repo} {d.target}" + (f" on {d.ref}" if d.ref else "")
    if answer.outcome == "sent":
        status, reason = "dispatched", f"{d.what}: dispatched to {target}"
    elif answer.outcome == "unknown":
        said = f"GitHub answered {answer.status}" if answer.status else answer.error
        status, reason = "dispatched", (f"{d.what}: dispatch not confirmed ({said}); looking for its run by "
                                        "correlation id, never re-sending")
    else:  # refused or rate-limited: the search ends with GitHub's words, never a retry loop
        report.refused += 1
        status, reason = "refused", f"could not be dispatched to {target} ({answer.status}): {answer.error}"
    for _ in range(3):
        try:
            with store.transaction():
                store.execute("culprit/probe_answer", correlation_id=d.correlation_id, now=now,
                              outcome=answer.outcome, response_status=answer.status, error=answer.error,
                              run_id=answer.run_id, run_url=answer.run_url, status=status, reason=reason)
                cascade_store.event(store, d.cascade_run_id, d.stage, "probe",
                                    f"culprit probe {d.correlation_id} ({reason})", now)
            return
        except CONFLICTS:
            continue
