"""The simulated GitHub Actions world: repos, workflows and runs on a clock tests advance.

Nothing here knows about HTTP; server.py renders these records as GitHub JSON.
Run status is a function of the clock (queued until the attempt starts, in_progress
until it completes), so advancing time is O(1) however many runs exist.
"""

from __future__ import annotations

import threading
import zlib
from bisect import bisect_left, insort_right
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from . import culprits, outcomes
from .model import (
    ARTIFACT_ID_BASE,
    MAX_ATTEMPTS,
    MAX_JOBS,
    RUN_ID_BASE,
    Artifact,
    Attempt,
    Commit,
    JobSpec,
    Repo,
    Run,
    Status,
    Workflow,
)
from .run_name import make_context, render_run_name

DEFAULT_ACTOR = "rocm-bot"
ARTIFACT_RETENTION_S = 90 * 86400
MAX_DISPATCH_INPUTS = 25
STATUS_STATES = ("error", "failure", "pending", "success")


class SimulatorError(Exception):
    """A request the world refuses; `status` is the HTTP status GitHub answers with."""

    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


def _epoch(dt: datetime) -> int:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


def to_datetime(ts: int | float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class World:
    """A deterministic simulated world. All public methods are thread-safe (one lock)."""

    def __init__(self, start: datetime, seed: int = 0, dispatch_delay_s: float = 0.0):
        """dispatch_delay_s: a dispatched run is created that long after the request, and
        (like any run whose created_at is still in the future) is invisible over HTTP until then."""
        self.seed = seed
        self.dispatch_delay_s = int(dispatch_delay_s)
        self._now = _epoch(start)
        self.lock = threading.RLock()
        self.repos: dict[str, Repo] = {}  # lower-cased full name -> repo
        self.runs: dict[int, Run] = {}
        self._workflows: dict[int, Workflow] = {}
        self._artifacts: dict[int, list[Artifact]] = {}  # run id -> explicit artifacts
        self.artifact_content: dict[int, bytes] = {}  # artifact id -> zip bytes a test chose (downloads.py)
        self.job_logs: dict[int, str] = {}  # job id -> log text a test chose (downloads.py)
        self._statuses: dict[tuple[int, str], list[Status]] = {}
        self._next_seq = 1
        self._next_repo_id = 700_000_001
        self._next_workflow_id = 90_000_001
        self._next_artifact_id = ARTIFACT_ID_BASE
        self._next_status_id = 30_000_000_001
        self._commit_counter = 0
        self.planted: list = []  # culprits.Culprit / culprits.Flaky: dispatched runs that fail by their inputs

    # -- clock ---------------------------------------------------------------------
    @property
    def now(self) -> datetime:
        return to_datetime(self._now)

    @property
    def now_ts(self) -> int:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the world clock only moves forward")
        with self.lock:
            self._now += int(delta.total_seconds())
            return self.now

    def advance_to(self, when: datetime) -> datetime:
        with self.lock:
            self._now = max(self._now, _epoch(when))
            return self.now

    # -- repos, branches, commits ----------------------------------------------------
    def add_repo(self, full_name: str, default_branch: str = "main", branches: Iterable[str] = (),
                 private: bool = False) -> Repo:
        with self.lock:
            owner, _, name = full_name.partition("/")
            if not owner or not name or "/" in name:
                raise ValueError(f"repo must be 'owner/name', got {full_name!r}")
            if full_name.lower() in self.repos:
                raise ValueError(f"repo {full_name} already exists")
            repo = Repo(self._next_repo_id, owner, name, default_branch, self._now - 365 * 86400, private)
            self._next_repo_id += 1
            self.repos[full_name.lower()] = repo
            for b in (default_branch, *branches):
                if b not in repo.branches:
                    self.push(repo, b, message=f"Initial commit on {b}")
            return repo

    def repo(self, repo: Repo | str) -> Repo:
        if isinstance(repo, Repo):
            return repo
        found = self.repos.get(repo.lower())
        if found is None:
            raise SimulatorError(404, "Not Found")
        return found

    def push(self, repo: Repo | str, branch: str, sha: str | None = None, message: str = "Update",
             author: str = DEFAULT_ACTOR) -> str:
        """Move (or create) a branch head to a new commit and return its sha."""
        with self.lock:
            r = self.repo(repo)
            self._commit_counter += 1
            sha = sha or outcomes.fake_sha(self.seed, r.id, self._commit_counter, outcomes.SALT_SHA)
            r.commits[sha] = Commit(sha, message, self._now, author)
            r.branches[branch] = sha
            return sha

    def commit(self, repo: Repo, sha: str, when: int) -> Commit:
        """The stored commit, or a stand-in for history commits that were never stored."""
        return repo.commits.get(sha) or Commit(sha, f"Commit {sha[:7]}", when, DEFAULT_ACTOR)

    def resolve_ref(self, repo: Repo, ref: str) -> tuple[str, str] | None:
        """(branch name, head sha) for a branch ref, or None if the ref does not exist."""
        name = ref.removeprefix("refs/heads/")
        if name in repo.branches:
            return name, repo.branches[name]
        return None

    # -- workflows -------------------------------------------------------------------
    def add_workflow(self, repo: Repo | str, path: str, name: str | None = None, run_name: str | None = None,
                     inputs: dict[str, dict[str, Any]] | None = None,
                     jobs: Sequence[JobSpec] | int = 1, queue_s: float = 30.0,
                     on: Iterable[str] = ("push", "schedule", "workflow_dispatch"),
                     dispatch_types: Iterable[str] | None = None,
                     artifacts: Iterable[tuple[str, int]] = ()) -> Workflow:
        """Declare a workflow. `jobs` is a list of JobSpec or a count of generic 10-minute jobs.
        `on` lists its triggers; add "repository_dispatch" (with `dispatch_types`) to
        make it answer POST /dispatches."""
        with self.lock:
            r = self.repo(repo)
            full_path = path if path.startswith(".github/") else f".github/workflows/{path}"
            if any(w.path == full_path for w in r.workflows):
                raise ValueError(f"workflow {full_path} already exists in {r.full_name}")
            specs = tuple(JobSpec(f"job-{i + 1}") for i in range(jobs)) if isinstance(jobs, int) else tuple(jobs)
            if len(specs) > MAX_JOBS:
                raise ValueError(f"at most {MAX_JOBS} jobs per workflow")
            wf = Workflow(
                id=self._next_workflow_id, repo=r, path=full_path,
                name=name or full_path.rsplit("/", 1)[-1], run_name=run_name,
                inputs={k: dict(v) for k, v in (inputs or {}).items()}, jobs=specs, queue_s=queue_s,
                on=frozenset(on), dispatch_types=tuple(dispatch_types) if dispatch_types is not None else None,
                artifacts=tuple(artifacts), created=r.created,
            )
            self._next_workflow_id += 1
            r.workflows.append(wf)
            self._workflows[wf.id] = wf
            return wf

    def workflow(self, repo: Repo | str, ref: Workflow | str | int) -> Workflow:
        """A workflow by object, numeric id or file name (as GitHub's {workflow_id} accepts)."""
        if isinstance(ref, Workflow):
            return ref
        r = self.repo(repo)
        for wf in r.workflows:
            if str(wf.id) == str(ref) or wf.file_name == ref or wf.path == ref:
                return wf
        raise SimulatorError(404, "Not Found")

    # -- runs ------------------------------------------------------------------------
    def create_run(self, repo: Repo | str, workflow: Workflow | str | int, branch: str | None = None,
                   event: str = "push", head_sha: str | None = None, inputs: dict[str, Any] | None = None,
                   conclusion: str | None = None, created_at: datetime | None = None,
                   actor: str = DEFAULT_ACTOR, display_title: str | None = None) -> Run:
        """Create a run (queued at `created_at`, default now). `conclusion` forces the
        first attempt's result; otherwise the jobs' failure and flaky rates decide."""
        with self.lock:
            wf = self.workflow(repo, workflow)
            r = wf.repo
            branch = branch or r.default_branch
            sha = head_sha or r.branches.get(branch) or outcomes.fake_sha(self.seed, r.id, zlib.crc32(branch.encode()))
            created = self._now if created_at is None else _epoch(created_at)
            if display_title is None:
                display_title = self._title(wf, event, branch, actor, inputs=inputs)
            run = self._new_run(wf, branch, sha, event, created, display_title, inputs, actor, conclusion)
            self._index(run)
            return run

    def _title(self, wf: Workflow, event: str, branch: str, actor: str, **ctx: Any) -> str:
        if wf.run_name is None:
            return wf.name
        context = make_context(event_name=event, ref_name=branch, actor=actor, **ctx)
        return render_run_name(wf.run_name, context)[:1024]

    def history_sha(self, run: Run) -> str:
        return outcomes.fake_sha(self.seed, run.workflow.repo.id, run.seq, outcomes.SALT_HISTORY)

    def _new_run(self, wf: Workflow, branch: str, sha: str | None, event: str, created: int, title: str,
                 inputs: dict[str, Any] | None, actor: str, conclusion: str | None) -> Run:
        run = Run(self, self._next_seq, wf.next_number, wf, branch, sha, event, created, title, inputs, actor)
        self._next_seq += 1
        wf.next_number += 1
        att = Attempt(1, created, conclusion, None, actor)
        outcomes.plan_attempt(self.seed, run, att)
        run.attempts.append(att)
        self.runs[run.id] = run
        return run

    def _index(self, run: Run) -> None:
        for lst in (run.workflow.runs, run.workflow.repo.runs):
            if not lst or lst[-1].created <= run.created:
                lst.append(run)
            else:
                insort_right(lst, run, key=_created)

    def get_run(self, run_id: int, visible: bool = False) -> Run:
        """A run by id; with visible=True, 404 until its created_at (as the API sees it)."""
        run = self.runs.get(int(run_id))
        if run is None or (visible and run.created > self._now):
            raise SimulatorError(404, "Not Found")
        return run

    def runs_in(self, repo: Repo | str, workflow: Workflow | str | int | None = None,
                lo: int | None = None, hi: int | None = None) -> list[Run]:
        """Runs created in [lo, hi) (epoch seconds), oldest first."""
        lst = self.workflow(repo, workflow).runs if workflow is not None else self.repo(repo).runs
        a = 0 if lo is None else bisect_left(lst, lo, key=_created)
        b = len(lst) if hi is None else bisect_left(lst, hi, key=_created)
        return lst[a:b]

    def rerun(self, run_id: int, failed_only: bool = False, conclusion: str | None = None,
              actor: str = DEFAULT_ACTOR) -> Run:
        """Start a new attempt now. Earlier attempts stay readable (jobs filter=all, /attempts/n)."""
        with self.lock:
            run = self.get_run(run_id)
            if self.attempt_status(run.latest) != "completed":
                raise SimulatorError(403, "This workflow is already running")
            if len(run.attempts) >= MAX_ATTEMPTS:
                raise SimulatorError(403, "This workflow run cannot be retried: too many attempts")
            ran = None
            if failed_only:
                latest = self.latest_jobs(run)
                ran = tuple(j.index for j in latest if j.conclusion in outcomes.FAILED)
                if not ran:
                    raise SimulatorError(403, "This workflow run has no failed jobs to re-run")
            att = Attempt(len(run.attempts) + 1, self._now, conclusion, ran, actor)
            outcomes.plan_attempt(self.seed, run, att)
            run.attempts.append(att)
            return run

    def force_outcome(self, run_id: int, conclusion: str) -> Run:
        """Decide how a run's current attempt ends (a scripted story, e.g. for the demo)."""
        with self.lock:
            run = self.get_run(run_id)
            att = run.latest
            if self.attempt_status(att) == "completed":
                raise SimulatorError(409, "Cannot change a workflow run that is completed.")
            att.forced = conclusion
            att._concl = None
            outcomes.plan_attempt(self.seed, run, att)
            return run

    def cancel(self, run_id: int) -> Run:
        with self.lock:
            run = self.get_run(run_id)
            att = run.latest
            if self.attempt_status(att) == "completed":
                raise SimulatorError(409, "Cannot cancel a workflow run that is completed.")
            att.cancelled = self._now
            att.started = min(att.started, self._now)
            att.completed = self._now
            return run

    # -- run state at the current time -------------------------------------------------
    def attempt_status(self, att: Attempt) -> str:
        if self._now >= att.completed:
            return "completed"
        return "in_progress" if self._now >= att.started else "queued"

    def attempt_conclusion(self, run: Run, att: Attempt) -> str | None:
        if self._now < att.completed:
            return None
        if att._concl is None:
            att._concl = outcomes.aggregate(outcomes.attempt_jobs(self.seed, run, att), att.forced,
                                            att.cancelled is not None)
        return att._concl

    def attempt_updated(self, att: Attempt) -> int:
        if self._now >= att.completed:
            return att.completed
        return att.started if self._now >= att.started else att.created

    def jobs_of_attempt(self, run: Run, number: int) -> list[outcomes.JobResult]:
        if not 1 <= number <= len(run.attempts):
            raise SimulatorError(404, "Not Found")
        return outcomes.attempt_jobs(self.seed, run, run.attempts[number - 1])

    def latest_jobs(self, run: Run) -> list[outcomes.JobResult]:
        """Each job's most recent execution (GitHub's filter=latest)."""
        by_index: dict[int, outcomes.JobResult] = {}
        for att in run.attempts:
            for j in outcomes.attempt_jobs(self.seed, run, att):
                by_index[j.index] = j
        return [by_index[i] for i in sorted(by_index)]

    def all_jobs(self, run: Run) -> list[outcomes.JobResult]:
        out: list[outcomes.JobResult] = []
        for att in run.attempts:
            out.extend(outcomes.attempt_jobs(self.seed, run, att))
        return out

    def job_status(self, job: outcomes.JobResult) -> str:
        if self._now >= job.end:
            return "completed"
        return "in_progress" if self._now >= job.start else "queued"

    def find_job(self, job_id: int) -> tuple[Run, outcomes.JobResult]:
        decoded = outcomes.decode_job_id(job_id)
        run = self.runs.get(RUN_ID_BASE + decoded[0]) if decoded else None
        if decoded and run and decoded[1] <= len(run.attempts):
            for j in outcomes.attempt_jobs(self.seed, run, run.attempts[decoded[1] - 1]):
                if j.index == decoded[2]:
                    return run, j
        raise SimulatorError(404, "Not Found")

    # -- artifacts -------------------------------------------------------------------
    def add_artifact(self, run_id: int, name: str, size: int = 1024) -> Artifact:
        with self.lock:
            run = self.get_run(run_id)
            art = Artifact(self._next_artifact_id, run.id, name, size, self._now)
            self._next_artifact_id += 1
            self._artifacts.setdefault(run.id, []).append(art)
            return art

    def artifacts(self, run: Run) -> list[Artifact]:
        """Explicit artifacts plus the workflow's declared ones, made when an attempt completes."""
        out = list(self._artifacts.get(run.id, ()))
        for att in run.attempts:
            if self._now < att.completed or att.forced == "startup_failure":
                continue
            for k, (name, size) in enumerate(run.workflow.artifacts):
                aid = ARTIFACT_ID_BASE // 2 + (run.seq * MAX_ATTEMPTS + att.number - 1) * 16 + k
                out.append(Artifact(aid, run.id, name, size, att.completed))
        return out

    def artifact_expired(self, art: Artifact) -> bool:
        return self._now >= art.created + ARTIFACT_RETENTION_S

    # -- dispatch --------------------------------------------------------------------
    def dispatch_workflow(self, repo: Repo | str, workflow: Workflow | str | int, ref: str,
                          inputs: dict[str, Any] | None = None, actor: str = DEFAULT_ACTOR) -> Run:
        """workflow_dispatch with GitHub's validation; raises SimulatorError(422) when refused."""
        with self.lock:
            wf = self.workflow(repo, workflow)
            branch, sha, full = self._check_dispatch(wf, ref, inputs)
            title = self._title(wf, "workflow_dispatch", branch, actor, inputs=full)
            forced = next((v for v in (rule.verdict(self, wf, full) for rule in self.planted) if v), None)
            run = self._new_run(wf, branch, sha, "workflow_dispatch", self._now + self.dispatch_delay_s, title, full,
                                actor, forced)
            self._index(run)
            return run

    def plant_culprit(self, repo: Repo | str, workflow: Workflow | str | int, input_name: str, sha: str,
                      otherwise: str | None = None) -> None:
        """Dispatched runs of `workflow` fail while input `input_name` names a run built from `sha` (or is it);
        `otherwise` (e.g. "success") decides the others, else their jobs do."""
        with self.lock:
            self.planted.append(culprits.Culprit(self.workflow(repo, workflow).id, input_name, sha, otherwise))

    def plant_flaky(self, repo: Repo | str, workflow: Workflow | str | int, failures: int = 1) -> None:
        """The next `failures` dispatched runs of `workflow` fail whatever their inputs; later ones pass."""
        with self.lock:
            self.planted.append(culprits.Flaky(self.workflow(repo, workflow).id, failures))

    def lose_dispatch(self, repo: Repo | str, workflow: Workflow | str | int, ref: str,
                      inputs: dict[str, Any] | None = None) -> int:
        """A dispatch GitHub accepts but never runs: validated, given a run id, nothing created."""
        with self.lock:
            self._check_dispatch(self.workflow(repo, workflow), ref, inputs)
            self._next_seq += 1
            return RUN_ID_BASE + self._next_seq - 1

    def _check_dispatch(self, wf: Workflow, ref: str,
                        inputs: dict[str, Any] | None) -> tuple[str, str, dict[str, Any]]:
        if "workflow_dispatch" not in wf.on:
            raise SimulatorError(422, "Workflow does not have 'workflow_dispatch' trigger")
        inputs = dict(inputs or {})
        if len(inputs) > MAX_DISPATCH_INPUTS:
            raise SimulatorError(422, f"you may only define up to {MAX_DISPATCH_INPUTS} `inputs` "
                                      "for a `workflow_dispatch` event")
        unexpected = sorted(k for k in inputs if k not in wf.inputs)
        if unexpected:
            raise SimulatorError(422, f"Unexpected inputs provided: {unexpected}")
        missing = [k for k, d in wf.inputs.items()
                   if d.get("required") and k not in inputs and d.get("default") in (None, "")]
        if missing:
            raise SimulatorError(422, f"Required input '{missing[0]}' not provided")
        for k, v in inputs.items():
            options = wf.inputs[k].get("options")
            if wf.inputs[k].get("type") == "choice" and options and v not in options:
                raise SimulatorError(422, f"Provided value '{v}' for input '{k}' not in the list of allowed values")
        resolved = self.resolve_ref(wf.repo, ref)
        if resolved is None:
            raise SimulatorError(422, f"No ref found for: {ref}")
        full = {k: d.get("default", "") for k, d in wf.inputs.items()}
        full.update(inputs)
        return resolved[0], resolved[1], full

    def repository_dispatch(self, repo: Repo | str, event_type: str,
                            client_payload: dict[str, Any] | None = None, actor: str = DEFAULT_ACTOR) -> list[Run]:
        """repository_dispatch: runs every matching workflow on the default branch."""
        with self.lock:
            r = self.repo(repo)
            if not isinstance(event_type, str) or not 1 <= len(event_type) <= 100:
                raise SimulatorError(422, "Invalid request.\n\nevent_type must be 1 to 100 characters.")
            payload = client_payload or {}
            if not isinstance(payload, dict) or len(payload) > 10:
                raise SimulatorError(422, "Invalid request.\n\nNo more than 10 properties are allowed; "
                                          f"{len(payload)} were supplied.")
            branch = r.default_branch
            sha = r.branches[branch]
            made = []
            for wf in r.workflows:
                if "repository_dispatch" not in wf.on:
                    continue
                if wf.dispatch_types is not None and event_type not in wf.dispatch_types:
                    continue
                title = self._title(wf, "repository_dispatch", branch, actor,
                                    event_type=event_type, client_payload=payload)
                run = self._new_run(wf, branch, sha, "repository_dispatch", self._now + self.dispatch_delay_s, title,
                                    None, actor, None)
                self._index(run)
                made.append(run)
            return made

    # -- commit statuses -------------------------------------------------------------
    def add_status(self, repo: Repo | str, sha: str, state: str, context: str = "default",
                   description: str | None = None, target_url: str | None = None,
                   creator: str = DEFAULT_ACTOR) -> Status:
        with self.lock:
            r = self.repo(repo)
            if state not in STATUS_STATES:
                raise SimulatorError(422, "Validation Failed",
                                     [{"resource": "Status", "field": "state", "code": "custom",
                                       "message": f"state must be one of {', '.join(STATUS_STATES)}"}])
            st = Status(self._next_status_id, sha, state, context or "default", description, target_url,
                        creator, self._now)
            self._next_status_id += 1
            self._statuses.setdefault((r.id, sha), []).append(st)
            return st

    def statuses(self, repo: Repo | str, ref: str) -> list[Status]:
        """Statuses for a sha or branch, newest first."""
        r = self.repo(repo)
        sha = r.branches.get(ref, ref)
        return list(reversed(self._statuses.get((r.id, sha), [])))

    # -- bulk history ----------------------------------------------------------------
    def generate_history(self, repo: Repo | str, workflow: Workflow | str | int, days: float,
                         runs_per_day: int, branches: Sequence[str] | None = None,
                         events: Sequence[str] = ("push",), end: datetime | None = None) -> int:
        """Create `days` of completed history ending at `end` (default now), quickly.

        Runs are spread evenly with a little jitter; branches and events rotate
        deterministically. Returns how many runs were made.
        """
        with self.lock:
            wf = self.workflow(repo, workflow)
            r = wf.repo
            branches = list(branches or [r.default_branch])
            end_ts = self._now if end is None else _epoch(end)
            total = int(days * runs_per_day)
            if total <= 0:
                return 0
            step = days * 86400 / total
            start_ts = end_ts - days * 86400
            new: list[Run] = []
            for n in range(total):
                jitter = outcomes.unit(self.seed, wf.id, n, outcomes.SALT_HISTORY)
                created = int(start_ts + (n + jitter * 0.9) * step)
                branch = branches[n % len(branches)]
                event = events[n % len(events)]
                title = wf.name if wf.run_name is None else self._title(wf, event, branch, DEFAULT_ACTOR)
                new.append(self._new_run(wf, branch, None, event, created, title, None, DEFAULT_ACTOR, None))
            for lst in (wf.runs, r.runs):
                if lst and lst[-1].created > new[0].created:
                    lst.extend(new)
                    lst.sort(key=_created)
                else:
                    lst.extend(new)
            return total


def _created(run: Run) -> int:
    return run.created
