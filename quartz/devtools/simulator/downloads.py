"""Artifact archives and job logs: the bytes behind GitHub's 302s.

`GET …/actions/artifacts/{id}/zip` and `GET …/actions/jobs/{id}/logs` answer 302 with a
Location under `/_downloads/<token>` on the same server: a pre-signed URL that lives one
minute of world time and must be fetched *without* the Authorization header (sending it
gets 400, as S3 refuses a second auth mechanism). A download is not an API request: it
costs no rate-limit point. An expired artifact answers 410 on the `/zip` endpoint.

Contents come from `world.artifact_content[artifact_id]` (bytes) and
`world.job_logs[job_id]` (text) when a test sets them, else they are made from the run:
an artifact whose name starts with `test-reports` holds one JUnit file per test job of
its attempt (a failed job fails one test, the same one on every attempt of a real bug),
and a job's log ends, when the job failed, with a failure line picked by the job's kind.
"""

from __future__ import annotations

import io
import secrets
import threading
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime

from . import outcomes
from .model import ARTIFACT_ID_BASE, MAX_ATTEMPTS, RUN_ID_BASE, Artifact, Run
from .world import SimulatorError, World

URL_LIFETIME_S = 60
TESTS_PER_JOB = 12
FLAKY_TEST = 7  # test_op_07 of every third test job sometimes fails once, then passes on its rerun
FLAKY_TEST_RATE = 0.1
# What a failed job prints last, by the kind of job (the part of its name before " (").
FAILURE_LINES = {
    "build": ("/src/aten/native/hip/Loss.hip:412:18: error: use of undeclared identifier 'hipLaunchKernelGGL'",
              "ninja: build stopped: subcommand failed."),
    "test": ("E       RuntimeError: HIP error: invalid device function",
             "FAILED test/test_ops.py::TestOps::test_conv2d_gfx942 - RuntimeError: HIP error: invalid device function"),
    "release": ("Error: upload failed: Connection reset by peer",),
    "lint": ("error: line too long (131 > 120 characters) (E501)",),
}


@dataclass
class _Link:
    data: bytes
    content_type: str
    expires: int


class Downloads:
    """The pre-signed URLs handed out, each good for one minute of world time."""

    def __init__(self, world: World):
        self.world = world
        self._links: dict[str, _Link] = {}
        self._lock = threading.Lock()

    def sign(self, data: bytes, content_type: str) -> str:
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._links[token] = _Link(data, content_type, self.world.now_ts + URL_LIFETIME_S)
        return f"/_downloads/{token}"

    def fetch(self, token: str) -> _Link | None:
        with self._lock:
            link = self._links.get(token)
            if link is not None and self.world.now_ts > link.expires:
                del self._links[token]
                return None
            return link


def find_artifact(world: World, artifact_id: int) -> tuple[Run, Artifact, int]:
    """(run, artifact, attempt number) for an artifact id, or 404."""
    for run_id, arts in world._artifacts.items():
        for art in arts:
            if art.id == artifact_id:
                run = world.runs[run_id]
                return run, art, run.run_attempt
    offset = artifact_id - ARTIFACT_ID_BASE // 2
    if 0 <= offset < ARTIFACT_ID_BASE // 2:
        rest = offset // 16  # the low 4 bits number the workflow's declared artifacts
        attempt, seq = rest % MAX_ATTEMPTS + 1, rest // MAX_ATTEMPTS
        run = world.runs.get(RUN_ID_BASE + seq)
        if run is not None:
            for art in world.artifacts(run):
                if art.id == artifact_id:
                    return run, art, attempt
    raise SimulatorError(404, "Not Found")


def artifact_zip(world: World, run: Run, art: Artifact, attempt: int) -> bytes:
    if art.id in world.artifact_content:
        return world.artifact_content[art.id]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if art.name.startswith("test-reports"):
            for job in world.jobs_of_attempt(run, attempt):
                if _kind(job.spec.name) == "test":
                    archive.writestr(f"{_slug(job.spec.name)}/junit.xml", junit_xml(run, job))
        else:
            archive.writestr("manifest.txt", f"{run.workflow.repo.full_name} run {run.id} attempt {attempt}\n")
    return buffer.getvalue()


def junit_xml(run: Run, job: outcomes.JobResult) -> str:
    """A pytest-style report: every test passes unless the job failed; then one (fixed by the job) fails.

    In some runs test_op_07 fails once and passes when pytest-rerunfailures runs it again (flaky evidence).
    """
    broken = int(outcomes.unit(run.seq if job.conclusion == "failure" else 0, job.index) * TESTS_PER_JOB)
    cases = []
    for n in range(TESTS_PER_JOB):
        name = f"test_op_{n:02d}"
        if job.conclusion == "failure" and n == broken:
            body = ('<failure message="RuntimeError: HIP error: invalid device function">'
                    "Traceback (most recent call last):\nRuntimeError: HIP error: invalid device function</failure>")
        elif n == FLAKY_TEST and job.index % 3 == 1 and outcomes.unit(run.seq, job.index, n) < FLAKY_TEST_RATE:
            body = '<rerun message="AssertionError: Tensor-likes are not close! (timing-dependent)"/>'
        else:
            body = ""
        cases.append(f'<testcase classname="test.test_ops.TestOps" name="{name}" file="test/test_ops.py" '
                     f'time="{0.1 + n / 10:.2f}">{body}</testcase>')
    failures = 1 if job.conclusion == "failure" else 0
    return ('<?xml version="1.0" encoding="utf-8"?>\n<testsuites><testsuite name="pytest" '
            f'tests="{TESTS_PER_JOB}" failures="{failures}" errors="0" skipped="0" time="4.2">'
            + "".join(cases) + "</testsuite></testsuites>\n")


def job_log(world: World, run: Run, job: outcomes.JobResult, job_id: int) -> str:
    if job_id in world.job_logs:
        return world.job_logs[job_id]
    lines = ["##[group]Run actions/checkout@v4", "Syncing repository: " + run.workflow.repo.full_name,
             "##[endgroup]", f"Running {job.spec.name} on {run.sha[:12]}"]
    lines += [f"step {n}: ok" for n in range(1, 6)]
    if job.conclusion == "failure":
        lines += list(FAILURE_LINES.get(_kind(job.spec.name), ("Error: the job failed",)))
        lines.append("##[error]Process completed with exit code 1.")
    lines.append("Cleaning up orphan processes")
    stamp = datetime.fromtimestamp(job.start, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return "".join(f"{stamp}.{n:07d}Z {line}\n" for n, line in enumerate(lines))


def _kind(job_name: str) -> str:
    return job_name.split(" (")[0].strip().lower()


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name).strip("-") or "job"
