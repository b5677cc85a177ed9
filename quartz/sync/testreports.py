"""Test reports: JUnit artifacts of completed runs → test_reports, test_suites, test_cases, test_daily.

A pass of its own after the runs pass. It takes completed runs whose current attempt has not been read, at
most RUNS_PER_CYCLE per project, newest first across the fleet, until REQUESTS_PER_CYCLE requests are spent
(so a backfill proceeds a slice per cycle and today's red build is read first). Runs older than GitHub's
artifact retention are marked expired without a request. For each run it lists the artifacts (one request;
none when the runs pass already stored them for this attempt) and downloads the ones whose names match the
project's `test_reports` patterns (one request each; the pre-signed download itself costs no point).

Every artifact gets a test_reports row — parsed, refused (with the reason), or expired — and a run attempt
with no matching artifact gets one 'none' row, all written with the run's results in one transaction: a run
is read once, and a cycle that dies midway reads the rest next time. A refused archive never stops the pass;
a GitHub error skips the project's runs until the next cycle; the rate limit stops the pass.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass, field

from quartz.config import Config, Project
from quartz.github.client import GitHubClient, GitHubError, NotFound, RateLimited
from quartz.sync.artifacts import fetch_artifacts
from quartz.testresults import ReportRefused, read_artifact
from quartz.testresults.archive import MAX_ARCHIVE_BYTES
from quartz.text import cap

RUNS_PER_CYCLE = 50  # runs read per project and cycle at most; the backlog waits for the next cycles
# API requests the pass may start per cycle, fleet-wide (a run costs 1 listing + 1 per report artifact, and
# PyTorch uploads dozens): a first backfill then takes ~1,800 requests an hour, well inside the rate limit.
REQUESTS_PER_CYCLE = 300
RETENTION = dt.timedelta(days=90)  # GitHub's default artifact retention: runs older are marked without a request
MAX_CASES_PER_RUN = 1_000  # non-passing cases stored per artifact; a build failing 50,000 tests keeps the counts
REASON_CHARS = 1_000
VARIANT_CHARS = 300


@dataclass
class TestReportCounts:
    runs: int = 0  # run attempts read
    artifacts: int = 0  # artifacts parsed
    refused: int = 0  # artifacts (or files in them) refused
    expired: int = 0
    cases: int = 0  # non-passing cases stored
    deferred: bool = False  # the request budget ran out: more runs wait for the next cycle
    failures: list[tuple[str, str]] = field(default_factory=list)

    def add(self, result: _RunResult) -> None:
        statuses = [r["status"] for r in result.reports]
        self.runs += 1
        self.artifacts += statuses.count("parsed")
        self.refused += statuses.count("refused")
        self.expired += statuses.count("expired")
        self.cases += len(result.cases)


@dataclass
class _RunResult:
    reports: list[dict] = field(default_factory=list)
    suites: list[dict] = field(default_factory=list)
    cases: list[dict] = field(default_factory=list)


def sync_test_reports(config: Config, store, client: GitHubClient, now: dt.datetime,
                      projects: list[Project]) -> TestReportCounts:
    """Read the test reports of the given projects' newest unread completed runs, within this cycle's budget."""
    counts = TestReportCounts()
    chosen = {p.name: p for p in projects if p.test_reports}
    if not chosen:
        return counts
    store.execute("testresults/mark_expired_runs", projects=list(chosen), before=now - RETENTION, now=now)
    start = client.stats.snapshot()
    broken: set[str] = set()  # projects that hit a GitHub error: tried again next cycle
    for run in store.query("testresults/runs_needing_reports", projects=list(chosen), per_project=RUNS_PER_CYCLE):
        if client.stats.since(start).requests >= REQUESTS_PER_CYCLE:
            counts.deferred = True
            break
        if run["project"] in broken:
            continue
        try:
            result = _read_run(store, client, now, chosen[run["project"]], run)
        except RateLimited:
            raise
        except (GitHubError, KeyError, TypeError, ValueError) as exc:
            broken.add(run["project"])
            counts.failures.append((f"{run['project']} test reports", cap(str(exc), REASON_CHARS)))
            continue
        _write(store, run, result)
        counts.add(result)
    return counts


def _read_run(store, client: GitHubClient, now: dt.datetime, project: Project, run: dict) -> _RunResult:
    if not run["artifacts_synced"]:
        fetch_artifacts(store, client, project.repo, run["run_id"])
    done = {r["artifact_id"] for r in store.query("testresults/reports_of_run", run_id=run["run_id"])}
    artifacts = [a for a in store.query("testresults/artifacts_of_run", run_id=run["run_id"])
                 if a["artifact_id"] not in done and matches(a["name"], project.test_reports)]
    attempts = store.query("testresults/attempt_starts", run_id=run["run_id"])
    result = _RunResult()
    for artifact in artifacts:
        attempt = attempt_of(artifact["created_at"], attempts, run["run_attempt"])
        _read_artifact(client, project.repo, run, artifact, attempt, now, result)
    if not result.reports:
        result.reports.append(_marker(run, "none", None, now))
    return result


def _read_artifact(client, repo: str, run: dict, artifact: dict, attempt: int, now, result: _RunResult) -> None:
    def report(status: str, reason: str | None, cases: int | None = None) -> None:
        result.reports.append({"run_id": run["run_id"], "artifact_id": artifact["artifact_id"],
                               "run_attempt": run["run_attempt"], "artifact": artifact["name"], "status": status,
                               "reason": cap(reason, REASON_CHARS), "cases": cases, "parsed_at": now})

    if artifact["expired"]:
        report("expired", "the artifact has expired")
        return
    try:
        download = client.download_artifact(repo, artifact["artifact_id"], max_bytes=MAX_ARCHIVE_BYTES)
    except NotFound:
        report("expired", "the artifact is gone (GitHub answered 404)")
        return
    if download.status != "ok":
        report("expired" if download.status == "expired" else "refused", download.reason)
        return
    try:
        read = read_artifact(download.data)
    except ReportRefused as exc:
        report("refused", exc.reason)
        return
    stored = 0
    for parsed in read.reports:
        variant = variant_of(artifact["name"], parsed.source)
        key = {"run_id": run["run_id"], "run_attempt": attempt, "variant": variant}
        result.suites.extend({**key, "artifact": artifact["name"], "source": cap(parsed.source, VARIANT_CHARS),
                              "suite": s.name, "passed": s.passed, "failed": s.failed, "skipped": s.skipped,
                              "errors": s.errors, "time_s": s.time_s} for s in parsed.suites)
        for case in parsed.cases:
            if (case.outcome in ("failed", "error") or case.reruns > 0) and stored < MAX_CASES_PER_RUN:
                stored += 1
                result.cases.append({**key, "suite": case.suite, "classname": case.classname, "name": case.name,
                                     "outcome": case.outcome, "reruns": case.reruns, "message": case.message})
    refused = "; ".join(f"{r.source}: {r.reason}" for r in read.refused) or None
    if refused and not read.reports:
        report("refused", refused)
    else:
        report("parsed", refused, sum(len(r.cases) for r in read.reports))


def _marker(run: dict, status: str, reason: str | None, now: dt.datetime) -> dict:
    return {"run_id": run["run_id"], "artifact_id": -run["run_attempt"], "run_attempt": run["run_attempt"],
            "artifact": None, "status": status, "reason": reason, "cases": None, "parsed_at": now}


def _write(store, run: dict, result: _RunResult) -> None:
    """One run's reports, suites, cases and daily aggregates, all or nothing."""
    with store.transaction():
        store.execute("testresults/reports_insert", rows=result.reports)
        if result.suites:
            store.execute("testresults/suites_insert", rows=result.suites)
            store.execute("testresults/daily_runs_add", rows=result.suites, run_id=run["run_id"])
        if result.cases:
            store.execute("testresults/cases_insert", rows=result.cases)
            store.execute("testresults/daily_add", rows=result.cases, run_id=run["run_id"])


def matches(name: str | None, patterns) -> bool:
    """Whether an artifact name matches one of the glob patterns (case-insensitive)."""
    lowered = (name or "").lower()
    return any(fnmatch.fnmatchcase(lowered, p.lower()) for p in patterns)


def variant_of(artifact: str, source: str) -> str:
    """Where a report ran: its artifact name and folder, e.g. "test-reports/test--gfx942" (one job's config)."""
    folder = source.rsplit("/", 1)[0] if "/" in source else ""
    return cap(f"{artifact}/{folder}" if folder else artifact, VARIANT_CHARS)


def attempt_of(created_at, attempts: list[dict], current: int) -> int:
    """The attempt an artifact belongs to: the newest attempt that started before it was made."""
    chosen = None
    for attempt in attempts:  # ordered by attempt number
        started = attempt["started"]
        if created_at is not None and started is not None and started <= created_at:
            chosen = attempt["run_attempt"]
    return chosen or current
