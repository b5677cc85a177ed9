"""Whose change broke it: plan culprit probes for a failed stage and judge them. No I/O.

A stage named in its cascade's `culprit:` fails; the cascade's last good run (newest earlier run that
succeeded) is young enough; some upstream value the stage's inputs read differs from it. Then the stage is
dispatched again, one probe at a time, with mixed inputs:

1. the failed tuple as it was (flaky or broken?);
2. per changed upstream, the failed tuple with that one upstream put back to its last good value;
3. when every single put-back still fails, all changed upstreams put back together.

The first probe that passes gives the verdict; one that times out, is cancelled or cannot be dispatched ends
the search as inconclusive, as does a spent budget. A probe has its own correlation id
(`<cascade run>.<stage>.p<n>`: never a stage attempt's `<cascade run>.<stage>.<n>`), is dispatched at
most once and never changes the cascade's status or its known good (quartz/cascades/probes.py does the I/O).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from quartz.cascades import engine
from quartz.cascades.engine import CascadeRunState, RunView
from quartz.config import Config, Stage, templating
from quartz.site.sincegood import compare_url

PROBE_ACTIVE = ("dispatched", "running")
VERDICTS = ("broken_by", "flaky", "needs_both", "inconclusive")


@dataclass(frozen=True)
class ProbeState:
    correlation_id: str
    seq: int
    put_back: tuple[str, ...]  # () re-runs the failed tuple as it was
    status: str  # dispatched | running | success | failure | cancelled | timed_out | refused
    reason: str | None = None
    run_id: int | None = None
    run_url: str | None = None
    dispatched_at: datetime | None = None
    started_at: datetime | None = None


@dataclass(frozen=True)
class Search:
    """One failed stage of one cascade run, with what the planner needs to know about it."""

    cascade_run: CascadeRunState
    stage: str
    stage_status: str
    stage_run: RunView | None  # the failed run
    failed: Mapping[str, Mapping]  # upstream name → results the failed stage was dispatched with
    good_id: str | None = None  # the last good cascade run
    good_created_at: datetime | None = None
    good: Mapping[str, Mapping] = field(default_factory=dict)  # its upstream results
    probes: tuple[ProbeState, ...] = ()  # this stage's probes so far, by seq
    spent: int = 0  # probes dispatched for this cascade run, every stage
    busy: bool = False  # a probe of this stage (any cascade run) is in flight


@dataclass(frozen=True)
class ProbeDispatch:
    cascade_run_id: str
    stage: str
    seq: int
    correlation_id: str
    put_back: tuple[str, ...]
    kind: str
    repo: str
    target: str
    ref: str | None
    payload: Mapping
    what: str  # a few words: "pytorch put back", "re-run as it was"


@dataclass(frozen=True)
class Verdict:
    kind: str  # one of VERDICTS
    culprits: tuple[str, ...]
    text: str


def probe_id(cascade_run_id: str, stage: str, seq: int) -> str:
    return f"{cascade_run_id}.{stage}.p{seq}"


def probed_stages(config: Config, cascade_name: str) -> tuple[str, ...]:
    """The stages a cascade's `culprit:` covers: those it names, else every required stage that reads upstreams."""
    cascade = config.cascades.get(cascade_name)
    if cascade is None or cascade.culprit is None:
        return ()
    if cascade.culprit.stages:
        return tuple(s for s in cascade.culprit.stages if s in cascade.stages)
    return tuple(n for n, s in cascade.stages.items() if not s.optional and _names(s))


def _names(stage: Stage) -> list[str]:
    return sorted({n for n, _ in engine.upstream_fields_used(stage)})


def versions(cr: CascadeRunState, stage_runs: Mapping[str, RunView], api_url: str) -> dict[str, dict]:
    """What `upstream.<name>` held in a cascade run: its trigger run and every stage run it linked."""
    out: dict[str, dict] = {}
    if cr.trigger_project and cr.trigger_project in cr.upstream:
        out[cr.trigger_project] = dict(cr.upstream[cr.trigger_project])
        if cr.trigger_run_id and cr.trigger_repo:
            out[cr.trigger_project]["artifacts_url"] = (f"{api_url.rstrip('/')}/repos/{cr.trigger_repo}"
                                                        f"/actions/runs/{cr.trigger_run_id}/artifacts")
    for name, run in stage_runs.items():
        out[name] = run.results(api_url)
    return out


