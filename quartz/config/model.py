"""The configuration model: what cascades.yaml means, as frozen dataclasses, and its errors."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from quartz.config.families import Families
from quartz.config.nightly import NightlyTrigger
from quartz.errors import BadInput

MAX_WORKFLOW_INPUTS = 25  # GitHub's limit for workflow_dispatch
MAX_PAYLOAD_KEYS = 10  # GitHub's limit for repository_dispatch client_payload
MAX_EVENT_TYPE = 100
DEFAULT_CORRELATION_INPUT = "quartz_correlation_id"
DEFAULT_TEST_REPORTS = ("test-reports*", "*junit*")
_DURATION_PART = re.compile(r"([0-9]+)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


# ---------------------------------------------------------------- the model


@dataclass(frozen=True)
class Project:
    name: str
    repo: str
    category: str
    workflows: tuple[str, ...]
    branches: tuple[str, ...]
    default_branch: str
    display_name: str
    # Where cascades.yaml names the repo and each workflow ("cascades.yaml:12"), for errors such as a 404.
    repo_at: str = field(default="", compare=False)
    workflows_at: tuple[str, ...] = field(default=(), compare=False)

    def workflow_at(self, workflow: str) -> str:
        where = dict(zip(self.workflows, self.workflows_at, strict=False)).get(workflow)
        return where or self.repo_at
    # Glob patterns on artifact names: the artifacts whose JUnit reports sync reads.
    test_reports: tuple[str, ...] = DEFAULT_TEST_REPORTS
    family_pattern: str | None = None  # a regex with a `family` group on job names (quartz.config.families)


@dataclass(frozen=True)
class Trigger:
    project: str
    workflow: str
    branch: str | None
    event: str | None
    conclusion: str  # "any" matches every conclusion
    jobs: tuple[str, ...] = ()  # glob patterns on job names: start once these jobs succeeded (cascades/jobtriggers.py)


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    default: str | None
    required: bool
    choices: tuple[str, ...]


@dataclass(frozen=True)
class Stage:
    name: str
    project: str
    workflow: str | None  # workflow_dispatch when set
    event_type: str | None  # repository_dispatch when set
    ref: str  # may hold templates
    inputs: Mapping[str, str]
    client_payload: Mapping[str, object]
    depends_on: tuple[str, ...]
    optional: bool
    timeout_s: int  # a run that has not finished after this long times out
    dispatch_timeout_s: int  # a dispatch whose run has not appeared after this long times out
    correlation_input: str
    report_status: bool
    ref_explicit: bool = False  # False: `ref` is the project's default branch, which `quartz start --ref` replaces
    jobs: tuple[str, ...] = ()  # glob patterns: dependants start once these jobs of its run succeeded
    needs_families: tuple[str, ...] = ()  # GPU families of a nightly trigger it needs (config/nightly.py)

    @property
    def kind(self) -> str:
        return "workflow_dispatch" if self.workflow else "repository_dispatch"


@dataclass(frozen=True)
class Culprit:
    """`culprit:` of a cascade: which failed stages are probed with last good upstream versions (issue 28)."""

    stages: tuple[str, ...] = ()  # empty: every required stage whose inputs read an upstream field
    max_probes: int = 4  # dispatches per failed cascade run, all stages together
    max_age_s: int = 7 * 86400  # a last good run older than this is not used


@dataclass(frozen=True)
class Cascade:
    name: str
    description: str
    trigger: Trigger | None
    params: Mapping[str, Param]
    stages: Mapping[str, Stage]  # in dependency order: parents before children
    nightly_trigger: NightlyTrigger | None = None  # starts on a nightly's leaf instead (config/nightly.py)
    culprit: Culprit | None = None

    def ancestors(self, stage: str) -> set[str]:
        seen: set[str] = set()
        todo = list(self.stages[stage].depends_on)
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(self.stages[name].depends_on)
        return seen


@dataclass(frozen=True)
class Settings:
    title: str = "Quartz — ROCm CI/CD"
    schedule_interval_s: int = 600
    backfill_days: int = 30
    dispatch_timeout_s: int = 1800
    run_timeout_s: int = 6 * 3600
    site_url: str = ""
    hot_days: int = 35  # completed runs older than this move to the Parquet history


@dataclass(frozen=True)
class Ingest:
    allowed_repos: tuple[str, ...] = ()
    allowed_senders: tuple[str, ...] = ()  # empty: any sender from an allowed repo


# Notifications (`notify:`): named channels and rules mapping events to them.
NOTIFY_EVENTS = ("branch_red", "branch_green", "cascade_failed", "cascade_partial_failure", "cascade_recovered",
                 "stage_timed_out", "stage_stuck", "failure_group_new", "culprit_verdict")
DEFAULT_STUCK_AFTER_S = 2 * 3600


@dataclass(frozen=True)
class Smtp:
    """email: how to reach the SMTP server (Amazon SES's SMTP interface, a company relay) and whom to write."""
    host: str
    port: int
    security: str  # starttls | tls (implicit TLS from the first byte)
    sender: str
    to: tuple[str, ...]
    user: str | None = None  # no user: the relay takes mail without a login
    password_env: str | None = None  # the NAME of the env var holding the password (a secret)


@dataclass(frozen=True)
class Channel:
    name: str
    type: str  # slack | github_issues | email
    webhook_env: str | None = None  # slack: the NAME of the env var holding the URL (the URL is a secret)
    repo: str | None = None  # github_issues: where the issues go
    labels: tuple[str, ...] = ()
    smtp: Smtp | None = None  # email


@dataclass(frozen=True)
class Rule:
    events: tuple[str, ...]
    channels: tuple[str, ...]
    projects: tuple[str, ...] = ()  # empty: every project
    cascades: tuple[str, ...] = ()  # empty: every cascade
    after_failures: int = 1  # branch_red: consecutive failed runs before a branch counts as red
    stuck_after_s: int = DEFAULT_STUCK_AFTER_S  # stage_stuck: how long a stage may wait


@dataclass(frozen=True)
class Notify:
    channels: Mapping[str, Channel] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class Config:
    path: str
    settings: Settings
    ingest: Ingest
    projects: Mapping[str, Project]
    releases: Mapping[str, Mapping[str, str]]
    cascades: Mapping[str, Cascade]
    source: str = field(default="", repr=False)
    failure_rules: tuple[Mapping, ...] = ()  # cascades.yaml's own failure-line rules, validated

    def rules(self):
        """The failure-line rules: the shipped ones plus this fleet's (validated when loaded)."""
        from quartz.failures import load_rules
        return load_rules(self.failure_rules, origin=self.path)
    notify: Notify = field(default_factory=Notify)
    families: Families = field(default_factory=Families)  # the `families:` table (quartz.config.families)

    def project_for_repo(self, repo: str) -> Project | None:
        for project in self.projects.values():
            if project.repo.lower() == repo.lower():
                return project
        return None


# ---------------------------------------------------------------- errors


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    path: tuple
    message: str

    @property
    def key_path(self) -> str:
        return ".".join(str(p) for p in self.path) or "(top level)"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.key_path}: {self.message}"

    def annotation(self) -> str:
        """A GitHub Actions workflow command that shows the problem inline on a pull request."""
        text = f"{self.key_path}: {self.message}".replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return f"::error file={self.file},line={self.line},col={self.column}::{text}"


class ConfigError(BadInput):
    """Raised with every problem found, sorted by position."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.line, p.column, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


def parse_duration(text: str) -> int:
    """'1h30m' → 5400 seconds."""
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"bad duration '{text}'")
    return sum(int(n) * _UNITS[u] for n, u in parts)
