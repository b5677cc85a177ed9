"""Start cascades on one component of a ROCm nightly, in the first cycle after that component turns green.

A nightly is read the one way Quartz reads it: the status.json document built from the stored reports
(quartz/rocm/statusjson.py `document`), so a trigger sees exactly what `release-nightly/<day>/status.json`
says. The reports are in the store already (`quartz ingest`): watching a nightly costs no GitHub request.

When does `trigger: {nightly: {platform, pipeline, phase, families, require}}` fire?
- A platform-wide leaf (`pipelines.<pipeline>.build.<platform>`, native rpm/deb) gives each family of
  `summary.<platform>.architectures` its status. Without `families` it fires when the leaf is success
  (families: every architecture); with `families`, when the leaf is success and the listed families are
  among the architectures (`all`: every one; `any`: at least one).
- Per-family leaves (`pipelines.<pipeline>.test.<platform>.<family>`): with `families`, `all` fires once every
  listed family's leaf is success, `any` as soon as one is. Without `families` it is the rollup: it waits
  until the platform is no longer in progress (only then is the set of test leaves final) and fires when
  every test leaf there passed.
- The families that had passed at that moment are the cascade run's; they never change after.

Exactly once per (cascade, nightly): the claim row in `nightly_trigger_starts` (primary key cascade, release
type, nightly key) and the cascade run are written in one transaction, and the cascade run's unique
(cascade, trigger_run_id) index holds too. The cascade run then moves like any other (advance.py).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass

from quartz.cascades import engine
from quartz.cascades import state as cascade_store
from quartz.cascades.families import NIGHTLY
from quartz.cascades.state import CONFLICTS
from quartz.config import Cascade, Config
from quartz.config.nightly import NightlyTrigger
from quartz.rocm import statusjson

DONE = ("success", "failure", "cancelled", "skipped")


@dataclass(frozen=True)
class Verdict:
    fired: bool
    families: tuple[str, ...] = ()  # the families that passed, when it fired
    green_at: dt.datetime | None = None  # when the leaf (or the last leaf it needed) turned green
    why: str = ""  # in words: what it waits for, or what turned green


def _time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _leaf_end(leaf: Mapping) -> dt.datetime | None:
    ends = [leaf.get("completed_at")] + [v.get("completed_at") for v in leaf.get("variants") or ()]
    times = [_time(t) for t in ends if t]
    return max(times) if times else None


def evaluate(trigger: NightlyTrigger, doc: Mapping) -> Verdict:
    """Whether a status.json document satisfies a nightly trigger, and with which families."""
    summary = doc.get("summary", {}).get(trigger.platform) or {}
    arches = list(summary.get("architectures") or ())
    pipelines = doc.get("pipelines", {})
    if trigger.pipeline == "native_packages":
        return _platform_leaf(trigger, pipelines.get("native_packages", {}).get(trigger.phase), arches)
    if trigger.phase == "build":
        return _platform_leaf(trigger, pipelines.get(trigger.pipeline, {}).get("build", {}).get(trigger.platform),
                              arches)
    leaves = pipelines.get(trigger.pipeline, {}).get(trigger.phase, {}).get(trigger.platform) or {}
    return _family_leaves(trigger, leaves, summary.get("status"))


def _platform_leaf(trigger: NightlyTrigger, leaf: Mapping | None, arches: list[str]) -> Verdict:
    status = (leaf or {}).get("status")
    if status != "success":
        return Verdict(False, why=f"{trigger.describe()} is {status or 'not reported yet'}")
    passed = [f for f in trigger.families if f in arches] if trigger.families else arches
    missing = [f for f in trigger.families if f not in arches]
    if not passed or (trigger.require == "all" and missing):
        return Verdict(False, why=f"{trigger.describe()}: {', '.join(missing)} not among the families built "
                                  f"({', '.join(arches) or 'none'})")
    return Verdict(True, tuple(passed), _leaf_end(leaf), f"{trigger.describe()} succeeded")


def _family_leaves(trigger: NightlyTrigger, leaves: Mapping, platform_status: str | None) -> Verdict:
    status = {family: leaf.get("status") for family, leaf in leaves.items()}
    if trigger.families:
        watched = list(trigger.families)
    elif platform_status in DONE:
        watched = list(leaves)  # the platform is finished: the test leaves it has are all there will be
    else:
        return Verdict(False, why=f"{trigger.describe()}: the platform is still in progress")
    passed = [f for f in watched if status.get(f) == "success"]
    enough = bool(passed) and (trigger.require == "any" or len(passed) == len(watched))
    if not enough:
        waiting = [f"{f} {status.get(f) or 'not reported'}" for f in watched if status.get(f) != "success"]
        return Verdict(False, why=f"{trigger.describe()}: " + ", ".join(waiting or ["no family reported"]))
    ends = [_leaf_end(leaves[f]) for f in passed]
    green = max((t for t in ends if t), default=None)
    return Verdict(True, tuple(passed), green, f"{trigger.describe()} succeeded for {', '.join(passed)}")


# ---------------------------------------------------------------- starting cascade runs


def fields(trigger: NightlyTrigger, kind: str, key: str, doc: Mapping, verdict: Verdict, html_url: str | None) -> dict:
    """What `{{ nightly.<field> }}` offers the cascade's stages (stored with the cascade run)."""
    urls = (doc.get("summary", {}).get(trigger.platform) or {}).get("urls") or {}
    return {"key": key, "release_type": kind, "build_date": doc.get("build_date"),
            "rocm_version": doc.get("rocm_version"), "run_id": doc.get("trigger_workflow_run_id"),
            "run_attempt": doc.get("trigger_run_attempt"), "platform": trigger.platform,
            "pipeline": trigger.pipeline, "phase": trigger.phase, "families": ",".join(verdict.families),
            "families_json": json.dumps(list(verdict.families)), "html_url": html_url, "urls": dict(urls)}