def changed(stage: Stage, failed: Mapping[str, Mapping], good: Mapping[str, Mapping]) -> list[str]:
    """Upstream names whose values the stage reads differ between the failed tuple and the last good one."""
    fields: dict[str, set[str]] = {}
    for name, f in engine.upstream_fields_used(stage):
        fields.setdefault(name, set()).add(f)
    return [n for n in sorted(fields) if n in failed and n in good
            and any(failed[n].get(f) != good[n].get(f) for f in fields[n])]


def why_not(config: Config, s: Search, now: datetime) -> str | None:
    """Why this failed stage is not probed at all (None: it is)."""
    cascade = config.cascades.get(s.cascade_run.cascade)
    if cascade is None or cascade.culprit is None or s.stage not in probed_stages(config, cascade.name):
        return "its cascade does not probe it"
    if s.stage_status != "failure":
        return f"it is {s.stage_status}, not failed"
    if s.good_id is None or s.good_created_at is None:
        return "no earlier run of the cascade passed"
    age = (now - s.good_created_at).total_seconds()
    if age > cascade.culprit.max_age_s:
        return (f"the last good run {s.good_id} is {engine.humanize(age)} old, over the cascade's max_age of "
                f"{engine.humanize(cascade.culprit.max_age_s)}")
    if not changed(cascade.stages[s.stage], s.failed, s.good):
        return "no upstream it reads changed since the last good run"
    return None


def steps(stage: Stage, s: Search) -> list[tuple[str, ...]]:
    """The probes a search may make, in order."""
    moved = changed(stage, s.failed, s.good)
    return [(), *((n,) for n in moved), *([tuple(moved)] if len(moved) > 1 else [])]


def plan(config: Config, s: Search, now: datetime, *, api_url: str) -> tuple[list[ProbeDispatch], Verdict | None]:
    """The next probe to dispatch and/or the verdict, from the probes so far."""
    if not s.probes and why_not(config, s, now):
        return [], None
    cascade = config.cascades[s.cascade_run.cascade]
    stage = cascade.stages[s.stage]
    if any(p.status in PROBE_ACTIVE for p in s.probes):
        return [], None
    order = steps(stage, s)
    verdict = judge(s, order)
    if verdict is not None:
        return [], verdict
    tried = {p.put_back for p in s.probes}
    todo = [put_back for put_back in order if put_back not in tried]
    if not todo:
        return [], _inconclusive(s, "no probe left to try")
    if s.spent >= cascade.culprit.max_probes:
        n = cascade.culprit.max_probes
        return [], _inconclusive(s, f"budget spent ({n} probe{'s' if n != 1 else ''} for this cascade run)")
    if s.busy:
        return [], None
    try:
        return [probe(config, s, stage, todo[0], len(s.probes) + 1)], None
    except templating.TemplateError as exc:
        return [], _inconclusive(s, f"a probe could not be rendered: {exc}")


def probe(config: Config, s: Search, stage: Stage, put_back: tuple[str, ...], seq: int) -> ProbeDispatch:
    upstream = {n: dict(v) for n, v in s.failed.items()}
    for name in put_back:
        upstream[name] = dict(s.good[name])
    corr = probe_id(s.cascade_run.cascade_run_id, stage.name, seq)
    ref, payload = engine.render_dispatch(config, s.cascade_run, stage, 0, corr, upstream)
    what = f"{' and '.join(put_back)} put back to last good" if put_back else "re-run as it was"
    return ProbeDispatch(s.cascade_run.cascade_run_id, stage.name, seq, corr, put_back, stage.kind,
                         config.projects[stage.project].repo, stage.workflow or stage.event_type, ref, payload, what)


# ---------------------------------------------------------------- verdicts


