"""Cascade runs by hand: `quartz start`, `quartz cancel`, `quartz retry`.

Each checks everything first and raises BadInput (exit 2) before writing or
sending anything; quartz/cascades/advance.py dispatches what they set up on the next advance.
"""

from __future__ import annotations

import difflib
import secrets
import urllib.parse
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime

import requests
from github import GithubException

from quartz.cascades import engine
from quartz.cascades import state as cascade_store
from quartz.cascades.engine import RunView
from quartz.cascades.lookup import fetch_run, github_message
from quartz.config import Config, templating
from quartz.errors import BadInput, QuartzError
from quartz.github.client import GitHubError, NotFound


def start(config: Config, store, client, cascade: str, now: datetime, ref: str | None = None,
          params: Mapping[str, str] | None = None, trigger_run: int | None = None, created_by: str = "manual",
          salt: str | None = None) -> str:
    """Create a cascade run by hand; BadInput (nothing written, nothing sent) when the request is wrong."""
    definition = config.cascades.get(cascade)
    if definition is None:
        raise engine.unknown_cascade(config, cascade)
    values = engine.resolve_params(definition, params or {})
    trigger = _trigger_run(config, store, client, definition, trigger_run) if trigger_run else None
    trigger_project = (definition.trigger.project if definition.trigger else (trigger.project if trigger else None))
    if trigger is None:
        needs = sorted({n for s in definition.stages.values() for n, _ in engine.upstream_fields_used(s)}
                       - set(definition.stages))
        if needs:
            hint = (f" (a run of {config.projects[definition.trigger.project].repo} {definition.trigger.workflow})"
                    if definition.trigger else "")
            raise BadInput(f"cascade {cascade}'s stages use upstream.{needs[0]}.*; pass --trigger-run RUN_ID{hint}")
    upstream = {trigger_project: trigger.results(client.base_url)} if trigger and trigger_project else {}
    state = engine.CascadeRunState(
        cascade_run_id="", cascade=cascade, status="running", created_at=now, trigger_kind="manual",
        trigger_run_id=trigger.run_id if trigger else None, trigger_project=trigger_project, ref=ref,
        params=values, upstream=upstream)
    check_refs(config, client, definition, state)
    start_action = engine.StartCascade(
        cascade_run_id=engine.new_cascade_run_id(cascade, now, salt or secrets.token_hex(8)), cascade=cascade,
        trigger_kind="manual", trigger_run_id=trigger.run_id if trigger else None,
        trigger_repo=trigger.repo if trigger else None, trigger_sha=trigger.head_sha if trigger else None,
        ref=ref, params=values, upstream=upstream, stages=tuple(definition.stages),
        reason=f"started by hand ({created_by})" + (f" for {trigger.link()}" if trigger else ""))
    if not cascade_store.insert_cascade_run(store, start_action, config, now, created_by):
        raise BadInput(f"cascade {cascade} already has a run for upstream run {trigger_run}; "
                       "use `quartz retry CASCADE_ID STAGE` to run a stage again")
    return start_action.cascade_run_id


def _trigger_run(config: Config, store, client, definition, run_id: int) -> RunView:
    row = store.query_one("cascades/run_lookup", run_id=run_id)
    if row is not None:
        run = cascade_store.run_view(row)
    else:
        repo = config.projects[definition.trigger.project].repo if definition.trigger else None
        if repo is None:
            raise BadInput(f"run {run_id} is not in the store; run `quartz sync` first")
        try:
            run = fetch_run(client, repo, run_id, datetime.now(UTC))
        except GitHubError as exc:
            raise QuartzError(f"could not look up run {run_id}: {exc}") from None
        if run is None:
            raise BadInput(f"--trigger-run {run_id}: no such run in {repo}")
        project = config.project_for_repo(run.repo)
        run = replace(run, project=project.name if project else None)
    if definition.trigger and run.repo.lower() != config.projects[definition.trigger.project].repo.lower():
        raise BadInput(f"--trigger-run {run_id} is a run of {run.repo}, but cascade {definition.name} is triggered "
                       f"by {config.projects[definition.trigger.project].repo}")
    if not definition.trigger and run.project is None:
        raise BadInput(f"--trigger-run {run_id} is a run of {run.repo}, which is not a project in cascades.yaml")
    return run


def check_refs(config: Config, client, definition, state: engine.CascadeRunState) -> None:
    """Every ref a stage will be dispatched on must exist (branches only; refs from upstream runs are not known yet)."""
    checked: set[tuple[str, str]] = set()
    for stage in definition.stages.values():
        if stage.kind != "workflow_dispatch":
            continue
        if not (state.ref and engine.uses_default_ref(config, stage)) and any(
                h.startswith("upstream.") for h in templating.holes(stage.ref)):
            continue
        context = engine.template_context(config, state, stage, 1, state.upstream)
        try:
            ref = engine.render_ref(config, state, stage, context)
        except templating.TemplateError as exc:
            raise BadInput(f"stage {stage.name}: ref '{stage.ref}': {exc}"
                           + (f" (release {state.params.get('release')} names no branch for {stage.project})"
                              if "release." in stage.ref else "")) from None
        repo = config.projects[stage.project].repo
        if (repo, ref) in checked:
            continue
        checked.add((repo, ref))
        try:
            client.get(f"/repos/{repo}/branches/{urllib.parse.quote(ref, safe='/')}")
        except NotFound:
            raise BadInput(f"stage {stage.name}: ref '{ref}' does not exist in {repo} (no such branch)") from None


