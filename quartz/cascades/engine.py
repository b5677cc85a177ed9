"""The cascade engine: (definitions, stored state, synced runs, now) → actions. No I/O.

`plan()` looks at one cascade run and says what should happen next; `plan_triggers()`
says which upstream runs start new cascade runs. quartz/cascades/advance.py loads the state,
carries the actions out and is the only place that talks to GitHub or the store.

Rules, in one place:
- Stage states: pending → dispatched → running → success | failure | cancelled |
  timed_out, or skipped when a parent did not succeed. A run's *latest attempt*
  decides its stage, so a run re-run by hand that passes turns its stage green
  (and re-opens the dependants that were skipped because of it).
- Fan-in: a stage waits for every parent in the same cascade run and is rendered
  only from that run's upstream results, so it never mixes versions.
- Optional stages: a dependant of a failed optional stage is skipped too (its
  inputs do not exist); the cascade then ends `partial_failure`, not `failure`.
  Cascade status: `failure` if a required stage failed or timed out; else
  `cancelled` if any stage was cancelled; else `partial_failure` if any stage did
  not succeed; else `success`.
- Dispatch timeout: a stage dispatched whose run has not appeared after its
  dispatch_timeout times out; nothing is ever re-sent automatically.
- Run timeout: a run not finished `timeout` after it started (its latest attempt)
  times out its stage; the run itself is left alone.
- Triggers: a completed upstream run starts at most one cascade run (the store
  has a unique index on (cascade, trigger_run_id)). Only runs that completed at
  or after the moment Quartz first saw the cascade, less a grace of two schedule
  intervals, count — so enabling a cascade does not replay 30 days of history —
  and never runs that completed more than TRIGGER_MAX_AGE ago.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from quartz.cascades import families, signal
from quartz.config import Cascade, Config, Stage, templating
from quartz.errors import BadInput
from quartz.site import paths
from quartz.text import cap

ACTIVE = ("pending", "dispatched", "running")
TERMINAL = ("success", "failure", "cancelled", "timed_out", "skipped")
NOT_SUCCEEDED = ("failure", "cancelled", "timed_out", "skipped")
MAY_TURN_GREEN = ("failure", "cancelled", "timed_out")  # a stage whose run, re-run by hand, may still pass
CASCADE_FINISHED = ("success", "partial_failure", "failure", "cancelled")
TRIGGER_MAX_AGE = timedelta(days=3)
REOPEN_WINDOW = timedelta(days=3)  # finished cascades still watched for runs re-run by hand
STATUS_DESCRIPTION_MAX = 140  # GitHub's limit for a commit status description

# A run's conclusion → its stage's status.
_CONCLUSIONS = {
    "success": "success", "neutral": "success", "skipped": "success",
    "failure": "failure", "startup_failure": "failure", "timed_out": "failure",
    "action_required": "failure", "stale": "failure",
    "cancelled": "cancelled",
}
# A stage's status → the commit status reported on the trigger commit.
_COMMIT_STATE = {
    "pending": "pending", "dispatched": "pending", "running": "pending",
    "success": "success", "failure": "failure", "timed_out": "failure",
    "skipped": "error", "cancelled": "error",
}


def stage_status_for(conclusion: str | None) -> str:
    return _CONCLUSIONS.get(conclusion or "", "failure")


def commit_state_for(status: str) -> str:
    return _COMMIT_STATE[status]


# ---------------------------------------------------------------- what the engine reads


@dataclass(frozen=True)
class RunView:
    """A workflow run as last synced (its latest attempt)."""

    run_id: int
    repo: str
    status: str | None = None  # queued | in_progress | completed | ...
    conclusion: str | None = None
    run_attempt: int = 1
    workflow: str | None = None  # file name
    project: str | None = None
    event: str | None = None
    head_sha: str | None = None
    head_branch: str | None = None
    run_number: int | None = None
    html_url: str | None = None
    display_title: str | None = None
    created_at: datetime | None = None
    run_started_at: datetime | None = None
    updated_at: datetime | None = None
    artifact_names: tuple[str, ...] | None = None  # None: not known yet
    jobs_succeeded_at: datetime | None = None  # a job-level trigger's jobs all succeeded (cascades/jobtriggers.py)

    @property
    def completed(self) -> bool:
        return self.status == "completed"

    def link(self) -> str:
        return self.html_url or f"run {self.run_id}"

    def results(self, api_url: str) -> dict:
        """The values `upstream.<name>.<field>` offers to templates."""
        return {
            "run_id": self.run_id,
            "run_number": self.run_number,
            "run_attempt": self.run_attempt,
            "head_sha": self.head_sha,
            "head_branch": self.head_branch,
            "html_url": self.html_url,
            "conclusion": self.conclusion,
            "artifacts_url": f"{api_url.rstrip('/')}/repos/{self.repo}/actions/runs/{self.run_id}/artifacts",
            "artifact_names": None if self.artifact_names is None else ",".join(self.artifact_names),
            "workflow": self.workflow,
            "repo": self.repo,
        }


@dataclass(frozen=True)
class StageState:
    stage: str
    status: str = "pending"
    attempt: int = 0
    reason: str | None = None
    correlation_id: str | None = None
    run_id: int | None = None
    run_attempt: int | None = None  # the run attempt whose result the stage holds
    repo: str | None = None
    dispatched_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    reported_state: str | None = None  # last commit status sent for this stage


@dataclass(frozen=True)
class IntentView:
    correlation_id: str
    outcome: str | None  # None: written, send not confirmed (crash) | sent | failed | unknown
    response_status: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class CascadeRunState:
    cascade_run_id: str
    cascade: str
    status: str
    created_at: datetime
    trigger_kind: str = "auto"
    trigger_run_id: int | None = None
    trigger_repo: str | None = None
    trigger_sha: str | None = None
    trigger_project: str | None = None  # the `upstream.<name>` the trigger run is known as
    ref: str | None = None  # --ref of a manual start
    params: Mapping[str, str] = field(default_factory=dict)
    upstream: Mapping[str, Mapping] = field(default_factory=dict)  # stored trigger results
    finished_at: datetime | None = None


@dataclass(frozen=True)
class Snapshot:
    """Everything plan() needs to know about one cascade run."""

    cascade_run: CascadeRunState
    stages: Mapping[str, StageState]
    runs: Mapping[int, RunView] = field(default_factory=dict)  # the trigger run and stage runs
    found: Mapping[str, RunView] = field(default_factory=dict)  # correlation id → run found by run name
    intents: Mapping[str, IntentView] = field(default_factory=dict)


# ---------------------------------------------------------------- what the engine asks for


@dataclass(frozen=True)
class StartCascade:
    cascade_run_id: str
    cascade: str
    trigger_kind: str
    trigger_run_id: int | None
    trigger_repo: str | None
    trigger_sha: str | None
    ref: str | None
    params: Mapping[str, str]
    upstream: Mapping[str, Mapping]
    stages: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Dispatch:
    cascade_run_id: str
    stage: str
    attempt: int
    previous_attempt: int  # the stage's attempt when planned; the dispatcher compares and sets
    correlation_id: str
    kind: str  # workflow_dispatch | repository_dispatch
    repo: str
    target: str  # workflow file or event type
    ref: str | None
    payload: Mapping  # inputs or client_payload
    signal_at: datetime | None = None  # when the upstream signal it waited for was complete (cascades/signal.py)
    signal: str | None = None


@dataclass(frozen=True)
class LinkRun:
    cascade_run_id: str
    stage: str
    run_id: int
    run_url: str | None


@dataclass(frozen=True)
class MarkRunning:
    cascade_run_id: str
    stage: str
    started_at: datetime
    reason: str


@dataclass(frozen=True)
class Finish:
    cascade_run_id: str
    stage: str
    status: str
    reason: str
    run_attempt: int | None


@dataclass(frozen=True)
class Skip:
    cascade_run_id: str
    stage: str
    reason: str


@dataclass(frozen=True)
class TimeOut:
    cascade_run_id: str
    stage: str
    reason: str
    run_attempt: int | None


@dataclass(frozen=True)
class Reopen:
    """A finished stage comes back: its run was re-run by hand, or a skipped stage's parents recovered."""

    cascade_run_id: str
    stage: str
    status: str  # running | pending
    reason: str


