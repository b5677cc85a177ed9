"""GitHub Actions → store, incremental and idempotent.

For every configured project and workflow, one cycle does:

1. Poll the first page of the workflow's unfiltered, newest-first run listing
   (per_page=100) with its ETag. GitHub's ETag is a hash of the body, so it
   changes when a run is created or any of the newest 100 runs changes (status,
   conclusion, a re-run's attempt). Nothing changed → 304 → 0 points, and that
   single request is the whole cost of the workflow this cycle.
2. First sync of a workflow (no watermark): backfill `backfill_days` of history
   with `created=a..b` windows, splitting any window whose total_count reaches
   1,000 so the cap of filtered listings never hides a run. A larger
   --backfill-days later extends history further back the same way.
3. Page 1 changed and full of runs newer than the watermark (more than 100 new
   runs since the last cycle): list `created=<watermark - overlap>..*` as well.
4. Runs not yet completed that have slid off page 1 are polled one by one, conditionally.
5. The page-1 ETag and the watermark are saved only after everything the page
   said is stored, so a crash never hides a change.

A run is written when it is new or its attempt/status/conclusion/updated_at
changed. Jobs are fetched once per completed attempt (per_page=100):
`/attempts/{n}/jobs` when the attempt before is stored, else `jobs?filter=all`;
earlier attempts first seen after a re-run are read from `/attempts/{k}`. A
completed run whose jobs are stored is never fetched again.

Artifacts cost one request per run, so they are fetched only for runs a cascade
can ask about (`upstream.<stage>.artifact_names`): completed runs matching a
cascade trigger (project, workflow, branch, event, conclusion), and runs linked
to a cascade run or stage. `artifacts.fetch_artifacts()` gets them for any other run.

Known limit: a re-run of a run that is no longer among its workflow's newest
100 runs does not change page 1, so it is noticed only if that run is still
open in the store (step 4) — not if it had completed. The cascade engine links
its own runs by id, so this touches only history of old runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from quartz.config import Config, Project
from quartz.deadline import Deadline, DeadlineReached
from quartz.errors import BadInput, QuartzError
from quartz.github.client import WONT_HEAL, GitHubClient, GitHubError, NotFound, RateLimited
from quartz.github.prefetch import prefetch
from quartz.github.rows import MESSAGE_CAP, NAME_CAP, SHA_CAP, TITLE_CAP, URL_CAP, job_row, parse_time
from quartz.progress import Progress
from quartz.sync import failfast, failurelines, jobwatch, notfound, testreports
from quartz.sync.artifacts import fetch_artifact_rows
from quartz.sync.bookkeeping import Bookkeeping
from quartz.text import cap

PER_PAGE = 100
SEARCH_CAP = 1000  # results a filtered listing reaches
FIRST_PAGE_DEPTH = 90  # open runs deeper than this in the listing are polled one by one
WATERMARK_OVERLAP = dt.timedelta(minutes=15)  # runs become visible a little after their created_at
ONE_SECOND = dt.timedelta(seconds=1)


@dataclass
class SyncReport:
    projects_synced: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (project, why)
    skipped: list[str] = field(default_factory=list)  # not reached: the rate limit stopped the sync
    stopped: str | None = None  # why the sync stopped early
    fatal: QuartzError | None = None  # GitHub unreachable or the token rejected, project after project
    deferred: str | None = None  # the time budget ran out: `skipped` is left for the next cycle (normal)
    workflows: int = 0
    runs_new: int = 0
    runs_updated: int = 0
    attempts: int = 0
    jobs: int = 0
    artifacts: int = 0
    requests: int = 0
    points: int = 0
    not_modified: int = 0
    failure_lines: int = 0  # failed jobs whose log was read (or found expired/missing) this time
    log_requests: int = 0  # API requests for job logs (one per failed job; the downloads cost none)
    log_errors: list[str] = field(default_factory=list)  # logs not read this time: asked for next cycle
    test_reports: int = 0  # test-report artifacts read (testreports.py)
    test_reports_refused: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures and self.stopped is None

    def summary(self) -> str:
        return (f"{len(self.projects_synced)} projects synced, {len(self.failures)} failed; "
                f"{self.runs_new} new runs, {self.runs_updated} updated, {self.jobs} jobs, "
                f"{self.artifacts} artifacts, {self.failure_lines} failure lines, {self.test_reports} test reports; "
                f"{self.requests} requests, {self.points} rate-limit points, "
                f"{self.not_modified} not modified")

    def markdown(self) -> str:
        lines = ["### Sync", "", "| | |", "|---|---|",
                 f"| projects synced | {len(self.projects_synced)} |",
                 f"| new runs / updated | {self.runs_new} / {self.runs_updated} |",
                 f"| jobs / artifacts stored | {self.jobs} / {self.artifacts} |",
                 f"| test reports read / refused | {self.test_reports} / {self.test_reports_refused} |",
                 f"| requests (rate-limit points, 304s) | {self.requests} ({self.points}, {self.not_modified}) |"]
        if self.failures:
            lines += ["", "**Failed:**", ""] + [f"- `{name}`: {_one_line(why)}" for name, why in self.failures]
        if self.stopped:
            lines += ["", f"**Stopped early:** {_one_line(self.stopped)}"]
        if self.deferred:
            lines += ["", f"**Left for the next cycle** ({_one_line(self.deferred)}): {', '.join(self.skipped)}"]
        if self.log_errors:
            lines += ["", f"**Job logs not read** ({len(self.log_errors)}, tried again next cycle): "
                      + _one_line(self.log_errors[0])]
        return "\n".join(lines) + "\n"


@dataclass
class _Counts:
    runs_new: int = 0
    runs_updated: int = 0
    attempts: int = 0
    jobs: int = 0
    artifacts: int = 0

    def add_to(self, report: SyncReport) -> None:
        for f in dataclasses.fields(self):
            setattr(report, f.name, getattr(report, f.name) + getattr(self, f.name))


# ---------------------------------------------------------------- the phase


def sync(config: Config, store, client: GitHubClient, now: dt.datetime, *, projects: Sequence[str] | None = None,
         backfill_days: int | None = None, progress: Progress | None = None,
         deadline: Deadline | None = None) -> SyncReport:
    """Bring the configured projects' runs, attempts, jobs and artifacts into the store.

    With a deadline no project, page or request starts past it; the rest is in `skipped`, `deferred` says why."""
    chosen = _choose(config, projects)
    days = config.settings.backfill_days if backfill_days is None else backfill_days
    if days < 0:
        raise BadInput(f"--backfill-days must be 0 or more, got {days}")
    before = client.stats.snapshot()
    client.deadline = deadline
    report = SyncReport()
    record_projects(config, store, now)
    book = Bookkeeping(store, FIRST_PAGE_DEPTH)
    if progress:
        progress.start(len(chosen))
    triggers = trigger_matchers(config)
    for index, project in enumerate(chosen):
        if index == 1 and client.down_streak == 0:
            _prefetch_first_pages(client, chosen[1:])  # GitHub answered the first project: poll the rest at once
        if deadline is not None and deadline.passed() and not report.deferred:
            report.deferred = f"the time budget of {deadline.budget:.0f} s ran out"
        if report.stopped or report.deferred:
            report.skipped.extend(p.name for p in chosen[index:] if p.name not in report.skipped)
            break
        note = _sync_project(store, client, now, project, days, triggers, report, book)
        failfast.check(client, report, len(chosen))
        if progress:
            progress.step(project.name, note)
    book.flush()
    if not (report.stopped or report.deferred):  # passes that would only find the same wall
        failurelines.add_to_sync(config, store, client, now, report, deadline)  # after the runs: it reads their jobs
        _sync_test_reports(config, store, client, now, [p for p in chosen if p.name in report.projects_synced],
                           report)
    client.drop_prefetched()  # a reply not used now is stale by the next sync
    used = client.stats.since(before)
    report.requests, report.points, report.not_modified = used.requests, used.points, used.not_modified
    if progress:
        progress.finish(report.summary())
    return report


def record_projects(config: Config, store, now: dt.datetime) -> None:
    """The configured projects into the store, in one statement (one per project cost 3 ms each)."""
    rows = [{"name": p.name, "repo": p.repo, "category": p.category, "display_name": p.display_name,
             "default_branch": p.default_branch, "updated_at": now} for p in config.projects.values()]
    if rows:
        store.execute("sync/projects_upsert", projects=rows)


def _prefetch_first_pages(client: GitHubClient, projects: Sequence[Project]) -> None:
    """Every workflow's first page at once (a bounded pool within GitHub's secondary limits); the loop then
    finds each reply waiting. Not before GitHub has answered once: a fleet facing a GitHub that is down
    should learn it from one request, not from one per workflow."""
    prefetch(client, [client.absolute(f"/repos/{p.repo}/actions/workflows/{w}/runs", {"per_page": PER_PAGE})
                      for p in projects for w in p.workflows])


def _sync_test_reports(config, store, client, now, projects: list[Project], report: SyncReport) -> None:
    """The test-reports pass (quartz/sync/testreports.py), after the runs it reads are stored."""
    try:
        counts = testreports.sync_test_reports(config, store, client, now, projects)
    except RateLimited as exc:
        report.stopped = str(exc)
        return
    except DeadlineReached:
        return  # a wait past the cycle's budget: the reports wait for the next cycle
    report.test_reports, report.test_reports_refused = counts.artifacts, counts.refused
    report.failures.extend(counts.failures)


def _choose(config: Config, names: Sequence[str] | None) -> list[Project]:
    if not names:
        return list(config.projects.values())
    unknown = [n for n in names if n not in config.projects]
    if unknown:
        raise BadInput(f"unknown project(s) {', '.join(unknown)}; cascades.yaml defines "
                       f"{', '.join(sorted(config.projects))}")
    return [config.projects[n] for n in dict.fromkeys(names)]


def _sync_project(store, client, now, project: Project, days: int, triggers, report: SyncReport,
                  book: Bookkeeping) -> str:
    """Sync one project's workflows; a failure is recorded and never stops the others."""
    counts = _Counts()
    errors = []
    for workflow in project.workflows:
        scope = f"runs:{project.repo}:{workflow}"
        try:
            _WorkflowSync(store, client, now, project, workflow, triggers, counts, book).run(days)
            report.workflows += 1
        except RateLimited as exc:
            report.stopped = str(exc)
            store.execute("sync/state_error", scope=scope, last_error=cap(str(exc), 1000))
            break
        except DeadlineReached as exc:
            report.deferred = str(exc)
            break
        except WONT_HEAL as exc:  # the same for every workflow: do not try the others
            errors.append(f"{workflow}: {exc}")
            break
        except NotFound:
            why = notfound.explain(client, project, workflow)
            errors.append(why)
            store.execute("sync/state_error", scope=scope, last_error=cap(why, 1000))
        except (GitHubError, KeyError, TypeError, ValueError) as exc:
            why = str(exc) if isinstance(exc, QuartzError) else f"unexpected response from GitHub ({exc!r:.200})"
            errors.append(f"{workflow}: {why}")
            store.execute("sync/state_error", scope=scope, last_error=cap(why, 1000))
    counts.add_to(report)
    if errors:
        report.failures.append((project.name, f"{project.repo}: " + "; ".join(errors)))
        return "FAILED"
    if report.stopped or report.deferred:
        report.skipped.append(project.name)  # partly synced; the rest next time
        return "stopped: rate limit" if report.stopped else "left for the next cycle"
    report.projects_synced.append(project.name)
    return f"{counts.runs_new} new, {counts.runs_updated} updated"


