"""`quartz ingest`: record a run reported by TheRock's notify_quartz action.

TheRock's release workflows dispatch `receive_therock_data.yml` with two
inputs, `payload_json` (the report) and `fetch_jobs` ("true" when the sender
dropped the jobs to fit GitHub's 65,535-character input limit). This module
checks the report, fetches the jobs when asked, and records the run, its
attempt, its jobs and the report itself, all or nothing:

    report = ingest(config, store, payload_json, fetch_jobs=False, now=now)

A report is untrusted text from another repository: anything malformed,
oversized, or from a repository or sender the configuration does not allow is
refused with BadInput (exit 2) before the store is touched. Text that passes is
stored as it came and escaped wherever it is shown.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from quartz.config import Config
from quartz.errors import BadInput, QuartzError
from quartz.github.rows import CONCLUSIONS, RUN_STATUSES, job_row, parse_time
from quartz.rocm import therock

MAX_PAYLOAD_CHARS = 65_535  # GitHub's cap on a workflow_dispatch's inputs
MAX_DEPTH = 8  # the deepest real report (captured outputs) is 6
MAX_STRING = 16_384  # one captured step summary; the whole report is capped above anyway
MAX_NAME = 1_024  # names, titles, branches, labels
MAX_KEYS = 200  # inputs and captured outputs of one reusable workflow
MAX_JOBS = 2_000  # a large release run has a few hundred
MAX_LIST = 500  # pull requests, referenced workflows, labels
EVENT_TYPES = ("workflow_run_completed", "workflow_run_in_progress")
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
_WORKFLOW_PATH = re.compile(r"^(?:[A-Za-z0-9._/-]+/)?\.github/workflows/[A-Za-z0-9._-]+\.ya?ml(?:@[\w./-]+)?$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")
_LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}(?:\[bot\])?$")


@dataclass
class IngestReport:
    run_id: int
    run_attempt: int
    unit: str
    outcome: str  # recorded | updated | unchanged (a resend) | stale (older than what is stored)
    jobs: int = 0
    jobs_from: str = "none"

    def summary(self) -> str:
        return (f"run {self.run_id} attempt {self.run_attempt} ({self.unit}): {self.outcome}, "
                f"{self.jobs} jobs from {self.jobs_from}")


# ---------------------------------------------------------------- checking the report


class _Check:
    """Type and size checks that name the offending field."""

    def __init__(self):
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        if len(self.problems) < 20:
            self.problems.append(f"{where}: {message}")

    def string(self, obj: dict, key: str, where: str, *, required=False, limit=MAX_NAME, pattern=None,
               choices=None) -> None:
        value = obj.get(key)
        if value is None:
            if required:
                self.fail(f"{where}.{key}", "is required")
            return
        if not isinstance(value, str):
            self.fail(f"{where}.{key}", f"must be a string, found {_kind(value)}")
        elif len(value) > limit:
            self.fail(f"{where}.{key}", f"is {len(value)} characters; at most {limit} allowed")
        elif required and not value:
            self.fail(f"{where}.{key}", "must not be empty")
        elif choices is not None and value not in choices:
            self.fail(f"{where}.{key}", f"{_show(value)} is not one of: {', '.join(sorted(choices))}")
        elif pattern is not None and value and not pattern.match(value):
            self.fail(f"{where}.{key}", f"{_show(value)} is not a valid value")

    def integer(self, obj: dict, key: str, where: str, *, required=False, minimum=0) -> None:
        value = obj.get(key)
        if value is None:
            if required:
                self.fail(f"{where}.{key}", "is required")
            return
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"{where}.{key}", f"must be an integer, found {_kind(value)}")
        elif not minimum <= value < 2**63:
            self.fail(f"{where}.{key}", f"{value} is out of range")

    def timestamp(self, obj: dict, key: str, where: str, *, required=False) -> None:
        self.string(obj, key, where, required=required, limit=40, pattern=_TIMESTAMP)

    def mapping(self, obj: dict, key: str, where: str, *, required=False) -> dict | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.fail(f"{where}.{key}", "is required")
            return None
        if not isinstance(value, dict):
            self.fail(f"{where}.{key}", f"must be an object, found {_kind(value)}")
            return None
        return value

    def listing(self, obj: dict, key: str, where: str, *, limit=MAX_LIST) -> list:
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(f"{where}.{key}", f"must be a list, found {_kind(value)}")
            return []
        if len(value) > limit:
            self.fail(f"{where}.{key}", f"has {len(value)} entries; at most {limit} allowed")
            return []
        return value

    def actor(self, obj: dict, key: str, where: str) -> None:
        actor = self.mapping(obj, key, where)
        if actor is not None:
            self.string(actor, "login", f"{where}.{key}", limit=60, pattern=_LOGIN)


def _kind(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _show(value: str) -> str:
    """A value quoted for an error message: short, one line, no control characters."""
    text = value if len(value) <= 60 else value[:57] + "..."
    return repr("".join(c if c.isprintable() else "?" for c in text))


def _shape(value, where: str, check: _Check, depth: int = 1) -> None:
    """Depth, string sizes and key counts anywhere in the report."""
    if depth > MAX_DEPTH:
        check.fail(where, f"nests deeper than {MAX_DEPTH} levels")
        return
    if isinstance(value, dict):
        if len(value) > MAX_KEYS:
            check.fail(where, f"has {len(value)} keys; at most {MAX_KEYS} allowed")
            return
        for key, item in value.items():
            if len(key) > MAX_NAME or "\x00" in key:
                check.fail(where, f"has a key of {len(key)} characters or with a NUL byte")
                continue
            _shape(item, f"{where}.{key}", check, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _shape(item, f"{where}[{index}]", check, depth + 1)
    elif isinstance(value, str):
        if len(value) > MAX_STRING:
            check.fail(where, f"is {len(value)} characters; at most {MAX_STRING} allowed")
        elif "\x00" in value:
            check.fail(where, "contains a NUL byte")
    elif isinstance(value, float) and value != value:
        check.fail(where, "is NaN")


def parse(payload_json: str) -> dict:
    """The report as a dict, or BadInput listing what is wrong with it."""
    if not isinstance(payload_json, str) or not payload_json.strip():
        raise BadInput("the report is empty; pass the notify_quartz payload as --payload-json")
    if len(payload_json) > MAX_PAYLOAD_CHARS:
        raise BadInput(f"the report is {len(payload_json)} characters; GitHub inputs allow at most "
                       f"{MAX_PAYLOAD_CHARS} (the sender drops `jobs` and sets fetch_jobs=true when it must)")
    try:
        payload = json.loads(payload_json, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise BadInput(f"the report is not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(payload, dict):
        raise BadInput(f"the report must be a JSON object, found {_kind(payload)}")
    check = _Check()
    _shape(payload, "report", check)
    if check.problems:
        raise BadInput("refused report: " + "; ".join(check.problems))
    check.string(payload, "event_type", "report", required=True, limit=100, choices=EVENT_TYPES)
    check.string(payload, "repository", "report", required=True, limit=140, pattern=_REPO)
    run = check.mapping(payload, "workflow_run", "report", required=True)
    if run is not None:
        _check_run(run, check)
    if not check.problems and run is not None:
        _check_consistency(payload, run, check)
    if check.problems:
        raise BadInput("refused report: " + "; ".join(check.problems))
    return payload


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _check_run(run: dict, check: _Check) -> None:
    w = "workflow_run"
    check.integer(run, "id", w, required=True, minimum=1)
    check.integer(run, "run_attempt", w, required=True, minimum=1)
    check.integer(run, "run_number", w)
    check.integer(run, "workflow_id", w)
    check.string(run, "path", w, required=True, limit=400, pattern=_WORKFLOW_PATH)
    check.string(run, "status", w, required=True, choices=RUN_STATUSES)
    check.string(run, "conclusion", w, choices=CONCLUSIONS)
    for key in ("name", "display_title", "event", "head_branch", "release_type"):
        check.string(run, key, w)
    check.string(run, "head_sha", w, limit=64, pattern=re.compile(r"^[0-9a-f]{7,64}$"))
    check.string(run, "html_url", w, pattern=re.compile(r"^https?://"))
    check.timestamp(run, "created_at", w, required=True)
    check.timestamp(run, "updated_at", w)
    check.timestamp(run, "run_started_at", w)
    check.actor(run, "actor", w)
    check.actor(run, "triggering_actor", w)
    check.mapping(run, "inputs", w)
    captured = check.mapping(run, "captured_outputs", w)
    for job, need in (captured or {}).items():
        if not isinstance(need, dict):
            check.fail(f"{w}.captured_outputs.{job}", f"must be an object, found {_kind(need)}")
    parent = check.mapping(run, "parent_workflow", w)
    if parent is not None:
        check.integer(parent, "id", f"{w}.parent_workflow", minimum=1)
    check.listing(run, "pull_requests", w)
    for index, ref in enumerate(check.listing(run, "referenced_workflows", w)):
        if not isinstance(ref, dict):
            check.fail(f"{w}.referenced_workflows[{index}]", f"must be an object, found {_kind(ref)}")
        else:
            check.string(ref, "path", f"{w}.referenced_workflows[{index}]", limit=600)
    for index, job in enumerate(check.listing(run, "jobs", w, limit=MAX_JOBS)):
        _check_job(job, f"{w}.jobs[{index}]", check)


def _check_job(job, where: str, check: _Check) -> None:
    if not isinstance(job, dict):
        check.fail(where, f"must be an object, found {_kind(job)}")
        return
    check.integer(job, "id", where, required=True, minimum=1)
    check.string(job, "name", where, required=True)
    check.string(job, "status", where, required=True, choices=RUN_STATUSES)
    check.string(job, "conclusion", where, choices=CONCLUSIONS)
    for key in ("created_at", "started_at", "completed_at"):
        check.timestamp(job, key, where)
    check.string(job, "runner_name", where)
    for index, label in enumerate(check.listing(job, "labels", where)):
        if not isinstance(label, str | dict):
            check.fail(f"{where}.labels[{index}]", f"must be a string, found {_kind(label)}")


def _check_consistency(payload: dict, run: dict, check: _Check) -> None:
    completed = payload["event_type"] == "workflow_run_completed"
    if completed and (run["status"] != "completed" or not run.get("conclusion")):
        check.fail("workflow_run", "a workflow_run_completed report needs status 'completed' and a conclusion")
    if not completed and (run["status"] == "completed" or run.get("conclusion")):
        check.fail("workflow_run", "a workflow_run_in_progress report cannot carry a completed status or conclusion")


def check_allowed(config: Config, payload: dict, sender: str | None) -> str:
    """The sender, once the repository and the sender are both allowed; BadInput otherwise."""
    repo = payload["repository"]
    allowed_repos = {r.lower() for r in config.ingest.allowed_repos}
    if repo.lower() not in allowed_repos:
        raise BadInput(f"reports from {repo} are not accepted; ingest.allowed_repos in {config.path} lists "
                       f"{', '.join(config.ingest.allowed_repos) or 'no repository'}")
    run = payload["workflow_run"]
    sender = sender or _login(run.get("triggering_actor")) or _login(run.get("actor"))
    allowed_senders = {s.lower() for s in config.ingest.allowed_senders}
    if allowed_senders and (sender or "").lower() not in allowed_senders:
        raise BadInput(f"reports sent by {_show(sender or '(unknown)')} are not accepted; ingest.allowed_senders "
                       f"in {config.path} lists {', '.join(config.ingest.allowed_senders)}")
    return sender or ""


def _login(actor) -> str | None:
    return actor.get("login") if isinstance(actor, dict) else None


# ---------------------------------------------------------------- recording


def unit_of(run: dict) -> str:
    """One reusable-workflow call: the reporting workflow file and a digest of the inputs it was called with."""
    inputs = json.dumps(run.get("inputs") or {}, sort_keys=True, separators=(",", ":"))
    return f"{therock.workflow_file(run['path'])}:{hashlib.sha256(inputs.encode()).hexdigest()[:16]}"


def is_nested(run: dict) -> bool:
    """True when the reported path is a reusable workflow the run called, not the run's own workflow."""
    name = therock.workflow_file(run["path"])
    for ref in run.get("referenced_workflows") or []:
        path = str(ref.get("path") or "").split("@", 1)[0]
        if therock.workflow_file(path) == name:
            return True
    return False


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)


