"""The REST client against the simulator over real HTTP: ETags, pagination, retries, rate limits."""

from __future__ import annotations

import argparse
import http.server
import re
import threading
from datetime import timedelta

import pytest
from github import GithubException

from quartz.devtools.simulator import SimulatorServer
from quartz.github.client import GitHubClient, GitHubError, NotFound, RateLimited, client_from_args
from quartz.store.db import Store
from tests.helpers.sync import TOKEN, Sleeps, fleet_world, make_client

RUNS = "/repos/ROCm/vllm/actions/workflows/rocm-test.yml/runs"


@pytest.fixture(scope="module")
def world():
    return fleet_world(history_days=10)  # vllm rocm-test.yml: 40 runs


@pytest.fixture()
def server(world):
    with SimulatorServer(world, token=TOKEN) as s:
        yield s


def test_conditional_get_answered_304_costs_no_point(server, tmp_path):
    store = Store.open(tmp_path / "q.duckdb")
    client = make_client(server, store)
    first = client.get(RUNS, {"per_page": 5}, conditional=True, keep_body=True)
    assert first.status == 200 and first.etag
    client.remember(first, server.world.now)
    points = server.points_used
    again = client.get(RUNS, {"per_page": 5}, conditional=True)
    assert again.not_modified
    assert again.body == first.body  # kept in http_cache
    assert server.points_used == points
    assert (client.stats.points, client.stats.not_modified, client.stats.requests) == (1, 1, 2)
    row = store.db.execute("SELECT url, etag FROM http_cache").fetchall()
    assert row == [(first.url, first.etag)]
    assert "per_page=5" in first.url


def test_etag_is_used_only_after_remember(server):
    client = make_client(server)
    client.get(RUNS, {"per_page": 3}, conditional=True)
    assert client.get(RUNS, {"per_page": 3}, conditional=True).status == 200  # never remembered
    assert client.stats.not_modified == 0


def test_a_changed_listing_is_answered_200_again(server, world):
    client = make_client(server)
    first = client.get(RUNS, {"per_page": 3}, conditional=True)
    client.remember(first, world.now)
    world.create_run("ROCm/vllm", "rocm-test.yml")
    second = client.get(RUNS, {"per_page": 3}, conditional=True)
    assert second.status == 200 and second.etag != first.etag
    assert second.body["workflow_runs"][0]["id"] != first.body["workflow_runs"][0]["id"]