@dataclass(frozen=True)
class Explain:
    cascade_run_id: str
    stage: str
    reason: str


@dataclass(frozen=True)
class ReportStatus:
    cascade_run_id: str
    stage: str
    repo: str
    sha: str
    context: str
    state: str  # pending | success | failure | error
    description: str
    target_url: str | None


@dataclass(frozen=True)
class FinishCascade:
    cascade_run_id: str
    status: str
    reason: str


@dataclass(frozen=True)
class ReopenCascade:
    cascade_run_id: str
    reason: str


@dataclass(frozen=True)
class Event:
    cascade_run_id: str
    stage: str | None
    kind: str
    message: str


# ---------------------------------------------------------------- small pure helpers


def correlation_id(cascade_run_id: str, stage: str, attempt: int) -> str:
    return f"{cascade_run_id}.{stage}.{attempt}"


def title_has_correlation(title: str | None, corr: str) -> bool:
    """Whether a run name shows this correlation id as a whole token ('x.a.1' is not in 'x.a.10')."""
    if not title:
        return False
    start = title.find(corr)
    while start >= 0:
        end = start + len(corr)
        before = title[start - 1] if start else " "
        rest = title[end:end + 2]
        # A sentence's full stop may follow the id; another id character may not.
        ends_here = not rest or not _id_char(rest[0]) or (rest[0] == "." and (len(rest) == 1 or not _id_char(rest[1])))
        if not _id_char(before) and ends_here:
            return True
        start = title.find(corr, start + 1)
    return False


