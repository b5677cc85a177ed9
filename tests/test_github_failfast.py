"""GitHub down or misconfigured: fail in seconds naming the cause; a cycle never outlives its time budget.

Real sockets throughout: a closed port, a server that accepts and never answers,
a server that answers one status to everything, the bundled simulator. Time is
never measured: requests are counted, sleeps and clocks are injected.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from quartz import cli, cycle
from quartz import config as config_module
from quartz.cascades import advance as dispatch
from quartz.cascades import engine
from quartz.cascades import state as cascade_store
from quartz.deadline import Deadline
from quartz.devtools.simulator import SimulatorServer
from quartz.github.client import Forbidden, GitHubClient, Unreachable
from quartz.store.db import Store
from quartz.sync.failfast import GitHubDown
from quartz.sync.runs import sync
from tests.helpers.cascades import start_fleet
from tests.helpers.sync import FLEET, TOKEN, Sleeps, counts, fleet_config, fleet_world, make_client

FIVE = """
settings: {backfill_days: 1}
projects:
""" + "".join(f"  p{i}: {{repo: ROCm/p{i}, category: core, workflows: [ci.yml]}}\n" for i in range(5))

GHOST = FLEET.replace("backfill_days: 7", "backfill_days: 60").replace("""  vllm:
    repo: ROCm/vllm""", """  ghost:
    repo: ROCm/ghost
    category: core
    workflows: [ci.yml]
  vllm:
    repo: ROCm/vllm""").replace("workflows: [rocm-build.yml, rocm-test.yml]",
                                "workflows: [rocm-build.yml, rocm-test.yml, missing.yml]")


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Silent:
    """Accepts TCP connections and never says a word."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self):
        for conn in self.accepted:
            conn.close()
        self.sock.close()