def test_pages_follow_the_link_header(server):
    client = make_client(server)
    pages = list(client.pages(RUNS, {"per_page": 7}))
    total = pages[0].body["total_count"]
    ids = [r["id"] for p in pages for r in p.body["workflow_runs"]]
    assert len(pages) == -(-total // 7) and len(ids) == len(set(ids)) == total
    # Pages after the first are exactly the URLs the server put in Link rel="next".
    sent = [r.path for r in server.requests]
    assert [re.search(r"[?&]page=(\d+)", p) is not None for p in sent] == [False] + [True] * (len(pages) - 1)


def test_get_is_retried_on_5xx_with_backoff(server):
    server.faults.error(r"/actions/workflows/rocm-test\.yml/runs", "GET", status=502, times=2)
    sleeps = Sleeps()
    client = make_client(server, sleep=sleeps)
    response = client.get(RUNS, {"per_page": 2})
    assert response.status == 200
    assert sleeps.waits == [1, 2] and client.stats.retries == 2 and client.stats.requests == 3


def test_get_gives_up_after_repeated_5xx_with_a_clear_message(server):
    server.faults.error(r"/actions/workflows/rocm-test\.yml/runs", "GET", status=503, times=None)
    client = make_client(server, sleep=Sleeps())
    with pytest.raises(GitHubError, match="HTTP 503 .* 5 times"):
        client.get(RUNS)


def test_get_is_retried_after_a_timeout(server):
    server.faults.hang(r"/actions/workflows/rocm-test\.yml/runs", "GET", seconds=3, times=1)
    client = make_client(server, sleep=Sleeps(), timeout=1)
    client.get("/rate_limit")  # GitHub has answered this client: a timeout now may be a blip, worth a retry
    assert client.get(RUNS, {"per_page": 1}).status == 200
    assert client.stats.retries == 1


def test_exhausted_rate_limit_waits_until_reset(server, world):
    server.set_rate_limit_remaining(0)
    sleeps = Sleeps(world)  # waiting moves the world clock past x-ratelimit-reset
    client = make_client(server, sleep=sleeps, max_wait_s=3700)
    assert client.get(RUNS, {"per_page": 1}).status == 200
    assert len(sleeps.waits) == 1 and 1 <= sleeps.waits[0] <= 3601
    assert client.stats.waited_s == sleeps.waits[0]


def test_rate_limit_longer_than_max_wait_stops_with_the_reset_time(server, world):
    server.set_rate_limit_remaining(0)
    sleeps = Sleeps(world)
    client = make_client(server, sleep=sleeps, max_wait_s=60)
    with pytest.raises(RateLimited, match=r"again at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC") as info:
        client.get(RUNS)
    assert sleeps.waits == []
    assert info.value.retry_at > world.now
    assert TOKEN not in str(info.value)


def test_secondary_limit_waits_retry_after(server):
    server.faults.secondary_limit(r"/runs", "GET", status=429, retry_after=42)
    sleeps = Sleeps()
    client = make_client(server, sleep=sleeps)
    assert client.get(RUNS, {"per_page": 1}).status == 200
    assert sleeps.waits == [42]


def test_not_found_and_bad_token_say_what_to_do_without_the_token(server):
    client = make_client(server)
    with pytest.raises(NotFound, match="does not exist, or the token cannot see it"):
        client.get("/repos/ROCm/nope/actions/workflows/x.yml/runs")
    bad = GitHubClient(server.url, "wrong-token-value", sleep=Sleeps())
    with pytest.raises(GitHubError, match="401") as info:
        bad.get(RUNS)
    assert "wrong-token-value" not in str(info.value) and "wrong-token-value" not in repr(bad)


def test_writes_are_never_retried(server, world):
    """PyGithub's default retry re-sends a POST after a 5xx; ours must not."""
    server.faults.error(r"/dispatches$", "POST", status=502, times=1)
    gh = make_client(server).pygithub_for_writes()
    workflow = gh.get_repo("ROCm/vllm").get_workflow("rocm-test.yml")
    with pytest.raises(GithubException):
        workflow.create_dispatch("main", {}, throw=True)
    assert server.request_count(method="POST") == 1


def test_enterprise_server_prefix(world):
    with SimulatorServer(world, token=TOKEN, prefix="/api/v3") as server:
        client = make_client(server)
        assert client.base_url.endswith("/api/v3")
        pages = list(client.pages(RUNS, {"per_page": 25}))
        assert len(pages) == 2 and all(r.path.startswith("/api/v3/") for r in server.requests)


def test_client_from_args_reads_url_and_token_from_the_environment(server, monkeypatch):
    monkeypatch.setenv("GITHUB_API_URL", server.url)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    client = client_from_args(argparse.Namespace(github_url=None))
    assert client.base_url == server.url
    assert client.get(RUNS, {"per_page": 1}).status == 200
    other = client_from_args(argparse.Namespace(github_url="https://ghe.example.com/api/v3"))
    assert other.base_url == "https://ghe.example.com/api/v3"


def test_stats_since(server, world):
    client = make_client(server)
    before = client.stats.snapshot()
    client.get(RUNS, {"per_page": 1})
    world.advance(timedelta(seconds=1))
    used = client.stats.since(before)
    assert (used.requests, used.points) == (1, 1)


class _HtmlHandler(http.server.BaseHTTPRequestHandler):
    """A proxy gone wrong: answers every GET with an HTML page."""

    def do_GET(self):  # noqa: N802 - stdlib name
        body = b"<html>502 Bad Gateway</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_body_that_is_not_json_is_a_clear_error():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HtmlHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        client = GitHubClient(f"http://127.0.0.1:{httpd.server_address[1]}", TOKEN, sleep=Sleeps())
        with pytest.raises(GitHubError, match="not JSON"):
            client.get(RUNS)
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_endless_secondary_limits_stop_after_a_few_waits(server):
    server.faults.secondary_limit(r"/runs", "GET", status=403, retry_after=10, times=None)
    sleeps = Sleeps()
    client = make_client(server, sleep=sleeps)
    with pytest.raises(RateLimited, match="after 5 waits"):
        client.get(RUNS)
    assert sleeps.waits == [10] * 5


def test_a_body_is_refetched_when_it_was_remembered_without_one(server, tmp_path):
    store = Store.open(tmp_path / "q.duckdb")
    client = make_client(server)
    client.use_store(store)  # as `quartz cycle` does once it has pulled the store
    client.remember(client.get(RUNS, {"per_page": 2}, conditional=True), server.world.now)
    assert store.db.execute("SELECT count(*) FROM http_cache WHERE body IS NULL").fetchone() == (1,)
    again = client.get(RUNS, {"per_page": 2}, conditional=True, keep_body=True)
    assert again.status == 200 and again.body["workflow_runs"]
    client.remember(again, server.world.now)
    third = client.get(RUNS, {"per_page": 2}, conditional=True, keep_body=True)
    assert third.not_modified and third.body == again.body
