"""Carry the cascade engine's decisions out against GitHub: each stage attempt dispatched at most once.

The exactly-once protocol for one dispatch:

1. In one transaction: compare-and-set the stage from pending to dispatched
   (this attempt, this correlation id) and insert a `dispatch_intents` row whose
   primary key is the correlation id. COMMIT. Another advance that planned the
   same dispatch loses the compare-and-set or the key and sends nothing.
2. `before_send(intent)`: the cycle pushes the store to S3 with If-Match here
   (quartz.store.remote.push_checkpoint), so the intent is durable where a second
   cycle would see it before the POST goes out; if that push loses the race it
   raises and nothing is sent.
3. POST once, with PyGithub's retries off (its default retry re-sends POSTs).
4. Record the answer. 2xx: sent (workflow_dispatch with return_run_details links
   the run at once). 4xx: refused, the stage fails with GitHub's message. 5xx or
   no answer: outcome 'unknown' — the run may exist.
5. Later cycles never re-send: a stage waiting for its run looks for it by
   correlation id (the downstream workflow shows it in its run-name), first in
   the synced runs, then in the workflow's runs created since the dispatch, and
   times out with a reason after dispatch_timeout. A crash between 3 and 4
   leaves the intent without an outcome, handled the same way.

Two advances on one local store: DuckDB lets one process write, so the second
fails to open it ("store in use", exit 1). Within one process every write
checks a version (optimistic lock) and the dispatch compare-and-set, so the
loser skips the step and the next cycle redoes it.
"""

from __future__ import annotations

import contextlib
import json
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import requests
from github import GithubException

from quartz.cascades import engine, jobtriggers, nightly_trigger
from quartz.cascades import state as cascade_store
from quartz.cascades.engine import RunView, Snapshot
from quartz.cascades.lookup import fetch_run, github_message, search_by_correlation
from quartz.cascades.probes import advance_probes  # culprit probes: a step of their own (issue 28)
from quartz.cascades.state import CONFLICTS, Stale
from quartz.config import Config
from quartz.deadline import Deadline, DeadlineReached
from quartz.github.client import GitHubError
from quartz.sync.artifacts import fetch_artifacts

SEARCH_SLACK = timedelta(minutes=2)  # clocks differ a little; look for runs created a bit before the intent
OUTCOME_TRIES = 3


@dataclass
class AdvanceReport:
    started: int = 0  # cascade runs started by a trigger
    dispatched: int = 0  # POSTs sent (answered or not)
    linked: int = 0  # runs tied to their stage
    finished: int = 0  # stages that reached success, failure, cancelled or skipped
    timed_out: int = 0
    unknown: int = 0  # dispatches GitHub did not confirm: looked up by correlation id, never re-sent
    refused: int = 0  # dispatches GitHub refused (4xx)
    statuses: int = 0  # commit statuses reported
    statuses_failed: int = 0  # commit statuses GitHub refused or did not answer (tried again next cycle)
    cascades_finished: int = 0
    contended: int = 0  # steps another advance had already taken
    left: int = 0  # cascade runs not looked at: the time budget ran out (the next cycle does them)
    dispatches_left: int = 0  # dispatches not started for the same reason (the stages stay pending)
    errors: list[str] = field(default_factory=list)
    probes: object = None  # quartz.cascades.probes.ProbeReport

    def summary(self) -> str:
        text = (f"advance: {self.started} cascade runs started, {self.dispatched} dispatched, {self.linked} linked, "
                f"{self.finished} stages finished, {self.timed_out} timed out, "
                f"{self.cascades_finished} cascade runs finished")
        extra = [f"{n} {what}" for n, what in ((self.unknown, "dispatch answers lost (looking up by id)"),
                                               (self.refused, "dispatches refused"),
                                               (self.statuses_failed, "commit statuses not set"),
                                               (self.contended, "steps taken by another advance"),
                                               (self.left, "cascade runs left for the next cycle"),
                                               (self.dispatches_left, "dispatches left for the next cycle"),
                                               (len(self.errors), "errors")) if n]
        if self.probes is not None and (self.probes.dispatched or self.probes.verdicts or self.probes.errors):
            extra.append(self.probes.summary())
        return text + ("; " + ", ".join(extra) if extra else "")

    def markdown(self) -> str:
        rows = [("cascade runs started", self.started), ("stages dispatched", self.dispatched),
                ("runs linked", self.linked), ("stages finished", self.finished), ("timed out", self.timed_out),
                ("dispatch answers lost", self.unknown), ("dispatches refused", self.refused),
                ("commit statuses", self.statuses), ("commit statuses not set", self.statuses_failed),
                ("cascade runs finished", self.cascades_finished)]
        if self.probes is not None and (self.probes.dispatched or self.probes.verdicts):
            rows += [("culprit probes dispatched", self.probes.dispatched),
                     ("culprit verdicts", len(self.probes.verdicts))]
        lines = ["### Advance", "", "| | |", "|---|---:|"] + [f"| {k} | {v} |" for k, v in rows]
        lines += [f"- error: {e}" for e in self.errors]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Intent:
    """What before_send/after_send hooks see: the dispatch about to go out."""

    correlation_id: str
    cascade_run_id: str
    stage: str
    attempt: int
    repo: str
    kind: str
    target: str
    ref: str | None
    payload: Mapping


