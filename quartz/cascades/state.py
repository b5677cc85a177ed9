"""Cascade state in the store: read it into engine snapshots, write the engine's decisions back.

No GitHub here. quartz/cascades/advance.py adds what only GitHub knows (runs found by
correlation id, runs the sync has not seen) and sends the dispatches.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

import duckdb

from quartz.cascades import engine
from quartz.cascades.engine import CascadeRunState, IntentView, RunView, Snapshot, StageState
from quartz.github.rows import parse_time

# A concurrent advance on the same store made a conflicting change: skip this step, the next cycle redoes it.
CONFLICTS = (duckdb.TransactionException, duckdb.ConstraintException)


class Stale(Exception):
    """The cascade run changed since it was read; its plan is dropped."""


def run_view(row: Mapping) -> RunView:
    names = row.get("artifact_names")
    return RunView(
        run_id=int(row["run_id"]), repo=row["repo"], status=row.get("status"), conclusion=row.get("conclusion"),
        run_attempt=int(row.get("run_attempt") or 1), workflow=row.get("workflow_path"),
        project=row.get("project"), event=row.get("event"), head_sha=row.get("head_sha"),
        head_branch=row.get("head_branch"), run_number=row.get("run_number"), html_url=row.get("html_url"),
        display_title=row.get("display_title"), created_at=row.get("created_at"),
        run_started_at=row.get("run_started_at"), updated_at=row.get("updated_at"),
        artifact_names=None if names is None else tuple(names),
    )


def run_view_from_api(body: Mapping, artifact_names: tuple[str, ...] | None = None) -> RunView:
    """A RunView from GitHub's workflow run JSON (a run the sync has not stored)."""
    path = body.get("path") or ""
    return RunView(
        run_id=int(body["id"]), repo=(body.get("repository") or {}).get("full_name", ""),
        status=body.get("status"), conclusion=body.get("conclusion"), run_attempt=int(body.get("run_attempt") or 1),
        workflow=path.rsplit("/", 1)[-1] or None, event=body.get("event"), head_sha=body.get("head_sha"),
        head_branch=body.get("head_branch"), run_number=body.get("run_number"), html_url=body.get("html_url"),
        display_title=body.get("display_title"), created_at=parse_time(body.get("created_at")),
        run_started_at=parse_time(body.get("run_started_at")), updated_at=parse_time(body.get("updated_at")),
        artifact_names=artifact_names,
    )


def _json(value) -> dict:
    if value is None:
        return {}
    return json.loads(value) if isinstance(value, str) else dict(value)


def load_snapshots(store, since: datetime) -> list[tuple[Snapshot, int]]:
    """Every cascade run the engine should look at, with its stages, runs and intents, and its version.

    The cascade runs (and their versions) are read first: anything written after
    that bumps the version, so a plan made from a mixed read is never applied."""
    heads = store.query("cascades/runs_to_advance", since=since)
    stages: dict[str, dict[str, StageState]] = defaultdict(dict)
    for row in store.query("cascades/stages_to_advance", since=since):
        stages[row["cascade_run_id"]][row["stage"]] = StageState(
            stage=row["stage"], status=row["status"], attempt=row["attempt"], reason=row["reason"],
            correlation_id=row["correlation_id"], run_id=row["run_id"], run_attempt=row["run_attempt"],
            repo=row["repo"], dispatched_at=row["dispatched_at"], started_at=row["started_at"],
            finished_at=row["finished_at"], reported_state=row["reported_state"])
    runs = {row["run_id"]: run_view(row) for row in store.query("cascades/linked_runs", since=since)}
    found: dict[str, RunView] = {}
    for row in store.query("cascades/runs_by_correlation"):
        corr = row["correlation_id"]
        if corr not in found and engine.title_has_correlation(row["display_title"], corr):
            found[corr] = run_view(row)
    intents = {row["correlation_id"]: IntentView(row["correlation_id"], row["outcome"], row["response_status"],
                                                 row["error"])
               for row in store.query("cascades/intents_to_advance")}
    snapshots = []
    for row in heads:
        cr = cascade_run_state(row)
        mine = stages.get(cr.cascade_run_id, {})
        wanted = {s.run_id for s in mine.values() if s.run_id} | {cr.trigger_run_id}
        corrs = {s.correlation_id for s in mine.values() if s.correlation_id}
        snapshots.append((Snapshot(
            cascade_run=cr, stages=mine,
            runs={i: runs[i] for i in wanted if i in runs},
            found={c: found[c] for c in corrs if c in found},
            intents={c: intents[c] for c in corrs if c in intents},
        ), row["version"]))
    return snapshots