def job_rows(jobs: list[dict], run_id: int, attempt: int) -> list[dict]:
    return [job_row(j, run_id, attempt) for j in jobs]


def fetch_jobs(client, repo: str, run_id: int, attempt: int) -> list[dict]:
    """Every job of one run attempt from the Actions API (the attempt's own listing, not the latest)."""
    jobs: list[dict] = []
    try:
        for page in client.pages(f"/repos/{repo}/actions/runs/{run_id}/attempts/{attempt}/jobs", {"per_page": 100}):
            body = page.body if isinstance(page.body, dict) else {}
            jobs.extend(j for j in body.get("jobs") or [] if isinstance(j, dict))
            if len(jobs) >= MAX_JOBS:
                break
    except QuartzError as exc:
        raise QuartzError(f"could not fetch the jobs of run {run_id} attempt {attempt} from {repo}: {exc}; "
                          "nothing was stored, re-run the ingest to try again") from None
    check = _Check()
    valid = []
    for index, job in enumerate(jobs[:MAX_JOBS]):
        before = len(check.problems)
        _check_job(job, f"jobs[{index}]", check)
        if len(check.problems) == before:
            valid.append(job)
    return valid


def _stale(existing: dict | None, run: dict, digest: str) -> str | None:
    """Why the stored report already says as much or more, or None when the new one adds something."""
    if existing is None:
        return None
    if existing["digest"] == digest:
        return "unchanged"
    if existing["status"] == "completed" and run["status"] != "completed":
        return "stale"
    new_updated = parse_time(run.get("updated_at"))
    if existing["updated_at"] and new_updated and new_updated < existing["updated_at"]:
        return "stale"
    return None