# ---------------------------------------------------------------- one workflow


class _WorkflowSync:
    def __init__(self, store, client: GitHubClient, now: dt.datetime, project: Project, workflow: str,
                 triggers, counts: _Counts, book: Bookkeeping):
        self.store = store
        self.book = book
        self.client = client
        self.now = now
        self.project = project
        self.repo = project.repo
        self.workflow = workflow
        self.triggers = triggers.get((project.name, workflow), ())
        self.counts = counts
        self.scope = f"runs:{self.repo}:{workflow}"
        self.runs_path = f"/repos/{self.repo}/actions/workflows/{workflow}/runs"
        self.seen: set[int] = set()
        self.newest: dt.datetime | None = None

    def run(self, days: int) -> None:
        state = self.book.state(self.scope)
        watermark = state.get("watermark")
        backfilled_from = state.get("backfilled_from")
        start = _floor_second(self.now - dt.timedelta(days=days))
        floor = start if watermark is None or backfilled_from is None else min(start, backfilled_from)
        first = self.client.get(self.runs_path, {"per_page": PER_PAGE}, conditional=True)
        if not first.not_modified:
            # Runs older than the history we keep stay out, or a quiet workflow's page 1 would pull them in.
            self.ingest([r for r in first.body["workflow_runs"] if parse_time(r["created_at"]) >= floor])
        if watermark is None:
            self.list_window(start, None)
        else:
            if backfilled_from is not None and start < backfilled_from:
                self.list_window(start, backfilled_from - ONE_SECOND)  # a longer --backfill-days than before
            if not first.not_modified and self.more_than_first_page(first.body["workflow_runs"], watermark):
                self.list_window(_floor_second(watermark - WATERMARK_OVERLAP), None)
        self.poll_open_runs_beyond_first_page()
        if any(t.jobs for t in self.triggers):  # a job-level trigger waits for jobs of runs still going
            self.counts.jobs += jobwatch.poll_open_runs(self.store, self.client, self.now, self.repo, self.workflow)
        self.fetch_needed_artifacts()
        newest = self.book.newest(self.repo, self.workflow)
        row = {"scope": self.scope, "watermark": newest or watermark or start, "backfilled_from": floor,
               "etag": first.etag, "last_synced_at": self.now}
        if first.not_modified and (self.repo, self.workflow) not in self.book.touched:
            self.book.put_state_later(row)  # a 304 that stored nothing: only last_synced_at moves
            return
        with self.store.transaction():
            self.book.put_state(row)
            self.client.remember(first, self.now)

    @staticmethod
    def more_than_first_page(runs: list[dict], watermark: dt.datetime) -> bool:
        """A full first page whose oldest run is newer than the watermark may hide newer runs behind it."""
        return len(runs) >= PER_PAGE and parse_time(runs[-1]["created_at"]) >= watermark - WATERMARK_OVERLAP

    # -- listing

    def list_window(self, lo: dt.datetime, hi: dt.datetime | None) -> None:
        """Every run created in [lo, hi] (hi None: up to now), splitting windows that reach the cap."""
        if hi is not None and hi < lo:
            return
        created = f"{_iso(lo)}..{_iso(hi) if hi else '*'}"
        first = self.client.get(self.runs_path, {"created": created, "per_page": PER_PAGE})
        total = first.body.get("total_count", 0)
        end = hi or max(self.now, lo)
        if total >= SEARCH_CAP and end - lo > ONE_SECOND:
            for a, b in _split(lo, end, total):
                self.list_window(a, None if (hi is None and b >= end) else b)
            return
        for page in self.client.pages(self.runs_path, first=first):
            self.ingest(page.body["workflow_runs"])

    def poll_open_runs_beyond_first_page(self) -> None:
        for run_id in self.book.open_beyond_first_page(self.repo, self.workflow):
            if run_id in self.seen:
                continue
            response = self.client.get(f"/repos/{self.repo}/actions/runs/{run_id}", conditional=True)
            if not response.not_modified:
                self.ingest([response.body])
            self.client.remember(response, self.now)

    # -- writing

    def ingest(self, runs: list[dict]) -> None:
        """Store new or changed runs with their jobs (and artifacts when a cascade may need them)."""
        if not runs:
            return
        ids = [int(r["id"]) for r in runs]
        self.seen.update(ids)
        self.book.touch(self.repo, self.workflow)
        archived = {r["run_id"] for r in self.store.query("history/archived_among", run_ids=ids)}
        runs = [r for r in runs if int(r["id"]) not in archived]  # moved to the Parquet history: done
        known = {r["run_id"]: r for r in self.store.query("sync/runs_known", run_ids=ids)}
        attempts_known: dict[int, set[int]] = {}
        for row in self.store.query("sync/attempts_known", run_ids=ids):
            attempts_known.setdefault(row["run_id"], set()).add(row["run_attempt"])
        batch = _Batch()
        try:
            for run in runs:
                self.ingest_one(run, known.get(int(run["id"])), attempts_known.get(int(run["id"]), set()), batch)
        finally:
            batch.write(self.store)  # whatever completed before an error is kept
            batch.count_into(self.counts)

    def ingest_one(self, run: dict, stored: dict | None, attempts_known: set[int], batch: _Batch) -> None:
        row = self.run_row(run, stored)
        changed = stored is None or any(
            stored[k] != row[k] for k in ("run_attempt", "status", "conclusion", "updated_at"))
        attempt = row["run_attempt"]
        completed = row["status"] == "completed"
        need_jobs = completed and (row["jobs_synced_attempt"] or 0) < attempt
        need_artifacts = completed and not row["artifacts_synced"] and self.trigger_matches(row)
        if not (changed or need_jobs or need_artifacts):
            return
        attempts, jobs, artifacts = [_attempt_row(run)], [], []
        if stored and stored["run_attempt"] < attempt and stored["run_attempt"] not in attempts_known:
            attempts.append(_attempt_row_from_store(stored))
            attempts_known = attempts_known | {stored["run_attempt"]}
        if need_jobs:
            missing = [n for n in range(1, attempt) if n not in attempts_known and not (
                stored and n == stored["run_attempt"])]
            attempts.extend(self.fetch_attempt(row["run_id"], n) for n in missing)
            jobs = self.fetch_jobs(row["run_id"], attempt, row["jobs_synced_attempt"])
            row["jobs_synced_attempt"] = attempt
        if need_artifacts:
            artifacts = self.fetch_artifacts(row["run_id"])
            row["artifacts_synced"] = True
        batch.add(row, attempts, jobs, artifacts, new=stored is None, changed=changed)

    def run_row(self, run: dict, stored: dict | None) -> dict:
        head = run.get("head_commit") or {}
        actor = run.get("actor") or {}
        return {
            "run_id": int(run["id"]), "repo": self.repo, "project": self.project.name,
            "workflow_id": run.get("workflow_id"), "workflow_path": self.workflow,
            "name": cap(run.get("name"), NAME_CAP), "display_title": cap(run.get("display_title"), TITLE_CAP),
            "event": cap(run.get("event"), NAME_CAP), "head_branch": cap(run.get("head_branch"), NAME_CAP),
            "head_sha": cap(run.get("head_sha"), SHA_CAP), "head_commit_message": cap(head.get("message"), MESSAGE_CAP),
            "run_number": run.get("run_number"), "run_attempt": int(run.get("run_attempt") or 1),
            "status": run.get("status"), "conclusion": run.get("conclusion"),
            "actor": cap(actor.get("login"), NAME_CAP), "created_at": parse_time(run.get("created_at")),
            "run_started_at": parse_time(run.get("run_started_at")), "updated_at": parse_time(run.get("updated_at")),
            "html_url": cap(run.get("html_url"), URL_CAP),
            "jobs_synced_attempt": stored["jobs_synced_attempt"] if stored else None,
            # A new attempt makes new artifacts: fetch them again when it matters.
            "artifacts_synced": bool(stored and stored["artifacts_synced"]
                                     and stored["run_attempt"] == int(run.get("run_attempt") or 1)),
            "fetched_at": self.now,
            "_workflow": {"repo": self.repo, "workflow_id": run.get("workflow_id"),
                          "path": cap(run.get("path"), URL_CAP), "name": cap(run.get("name"), NAME_CAP),
                          "state": None},
        }

    def trigger_matches(self, row: Mapping) -> bool:
        return any(t.matches(row) for t in self.triggers)

    # -- fetching details

    def fetch_attempt(self, run_id: int, number: int) -> dict:
        response = self.client.get(f"/repos/{self.repo}/actions/runs/{run_id}/attempts/{number}")
        return _attempt_row(response.body)

    def fetch_jobs(self, run_id: int, attempt: int, synced: int | None) -> list[dict]:
        if synced and synced == attempt - 1:
            path, params = f"/repos/{self.repo}/actions/runs/{run_id}/attempts/{attempt}/jobs", {}
        else:
            path, params = f"/repos/{self.repo}/actions/runs/{run_id}/jobs", {"filter": "all"}
        params["per_page"] = PER_PAGE
        rows = []
        for page in self.client.pages(path, params):
            rows.extend(job_row(job, run_id) for job in page.body["jobs"])
        return rows

    def fetch_artifacts(self, run_id: int) -> list[dict]:
        return fetch_artifact_rows(self.client, self.repo, run_id)

    def fetch_needed_artifacts(self) -> None:
        for run_id in self.book.needing_artifacts(self.repo, self.workflow):
            rows = self.fetch_artifacts(run_id)
            with self.store.transaction():
                self.store.execute("sync/upsert_artifacts", rows=rows) if rows else None
                self.store.execute("sync/mark_artifacts_synced", run_id=run_id)
            self.counts.artifacts += len(rows)