def start_triggered(config: Config, store, now: dt.datetime, api_url: str, report) -> None:
    """Start every nightly-triggered cascade whose leaf is green in a nightly it has not started on."""
    watching = [c for c in config.cascades.values() if c.nightly_trigger is not None]
    if not watching:
        return
    first_seen = {r["cascade"]: r["first_seen_at"] for r in store.query("cascades/watch_list")}
    started = {(r["cascade"], r["release_type"], r["nightly_key"])
               for r in store.query("cascades/nightly_started", cascades=[c.name for c in watching])}
    since = now - engine.TRIGGER_MAX_AGE - dt.timedelta(days=1)
    grouped = statusjson.load_reports(store, config, since)
    grace = dt.timedelta(seconds=2 * config.settings.schedule_interval_s)
    for (kind, key), reports in sorted(grouped.items()):
        waiting = [c for c in watching if c.nightly_trigger.release_type == kind and (c.name, kind, key) not in started
                   and c.name in first_seen]
        if not waiting:
            continue
        doc = statusjson.document(kind, key, reports)
        if doc is None:
            continue
        for cascade in waiting:
            not_before = max(first_seen[cascade.name] - grace, now - engine.TRIGGER_MAX_AGE)
            verdict = evaluate(cascade.nightly_trigger, doc)
            if verdict.fired and (verdict.green_at or now) >= not_before:
                _start(config, store, cascade, kind, key, doc, verdict, now, report)


class _Taken(Exception):
    """The cascade run exists already (same upstream run): undo the claim."""


def _start(config: Config, store, cascade: Cascade, kind: str, key: str, doc: Mapping, verdict: Verdict,
           now: dt.datetime, report) -> None:
    owner = int(doc["trigger_workflow_run_id"])
    run = store.query_one("cascades/nightly_owner", run_id=owner) or {}
    start = engine.StartCascade(
        cascade_run_id=engine.new_cascade_run_id(cascade.name, now, f"{kind}/{key}"), cascade=cascade.name,
        trigger_kind="auto", trigger_run_id=owner, trigger_repo=run.get("repo"), trigger_sha=run.get("head_sha"),
        ref=None, params={n: p.default for n, p in cascade.params.items() if p.default is not None},
        upstream={NIGHTLY: fields(cascade.nightly_trigger, kind, key, doc, verdict, run.get("html_url"))},
        stages=tuple(cascade.stages),
        reason=f"{verdict.why} in {kind} {key} (ROCm {doc.get('rocm_version') or '?'}) — "
               f"{run.get('html_url') or f'run {owner}'}")
    try:
        with store.transaction():
            claimed = store.query(
                "cascades/nightly_claim", cascade=cascade.name, release_type=kind, nightly_key=key,
                cascade_run_id=start.cascade_run_id, owner_run_id=owner, families=json.dumps(list(verdict.families)),
                fired_at=now, green_at=verdict.green_at)
            if not claimed:
                return
            if not cascade_store.insert_cascade_run(store, start, config, now, "nightly trigger"):
                raise _Taken(start.cascade_run_id)
        report.started += 1
    except _Taken:
        report.contended += 1
    except CONFLICTS:
        report.contended += 1