def ingest(config: Config, store, payload_json: str, *, fetch: bool, now: dt.datetime, client=None,
           sender: str | None = None) -> IngestReport:
    """Check one report and record it; BadInput (store untouched) when it is refused."""
    payload = parse(payload_json)
    sender = check_allowed(config, payload, sender)
    run = payload["workflow_run"]
    run_id, attempt, unit = run["id"], run["run_attempt"], unit_of(run)
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    existing = store.query_one("rocm/report_get", run_id=run_id, run_attempt=attempt, unit=unit)
    verdict = _stale(existing, run, digest)
    jobs, jobs_from = list(run.get("jobs") or []), "payload" if run.get("jobs") else "none"
    if fetch and not jobs and verdict != "unchanged":
        if client is None:
            raise BadInput("fetch_jobs is true but no GitHub client was given to fetch them with")
        jobs, jobs_from = fetch_jobs(client, payload["repository"], run_id, attempt), "api"
    if verdict == "unchanged":  # the same report again: ROCm/Quartz applies every dispatch, so it is logged again
        store.execute("rocm/report_log_repeat", run_id=run_id, run_attempt=attempt, unit=unit, digest=digest, now=now)
        return IngestReport(run_id, attempt, unit, verdict)
    with store.transaction():
        _log(store, payload, run, unit, digest, jobs, jobs_from, now)  # a stale report still counts, as it did there
        if verdict:
            return IngestReport(run_id, attempt, unit, verdict)
        _record(config, store, payload, run, unit, digest, sender, jobs_from, now)
        store.execute("sync/upsert_jobs", rows=job_rows(jobs, run_id, attempt))
    return IngestReport(run_id, attempt, unit, "updated" if existing else "recorded", len(jobs), jobs_from)