@dataclass(frozen=True)
class Answer:
    outcome: str  # sent | failed | unknown | limited
    status: int | None = None
    run_id: int | None = None
    run_url: str | None = None
    error: str | None = None


Hook = Callable[[Intent], None]
AfterHook = Callable[[Intent, Answer], None]


# ---------------------------------------------------------------- advance


def advance(config: Config, store, client, now: datetime, *, before_send: Hook | None = None,
            after_send: AfterHook | None = None, deadline: Deadline | None = None) -> AdvanceReport:
    """Start triggered cascade runs, then move every open one forward: link, finish, time out, dispatch.

    With a deadline, no cascade run, request or dispatch starts past it (counted in `left`, `dispatches_left`)."""
    report = AdvanceReport()
    client.deadline = deadline
    api_url = client.base_url
    start_triggered(config, store, now, api_url, report)
    nightly_trigger.start_triggered(config, store, now, api_url, report)  # a nightly's leaf turned green
    writer = client.pygithub_for_writes()
    since = now - engine.REOPEN_WINDOW
    for snap, version in cascade_store.load_snapshots(store, since):
        if deadline is not None and deadline.passed():
            report.left += 1
            continue
        try:
            snap = complete_from_github(config, store, client, snap, now)
        except DeadlineReached:
            report.left += 1
            continue
        except GitHubError as exc:
            report.errors.append(f"{snap.cascade_run.cascade_run_id}: {exc}")
        actions = engine.plan(config, snap, now, api_url=api_url)
        carry_out(store, writer, snap, version, actions, now, report, before_send, after_send, deadline)
    report.probes = advance_probes(config, store, client, writer, now, post=post_dispatch, make_intent=Intent,
                                   before_send=before_send, after_send=after_send, deadline=deadline)
    return report


def start_triggered(config: Config, store, now: datetime, api_url: str, report: AdvanceReport) -> None:
    with store.transaction():
        for name in config.cascades:
            store.execute("cascades/watch_touch", cascade=name, now=now)
    first_seen = {r["cascade"]: r["first_seen_at"] for r in store.query("cascades/watch_list")}
    grace = timedelta(seconds=2 * config.settings.schedule_interval_s)
    for cascade in config.cascades.values():
        if cascade.trigger is None:
            continue
        not_before = max(first_seen[cascade.name] - grace, now - engine.TRIGGER_MAX_AGE)
        if cascade.trigger.jobs:
            candidates = jobtriggers.candidates(store, cascade, not_before)
        else:
            rows = store.query("cascades/trigger_candidates", project=cascade.trigger.project,
                               workflow=cascade.trigger.workflow, cascade=cascade.name, not_before=not_before)
            candidates = [cascade_store.run_view(r) for r in rows]
        one = replace(config, cascades={cascade.name: cascade})
        for new_run in engine.plan_triggers(one, candidates, set(), first_seen, now, api_url=api_url):
            try:
                if cascade_store.insert_cascade_run(store, new_run, config, now, "trigger"):
                    report.started += 1
            except CONFLICTS:
                report.contended += 1