class _Answers:
    """Answers every request with one status (or `status_for(path)`), JSON body and headers; counts them."""

    def __init__(self, status: int, body: dict, headers: dict | None = None, status_for=None):
        outer = self
        self.count = 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - stdlib name
                outer.count += 1
                data = json.dumps(body).encode()
                self.send_response(status_for(self.path) if status_for else status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def store(tmp_path):
    with Store.open(tmp_path / "quartz.duckdb") as s:
        yield s


def _sync_five(store, url: str, **client_kw):
    sleeps = Sleeps()
    client = GitHubClient(url, TOKEN, sleep=sleeps, **client_kw)
    report = sync(fleet_config(FIVE), store, client, dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
    return report, client, sleeps


# ---------------------------------------------------------------- fail fast


def test_a_closed_port_stops_the_sync_after_three_projects_without_retrying(store):
    url = f"http://127.0.0.1:{_closed_port()}"
    report, client, sleeps = _sync_five(store, url)
    assert isinstance(report.fatal, GitHubDown) and not report.ok
    assert str(report.fatal) == (f"GitHub at {url} is unreachable (connection refused) — stopped after 3 projects, "
                                 "2 not tried")
    assert client.stats.requests == 3 and sleeps.waits == []  # one GET per project, no backoff
    assert report.skipped == ["p3", "p4"] and len(report.failures) == 3


def test_the_cli_last_line_names_the_cause_and_the_url(tmp_path, monkeypatch, capsys):
    (tmp_path / "cascades.yaml").write_text(FIVE)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    url = f"http://127.0.0.1:{_closed_port()}"
    code = cli.main(["sync", "--config", str(tmp_path / "cascades.yaml"), "--store", str(tmp_path / "q.duckdb"),
                     "--github-url", url])
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 1
    assert last == f"quartz sync: GitHub at {url} is unreachable (connection refused) — stopped after 3 projects, " \
                   "2 not tried"


def test_a_server_that_never_answers_costs_one_timeout_per_project_then_the_sync_stops(store):
    silent = _Silent()
    try:
        report, client, sleeps = _sync_five(store, silent.url, timeout=0.2)
    finally:
        silent.close()
    assert "is unreachable (no answer within 0.2 s) — stopped after 3 projects" in str(report.fatal)
    assert client.stats.requests == 3 and len(silent.accepted) == 3  # it never answered: no retry
    assert sleeps.waits == []


def test_a_timeout_from_a_server_that_answered_before_is_retried_once(cascade_fleet):
    fleet = cascade_fleet
    client = fleet.client(timeout=0.3)
    client.get("/repos/ROCm/rockrel")
    fleet.server.faults.hang(r"/actions/runs", "GET", seconds=2, times=1)
    assert client.get("/repos/ROCm/rockrel/actions/runs").status == 200  # the second try is answered
    fleet.server.faults.hang(r"/actions/runs", "GET", seconds=2, times=2)
    with pytest.raises(Unreachable, match=r"no answer within 0.3 s"):
        client.get("/repos/ROCm/rockrel/actions/runs")
    assert client.stats.requests == 5 and client.down_streak == 1


def test_a_server_answering_401_to_everything_stops_after_three_projects(store):
    server = _Answers(401, {"message": "Bad credentials"})
    try:
        report, client, _ = _sync_five(store, server.url)
    finally:
        server.close()
    assert server.count == 3 and client.stats.requests == 3
    assert str(report.fatal).startswith(f"GitHub at {server.url} rejected the token (401 bad credentials)")
    assert "stopped after 3 projects" in str(report.fatal)


def test_the_simulator_with_another_token_is_a_401_stop_too(store):
    world = fleet_world(history_days=1)
    with SimulatorServer(world, token="someone-elses-token") as server:
        report = sync(fleet_config(FIVE), store, make_client(server), world.now)
        assert server.request_count(status=401) == 3
    assert "rejected the token (401 bad credentials)" in report.stopped


def test_an_answer_in_between_resets_the_count(store):
    """Four 401s, but p2 is answered (404) in between: never three in a row, so every project is tried."""
    server = _Answers(401, {"message": "Bad credentials"}, status_for=lambda path: 404 if "/p2" in path else 401)
    try:
        report, client, _ = _sync_five(store, server.url)
    finally:
        server.close()
    assert report.fatal is None and report.skipped == []
    assert [name for name, _ in report.failures] == ["p0", "p1", "p2", "p3", "p4"]
    assert client.down_streak == 2


def test_a_403_names_the_permission_github_asks_for():
    server = _Answers(403, {"message": "Resource not accessible by integration"},
                      {"X-Accepted-GitHub-Permissions": "actions=read"})
    try:
        client = GitHubClient(server.url, TOKEN, sleep=Sleeps())
        with pytest.raises(Forbidden) as caught:
            client.get("/repos/ROCm/p0/actions/runs")
    finally:
        server.close()
    assert caught.value.permission == "actions: read"
    assert "Resource not accessible by integration" in str(caught.value)
    assert "lacks the permission actions: read" in str(caught.value)
    assert server.count == 1  # a plain 403 is not a rate limit: not retried, not waited for


# ---------------------------------------------------------------- 404 names the config line


def test_a_404_for_one_project_names_its_config_line_and_the_others_sync(tmp_path, monkeypatch, capsys):
    world = fleet_world(history_days=2)
    path = tmp_path / "cascades.yaml"
    path.write_text(GHOST)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with SimulatorServer(world, token=TOKEN) as server:
        code = cli.main(["sync", "--config", str(path), "--store", str(tmp_path / "q.duckdb"),
                         "--github-url", server.url])
    err = capsys.readouterr().err.strip().splitlines()
    repo_line = _line_of(GHOST, "repo: ROCm/ghost")
    workflow_line = _line_of(GHOST, "missing.yml")
    assert code == 1
    assert err[-2].startswith(f"quartz sync: pytorch failed: ROCm/pytorch: unknown workflow missing.yml in "
                              f"ROCm/pytorch ({path}:{workflow_line}): GitHub answered 404")
    assert err[-1].startswith(f"quartz sync: ghost failed: ROCm/ghost: unknown repository ROCm/ghost "
                              f"({path}:{repo_line}): GitHub answered 404")
    with Store.open(tmp_path / "q.duckdb", read_only=True) as store:
        synced = {r[0] for r in store.db.execute("SELECT DISTINCT project FROM workflow_runs").fetchall()}
    assert synced == {"rocm", "pytorch", "vllm"}  # pytorch's other workflows and every other project


# ---------------------------------------------------------------- the time budget


class _RequestClock:
    """Time is the number of requests the simulator has answered: one 'second' each."""

    def __init__(self, server):
        self.server = server

    def __call__(self) -> float:
        return float(self.server.request_count())


def _cycle(config, world, server, location, deadline):
    client = make_client(server)
    return cycle.run_cycle(config, location, client, "unused-site", None, world.now, render=False,
                           clock=lambda: world.now, deadline=deadline)


def test_a_cycle_out_of_time_leaves_work_for_the_next_which_finishes_it(tmp_path):
    config = fleet_config()
    world = fleet_world(history_days=10)
    location = str(tmp_path / "quartz.duckdb")
    with SimulatorServer(world, token=TOKEN) as server:
        clock = _RequestClock(server)
        first = _cycle(config, world, server, location, Deadline(40, clock))
        assert first.status == "ok" and first.sync.deferred and first.sync.skipped
        assert "Left for the next cycle" in first.markdown() and first.left_for_next()
        assert server.request_count() == 0.7 * 40  # no GET started after the sync share of the budget
        with Store.open(location, read_only=True) as store:
            partial = counts(store)["workflow_runs"]
        assert partial > 0  # what it synced was kept
        second = _cycle(config, world, server, location, Deadline(100_000, clock))
    assert second.status == "ok" and not second.sync.deferred and not second.left_for_next()
    with Store.open(location, read_only=True) as store:
        assert counts(store)["workflow_runs"] > partial
        with Store.open(tmp_path / "reference.duckdb") as reference:
            with SimulatorServer(world, token=TOKEN) as again:
                sync(config, reference, make_client(again), world.now)
            assert counts(store)["workflow_runs"] == counts(reference)["workflow_runs"]
            assert counts(store)["jobs"] == counts(reference)["jobs"]


def test_a_rate_limit_wait_past_the_deadline_is_not_slept(tmp_path):
    world = fleet_world(history_days=10)
    with SimulatorServer(world, token=TOKEN) as server, Store.open(tmp_path / "q.duckdb") as store:
        sleeps = Sleeps(world)
        client = make_client(server, store, sleep=sleeps, max_wait_s=4000)  # would wait, without a deadline
        server.set_rate_limit_remaining(40)
        report = sync(fleet_config(), store, client, world.now, deadline=Deadline(50, lambda: 0.0))
    assert sleeps.waits == []
    assert report.ok and "rate limit" in report.deferred and report.skipped


def test_a_deadline_already_passed_starts_nothing(tmp_path):
    world = fleet_world(history_days=1)
    with SimulatorServer(world, token=TOKEN) as server, Store.open(tmp_path / "q.duckdb") as store:
        ticks = iter(range(10**6))
        report = sync(fleet_config(), store, make_client(server, store), world.now,
                      deadline=Deadline(1, lambda: float(next(ticks)) * 10))
        assert server.request_count() == 0
    assert report.ok and report.skipped == ["rocm", "pytorch", "vllm"] and "ran out" in report.deferred


def test_the_cycle_deadline_defaults_to_80_percent_of_the_schedule():
    config = config_module.loads(FIVE.replace("backfill_days: 1", "backfill_days: 1, schedule_interval: 10m"))
    assert cycle.cycle_deadline(config, None, lambda: 0.0).budget == 480
    assert cycle.cycle_deadline(config, 30, lambda: 0.0).budget == 30


# ---------------------------------------------------------------- advance under a deadline


@pytest.fixture
def cascade_fleet(tmp_path):
    fleet = start_fleet(tmp_path)
    yield fleet
    fleet.server.stop()
    fleet.store.close()


def _passed() -> Deadline:
    return Deadline(1, iter([0.0] + [10.0] * 10**4).__next__)  # starts at 0; every later look is past it


def test_advance_out_of_time_leaves_the_cascade_run_for_the_next_cycle(cascade_fleet):
    fleet = cascade_fleet
    fleet.upstream_success()
    fleet.sync()
    report = dispatch.advance(fleet.config, fleet.store, fleet.client(), fleet.world.now, deadline=_passed())
    assert report.started == 1 and report.left == 1 and report.dispatched == 0
    assert fleet.dispatch_posts() == 0
    assert fleet.advance().dispatched == 1  # the next cycle, with time, dispatches it


def test_a_dispatch_is_not_started_past_the_deadline_and_stays_pending(cascade_fleet):
    fleet = cascade_fleet
    fleet.upstream_success()
    fleet.sync()
    started = dispatch.AdvanceReport()
    dispatch.start_triggered(fleet.config, fleet.store, fleet.world.now, fleet.server.url, started)
    client = fleet.client()
    [(snap, version)] = cascade_store.load_snapshots(fleet.store, fleet.world.now - engine.REOPEN_WINDOW)
    plan = engine.plan(fleet.config, snap, fleet.world.now, api_url=client.base_url)
    report = dispatch.AdvanceReport()
    dispatch.carry_out(fleet.store, client.pygithub_for_writes(), snap, version, plan, fleet.world.now, report,
                       None, None, _passed())
    assert report.dispatched == 0 and report.dispatches_left == 1 and fleet.dispatch_posts() == 0
    [cr] = fleet.cascade_runs()
    assert fleet.stages(cr["cascade_run_id"])["pytorch"]["status"] == "pending"  # not claimed: nothing to resolve
    assert fleet.advance().dispatched == 1 and fleet.dispatch_posts("pytorch") == 1


def test_a_cycle_against_a_closed_port_fails_naming_the_cause_and_keeps_its_store(tmp_path, monkeypatch, capsys):
    (tmp_path / "cascades.yaml").write_text(FIVE)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    url = f"http://127.0.0.1:{_closed_port()}"
    code = cli.main(["cycle", "--config", str(tmp_path / "cascades.yaml"), "--store", str(tmp_path / "q.duckdb"),
                     "--github-url", url, "--out", str(tmp_path / "site"), "--deadline", "60"])
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 1
    assert last.startswith(f"quartz cycle: sync failed: GitHub at {url} is unreachable (connection refused) — "
                           "stopped after 3 projects, 2 not tried")
    with Store.open(tmp_path / "q.duckdb", read_only=True) as store:
        [(status, error)] = store.db.execute("SELECT status, error FROM cycle_log").fetchall()
    assert status == "failed" and "connection refused" in error


def test_a_cycle_with_a_404_project_ends_with_that_projects_cause(tmp_path, monkeypatch, capsys):
    path = tmp_path / "cascades.yaml"
    path.write_text(GHOST)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with SimulatorServer(fleet_world(history_days=1), token=TOKEN) as server:
        code = cli.main(["cycle", "--config", str(path), "--store", str(tmp_path / "q.duckdb"),
                         "--github-url", server.url, "--out", str(tmp_path / "site")])
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 1
    assert last.startswith(f"quartz cycle: sync of ghost failed: ROCm/ghost: unknown repository ROCm/ghost "
                           f"({path}:{_line_of(GHOST, 'repo: ROCm/ghost')})")