def _id_char(ch: str) -> bool:
    return ch.isalnum() or ch in "._-"


def new_cascade_run_id(cascade: str, when: datetime, salt: str) -> str:
    """`<cascade>-<yyyymmdd>-<hhmm>-<6 hex>`; the salt (trigger run id, or random) makes it unique."""
    digest = hashlib.sha256(f"{cascade}:{salt}".encode()).hexdigest()[:6]
    return f"{cascade}-{when:%Y%m%d-%H%M}-{digest}"


def humanize(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def clock(when: datetime) -> str:
    """A moment as a waiting reason names it: `Nov 22 05:00 UTC`. Reasons of stages still going name when
    they began, never for how long: a reason that changed every cycle would change the store (and the
    site) every cycle while nothing happened."""
    return f"{when.astimezone(UTC):%b %d %H:%M} UTC"


def cascade_status_for(cascade: Cascade | None, stages: Mapping[str, str]) -> str:
    """Final status of a cascade run from its stages' (all terminal) statuses."""

    def optional(name: str) -> bool:
        return bool(cascade and name in cascade.stages and cascade.stages[name].optional)

    if any(s in ("failure", "timed_out") and not optional(n) for n, s in stages.items()):
        return "failure"
    if any(s == "cancelled" for s in stages.values()):
        return "cancelled"
    if any(s != "success" for s in stages.values()):
        return "partial_failure"
    return "success"


def resolve_params(cascade: Cascade, given: Mapping[str, str]) -> dict[str, str]:
    """Declared params filled from `given` and defaults; BadInput names every problem."""
    problems = []
    for name in given:
        if name not in cascade.params:
            message = f"unknown parameter '{name}'"
            close = difflib.get_close_matches(name, list(cascade.params), n=1, cutoff=0.6)
            if close:
                message += f"; did you mean '{close[0]}'?"
            else:
                message += f"; cascade {cascade.name} takes: {', '.join(cascade.params) or 'no parameters'}"
            problems.append(message)
    values: dict[str, str] = {}
    for name, param in cascade.params.items():
        value = given.get(name, param.default)
        if value is None:
            if param.required:
                hint = f" ({param.description})" if param.description else ""
                problems.append(f"missing parameter '{name}'{hint}: pass --param {name}=VALUE")
            continue
        if param.choices and value not in param.choices:
            problems.append(f"parameter '{name}' is {value!r}; choose one of: {', '.join(param.choices)}")
        values[name] = value
    if problems:
        raise BadInput(f"cascade {cascade.name}: " + "; ".join(problems))
    return values


def unknown_cascade(config: Config, name: str) -> BadInput:
    message = f"unknown cascade '{name}'"
    close = difflib.get_close_matches(name, list(config.cascades), n=1, cutoff=0.5)
    if close:
        message += f"; did you mean '{close[0]}'?"
    else:
        message += f"; cascades.yaml defines: {', '.join(config.cascades) or 'none'}"
    return BadInput(message)


def upstream_fields_used(stage: Stage) -> set[tuple[str, str]]:
    """The (name, field) pairs of `upstream.<name>.<field>` a stage's templates read."""
    used = set()
    for _, text in templating.strings_in({"ref": stage.ref, "inputs": dict(stage.inputs),
                                          "payload": dict(stage.client_payload)}):
        for hole in templating.holes(text):
            parts = hole.split(".")
            if parts[0] == "upstream" and len(parts) == 3:
                used.add((parts[1], parts[2]))
    return used


def uses_default_ref(config: Config, stage: Stage) -> bool:
    """A stage that names no ref of its own takes the --ref of a manual start."""
    return stage.kind == "workflow_dispatch" and not stage.ref_explicit


def template_context(config: Config, cascade_run: CascadeRunState, stage: Stage | None, attempt: int,
                     upstream: Mapping[str, Mapping]) -> dict:
    release_name = cascade_run.params.get("release")
    return {
        "params": dict(cascade_run.params),
        "upstream": dict(upstream),
        "cascade": {
            "id": cascade_run.cascade_run_id,
            "name": cascade_run.cascade,
            "ref": cascade_run.ref or (upstream.get(cascade_run.trigger_project or "", {}).get("head_branch")),
            "started_at": cascade_run.created_at.isoformat(),
        },
        "stage": {
            "name": stage.name if stage else None,
            "attempt": attempt,
            "correlation_id": correlation_id(cascade_run.cascade_run_id, stage.name, attempt) if stage else None,
        },
        "release": dict(config.releases.get(release_name or "", {})),
        "nightly": families.nightly_fields(cascade_run.upstream),
    }


def render_dispatch(config: Config, cascade_run: CascadeRunState, stage: Stage, attempt: int, corr: str,
                    upstream: Mapping[str, Mapping]) -> tuple[str | None, dict]:
    """(ref, inputs or client_payload) of one dispatch; raises templating.TemplateError."""
    context = template_context(config, cascade_run, stage, attempt, upstream)
    context["stage"]["correlation_id"] = corr
    ref = render_ref(config, cascade_run, stage, context)
    if stage.kind == "workflow_dispatch":
        payload = dict(templating.render_tree(dict(stage.inputs), context))
        payload[stage.correlation_input] = corr
        return ref, payload
    payload = dict(templating.render_tree(dict(stage.client_payload), context))
    payload["quartz"] = {
        "cascade_run_id": cascade_run.cascade_run_id, "stage": stage.name, "attempt": attempt,
        "correlation_id": corr,
        "upstream": {n: {k: v[k] for k in ("run_id", "head_sha", "html_url", "conclusion",
                                           "artifacts_url", "artifact_names") if k in v}
                     for n, v in upstream.items()},
    }
    return ref, payload


def render_ref(config: Config, cascade_run: CascadeRunState, stage: Stage, context: Mapping) -> str | None:
    if stage.kind != "workflow_dispatch":
        return None
    if cascade_run.trigger_kind == "manual" and cascade_run.ref and uses_default_ref(config, stage):
        return cascade_run.ref
    return templating.render(stage.ref, context)


# ---------------------------------------------------------------- triggers


def trigger_matches(cascade: Cascade, run: RunView) -> bool:
    t = cascade.trigger
    if t is None or not (run.jobs_succeeded_at if t.jobs else run.completed):
        return False
    return (
        run.project == t.project
        and run.workflow == t.workflow
        and (t.branch is None or run.head_branch == t.branch)
        and (t.event is None or run.event == t.event)
        and (bool(t.jobs) or t.conclusion == "any" or run.conclusion == t.conclusion)
    )


def plan_triggers(config: Config, candidates: list[RunView], started: set[tuple[str, int]],
                  first_seen: Mapping[str, datetime], now: datetime, *, api_url: str) -> list[StartCascade]:
    """One StartCascade per (cascade, upstream run) not started yet, within the trigger window."""
    grace = timedelta(seconds=2 * config.settings.schedule_interval_s)
    actions = []
    for cascade in config.cascades.values():
        if cascade.trigger is None or cascade.name not in first_seen:
            continue
        not_before = max(first_seen[cascade.name] - grace, now - TRIGGER_MAX_AGE)
        for run in sorted(candidates, key=lambda r: (r.updated_at or now, r.run_id)):
            if (cascade.name, run.run_id) in started or not trigger_matches(cascade, run):
                continue
            if run.updated_at is None or run.updated_at < not_before:
                continue
            cascade_run_id = new_cascade_run_id(cascade.name, now, str(run.run_id))
            actions.append(StartCascade(
                cascade_run_id=cascade_run_id, cascade=cascade.name, trigger_kind="auto",
                trigger_run_id=run.run_id, trigger_repo=run.repo, trigger_sha=run.head_sha, ref=None,
                params={n: p.default for n, p in cascade.params.items() if p.default is not None},
                upstream={cascade.trigger.project: run.results(api_url)},
                stages=tuple(cascade.stages),
                reason=f"{cascade.trigger.project} {run.workflow} {_trigger_words(cascade.trigger, run)} on "
                       f"{run.head_branch} — {run.link()}",
            ))
            started = started | {(cascade.name, run.run_id)}
    return actions


def _trigger_words(trigger, run: RunView) -> str:
    return f"jobs {', '.join(trigger.jobs)} succeeded" if trigger.jobs else str(run.conclusion)


# ---------------------------------------------------------------- advancing one cascade run


def plan(config: Config, snap: Snapshot, now: datetime, *, api_url: str) -> list:
    """The actions that move one cascade run forward, in the order to apply them."""
    return _Planner(config, snap, now, api_url).run()


class _Planner:
    def __init__(self, config: Config, snap: Snapshot, now: datetime, api_url: str):
        self.config = config
        self.snap = snap
        self.now = now
        self.api_url = api_url
        self.cr = snap.cascade_run
        self.id = self.cr.cascade_run_id
        self.cascade = config.cascades.get(self.cr.cascade)
        self.status: dict[str, str] = {n: s.status for n, s in snap.stages.items()}
        self.run_of: dict[str, RunView | None] = {}
        self.brief: dict[str, str] = {}  # a few words per stage, for its dependants' reasons
        self.actions: list = []
        self.reopened = False

    # -- helpers

    def emit(self, *actions) -> None:
        self.actions.extend(actions)

    def event(self, stage: str | None, kind: str, message: str) -> None:
        self.emit(Event(self.id, stage, kind, message))

    def explain(self, st: StageState, reason: str) -> None:
        self.brief.setdefault(st.stage, reason)
        if reason != st.reason:
            self.emit(Explain(self.id, st.stage, reason))

    # -- the pass

    def run(self) -> list:
        if self.cr.status == "cancelled":
            self.report_statuses()  # the cancelled stages still owe their final commit status
            return self.actions
        order = [n for n in (self.cascade.stages if self.cascade else ()) if n in self.snap.stages]
        order += [n for n in self.snap.stages if n not in order]
        for name in order:
            st = self.snap.stages[name]
            definition = self.cascade.stages.get(name) if self.cascade else None
            if definition is None:
                if st.status in ACTIVE:
                    self.finish(st, "cancelled", "cancelled: the stage is no longer in cascades.yaml", None)
                continue
            self.stage(st, definition)
        self.report_statuses()
        self.conclude()
        return self.actions

    def stage(self, st: StageState, stage: Stage) -> None:
        status = st.status
        if status in ("failure", "cancelled", "timed_out") and st.run_id is not None:
            run = self.snap.runs.get(st.run_id)
            if run and st.run_attempt is not None and run.run_attempt > st.run_attempt:
                self.reopen(st, "running", f"re-opened: {run.link()} was re-run (attempt {run.run_attempt})")
                self.follow_run(st, stage, run, reopened=True)
                return
        if status == "skipped" and not any(self.status.get(p) in NOT_SUCCEEDED for p in stage.depends_on) \
                and not families.unmet(stage.needs_families, self.cr.upstream):
            self.reopen(st, "pending", "re-opened: the parents it was skipped for are back")
            status = "pending"
        if status in TERMINAL:
            self.run_of[st.stage] = self.snap.runs.get(st.run_id) if st.run_id else None
            return
        if status == "pending":
            self.pending(st, stage)
        elif st.run_id is not None:
            run = self.snap.runs.get(st.run_id)
            self.follow_run(st, stage, run)
        else:
            self.dispatched(st, stage)

    def reopen(self, st: StageState, status: str, reason: str) -> None:
        self.status[st.stage] = status
        self.emit(Reopen(self.id, st.stage, status, reason))
        self.event(st.stage, "reopened", reason)
        self.reopened = True

    # pending: wait for parents, skip, or dispatch

    def pending(self, st: StageState, stage: Stage) -> None:
        unmet = families.unmet(stage.needs_families, self.cr.upstream)
        if unmet:  # none of the families it needs passed the nightly trigger: skip it, with that reason
            self.status[st.stage] = "skipped"
            self.run_of[st.stage] = None
            self.emit(Skip(self.id, st.stage, unmet))
            self.event(st.stage, "skipped", unmet)
            return
        parents = [p for p in stage.depends_on if p in self.status]
        bad = [p for p in parents if self.status[p] in NOT_SUCCEEDED]
        if bad:
            self.skip(st, bad)
            return
        waiting = [p for p in parents if self.status[p] != "success" and not self.handed_off(p)]
        if waiting:
            parts = [f"{p}: {self.brief.get(p, self.status[p])}" for p in waiting]
            self.explain(st, "waiting for " + "; ".join(parts))
            self.brief[st.stage] = "waiting for " + ", ".join(waiting)
            return
        self.dispatch(st, stage)

    def handed_off(self, parent: str) -> bool:
        """A parent whose `jobs` succeeded while its run still goes on (cascades/jobtriggers.py)."""
        definition = self.cascade.stages.get(parent)
        run = self.run_of.get(parent)
        return bool(definition and definition.jobs and run and run.jobs_succeeded_at
                    and self.status[parent] == "running")

    def skip(self, st: StageState, bad: list[str]) -> None:
        words = []
        for p in bad:
            run = self.run_of.get(p)
            verb = {"failure": "failed", "timed_out": "timed out", "cancelled": "was cancelled",
                    "skipped": "was skipped"}[self.status[p]]
            words.append(f"{p} {verb}" + (f" — {run.link()}" if run and self.status[p] != "skipped" else ""))
        reason = "skipped: " + "; ".join(words)
        self.status[st.stage] = "skipped"
        self.run_of[st.stage] = None
        self.emit(Skip(self.id, st.stage, reason))
        self.event(st.stage, "skipped", reason)

    def upstream(self, stage: Stage) -> tuple[dict, list[str]]:
        """Results of the trigger run and every ancestor stage; names whose results are not known yet."""
        results: dict[str, Mapping] = {}
        missing = []
        if self.cr.trigger_project:
            trigger = self.snap.runs.get(self.cr.trigger_run_id) if self.cr.trigger_run_id else None
            if trigger:
                results[self.cr.trigger_project] = trigger.results(self.api_url)
            elif self.cr.trigger_project in self.cr.upstream:
                stored = dict(self.cr.upstream[self.cr.trigger_project])
                if self.cr.trigger_run_id and self.cr.trigger_repo:
                    stored["artifacts_url"] = (f"{self.api_url.rstrip('/')}/repos/{self.cr.trigger_repo}"
                                               f"/actions/runs/{self.cr.trigger_run_id}/artifacts")
                results[self.cr.trigger_project] = stored
        for name in self.cascade.ancestors(stage.name):
            run = self.run_of.get(name)
            if run is None:
                missing.append(name)
            else:
                results[name] = run.results(self.api_url)
        not_ready = sorted({n for n, f in upstream_fields_used(stage)
                            if n in missing or (n in results and results[n].get(f) is None)})
        return results, not_ready

    def dispatch(self, st: StageState, stage: Stage) -> None:
        attempt = st.attempt + 1
        corr = correlation_id(self.id, stage.name, attempt)
        upstream, not_ready = self.upstream(stage)
        if not_ready:
            self.explain(st, f"ready, waiting for the results of {', '.join(not_ready)} to be synced")
            return
        repo = self.config.projects[stage.project].repo
        try:
            ref, payload = render_dispatch(self.config, self.cr, stage, attempt, corr, upstream)
        except templating.TemplateError as exc:
            self.finish(st, "failure", f"failed before dispatch: {exc}", None)
            return
        self.status[st.stage] = "dispatched"
        self.brief[st.stage] = "dispatched just now"
        trigger = self.snap.runs.get(self.cr.trigger_run_id) if self.cr.trigger_run_id else None
        self.emit(Dispatch(self.id, stage.name, attempt, st.attempt, corr, stage.kind, repo,
                           stage.workflow or stage.event_type, ref, payload,
                           *signal.for_stage(self.cascade, stage, self.run_of, trigger)))

    # dispatched: look for the run, or time out

    def dispatched(self, st: StageState, stage: Stage) -> None:
        corr = st.correlation_id or correlation_id(self.id, stage.name, st.attempt)
        run = self.snap.found.get(corr)
        if run is not None:
            self.emit(LinkRun(self.id, st.stage, run.run_id, run.html_url))
            self.event(st.stage, "linked", f"found run {run.link()} by correlation id {corr}")
            self.follow_run(st, stage, run)
            return
        waited = (self.now - st.dispatched_at).total_seconds() if st.dispatched_at else 0
        intent = self.snap.intents.get(corr)
        note = ""
        if intent is not None and intent.outcome in (None, "unknown"):
            answered = f"GitHub answered {intent.response_status}" if intent.response_status else \
                "the dispatch was not confirmed"
            note = f" ({answered}; looking for the run by correlation id {corr}, never re-sending)"
        if waited >= stage.dispatch_timeout_s:
            target = stage.workflow or f"repository_dispatch '{stage.event_type}'"
            reason = (f"timed out: dispatched {humanize(waited)} ago and no run with correlation id {corr} "
                      f"appeared in {self.config.projects[stage.project].repo} ({target}){note}. Check that "
                      f"the workflow shows the id in its run-name, then `quartz retry {self.id} {stage.name}`")
            self.time_out(st, reason, None)
            return
        sent = st.dispatched_at or self.now
        deadline = sent + timedelta(seconds=stage.dispatch_timeout_s)
        self.explain(st, f"dispatched {clock(sent)}, no run has appeared yet; times out {clock(deadline)}{note}")
        self.brief[st.stage] = f"dispatched {clock(sent)}, no run yet"

    # running: follow the run's latest attempt

    def follow_run(self, st: StageState, stage: Stage, run: RunView | None, *, reopened: bool = False) -> None:
        self.run_of[st.stage] = run
        if run is None:
            if st.status == "dispatched":
                # GitHub named a run id when it accepted the dispatch, but the run was never seen.
                waited = (self.now - st.dispatched_at).total_seconds() if st.dispatched_at else 0
                if waited >= stage.dispatch_timeout_s:
                    self.time_out(st, f"timed out: GitHub accepted the dispatch {humanize(waited)} ago as run "
                                      f"{st.run_id}, but that run never appeared; `quartz retry {self.id} "
                                      f"{st.stage}` sends a new attempt", None)
                    return
                sent = st.dispatched_at or self.now
                deadline = sent + timedelta(seconds=stage.dispatch_timeout_s)
                self.explain(st, f"dispatched {clock(sent)} as run {st.run_id}, which has not appeared yet; "
                                 f"times out {clock(deadline)}")
                self.brief[st.stage] = f"dispatched {clock(sent)}, run not seen yet"
                return
            since = st.started_at or st.dispatched_at
            if since and (self.now - since).total_seconds() > stage.timeout_s:
                self.time_out(st, f"timed out: run {st.run_id} did not finish within "
                                  f"{humanize(stage.timeout_s)} (its status was no longer seen)", None)
                return
            self.explain(st, f"run {st.run_id} started; waiting for the next sync to see its status")
            self.brief[st.stage] = "started, status not synced yet"
            return
        if run.completed:
            status = stage_status_for(run.conclusion)
            verb = {"success": "succeeded", "failure": f"failed ({run.conclusion})", "cancelled": "was cancelled"}
            reason = f"{verb[status]} — {run.link()}"
            if run.run_attempt > 1:
                reason += f" (attempt {run.run_attempt})"
            self.finish(st, status, reason, run.run_attempt)
            return
        begun = run.run_started_at or run.created_at or st.dispatched_at or self.now
        elapsed = (self.now - begun).total_seconds()
        if elapsed > stage.timeout_s:
            self.time_out(st, f"timed out: {run.link()} still {run.status} after {humanize(elapsed)}, over the "
                              f"stage timeout of {humanize(stage.timeout_s)}; the run was left alone",
                          run.run_attempt)
            return
        words = f"queued since {clock(begun)}" if run.status in ("queued", "waiting", "pending", "requested") \
            else f"running since {clock(begun)}"
        reason = f"{words} — {run.link()}"
        self.brief[st.stage] = words
        if st.status != "running" or reopened:
            self.status[st.stage] = "running"
            self.emit(MarkRunning(self.id, st.stage, begun, reason))
            self.event(st.stage, "running", f"run {run.link()} is {run.status}")
        else:
            self.explain(st, reason)

    def finish(self, st: StageState, status: str, reason: str, run_attempt: int | None) -> None:
        self.status[st.stage] = status
        self.emit(Finish(self.id, st.stage, status, reason, run_attempt))
        self.event(st.stage, "finished", f"{status}: {reason}")

    def time_out(self, st: StageState, reason: str, run_attempt: int | None) -> None:
        self.status[st.stage] = "timed_out"
        self.emit(TimeOut(self.id, st.stage, reason, run_attempt))
        self.event(st.stage, "timed_out", reason)

    # -- after every stage

    def report_statuses(self) -> None:
        if not (self.cascade and self.cr.trigger_repo and self.cr.trigger_sha):
            return
        site = self.config.settings.site_url.rstrip("/")
        target = f"{site}/{paths.cascade_page(self.id)}" if site else None
        for name, status in self.status.items():
            definition = self.cascade.stages.get(name)
            if definition is None or not definition.report_status:
                continue
            state = commit_state_for(status)
            if state == self.snap.stages[name].reported_state:
                continue
            description = self.latest_reason(name) or status
            self.emit(ReportStatus(self.id, name, self.cr.trigger_repo, self.cr.trigger_sha,
                                   f"quartz/{self.cr.cascade}/{name}", state,
                                   cap(f"{status}: {description}", STATUS_DESCRIPTION_MAX), target))

    def latest_reason(self, stage: str) -> str | None:
        for action in reversed(self.actions):
            if getattr(action, "stage", None) == stage and hasattr(action, "reason"):
                return action.reason
        return self.snap.stages[stage].reason

    def conclude(self) -> None:
        all_done = all(s in TERMINAL for s in self.status.values())
        if self.cr.status in CASCADE_FINISHED and (self.reopened and not all_done):
            self.emit(ReopenCascade(self.id, "a stage was re-opened"))
            self.event(None, "reopened", "cascade re-opened: a stage is running again")
            return
        if not all_done:
            return
        final = cascade_status_for(self.cascade, self.status)
        if final == self.cr.status:
            return
        counts: dict[str, int] = {}
        for s in self.status.values():
            counts[s] = counts.get(s, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        self.emit(FinishCascade(self.id, final, summary))
        self.event(None, "finished", f"cascade {final}: {summary}")