def complete_from_github(config: Config, store, client, snap: Snapshot, now: datetime) -> Snapshot:
    """Add what only GitHub knows: runs found by correlation id, runs not synced, artifact names."""
    cr = snap.cascade_run
    cascade = config.cascades.get(cr.cascade)
    if cascade is None or cr.status == "cancelled":
        return snap
    found = dict(snap.found)
    runs = dict(snap.runs)
    for st in snap.stages.values():
        stage = cascade.stages.get(st.stage)
        if stage is None or st.status != "dispatched" or st.run_id or not st.correlation_id:
            continue
        intent = snap.intents.get(st.correlation_id)
        if st.correlation_id in found or (intent and intent.outcome == "failed"):
            continue
        run = search_by_correlation(client, st.repo or config.projects[stage.project].repo, stage,
                                    st.correlation_id, st.dispatched_at or now, now)
        if run is not None:
            found[st.correlation_id] = run
    wanted = {st.run_id for st in snap.stages.values() if st.run_id and st.status in engine.ACTIVE}
    if cr.trigger_run_id:
        wanted.add(cr.trigger_run_id)
    # A failed stage's run may be re-run by hand long after the sync stopped looking at it: ask by id
    # (a conditional GET, free when nothing changed).
    recheck = {st.run_id for st in snap.stages.values() if st.run_id and st.status in engine.MAY_TURN_GREEN}
    for run_id in sorted((wanted - set(runs)) | recheck):
        repo = next((st.repo for st in snap.stages.values() if st.run_id == run_id), None) or cr.trigger_repo
        fetched = fetch_run(client, repo, run_id, now) if repo else None
        known = runs.get(run_id)
        if fetched and (known is None or (fetched.run_attempt, fetched.status) != (known.run_attempt, known.status)):
            runs[run_id] = fetched
    if cr.status == "running" and _uses_artifact_names(cascade):
        for run_id, run in list(runs.items()):
            if run.completed and run.artifact_names is None:
                runs[run_id] = replace(run, artifact_names=fetch_artifact_names(store, client, run))
    return jobtriggers.with_stage_jobs(store, cascade, replace(snap, found=found, runs=runs))


def _uses_artifact_names(cascade) -> bool:
    return any(f == "artifact_names" for s in cascade.stages.values() for _, f in engine.upstream_fields_used(s))


def fetch_artifact_names(store, client, run: RunView) -> tuple[str, ...]:
    fetch_artifacts(store, client, run.repo, run.run_id)
    row = store.query_one("cascades/artifact_names", run_id=run.run_id)
    return tuple(row["names"] or ()) if row else ()


# ---------------------------------------------------------------- carrying a plan out