@dataclass
class _Batch:
    """Rows of one listing page, written in one transaction (a few statements, not one per row)."""

    runs: list[dict] = field(default_factory=list)
    attempts: list[dict] = field(default_factory=list)
    jobs: list[dict] = field(default_factory=list)
    artifacts: list[dict] = field(default_factory=list)
    new: int = 0
    updated: int = 0

    def add(self, run: dict, attempts: list[dict], jobs: list[dict], artifacts: list[dict], *, new: bool,
            changed: bool) -> None:
        self.runs.append(run)
        self.attempts.extend(attempts)
        self.jobs.extend(jobs)
        self.artifacts.extend(artifacts)
        self.new += new
        self.updated += changed and not new

    def write(self, store) -> None:
        if not self.runs:
            return
        workflows = {(w["repo"], w["workflow_id"]): w for w in (r["_workflow"] for r in self.runs)
                     if w["workflow_id"] is not None}
        runs = [{k: v for k, v in r.items() if k != "_workflow"} for r in self.runs]
        with store.transaction():
            if workflows:
                store.execute("sync/upsert_workflows", rows=list(workflows.values()))
            store.execute("sync/upsert_runs", rows=runs)
            if self.attempts:
                store.execute("sync/upsert_attempts", rows=self.attempts)
            if self.jobs:
                store.execute("sync/upsert_jobs", rows=self.jobs)
            if self.artifacts:
                store.execute("sync/upsert_artifacts", rows=self.artifacts)

    def count_into(self, counts: _Counts) -> None:
        counts.runs_new += self.new
        counts.runs_updated += self.updated
        counts.attempts += len(self.attempts)
        counts.jobs += len(self.jobs)
        counts.artifacts += len(self.artifacts)


