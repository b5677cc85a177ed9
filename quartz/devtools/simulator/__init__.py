"""A GitHub Actions REST simulator: a deterministic world behind a real HTTP server.

Quick start::

    from datetime import UTC, datetime, timedelta
    from github import Auth, Github
    from quartz.devtools.simulator import JobSpec, SimulatorServer, World

    world = World(datetime(2026, 11, 1, tzinfo=UTC), seed=0)
    repo = world.add_repo("ROCm/pytorch", default_branch="main", branches=("release/2.7",))
    world.add_workflow(repo, "rocm-build.yml", name="ROCm build",
                       run_name="ROCm build ${{ inputs.correlation_id }}",
                       inputs={"correlation_id": {"required": False, "default": ""}},
                       jobs=[JobSpec("build", 1800, failure_rate=0.05, flaky_rate=0.02)], queue_s=60)
    run = world.create_run(repo, "rocm-build.yml", "main", event="push")
    world.advance(timedelta(hours=1))        # queued -> in_progress -> completed
    with SimulatorServer(world, token="sim-token") as server:
        gh = Github(base_url=server.url, auth=Auth.Token("sim-token"), retry=None)
        gh.get_repo("ROCm/pytorch").get_workflow_runs(branch="main")

World (world.py) -- World(start, seed=0, dispatch_delay_s=0); all times are the world clock; nothing sleeps:
    now / now_ts, advance(timedelta), advance_to(datetime)
    add_repo(full_name, default_branch, branches, private) -> Repo; push(repo, branch) -> new head sha
    add_workflow(repo, path, name, run_name, inputs, jobs=[JobSpec]|int, queue_s, on=(triggers),
                 dispatch_types=(types for repository_dispatch), artifacts=((name, size),)) -> Workflow
    create_run(repo, workflow, branch, event, head_sha, inputs, conclusion=None|forced, created_at,
               actor, display_title) -> Run   (Run: id, number, display_title, status, conclusion,
               run_attempt, attempts, branch, sha, event, created)
    get_run(id), runs_in(repo, workflow=None, lo, hi), rerun(id, failed_only=False, conclusion=None),
    cancel(id), latest_jobs(run), all_jobs(run), jobs_of_attempt(run, n), add_artifact(run_id, name, size),
    dispatch_workflow(...), repository_dispatch(...), add_status(...), statuses(repo, ref),
    generate_history(repo, workflow, days, runs_per_day, branches, events, end) -> count  (bulk, fast)
    A run whose created_at is ahead of the clock (e.g. a dispatch with dispatch_delay_s) is invisible
    over HTTP (404, not listed) until the clock reaches it.
    Jobs are derived from the seed when listed, never stored. failure_rate = fails every attempt;
    flaky_rate = fails one attempt only. Status follows the clock: queued until created+queue,
    in_progress until the longest job ends, then completed.

SimulatorServer (server.py): SimulatorServer(world, token="sim-token", rate_limit=5000, actor="quartz-bot",
    prefix="" (e.g. "/api/v3"), html_url="https://github.com"); start()/stop()/with; .url is PyGithub's
    base_url. Endpoints: /rate_limit (free), /repos/{o}/{r}, branches[/{b}], actions/workflows[/{id|file}],
    actions[/workflows/{id}]/runs, actions/runs/{id}[/attempts/{n}], .../jobs?filter=latest|all,
    .../attempts/{n}/jobs (jobs that ran in attempt n), actions/jobs/{id}, .../artifacts,
    POST .../dispatches (204, or 200 {workflow_run_id, run_url, html_url} with return_run_details),
    POST /repos/{o}/{r}/dispatches, POST statuses/{sha}, GET commits/{ref}/statuses,
    POST runs/{id}/rerun, rerun-failed-jobs, cancel;
    GET actions/artifacts/{id}/zip and actions/jobs/{id}/logs: 302 to a one-minute /_downloads/ URL that
    refuses the token and costs no point (downloads.py: contents from world.artifact_content /
    world.job_logs, else JUnit reports for `test-reports*` artifacts and logs ending in a failure line).
    Listing: newest first, per_page <= 100 (default 30), Link rel=next/last/prev/first. With any of
    actor/branch/check_suite_id/created/event/head_sha/status, at most 1,000 results are reachable and
    total_count is capped at 1,000 (pages beyond are empty): split `created` windows. Unfiltered
    listings stop at 40,000 (422 beyond).
    Limits: 401 without the token; x-ratelimit-* headers on every answer; 403 with remaining 0 once
    the budget is spent, until the world clock passes x-ratelimit-reset (advance the world);
    weak ETag on GETs, If-None-Match -> 304 costs nothing; GET and POST cost 1 point (secondary
    limits are not modelled, only injected as faults). Answers carry a world-clock Date header.
    Use PyGithub with retry=None (or your own retry) in tests: its default retry sleeps for real.

Faults (server.faults, see faults.py) fire on the nth matching request (method + path regex), `times` times:
    error(path, method, status=502, nth, times, after=False)   5xx; after=True does the work first
    hang(path, method, seconds, apply=False)                    hold the answer past the client timeout
    drop_dispatch(nth, times)                                   accepted dispatch that never runs
    dispatch_then_error(status=502, nth, times)                 run created, then 5xx answer
    secondary_limit(path, method, status=403|429, retry_after)  secondary rate limit
    clear()

Counters: server.request_count(method=None, path=regex, status=None, costly=None), server.points_used,
    server.requests (RequestRecord(method, path, status, cost)), server.reset_counters(),
    server.rate_limit_remaining, server.set_rate_limit_remaining(n).
"""

from .faults import Fault, Faults
from .model import JobSpec, Repo, Run, Workflow
from .server import SimulatorServer
from .world import SimulatorError, World

__all__ = ["Fault", "Faults", "JobSpec", "Repo", "Run", "SimulatorError", "SimulatorServer", "Workflow", "World"]