def carry_out(store, writer, snap: Snapshot, version: int, actions: list, now: datetime, report: AdvanceReport,
              before_send: Hook | None, after_send: AfterHook | None, deadline: Deadline | None = None) -> None:
    if not actions:
        return  # nothing to do: the cascade run is left as it was (a bump would change the site every cycle)
    cascade_run_id = snap.cascade_run.cascade_run_id
    local = [a for a in actions if not isinstance(a, (engine.Dispatch, engine.ReportStatus))]
    try:
        cascade_store.apply_plan(store, cascade_run_id, version, local, now)
    except (Stale, *CONFLICTS):
        report.contended += 1
        return  # another advance moved this cascade run; the next cycle re-plans it
    for action in local:
        if isinstance(action, engine.LinkRun):
            report.linked += 1
        elif isinstance(action, (engine.Finish, engine.Skip)):
            report.finished += 1
        elif isinstance(action, engine.TimeOut):
            report.timed_out += 1
        elif isinstance(action, engine.FinishCascade):
            report.cascades_finished += 1
    for action in actions:
        if isinstance(action, engine.Dispatch):
            if deadline is not None and deadline.passed():
                report.dispatches_left += 1  # not claimed: the stage stays pending for the next cycle
                continue
            send_once(store, writer, action, now, report, before_send, after_send)
    for action in actions:
        if isinstance(action, engine.ReportStatus):
            report_commit_status(store, writer, action, now, report)


def send_once(store, writer, action: engine.Dispatch, now: datetime, report: AdvanceReport,
              before_send: Hook | None, after_send: AfterHook | None) -> None:
    intent = Intent(action.correlation_id, action.cascade_run_id, action.stage, action.attempt, action.repo,
                    action.kind, action.target, action.ref, action.payload)
    if not claim(store, action, now):
        report.contended += 1
        return
    if before_send:
        before_send(intent)  # e.g. push the store with the intent to S3; raising stops the POST
    answer = post_dispatch(writer, action)
    report.dispatched += 1
    if after_send:
        after_send(intent, answer)
    record_answer(store, action, answer, now, report)


def claim(store, action: engine.Dispatch, now: datetime) -> bool:
    """Durably own this dispatch (stage compare-and-set + intent row) before anything is sent."""
    where = action.ref and f" on {action.ref}" or ""
    try:
        with store.transaction():
            claimed = store.query(
                "cascades/stage_claim", cascade_run_id=action.cascade_run_id, stage=action.stage,
                previous_attempt=action.previous_attempt, attempt=action.attempt,
                correlation_id=action.correlation_id, repo=action.repo, now=now,
                signal_at=action.signal_at, signal=action.signal,
                reason=f"dispatching to {action.repo} ({action.target}){where}")
            if not claimed:
                raise Stale(action.correlation_id)
            store.execute("cascades/intent_insert", correlation_id=action.correlation_id,
                          cascade_run_id=action.cascade_run_id, stage=action.stage, attempt=action.attempt,
                          repo=action.repo, kind=action.kind, target=action.target, ref=action.ref,
                          payload=json.dumps(dict(action.payload), default=str), now=now)
            store.execute("cascades/run_touch", cascade_run_id=action.cascade_run_id, now=now)
    except (Stale, *CONFLICTS):
        return False
    return True


def post_dispatch(writer, action: engine.Dispatch) -> Answer:
    """One POST, never repeated."""
    if action.kind == "workflow_dispatch":
        path = f"/repos/{action.repo}/actions/workflows/{urllib.parse.quote(action.target, safe='')}/dispatches"
        body = {"ref": action.ref, "inputs": dict(action.payload), "return_run_details": True}
    else:
        path = f"/repos/{action.repo}/dispatches"
        body = {"event_type": action.target, "client_payload": dict(action.payload)}
    try:
        _, data = writer.requester.requestJsonAndCheck("POST", path, input=body)
    except GithubException as exc:
        message = github_message(exc)
        if exc.status >= 500:
            return Answer("unknown", exc.status, error=message)
        if exc.status == 429 or (exc.status == 403 and "rate limit" in message.lower()):
            return Answer("limited", exc.status, error=message)
        return Answer("failed", exc.status, error=message)
    except requests.exceptions.RequestException as exc:
        return Answer("unknown", None, error=f"no answer from GitHub ({type(exc).__name__})")
    data = data if isinstance(data, dict) else {}
    run_id = data.get("workflow_run_id")
    return Answer("sent", 200 if data else 204, int(run_id) if run_id else None, data.get("html_url"))