# ---------------------------------------------------------------- artifacts on demand


# ---------------------------------------------------------------- cascade triggers


@dataclass(frozen=True)
class _TriggerMatcher:
    branch: str | None
    event: str | None
    conclusion: str
    jobs: tuple[str, ...] = ()  # a job-level trigger or stage: the jobs of open runs are polled (jobwatch.py)
    watch_only: bool = False  # a stage's jobs: nothing to start, no artifacts to fetch

    def matches(self, row: Mapping) -> bool:
        return not self.watch_only and ((self.branch is None or row["head_branch"] == self.branch)
                and (self.event is None or row["event"] == self.event)
                and (self.conclusion == "any" or row["conclusion"] == self.conclusion))


def trigger_matchers(config: Config) -> dict[tuple[str, str], tuple[_TriggerMatcher, ...]]:
    found: dict[tuple[str, str], list[_TriggerMatcher]] = {}
    for cascade in config.cascades.values():
        t = cascade.trigger
        if t is not None:
            found.setdefault((t.project, t.workflow), []).append(_TriggerMatcher(t.branch, t.event, t.conclusion,
                                                                                      t.jobs))
        for stage in cascade.stages.values():
            if stage.jobs and stage.workflow:
                found.setdefault((stage.project, stage.workflow), []).append(
                    _TriggerMatcher(None, None, "any", stage.jobs, watch_only=True))
    return {k: tuple(v) for k, v in found.items()}


