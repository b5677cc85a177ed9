"""Compact records of the simulated world: repos, workflows, runs and their attempts.

Runs are the bulk of the data (a benchmark holds ~220k), so they use __slots__ and
plain ints (epoch seconds) for times; jobs are never stored, they are derived from
the run's seed when listed (see outcomes.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .world import World

# GitHub allows re-running a workflow run a limited number of times; the id scheme
# below reserves room for MAX_ATTEMPTS attempts of MAX_JOBS jobs per run.
MAX_ATTEMPTS = 64
MAX_JOBS = 256
RUN_ID_BASE = 20_000_000_000
JOB_ID_BASE = 50_000_000_000
ARTIFACT_ID_BASE = 4_000_000_000


@dataclass(frozen=True)
class JobSpec:
    """One job of a workflow: its mean duration and how often it fails.

    failure_rate: chance the job fails in a run and keeps failing on re-runs (a real bug).
    flaky_rate: chance it fails in one attempt only (a re-run usually passes).
    """

    name: str
    duration_s: float = 600.0
    failure_rate: float = 0.0
    flaky_rate: float = 0.0
    labels: tuple[str, ...] = ("ubuntu-latest",)


@dataclass
class Commit:
    sha: str
    message: str
    timestamp: int
    author: str


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    default_branch: str
    created: int
    private: bool = False
    branches: dict[str, str] = field(default_factory=dict)  # name -> head sha
    commits: dict[str, Commit] = field(default_factory=dict)
    workflows: list[Workflow] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)  # sorted by created ascending

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class Workflow:
    id: int
    repo: Repo
    path: str  # ".github/workflows/<file>"
    name: str
    run_name: str | None
    inputs: dict[str, dict[str, Any]]
    jobs: tuple[JobSpec, ...]
    queue_s: float
    on: frozenset[str]
    dispatch_types: tuple[str, ...] | None  # repository_dispatch types; None = any
    artifacts: tuple[tuple[str, int], ...]  # (name, size) made by each completed attempt
    created: int
    state: str = "active"
    next_number: int = 1
    runs: list[Run] = field(default_factory=list)  # sorted by created ascending

    @property
    def file_name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


class Attempt:
    """One execution of a run. `ran` is None when every job ran, else the job indices
    that ran (a re-run of failed jobs); the others keep their earlier attempt's result."""

    __slots__ = ("number", "created", "started", "completed", "forced", "ran", "cancelled", "actor", "_concl")

    def __init__(self, number: int, created: int, forced: str | None, ran: tuple[int, ...] | None, actor: str):
        self.number = number
        self.created = created
        self.started = created
        self.completed = created
        self.forced = forced
        self.ran = ran
        self.cancelled: int | None = None
        self.actor = actor
        self._concl: str | None = None


class Run:
    """A workflow run. Status, conclusion and times follow the world clock."""

    __slots__ = (
        "world", "seq", "id", "number", "workflow", "branch", "_sha", "event",
        "created", "title", "inputs", "actor", "attempts",
    )

    def __init__(self, world: World, seq: int, number: int, workflow: Workflow, branch: str, sha: str | None,
                 event: str, created: int, title: str, inputs: dict[str, Any] | None, actor: str):
        self.world = world
        self.seq = seq
        self.id = RUN_ID_BASE + seq
        self.number = number
        self.workflow = workflow
        self.branch = branch
        self._sha = sha  # None: derived from the seed (bulk history stores no sha strings)
        self.event = event
        self.created = created
        self.title = title
        self.inputs = inputs
        self.actor = actor
        self.attempts: list[Attempt] = []

    @property
    def sha(self) -> str:
        return self._sha or self.world.history_sha(self)

    # -- views at the world's current time ------------------------------------------
    @property
    def repo(self) -> Repo:
        return self.workflow.repo

    @property
    def display_title(self) -> str:
        return self.title

    @property
    def run_attempt(self) -> int:
        return len(self.attempts)

    @property
    def latest(self) -> Attempt:
        return self.attempts[-1]

    @property
    def status(self) -> str:
        return self.world.attempt_status(self.latest)

    @property
    def conclusion(self) -> str | None:
        return self.world.attempt_conclusion(self, self.latest)

    def __repr__(self) -> str:
        return f"<Run {self.id} {self.workflow.repo.full_name}:{self.workflow.file_name} #{self.number}>"


@dataclass
class Artifact:
    id: int
    run_id: int
    name: str
    size: int
    created: int


@dataclass
class Status:
    id: int
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    creator: str
    created: int