def record_answer(store, action: engine.Dispatch, answer: Answer, now: datetime, report: AdvanceReport) -> None:
    """Write what GitHub said; on a write conflict try again (the intent alone is still safe: it is looked up)."""
    for attempt in range(OUTCOME_TRIES):
        try:
            with store.transaction():
                _write_answer(store, action, answer, now, report if attempt == 0 else AdvanceReport())
            return
        except CONFLICTS:
            continue


def _write_answer(store, action: engine.Dispatch, answer: Answer, now: datetime, report: AdvanceReport) -> None:
    key = {"cascade_run_id": action.cascade_run_id, "stage": action.stage, "now": now}
    store.execute("cascades/intent_outcome", correlation_id=action.correlation_id, now=now, outcome=answer.outcome,
                  response_status=answer.status, run_id=answer.run_id, error=answer.error)
    store.execute("cascades/run_touch", cascade_run_id=action.cascade_run_id, now=now)
    target = f"{action.repo} {action.target}" + (f" on {action.ref}" if action.ref else "")
    corr = action.correlation_id
    if answer.outcome == "sent":
        if answer.run_id:
            store.execute("cascades/stage_link", **key, run_id=answer.run_id, run_url=answer.run_url)
            report.linked += 1
            message = f"dispatched {target} as {corr}; run {answer.run_url or answer.run_id}"
        else:
            message = f"dispatched {target} as {corr}; looking for its run by correlation id"
        cascade_store.event(store, action.cascade_run_id, action.stage, "dispatched", message, now)
    elif answer.outcome == "unknown":
        report.unknown += 1
        said = f"GitHub answered {answer.status}" if answer.status else answer.error
        reason = (f"dispatch of {corr} not confirmed ({said}); it may have started a run — looking for it by "
                  "correlation id, never re-sending")
        store.execute("cascades/stage_reason", **key, reason=reason)
        cascade_store.event(store, action.cascade_run_id, action.stage, "dispatch_unknown", reason, now)
    elif answer.outcome == "limited":
        reason = f"GitHub rate-limited the dispatch ({answer.status}: {answer.error}); a new attempt goes next cycle"
        store.execute("cascades/stage_requeue", **key, reason=reason)
        cascade_store.event(store, action.cascade_run_id, action.stage, "dispatch_limited", reason, now)
    else:
        report.refused += 1
        reason = f"GitHub refused the dispatch to {target} ({answer.status}): {answer.error}"
        store.execute("cascades/stage_finish", **key, status="failure", reason=reason, run_attempt=None)
        cascade_store.event(store, action.cascade_run_id, action.stage, "dispatch_refused", reason, now)


def report_commit_status(store, writer, action: engine.ReportStatus, now: datetime, report: AdvanceReport) -> None:
    body = {"state": action.state, "context": action.context, "description": action.description}
    if action.target_url:
        body["target_url"] = action.target_url
    try:
        writer.requester.requestJsonAndCheck("POST", f"/repos/{action.repo}/statuses/{action.sha}", input=body)
    except GithubException as exc:
        report.statuses_failed += 1
        if exc.status >= 500:
            return  # try again next cycle
        # Refused (e.g. the token may not write statuses): say so once rather than every cycle.
        cascade_store.event(store, action.cascade_run_id, action.stage, "status_refused",
                            f"could not set commit status {action.context} on {action.repo}@{action.sha[:12]} "
                            f"({exc.status}): {github_message(exc)}", now)
    except requests.exceptions.RequestException:
        report.statuses_failed += 1  # no answer: try again next cycle
        return
    else:
        report.statuses += 1
    with contextlib.suppress(*CONFLICTS):  # a lost write only means reporting again next cycle
        store.execute("cascades/stage_reported", cascade_run_id=action.cascade_run_id, stage=action.stage,
                      state=action.state)
