"""The simulator over real HTTP, driven by PyGithub's normal stack (and raw requests for headers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from github import Auth, BadCredentialsException, Github, GithubException, RateLimitExceededException

from quartz.devtools.simulator import JobSpec, SimulatorServer, World

TOKEN = "sim-token-test"
START = datetime(2026, 11, 1, tzinfo=UTC)


def make_world() -> World:
    world = World(START, seed=7)
    repo = world.add_repo("ROCm/pytorch", branches=("release/2.7",))
    world.add_workflow(
        repo, "rocm-build.yml", name="ROCm build", run_name="ROCm build ${{ inputs.correlation_id }}",
        inputs={"correlation_id": {"required": False, "default": ""},
                "rocm_run": {"required": True}},
        jobs=[JobSpec("build", 1200, 0.0, 0.0), JobSpec("test", 600, 0.0, 0.0)], queue_s=60,
    )
    world.add_workflow(repo, "lint.yml", name="Lint", jobs=1, on=("push",))
    world.add_workflow(repo, "nightly.yml", name="Nightly", on=("repository_dispatch",),
                       dispatch_types=("rocm-nightly",),
                       run_name="Nightly ${{ github.event.client_payload.correlation_id }}")
    world.add_workflow(repo, "other.yml", name="Other", on=("repository_dispatch",), dispatch_types=("other",))
    return world


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.fixture
def server(world: World):
    with SimulatorServer(world, token=TOKEN) as srv:
        yield srv


def client(server: SimulatorServer, token: str = TOKEN, timeout: float = 15) -> Github:
    return Github(base_url=server.url, auth=Auth.Token(token), retry=None, timeout=timeout,
                  seconds_between_requests=None, seconds_between_writes=None, per_page=100)


def get(server: SimulatorServer, path: str, token: str | None = TOKEN, **headers: str) -> requests.Response:
    if token:
        headers["Authorization"] = f"token {token}"
    return requests.get(server.url + path, headers=headers, timeout=10)


def post(server: SimulatorServer, path: str, body: dict) -> requests.Response:
    return requests.post(server.url + path, json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)


# -- auth and rate limits ------------------------------------------------------------------

def test_missing_or_wrong_token_is_401_and_never_echoed(server):
    assert get(server, "/repos/ROCm/pytorch", token=None).status_code == 401
    wrong = get(server, "/repos/ROCm/pytorch", token="nope")
    assert wrong.status_code == 401 and wrong.json()["message"] == "Bad credentials"
    with pytest.raises(BadCredentialsException):
        client(server, token="nope").get_repo("ROCm/pytorch")
    ok = get(server, "/repos/ROCm/pytorch")
    assert ok.status_code == 200
    assert TOKEN not in ok.text and all(TOKEN not in v for v in ok.headers.values())
    assert all(TOKEN not in r.path for r in server.requests)


def test_rate_limit_headers_on_every_answer_and_rate_limit_is_free(server):
    for path, token in (("/repos/ROCm/pytorch", TOKEN), ("/repos/ROCm/nope", TOKEN), ("/rate_limit", TOKEN),
                        ("/repos/ROCm/pytorch", None)):
        r = get(server, path, token=token)
        assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used",
                "x-ratelimit-reset", "x-ratelimit-resource"} <= {k.lower() for k in r.headers}
    before = server.points_used
    body = get(server, "/rate_limit").json()
    assert server.points_used == before
    assert body["resources"]["core"]["used"] == 2  # the repo and the 404


def test_budget_runs_out_then_resets_with_the_world_clock(world):
    with SimulatorServer(world, token=TOKEN, rate_limit=3) as server:
        gh = client(server)
        for _ in range(3):
            gh.get_repo("ROCm/pytorch")
        refused = get(server, "/repos/ROCm/pytorch")
        assert refused.status_code == 403
        assert refused.headers["x-ratelimit-remaining"] == "0"
        assert "rate limit exceeded" in refused.json()["message"]
        reset = int(refused.headers["x-ratelimit-reset"])
        assert reset == int((START + timedelta(hours=1)).timestamp())
        with pytest.raises(RateLimitExceededException):
            gh.get_repo("ROCm/pytorch")
        assert get(server, "/rate_limit").status_code == 200  # still answers, for free
        world.advance_to(datetime.fromtimestamp(reset, UTC))
        assert gh.get_repo("ROCm/pytorch").full_name == "ROCm/pytorch"
        assert server.rate_limit_remaining == 2


def test_etag_304_costs_nothing_and_changes_with_state(world, server):
    run = world.create_run("ROCm/pytorch", "rocm-build.yml", "main")
    path = f"/repos/ROCm/pytorch/actions/runs/{run.id}"
    first = get(server, path)
    tag = first.headers["ETag"]
    repo_tag = get(server, "/repos/ROCm/pytorch").headers["ETag"]
    assert tag.startswith('W/"')
    used = server.points_used
    again = get(server, path, **{"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert server.points_used == used
    assert server.request_count(path=path, status=304, costly=False) == 1
    world.advance(timedelta(hours=2))
    changed = get(server, path, **{"If-None-Match": tag})
    assert changed.status_code == 200 and changed.json()["status"] == "completed"
    assert changed.headers["ETag"] != tag
    assert server.points_used == used + 1
    # Nothing about the repository changed with the clock: its ETag still matches.
    assert get(server, "/repos/ROCm/pytorch", **{"If-None-Match": repo_tag}).status_code == 304


def test_post_costs_one_point(server):
    server.reset_counters()
    post(server, "/repos/ROCm/pytorch/dispatches", {"event_type": "rocm-nightly"})
    assert server.points_used == 1 and server.request_count("POST", path="/dispatches$") == 1


# -- listing -------------------------------------------------------------------------------

def test_pagination_links_and_newest_first(world, server):
    world.generate_history("ROCm/pytorch", "rocm-build.yml", days=5, runs_per_day=50)
    r = get(server, "/repos/ROCm/pytorch/actions/runs?per_page=100")
    assert r.json()["total_count"] == 250 and len(r.json()["workflow_runs"]) == 100
    assert 'rel="next"' in r.headers["Link"] and "page=3>; rel=\"last\"" in r.headers["Link"]
    last = get(server, "/repos/ROCm/pytorch/actions/runs?per_page=100&page=3")
    assert len(last.json()["workflow_runs"]) == 50
    assert 'rel="next"' not in last.headers["Link"] and 'rel="prev"' in last.headers["Link"]
    runs = list(client(server).get_repo("ROCm/pytorch").get_workflow_runs())
    assert len(runs) == 250 and len({r.id for r in runs}) == 250
    created = [r.created_at for r in runs]
    assert created == sorted(created, reverse=True)
    default = get(server, "/repos/ROCm/pytorch/actions/workflows/rocm-build.yml/runs")
    assert len(default.json()["workflow_runs"]) == 30


def test_any_filter_caps_reachable_results_at_1000(world, server):
    world.generate_history("ROCm/pytorch", "rocm-build.yml", days=10, runs_per_day=150)
    repo = client(server).get_repo("ROCm/pytorch")
    assert len(list(repo.get_workflow_runs())) == 1500  # unfiltered: all of them
    filtered = repo.get_workflow_runs(branch="main")
    assert filtered.totalCount == 1000
    assert len(list(filtered)) == 1000
    beyond = get(server, "/repos/ROCm/pytorch/actions/runs?branch=main&per_page=100&page=11")
    assert beyond.status_code == 200 and beyond.json()["workflow_runs"] == []
    # Split into windows under 1,000 and everything is reachable.
    mid = (START - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    older = repo.get_workflow_runs(branch="main", created=f"*..{mid}")
    newer = repo.get_workflow_runs(branch="main", created=f">{mid}")
    assert {r.id for r in older} | {r.id for r in newer} == set(world.runs)


@pytest.mark.parametrize("expr,lo,hi", [
    (">=2026-10-30", "2026-10-30", None),
    ("<2026-10-30", None, "2026-10-30"),
    ("<=2026-10-29", None, "2026-10-30"),
    (">2026-10-29", "2026-10-30", None),
    ("2026-10-28..2026-10-29", "2026-10-28", "2026-10-30"),
    ("2026-10-28T06:00:00Z..2026-10-28T18:00:00Z", "2026-10-28T06:00:00", "2026-10-28T18:00:01"),
    ("*..2026-10-28T12:00:00Z", None, "2026-10-28T12:00:01"),
    ("2026-10-28T12:00:00+00:00..*", "2026-10-28T12:00:00", None),
    ("2026-10-29", "2026-10-29", "2026-10-30"),
])
def test_created_filter_syntax(world, server, expr, lo, hi):
    world.generate_history("ROCm/pytorch", "rocm-build.yml", days=6, runs_per_day=24)

    def ts(text):
        return None if text is None else int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())

    expected = {r.id for r in world.runs_in("ROCm/pytorch", None, ts(lo), ts(hi))}
    assert 0 < len(expected) < len(world.runs)
    got = client(server).get_repo("ROCm/pytorch").get_workflow_runs(created=expr)
    assert {r.id for r in got} == expected


def test_bad_created_is_422(server):
    assert get(server, "/repos/ROCm/pytorch/actions/runs?created=yesterday").status_code == 422


def test_filters_by_event_status_conclusion_and_sha(world, server):
    ok = world.create_run("ROCm/pytorch", "lint.yml", "main", conclusion="success",
                          created_at=START - timedelta(hours=3))
    bad = world.create_run("ROCm/pytorch", "lint.yml", "release/2.7", event="schedule", conclusion="failure",
                           created_at=START - timedelta(hours=2))
    running = world.create_run("ROCm/pytorch", "rocm-build.yml", "main", event="workflow_dispatch")
    repo = client(server).get_repo("ROCm/pytorch")

    def ids(**kw):
        return [r.id for r in repo.get_workflow_runs(**kw)]

    assert ids(status="success") == [ok.id]
    assert ids(status="failure") == [bad.id]
    assert ids(status="completed") == [bad.id, ok.id]
    assert ids(status="queued") == [running.id]
    assert ids(event="schedule") == [bad.id]
    assert ids(branch="release/2.7") == [bad.id]
    assert ids(head_sha=bad.sha) == [bad.id]
    lint = repo.get_workflow("lint.yml")
    assert [r.id for r in lint.get_runs()] == [bad.id, ok.id]


# -- runs, jobs, attempts --------------------------------------------------------------------

def test_run_lifecycle_follows_the_clock(world, server):
    run = world.create_run("ROCm/pytorch", "rocm-build.yml", "main")
    gh_run = client(server).get_repo("ROCm/pytorch").get_workflow_run(run.id)
    assert gh_run.status == "queued" and gh_run.conclusion is None
    world.advance(timedelta(seconds=run.latest.started - world.now_ts))
    gh_run.update()
    assert gh_run.status == "in_progress"
    jobs = list(gh_run.jobs())
    assert [j.status for j in jobs] == ["in_progress", "in_progress"]
    world.advance(timedelta(hours=1))
    gh_run.update()
    assert gh_run.status == "completed" and gh_run.conclusion == "success"
    assert gh_run.run_started_at is not None and gh_run.updated_at > gh_run.created_at


def test_rerun_failed_jobs_keeps_earlier_attempt_readable(world, server):
    run = world.create_run("ROCm/pytorch", "rocm-build.yml", "main", conclusion="failure")
    world.advance(timedelta(hours=1))
    gh_run = client(server).get_repo("ROCm/pytorch").get_workflow_run(run.id)
    assert gh_run.conclusion == "failure" and gh_run.run_attempt == 1
    assert gh_run.rerun_failed_jobs()
    world.advance(timedelta(hours=1))
    gh_run.update()
    assert gh_run.run_attempt == 2 and gh_run.conclusion == "success"
    assert gh_run.raw_data["previous_attempt_url"].endswith(f"/actions/runs/{run.id}/attempts/1")
    latest = list(gh_run.jobs())
    all_jobs = list(gh_run.jobs("all"))
    assert len(latest) == 2 and len(all_jobs) == 3  # two in attempt 1, the failed one again in attempt 2
    assert all(j.conclusion == "success" for j in latest)
    first = get(server, f"/repos/ROCm/pytorch/actions/runs/{run.id}/attempts/1").json()
    assert first["run_attempt"] == 1 and first["conclusion"] == "failure"
    a1 = get(server, f"/repos/ROCm/pytorch/actions/runs/{run.id}/attempts/1/jobs").json()
    assert a1["total_count"] == 2 and {j["run_attempt"] for j in a1["jobs"]} == {1}
    assert get(server, f"/repos/ROCm/pytorch/actions/runs/{run.id}/attempts/3").status_code == 404
    job = a1["jobs"][0]
    assert get(server, f"/repos/ROCm/pytorch/actions/jobs/{job['id']}").json() == job


def test_full_rerun_and_rerun_of_running_run_is_refused(world, server):
    run = world.create_run("ROCm/pytorch", "rocm-build.yml", "main")
    assert post(server, f"/repos/ROCm/pytorch/actions/runs/{run.id}/rerun", {}).status_code == 403
    world.advance(timedelta(hours=1))
    assert post(server, f"/repos/ROCm/pytorch/actions/runs/{run.id}/rerun", {}).status_code == 201
    assert run.run_attempt == 2 and run.status == "queued"


def test_jobs_pagination_and_artifacts(world, server):
    repo = world.repo("ROCm/pytorch")
    wf = world.add_workflow(repo, "big.yml", jobs=[JobSpec(f"shard {i}", 60) for i in range(45)],
                            artifacts=(("wheel", 5000),))
    run = world.create_run(repo, wf, "main")
    world.add_artifact(run.id, "logs", 10)
    world.advance(timedelta(hours=1))
    gh_run = client(server).get_repo("ROCm/pytorch").get_workflow_run(run.id)
    jobs = list(gh_run.jobs())
    assert [j.name for j in jobs] == [f"shard {i}" for i in range(45)]
    page2 = get(server, f"/repos/ROCm/pytorch/actions/runs/{run.id}/jobs?per_page=20&page=2").json()
    assert [j["name"] for j in page2["jobs"]] == [f"shard {i}" for i in range(20, 40)]
    assert sorted(a.name for a in gh_run.get_artifacts()) == ["logs", "wheel"]


def test_branches_exist_or_404(server):
    repo = client(server).get_repo("ROCm/pytorch")
    assert repo.get_branch("release/2.7").name == "release/2.7"
    with pytest.raises(GithubException) as err:
        repo.get_branch("release/9.9")
    assert err.value.status == 404
    assert {b.name for b in repo.get_branches()} == {"main", "release/2.7"}


# -- dispatch --------------------------------------------------------------------------------

def test_dispatch_with_run_details_titles_the_run_from_run_name(world, server):
    wf = client(server).get_repo("ROCm/pytorch").get_workflow("rocm-build.yml")
    gh_run = wf.create_dispatch("release/2.7", {"correlation_id": "nightly-42.pytorch.1", "rocm_run": "9"},
                                throw=True, return_run_details=True)
    run = world.get_run(gh_run.id)
    assert run.display_title == "ROCm build nightly-42.pytorch.1"
    assert run.event == "workflow_dispatch" and run.branch == "release/2.7"
    assert run.inputs == {"correlation_id": "nightly-42.pytorch.1", "rocm_run": "9"}
    assert run.actor == "quartz-bot"
    assert gh_run.display_title == "ROCm build nightly-42.pytorch.1"  # completes lazily over HTTP
    plain = post(server, "/repos/ROCm/pytorch/actions/workflows/rocm-build.yml/dispatches",
                 {"ref": "main", "inputs": {"rocm_run": "1"}})
    assert plain.status_code == 204 and plain.content == b""
    titles = [r.display_title for r in world.runs.values()]
    assert titles[-1] == "ROCm build "


@pytest.mark.parametrize("body,message", [
    ({"ref": "main", "inputs": {f"k{i}": "v" for i in range(26)}}, "25"),
    ({"ref": "main", "inputs": {"rocm_run": "1", "surprise": "x"}}, "Unexpected inputs"),
    ({"ref": "main", "inputs": {"correlation_id": "x"}}, "rocm_run"),
    ({"ref": "no-such-branch", "inputs": {"rocm_run": "1"}}, "No ref found"),
    ({"inputs": {"rocm_run": "1"}}, "ref"),
])
def test_dispatch_refusals_are_422_and_create_nothing(world, server, body, message):
    r = post(server, "/repos/ROCm/pytorch/actions/workflows/rocm-build.yml/dispatches", body)
    assert r.status_code == 422 and message in r.json()["message"]
    assert world.runs == {}


def test_dispatch_to_workflow_without_trigger_is_422(server):
    wf = client(server).get_repo("ROCm/pytorch").get_workflow("lint.yml")
    with pytest.raises(GithubException) as err:
        wf.create_dispatch("main", throw=True)
    assert err.value.status == 422


def test_repository_dispatch_runs_matching_workflows_on_default_branch(world, server):
    repo = client(server).get_repo("ROCm/pytorch")
    assert repo.create_repository_dispatch("rocm-nightly", {"correlation_id": "c-7", "x": {"y": 1}})
    [run] = world.runs.values()
    assert run.workflow.file_name == "nightly.yml" and run.branch == "main"
    assert run.event == "repository_dispatch" and run.display_title == "Nightly c-7"


@pytest.mark.parametrize("body", [
    {"event_type": ""},
    {"event_type": "x" * 101},
    {"event_type": "rocm-nightly", "client_payload": {f"k{i}": i for i in range(11)}},
])
def test_repository_dispatch_refusals(world, server, body):
    assert post(server, "/repos/ROCm/pytorch/dispatches", body).status_code == 422
    assert world.runs == {}


# -- statuses ------------------------------------------------------------------------------

def test_commit_statuses_round_trip(world, server):
    sha = world.repo("ROCm/pytorch").branches["main"]
    r1 = post(server, f"/repos/ROCm/pytorch/statuses/{sha}", {"state": "pending", "context": "quartz/cascade"})
    r2 = post(server, f"/repos/ROCm/pytorch/statuses/{sha}", {"state": "success", "context": "quartz/cascade",
                                                              "target_url": "https://example.test/x"})
    assert r1.status_code == r2.status_code == 201
    listed = get(server, "/repos/ROCm/pytorch/commits/main/statuses").json()
    assert [s["state"] for s in listed] == ["success", "pending"]
    assert post(server, f"/repos/ROCm/pytorch/statuses/{sha}", {"state": "great"}).status_code == 422


# -- faults ----------------------------------------------------------------------------------

def test_error_fault_fires_on_the_nth_matching_call_only(world, server):
    server.faults.error(path=r"/actions/runs$", method="GET", status=502, nth=2)
    codes = [get(server, "/repos/ROCm/pytorch/actions/runs").status_code for _ in range(3)]
    assert codes == [200, 502, 200]
    assert get(server, "/repos/ROCm/pytorch").status_code == 200


def test_hang_outlasts_the_client_timeout(world, server):
    server.faults.hang(path=r"/dispatches$", method="POST", seconds=3, apply=True)
    wf = client(server, timeout=1).get_repo("ROCm/pytorch").get_workflow("rocm-build.yml")
    with pytest.raises(requests.exceptions.RequestException):
        wf.create_dispatch("main", {"rocm_run": "1", "correlation_id": "hang-1"}, throw=True)
    assert [r.display_title for r in world.runs.values()] == ["ROCm build hang-1"]


def test_hang_without_effect_creates_nothing(world, server):
    server.faults.hang(path=r"/dispatches$", seconds=3)
    with pytest.raises(requests.exceptions.RequestException):
        requests.post(server.url + "/repos/ROCm/pytorch/dispatches", json={"event_type": "rocm-nightly"},
                      headers={"Authorization": f"token {TOKEN}"}, timeout=0.3)
    assert world.runs == {}


def test_dropped_dispatch_is_accepted_but_never_runs(world, server):
    server.faults.drop_dispatch()
    wf = client(server).get_repo("ROCm/pytorch").get_workflow("rocm-build.yml")
    gh_run = wf.create_dispatch("main", {"rocm_run": "1"}, throw=True, return_run_details=True)
    assert gh_run.id > 0 and world.runs == {}
    assert get(server, f"/repos/ROCm/pytorch/actions/runs/{gh_run.id}").status_code == 404
    assert wf.create_dispatch("main", {"rocm_run": "1"}, throw=True) is True  # only the first was dropped
    assert len(world.runs) == 1


def test_dispatch_then_error_creates_the_run_but_answers_5xx(world, server):
    server.faults.dispatch_then_error(status=502)
    wf = client(server).get_repo("ROCm/pytorch").get_workflow("rocm-build.yml")
    with pytest.raises(GithubException) as err:
        wf.create_dispatch("main", {"rocm_run": "1", "correlation_id": "c-1"}, throw=True)
    assert err.value.status == 502
    found = client(server).get_repo("ROCm/pytorch").get_workflow_runs(event="workflow_dispatch")
    assert [r.display_title for r in found] == ["ROCm build c-1"]


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_limit_answers_with_retry_after(server, status):
    server.faults.secondary_limit(path="/repos/ROCm/pytorch$", status=status, retry_after=30)
    r = get(server, "/repos/ROCm/pytorch")
    assert r.status_code == status and r.headers["retry-after"] == "30"
    assert "secondary rate limit" in r.json()["message"]
    assert get(server, "/repos/ROCm/pytorch").status_code == 200


def test_request_counters(server):
    server.reset_counters()
    get(server, "/repos/ROCm/pytorch")
    get(server, "/repos/ROCm/pytorch/actions/runs?branch=main")
    get(server, "/rate_limit")
    assert server.request_count() == 3
    assert server.request_count("GET", path=r"actions/runs\?branch=main") == 1
    assert server.request_count(costly=True) == 2 and server.points_used == 2
    server.reset_counters()
    assert server.request_count() == 0 and server.points_used == 0


def test_enterprise_style_prefix(world):
    with SimulatorServer(world, token=TOKEN, prefix="/api/v3") as server:
        assert server.url.endswith("/api/v3")
        assert client(server).get_repo("ROCm/pytorch").full_name == "ROCm/pytorch"


def test_delayed_dispatch_is_invisible_until_the_clock_reaches_it():
    world = make_world()
    world.dispatch_delay_s = 10
    with SimulatorServer(world, token=TOKEN) as server:
        wf = client(server).get_repo("ROCm/pytorch").get_workflow("rocm-build.yml")
        gh_run = wf.create_dispatch("main", {"rocm_run": "1", "correlation_id": "late"}, throw=True,
                                    return_run_details=True)
        path = f"/repos/ROCm/pytorch/actions/runs/{gh_run.id}"
        assert get(server, path).status_code == 404
        assert get(server, "/repos/ROCm/pytorch/actions/runs").json()["total_count"] == 0
        world.advance(timedelta(seconds=10))
        assert get(server, path).json()["display_title"] == "ROCm build late"
        assert get(server, "/repos/ROCm/pytorch/actions/runs").json()["total_count"] == 1


def test_module_entry_point_serves_the_sample_world():
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "quartz.devtools.simulator", "--seed", "4", "--token", "t-entry"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = line.split(" at ", 1)[1].split()[0]
        assert "t-entry" not in line
        r = requests.get(url + "/repos/ROCm/pytorch/actions/runs", headers={"Authorization": "token t-entry"},
                         timeout=10)
        assert r.status_code == 200 and r.json()["total_count"] > 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)