def judge(s: Search, order: list[tuple[str, ...]]) -> Verdict | None:
    """The verdict the finished probes support, or None while the search goes on."""
    for p in sorted(s.probes, key=lambda p: p.seq):
        if p.status in ("refused", "timed_out", "cancelled"):
            return _inconclusive(s, f"probe {p.correlation_id} {p.reason or p.status}")
        if p.status != "success":
            continue
        if not p.put_back:
            return Verdict("flaky", (), f"flaky: the same inputs passed on re-run ({_run(p)}); {s.stage}'s "
                                        f"failure ({_run_of(s.stage_run)}) was not caused by an upstream change")
        if len(p.put_back) == 1:
            return _broken_by(s, p, order)
        names = " and ".join(p.put_back) if len(p.put_back) == 2 else "all of " + ", ".join(p.put_back)
        both = "both" if len(p.put_back) == 2 else "all"
        return Verdict("needs_both", p.put_back,
                       f"needs {both}: {s.stage} passes only when {names} are put back to last good "
                       f"({_run(p)}); each one alone still fails")
    tried = {p.put_back for p in s.probes if p.status == "failure"}
    if order and all(step in tried for step in order):
        every = order[-1]
        return _inconclusive(s, f"{s.stage} fails even with {' and '.join(every)} put back to last good "
                                f"(run {s.good_id}): the change is likely in {s.stage} itself or its runners")
    return None


def _broken_by(s: Search, p: ProbeState, order: list[tuple[str, ...]]) -> Verdict:
    name = p.put_back[0]
    others = [step[0] for step in order if len(step) == 1 and step[0] != name]
    kept = f"this run's {' and '.join(others)} and " if others else ""
    good, now = s.good.get(name, {}), s.failed.get(name, {})
    sha = now.get("head_sha")
    if sha and sha == good.get("head_sha"):
        where = f"same commit {sha[:12]} as last good, rebuilt"
    else:
        where = f"sha {sha[:12]}" if sha else "sha unknown"
        link = compare_url(now, good) if now.get("repo") else None
        where += f", {link}" if link else ""
    text = (f"broken by {name}: {s.stage} passes with {kept}last good {name} (run {good.get('run_id')}; "
            f"{_run(p)}), fails with this run's {name} (run {now.get('run_id')}, {where})")
    return Verdict("broken_by", (name,), text)


def _inconclusive(s: Search, why: str) -> Verdict:
    return Verdict("inconclusive", (), f"inconclusive: {why}")


def _run(p: ProbeState) -> str:
    return f"probe run {p.run_url or p.run_id}" if p.run_id else f"probe {p.correlation_id}"


def _run_of(run: RunView | None) -> str:
    return run.link() if run else "its run"


# ---------------------------------------------------------------- following one probe


def follow(p: ProbeState, run: RunView | None, stage: Stage, now: datetime) -> ProbeState:
    """A probe after looking at its run (or at none): linked, running, finished or timed out."""
    if p.status not in PROBE_ACTIVE:
        return p
    if run is None:
        sent = p.dispatched_at or now
        if (now - sent).total_seconds() >= stage.dispatch_timeout_s:
            return _replace(p, status="timed_out",
                            reason=f"timed out: no run with correlation id {p.correlation_id} appeared within "
                                   f"{engine.humanize(stage.dispatch_timeout_s)} of the dispatch")
        return p
    p = _replace(p, run_id=run.run_id, run_url=run.html_url or p.run_url)
    if run.completed:
        status = engine.stage_status_for(run.conclusion)
        return _replace(p, status=status, reason=f"{run.conclusion} — {run.link()}")
    begun = run.run_started_at or run.created_at or p.dispatched_at or now
    if (now - begun) > timedelta(seconds=stage.timeout_s):
        return _replace(p, status="timed_out", reason=f"timed out: {run.link()} still {run.status} after "
                                                      f"{engine.humanize((now - begun).total_seconds())}")
    return _replace(p, status="running", started_at=begun, reason=f"{run.status} — {run.link()}")


def _replace(p: ProbeState, **changes) -> ProbeState:
    return replace(p, **changes)