def _log(store, payload, run, unit, digest, jobs, jobs_from, now) -> None:
    """A release report in the arrival log status.json is folded from, with the job list it stands on."""
    release_type = run.get("release_type") or (run.get("inputs") or {}).get("release_type")
    if release_type not in ("nightly", "prerelease"):
        return
    if jobs_from == "api" and payload["event_type"] != "workflow_run_completed":
        jobs = []  # ROCm/Quartz fetches jobs only for a finished run's report
    snapshot = [{"name": j.get("name"), "conclusion": j.get("conclusion"), "started_at": j.get("started_at"),
                 "completed_at": j.get("completed_at")} for j in jobs]
    parent = run.get("parent_workflow") or {}
    store.execute(
        "rocm/report_log_put", run_id=run["id"], run_attempt=run["run_attempt"], unit=unit, digest=digest,
        repo=payload["repository"], event_type=payload["event_type"], workflow_path=run["path"],
        status=run["status"], conclusion=run.get("conclusion"), created_at=parse_time(run.get("created_at")),
        updated_at=parse_time(run.get("updated_at")), run_started_at=parse_time(run.get("run_started_at")),
        release_type=release_type, inputs=_json(run.get("inputs") or {}),
        captured_outputs=_json(run.get("captured_outputs")), parent_run_id=parent.get("id"),
        jobs=json.dumps(snapshot), now=now)