# ---------------------------------------------------------------- rows and helpers


def _attempt_row(run: Mapping) -> dict:
    return {"run_id": int(run["id"]), "run_attempt": int(run.get("run_attempt") or 1), "status": run.get("status"),
            "conclusion": run.get("conclusion"), "created_at": parse_time(run.get("created_at")),
            "run_started_at": parse_time(run.get("run_started_at")), "updated_at": parse_time(run.get("updated_at"))}


def _attempt_row_from_store(stored: Mapping) -> dict:
    return {k: stored[k] for k in ("run_id", "run_attempt", "status", "conclusion", "created_at",
                                   "run_started_at", "updated_at")}


def _split(lo: dt.datetime, hi: dt.datetime, total: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """[lo, hi] cut into equal second-aligned pieces expected to hold under 1,000 runs each."""
    pieces = max(2, math.ceil(total / (SEARCH_CAP * 0.8)))
    span = max(int((hi - lo).total_seconds()), 1)
    pieces = min(pieces, span)
    bounds = [lo + dt.timedelta(seconds=span * i // pieces) for i in range(pieces + 1)]
    return [(bounds[i] if i == 0 else bounds[i] + ONE_SECOND, bounds[i + 1]) for i in range(pieces)]


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _floor_second(when: dt.datetime) -> dt.datetime:
    return when.replace(microsecond=0)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:500]


# ---------------------------------------------------------------- CLI


def main(args) -> int:
    from quartz import config as config_module
    from quartz.github.client import client_from_args
    from quartz.store.db import Store

    config = config_module.load(args.config)
    if str(args.store).startswith("s3://"):
        raise BadInput("quartz sync works on a local store file; `quartz cycle` pulls and pushes an S3 store")
    store = Store.open(args.store)
    try:
        client = client_from_args(args, store=store)
        report = sync(config, store, client, dt.datetime.now(dt.UTC), projects=args.project,
                      backfill_days=args.backfill_days, progress=Progress.auto("sync"))
    finally:
        store.close()
    print(report.summary())
    for name, why in report.failures:
        print(f"quartz sync: {name} failed: {_one_line(why)}", file=sys.stderr)
    if report.skipped:
        print(f"quartz sync: not synced this time: {', '.join(report.skipped)}", file=sys.stderr)
    if report.fatal is not None:
        raise report.fatal  # the last line names the cause and the URL
    if report.stopped:
        print(f"quartz sync: stopped early: {report.stopped}", file=sys.stderr)
    return 0 if report.ok else 1