def cascade_run_state(row: Mapping) -> CascadeRunState:
    return CascadeRunState(
        cascade_run_id=row["cascade_run_id"], cascade=row["cascade"], status=row["status"],
        created_at=row["created_at"], trigger_kind=row["trigger_kind"], trigger_run_id=row["trigger_run_id"],
        trigger_repo=row["trigger_repo"], trigger_sha=row["trigger_sha"], trigger_project=row["trigger_project"],
        ref=row["ref"], params=_json(row["params"]), upstream=_json(row["upstream"]),
        finished_at=row["finished_at"])


# ---------------------------------------------------------------- writing


def insert_cascade_run(store, start: engine.StartCascade, config, now: datetime, created_by: str) -> bool:
    """Create a cascade run and its pending stages; False when one exists for that upstream run."""
    cascade = config.cascades[start.cascade]
    with store.transaction():
        made = store.query(
            "cascades/run_insert", cascade_run_id=start.cascade_run_id, cascade=start.cascade,
            trigger_kind=start.trigger_kind, trigger_run_id=start.trigger_run_id, trigger_repo=start.trigger_repo,
            trigger_sha=start.trigger_sha, trigger_project=next(iter(start.upstream), None), ref=start.ref,
            params=json.dumps(dict(start.params)), upstream=json.dumps(dict(start.upstream), default=str),
            reason=start.reason, created_by=created_by, now=now)
        if not made:
            return False
        for name in start.stages:
            stage = cascade.stages[name]
            store.execute("cascades/stage_insert", cascade_run_id=start.cascade_run_id, stage=name,
                          reason="waiting for the first advance", repo=config.projects[stage.project].repo,
                          now=now)
        store.execute("cascades/event_insert", cascade_run_id=start.cascade_run_id, stage=None, now=now,
                      kind="started", message=f"started ({start.trigger_kind}): {start.reason}")
    return True


def apply_plan(store, cascade_run_id: str, version: int, actions: list, now: datetime) -> None:
    """Write every store-only action of one plan in one transaction, if the cascade run is unchanged.

    Raises Stale when another advance got there first."""
    with store.transaction():
        if not store.query("cascades/run_bump", cascade_run_id=cascade_run_id, version=version, now=now):
            raise Stale(cascade_run_id)
        for action in actions:
            write_action(store, action, now)


def write_action(store, action, now: datetime) -> None:
    key = {"cascade_run_id": action.cascade_run_id, "now": now}
    if isinstance(action, engine.Event):
        store.execute("cascades/event_insert", **key, stage=action.stage, kind=action.kind,
                      message=action.message[:2000])
    elif isinstance(action, engine.Explain):
        store.execute("cascades/stage_reason", **key, stage=action.stage, reason=action.reason)
    elif isinstance(action, engine.LinkRun):
        store.execute("cascades/stage_link", **key, stage=action.stage, run_id=action.run_id,
                      run_url=action.run_url)
    elif isinstance(action, engine.MarkRunning):
        store.execute("cascades/stage_running", **key, stage=action.stage, started_at=action.started_at,
                      reason=action.reason)
    elif isinstance(action, (engine.Finish, engine.TimeOut)):
        status = action.status if isinstance(action, engine.Finish) else "timed_out"
        store.execute("cascades/stage_finish", **key, stage=action.stage, status=status, reason=action.reason,
                      run_attempt=action.run_attempt)
    elif isinstance(action, engine.Skip):
        store.execute("cascades/stage_finish", **key, stage=action.stage, status="skipped", reason=action.reason,
                      run_attempt=None)
    elif isinstance(action, engine.Reopen):
        store.execute("cascades/stage_reopen", **key, stage=action.stage, status=action.status, reason=action.reason)
    elif isinstance(action, engine.FinishCascade):
        store.execute("cascades/run_finish", **key, status=action.status, reason=action.reason)
    elif isinstance(action, engine.ReopenCascade):
        store.execute("cascades/run_reopen", **key, reason=action.reason)
    else:
        raise TypeError(f"not a store action: {action!r}")


def event(store, cascade_run_id: str, stage: str | None, kind: str, message: str, now: datetime) -> None:
    store.execute("cascades/event_insert", cascade_run_id=cascade_run_id, stage=stage, now=now, kind=kind,
                  message=message[:2000])