def _record(config, store, payload, run, unit, digest, sender, jobs_from, now) -> None:
    repo, run_id, attempt = payload["repository"], run["id"], run["run_attempt"]
    nested = is_nested(run)
    fields = {
        "run_id": run_id, "run_attempt": attempt, "repo": repo, "workflow_id": run.get("workflow_id"),
        "name": run.get("name"), "display_title": run.get("display_title"), "event": run.get("event"),
        "head_branch": run.get("head_branch"), "head_sha": run.get("head_sha"), "run_number": run.get("run_number"),
        "status": run["status"], "conclusion": run.get("conclusion"), "html_url": run.get("html_url"),
        "created_at": parse_time(run.get("created_at")), "updated_at": parse_time(run.get("updated_at")),
        "run_started_at": parse_time(run.get("run_started_at")), "actor": _login(run.get("actor")), "now": now,
    }
    parent = run.get("parent_workflow") or {}
    store.execute(
        "rocm/report_upsert", **fields, unit=unit, event_type=payload["event_type"], workflow_path=run["path"],
        nested=nested, triggering_actor=_login(run.get("triggering_actor")),
        release_type=run.get("release_type") or (run.get("inputs") or {}).get("release_type"),
        inputs=_json(run.get("inputs") or {}), captured_outputs=_json(run.get("captured_outputs")),
        parent_run_id=parent.get("id"), referenced_workflows=_json(run.get("referenced_workflows") or []),
        sender=sender, jobs_from=jobs_from, digest=digest,
    )
    _record_run(config, store, run, fields, nested)


def _record_run(config, store, run, fields, nested) -> None:
    """The run as a whole. A nested call's report says the run is under way, not how it ended."""
    known = store.query_one("rocm/run_get", run_id=fields["run_id"])
    inputs = None if nested else _json(run.get("inputs") or {})
    if known is not None and known["source"] != "ingest":
        if inputs is not None:  # sync knows the run better; it only learns the inputs
            store.execute("rocm/run_fill_inputs", run_id=fields["run_id"], inputs=inputs)
        return
    run_fields = dict(fields)
    if nested:
        run_fields.update(status="in_progress", conclusion=None)
    attempt = store.query_one("rocm/attempt_get", run_id=fields["run_id"], run_attempt=fields["run_attempt"])
    attempt_done = attempt is not None and attempt["status"] == "completed"
    if not (nested and attempt is not None) and not (attempt_done and run_fields["status"] != "completed"):
        store.execute("rocm/attempt_upsert", **run_fields)
    if known is not None:
        older_attempt = fields["run_attempt"] < known["run_attempt"]
        regress = (fields["run_attempt"] == known["run_attempt"] and known["status"] == "completed"
                   and run_fields["status"] != "completed")
        if older_attempt or regress or (nested and fields["run_attempt"] == known["run_attempt"]):
            return
    project = config.project_for_repo(fields["repo"])
    store.execute("rocm/run_upsert", **run_fields, project=project.name if project else None,
                  workflow_path=None if nested else therock.workflow_file(run["path"]), inputs=inputs)


# ---------------------------------------------------------------- CLI


RACE_RETRIES = 6  # another writer pushed the store between our pull and push: pull again and redo


def main(args, *, sleep: Callable[[float], None] = time.sleep, now: Callable[[], dt.datetime] | None = None) -> int:
    from quartz import config as config_module
    from quartz.store import remote as storage

    config = config_module.load(args.config)
    payload_json = args.payload_json
    # Refuse a bad report before pulling anything.
    payload = parse(payload_json)
    sender = os.environ.get("QUARTZ_INGEST_SENDER") or None
    check_allowed(config, payload, sender)
    client = None
    if args.fetch_jobs == "true" and not payload["workflow_run"].get("jobs"):
        from quartz.github.client import client_from_args

        client = client_from_args(args, sleep=sleep)
    for attempt in range(RACE_RETRIES + 1):
        try:
            with storage.opened(args.store) as (store, _pulled):
                report = ingest(config, store, payload_json, fetch=args.fetch_jobs == "true",
                                now=(now or _utc_now)(), client=client, sender=sender)
            break
        except storage.StoreRaceLost:
            if attempt == RACE_RETRIES:
                raise
            sleep(min(60, 2 * 2**attempt))  # ingest is idempotent, so redoing it on a fresh copy is safe
    print(f"quartz ingest: {report.summary()}")
    _step_summary(report)
    return 0


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _step_summary(report: IngestReport) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"### quartz ingest\n\n- {report.summary()}\n")