def cancel(config: Config, store, client, cascade_run_id: str, now: datetime) -> tuple[int, int]:
    """Cancel every open stage (and ask GitHub to cancel their runs); returns (stages, runs) cancelled."""
    row = cascade_run_or_fail(store, cascade_run_id)
    if row["status"] != "running":
        raise BadInput(f"cascade run {cascade_run_id} already finished ({row['status']}); nothing to cancel")
    stages = [s for s in store.query("cascades/stages_of", cascade_run_id=cascade_run_id)
              if s["status"] in engine.ACTIVE]
    with store.transaction():
        for s in stages:
            store.execute("cascades/stage_finish", cascade_run_id=cascade_run_id, stage=s["stage"],
                          status="cancelled", reason="cancelled by hand (`quartz cancel`)", run_attempt=None, now=now)
        store.execute("cascades/run_finish", cascade_run_id=cascade_run_id, status="cancelled",
                      reason="cancelled by hand", now=now)
        store.execute("cascades/run_touch", cascade_run_id=cascade_run_id, now=now)
        cascade_store.event(store, cascade_run_id, None, "cancelled",
                            f"cancelled by hand; {len(stages)} open stages cancelled", now)
    writer = client.pygithub_for_writes()
    runs = 0
    for s in stages:
        if not s["run_id"]:
            continue
        try:
            writer.requester.requestJsonAndCheck("POST", f"/repos/{s['repo']}/actions/runs/{s['run_id']}/cancel")
            runs += 1
            message = f"asked GitHub to cancel run {s['run_url'] or s['run_id']}"
        except GithubException as exc:
            message = f"could not cancel run {s['run_id']} ({exc.status}): {github_message(exc)}"
        except requests.exceptions.RequestException as exc:
            message = f"could not cancel run {s['run_id']}: no answer ({type(exc).__name__})"
        cascade_store.event(store, cascade_run_id, s["stage"], "cancel_run", message, now)
    return len(stages), runs


def retry(config: Config, store, cascade_run_id: str, stage: str, now: datetime) -> int:
    """Put a finished stage back to pending; the next advance dispatches its next attempt. Returns that attempt."""
    row = cascade_run_or_fail(store, cascade_run_id)
    stages = {s["stage"]: s for s in store.query("cascades/stages_of", cascade_run_id=cascade_run_id)}
    if stage not in stages:
        raise BadInput(f"cascade run {cascade_run_id} has no stage '{stage}'; its stages: {', '.join(stages)}")
    current = stages[stage]
    if current["status"] in engine.ACTIVE:
        raise BadInput(f"stage {stage} is {current['status']}; wait for it to finish or `quartz cancel` the run")
    definition = config.cascades.get(row["cascade"])
    if definition is None or stage not in definition.stages:
        raise BadInput(f"stage {stage} is no longer in cascades.yaml; it cannot be dispatched again")
    blocked = [p for p in definition.stages[stage].depends_on if stages.get(p, {}).get("status") != "success"]
    if blocked:
        raise BadInput(f"stage {stage} depends on {', '.join(blocked)}, which did not succeed; retry "
                       f"{blocked[0]} instead (its dependants re-open on their own)")
    attempt = current["attempt"] + 1
    with store.transaction():
        store.execute("cascades/stage_requeue", cascade_run_id=cascade_run_id, stage=stage, now=now,
                      reason=f"retry requested; attempt {attempt} is dispatched by the next advance")
        if row["status"] != "running":
            store.execute("cascades/run_reopen", cascade_run_id=cascade_run_id, now=now,
                          reason=f"stage {stage} retried")
        store.execute("cascades/run_touch", cascade_run_id=cascade_run_id, now=now)
        cascade_store.event(store, cascade_run_id, stage, "retried",
                            f"retry requested (was {current['status']}); next attempt {attempt}", now)
    return attempt


def cascade_run_or_fail(store, cascade_run_id: str) -> dict:
    row = store.query_one("cascades/run_get", cascade_run_id=cascade_run_id)
    if row is None:
        known = [r["cascade_run_id"] for r in store.query("cascades/run_ids_recent")]
        close = difflib.get_close_matches(cascade_run_id, known, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else "; `quartz status` lists recent ones"
        raise BadInput(f"no cascade run '{cascade_run_id}'{hint}")
    return row
