"""Deterministic outcomes: everything random in the world is a hash of (seed, ids).

Jobs are not stored; `attempt_jobs` recomputes them from the run's seed, so a run
with 25 jobs costs no memory beyond the run itself and listing is repeatable.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import JOB_ID_BASE, MAX_ATTEMPTS, MAX_JOBS, Attempt, JobSpec, Run

_MASK = (1 << 64) - 1

# Salts that keep the independent random draws apart.
SALT_HARD, SALT_FLAKY, SALT_DURATION, SALT_QUEUE, SALT_PICK, SALT_SHA, SALT_HISTORY = range(1, 8)

FAILED = frozenset({"failure", "timed_out", "cancelled", "startup_failure"})


def _splitmix(z: int) -> int:
    z = (z + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def unit(*parts: int) -> float:
    """A uniform number in [0, 1) fixed by the given integers."""
    z = 0
    for p in parts:
        z = _splitmix((z ^ p) & _MASK)
    return z / 18446744073709551616.0


def stream(*parts: int) -> int:
    """A key from which per-job draws are one mix each: `draw(key, index)`."""
    z = 0
    for p in parts:
        z = _splitmix((z ^ p) & _MASK)
    return z


def draw(key: int, index: int) -> float:
    return _splitmix((key + index * 0x632BE59BD9B4E019) & _MASK) / 18446744073709551616.0


def fake_sha(*parts: int) -> str:
    z = 0
    words = []
    for p in parts:
        z = _splitmix((z ^ p) & _MASK)
    for i in range(3):
        z = _splitmix(z ^ i)
        words.append(f"{z:016x}")
    return "".join(words)[:40]


def job_id(run: Run, attempt: int, index: int) -> int:
    return JOB_ID_BASE + (run.seq * MAX_ATTEMPTS + attempt - 1) * MAX_JOBS + index


def decode_job_id(jid: int) -> tuple[int, int, int] | None:
    """(run seq, attempt, job index) for a job id, or None if it is not one of ours."""
    n = jid - JOB_ID_BASE
    if n < 0:
        return None
    index = n % MAX_JOBS
    n //= MAX_JOBS
    return n // MAX_ATTEMPTS, n % MAX_ATTEMPTS + 1, index


@dataclass(frozen=True)
class JobResult:
    """One job of one attempt: times are epoch seconds, conclusion is the final one."""

    index: int
    spec: JobSpec
    attempt: int
    created: int
    start: int
    end: int
    conclusion: str


def _scale(seed: int, run: Run, attempt: int) -> float:
    """One speed factor per attempt (busy runners make every job slower)."""
    return 0.75 + 0.5 * unit(seed, run.seq, attempt, SALT_DURATION)


def _duration(scale: float, key: int, index: int, spec: JobSpec) -> int:
    # At most spec.duration_s * scale, so the attempt's end is known without drawing every job.
    return max(1, int(spec.duration_s * scale * (0.8 + 0.2 * draw(key, index))))


# Seconds between the last job ending and the run completing.
WRAP_UP_S = 5


def ran_indices(run: Run, att: Attempt) -> tuple[int, ...]:
    return tuple(range(len(run.workflow.jobs))) if att.ran is None else att.ran


def plan_attempt(seed: int, run: Run, att: Attempt) -> None:
    """Fix when an attempt starts and completes (before any cancellation)."""
    jobs = run.workflow.jobs
    indices = ran_indices(run, att)
    if att.forced == "startup_failure" or not indices:
        att.started = att.completed = att.created
        return
    queue = run.workflow.queue_s * (0.5 + unit(seed, run.seq, att.number, SALT_QUEUE))
    att.started = att.created + int(queue)
    if att.ran is None:
        longest_spec = max(spec.duration_s for spec in jobs)
    else:
        longest_spec = max(jobs[i].duration_s for i in indices)
    longest = max(1, int(longest_spec * _scale(seed, run, att.number))) + WRAP_UP_S
    if att.forced == "cancelled":
        longest = max(1, longest // 2)
    att.completed = att.started + longest


def attempt_jobs(seed: int, run: Run, att: Attempt) -> list[JobResult]:
    """The jobs that ran in this attempt, with their final results."""
    jobs = run.workflow.jobs
    indices = ran_indices(run, att)
    forced = att.forced
    if forced == "startup_failure":
        return []
    out: list[JobResult] = []
    scale = _scale(seed, run, att.number)
    k_dur = stream(seed, run.seq, att.number, SALT_DURATION)
    k_hard = stream(seed, run.seq, SALT_HARD)  # no attempt: a real failure fails every attempt
    k_flaky = stream(seed, run.seq, att.number, SALT_FLAKY)
    for i in indices:
        spec = jobs[i]
        start = att.started
        end = start + _duration(scale, k_dur, i, spec)
        hard = spec.failure_rate > 0 and draw(k_hard, i) < spec.failure_rate
        flaky = spec.flaky_rate > 0 and draw(k_flaky, i) < spec.flaky_rate
        concl = "failure" if hard or flaky else "success"
        if forced in ("success", "neutral", "action_required", "stale"):
            concl = "success"
        elif forced == "skipped":
            concl = "skipped"
        out.append(JobResult(i, spec, att.number, att.created, start, end, concl))
    if not out:
        return out
    if forced == "failure" and not any(j.conclusion == "failure" for j in out):
        k = int(unit(seed, run.seq, att.number, SALT_PICK) * len(out))
        out[k] = _replace(out[k], conclusion="failure")
    elif forced == "timed_out":
        k = max(range(len(out)), key=lambda n: out[n].end)
        out = [_replace(j, conclusion="success") for j in out]
        out[k] = _replace(out[k], conclusion="timed_out")
    stop = att.cancelled if att.cancelled is not None else (att.completed if forced == "cancelled" else None)
    if stop is not None:
        out = [j if j.end <= stop else _replace(j, conclusion="cancelled", end=stop, start=min(j.start, stop))
               for j in out]
    return out


def _replace(j: JobResult, **kw) -> JobResult:
    d = {**j.__dict__, **kw}
    return JobResult(**d)


def aggregate(jobs: list[JobResult], forced: str | None, cancelled: bool) -> str:
    """A completed attempt's conclusion from its jobs, as GitHub rolls them up."""
    if cancelled:
        return "cancelled"
    if forced and forced not in ("failure", "success"):
        return forced
    concl = {j.conclusion for j in jobs}
    if "failure" in concl or "timed_out" in concl:
        return "failure"
    if "cancelled" in concl:
        return "cancelled"
    if jobs and concl == {"skipped"}:
        return "skipped"
    return "success"
