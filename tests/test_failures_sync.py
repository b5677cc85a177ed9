"""Failure lines through the simulator over HTTP: fetched once per failed job, capped, never with the token."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest

from quartz import config as config_module
from quartz.config import ConfigError
from quartz.devtools.simulator import SimulatorServer, World
from quartz.failures import MAX_TAIL_BYTES
from quartz.github.client import GitHubClient
from quartz.store.db import Store
from quartz.sync.failurelines import sync_failure_lines
from quartz.sync.runs import sync
from tests.helpers.sync import FLEET, TOKEN, fleet_config, fleet_world, make_client

LOGS = r"/actions/jobs/\d+/logs"


@dataclass
class Env:
    world: World
    server: SimulatorServer
    store: Store
    client: GitHubClient
    config: object

    def sync(self):
        return sync(self.config, self.store, self.client, self.world.now)

    def rows(self, where: str = "TRUE", *params) -> list[dict]:
        cursor = self.store.db.execute(f"SELECT * FROM failure_lines WHERE {where} ORDER BY job_id", list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def failed_jobs(self) -> list[int]:
        return [r[0] for r in self.store.db.execute(
            "SELECT job_id FROM jobs JOIN workflow_runs USING (run_id) WHERE jobs.conclusion IN "
            "('failure', 'timed_out') AND workflow_runs.status = 'completed' ORDER BY job_id").fetchall()]


@pytest.fixture()
def env(tmp_path):
    world = fleet_world(history_days=10)
    with SimulatorServer(world, token=TOKEN) as server:
        store = Store.open(tmp_path / "quartz.duckdb")
        yield Env(world, server, store, make_client(server, store), fleet_config())
        store.close()


def test_every_failed_job_gets_its_line_with_one_request_each_and_no_token_downloads(env):
    report = env.sync()
    failed = env.failed_jobs()
    assert report.ok and failed and report.failure_lines == len(failed)
    assert report.log_requests == len(failed) == env.server.request_count("GET", LOGS)
    rows = env.rows()
    assert [r["job_id"] for r in rows] == failed
    assert {r["status"] for r in rows} == {"found"}
    assert {r["rule"] for r in rows} <= {"compiler-error", "hip-error"}
    some = rows[0]
    assert some["line"] and some["line_number"] >= 1 and some["key"].startswith(some["rule"] + ":")
    assert len(json.loads(some["context"])) <= 5 and len(some["key_id"]) == 16
    # Every pre-signed download was answered (the simulator refuses one that carries a token with 400),
    # with the tail asked for by Range.
    downloads = [r for r in env.server.requests if "/_downloads/" in r.path]
    assert len(downloads) == len(failed) and {r.status for r in downloads} == {206}


def test_a_second_sync_asks_for_no_log(env):
    env.sync()
    before = env.rows()
    env.server.reset_counters()
    report = env.sync()
    assert report.failure_lines == 0 and report.log_requests == 0
    assert env.server.request_count("GET", LOGS) == 0 and env.rows() == before


def test_the_backlog_is_worked_through_newest_first_over_cycles(env):
    env.sync()
    failed = env.failed_jobs()
    env.store.db.execute("DELETE FROM failure_lines")
    first = sync_failure_lines(env.config, env.store, env.client, env.world.now, max_jobs=5)
    newest = [r[0] for r in env.store.db.execute(
        "SELECT job_id FROM jobs WHERE conclusion IN ('failure', 'timed_out') "
        "ORDER BY completed_at DESC, job_id DESC LIMIT 5").fetchall()]
    assert first.stored == 5 and sorted(r["job_id"] for r in env.rows()) == sorted(newest)
    while sync_failure_lines(env.config, env.store, env.client, env.world.now, max_jobs=5).stored:
        pass
    assert [r["job_id"] for r in env.rows()] == failed


def test_expired_and_missing_logs_are_said_so_and_not_asked_again(env):
    env.sync()
    job, run = env.store.db.execute("SELECT job_id, run_id FROM failure_lines ORDER BY job_id LIMIT 1").fetchone()
    env.store.db.execute("DELETE FROM failure_lines WHERE job_id = ?", [job])
    # A job GitHub does not know (404): copy a stored job's row under an id the simulator never issued.
    env.store.db.execute("INSERT INTO jobs SELECT 999 AS job_id, * EXCLUDE (job_id) FROM jobs WHERE job_id = ?",
                         [job])
    env.world.advance(timedelta(days=91))  # past the 90 days GitHub keeps logs
    report = sync_failure_lines(env.config, env.store, env.client, env.world.now)
    assert (report.expired, report.missing, report.errors) == (1, 1, [])
    assert {r["job_id"]: (r["status"], r["line"]) for r in env.rows("run_id = ?", run)}[job] == ("expired", None)
    assert env.rows("job_id = 999")[0]["status"] == "missing"
    env.server.reset_counters()
    assert sync_failure_lines(env.config, env.store, env.client, env.world.now).stored == 0
    assert env.server.request_count("GET", LOGS) == 0


def _one_failed_job(env) -> int:
    env.sync()
    job = env.rows()[0]["job_id"]
    env.store.db.execute("DELETE FROM failure_lines WHERE job_id = ?", [job])
    return job


def test_only_a_capped_tail_is_read_and_never_stored_whole(env):
    job = _one_failed_job(env)
    filler = "".join(f"2026-11-19T10:00:00.0000000Z step {n}: ok {'x' * 80}\n" for n in range(30_000))
    early = "2026-11-19T09:00:00.0000000Z E   RuntimeError: HIP error: far too early to be read\n"
    env.world.job_logs[job] = early + filler + "2026-11-19T11:00:00.0000000Z ninja: build stopped: subcommand failed.\n"
    assert len(env.world.job_logs[job]) > 4 * MAX_TAIL_BYTES
    sync_failure_lines(env.config, env.store, env.client, env.world.now)
    row = env.rows("job_id = ?", job)[0]
    assert row["status"] == "found" and row["rule"] == "ninja-stopped"
    assert row["line_number"] is None  # a cut log numbers its lines from the cut: no honest number
    stored = env.store.db.execute("SELECT sum(length(coalesce(line, '')) + length(coalesce(context::VARCHAR, '')))"
                                  " FROM failure_lines").fetchone()[0]
    assert stored < 20_000  # lines, not logs


def test_a_log_without_a_known_failure_is_stored_as_none(env):
    job = _one_failed_job(env)
    env.world.job_logs[job] = "2026-11-19T10:00:00.0000000Z all good here\n"
    sync_failure_lines(env.config, env.store, env.client, env.world.now)
    row = env.rows("job_id = ?", job)[0]
    assert (row["status"], row["line"], row["key"]) == ("none", None, None)


def test_the_fleets_own_rule_wins(env):
    job = _one_failed_job(env)
    env.world.job_logs[job] = ("2026-11-19T10:00:00.0000000Z QUARTZ-CANARY tripped at 0xdeadbeef\n"
                               "2026-11-19T10:00:01.0000000Z ninja: build stopped: subcommand failed.\n")
    config = config_module.loads(FLEET + "failure_rules:\n  - {name: canary, pattern: 'QUARTZ-CANARY', "
                                 "priority: 2000}\n", "cascades.yaml")
    sync_failure_lines(config, env.store, env.client, env.world.now)
    row = env.rows("job_id = ?", job)[0]
    assert row["rule"] == "canary" and row["key"] == "canary: QUARTZ-CANARY tripped at 0x<hex>"


def test_an_invalid_failure_rule_is_a_validation_error_with_its_line():
    text = FLEET + ("failure_rules:\n"
                    "  - {name: fine, pattern: 'boom', priority: 700}\n"
                    "  - name: broken\n"
                    "    pattern: 'HIP error: (unclosed'\n"
                    "    priority: 800\n")
    line = text.splitlines().index("    pattern: 'HIP error: (unclosed'") + 1
    with pytest.raises(ConfigError) as caught:
        config_module.loads(text, "cascades.yaml")
    [problem] = caught.value.problems
    assert (problem.line, problem.path) == (line, ("failure_rules", 1, "pattern"))
    assert "does not compile" in problem.message and str(problem).startswith(f"cascades.yaml:{line}:")


def test_the_pass_stops_at_its_time_budget_and_the_rest_waits_a_cycle(env):
    env.sync()
    env.store.db.execute("DELETE FROM failure_lines")
    ticks = iter(range(0, 100_000, 100))  # every look at the clock: 100 s later
    report = sync_failure_lines(env.config, env.store, env.client, env.world.now, max_seconds=150,
                                clock=lambda: next(ticks))
    assert report.stored == 1 and len(env.rows()) == 1
    assert sync_failure_lines(env.config, env.store, env.client, env.world.now).stored == len(env.failed_jobs()) - 1


def test_a_fleet_rule_with_a_tier_ranks_as_that_kind_of_line(env):
    job = _one_failed_job(env)
    env.world.job_logs[job] = ("2026-11-19T10:00:00.0000000Z KeyError: 'gfx950'\n"
                               "2026-11-19T10:00:01.0000000Z QUARTZ-WRAPPER gave up after 3 tries\n")
    rule = "failure_rules:\n  - {name: wrapper, pattern: '^QUARTZ-WRAPPER gave up', priority: 9000, tier: %s}\n"
    config = config_module.loads(FLEET + rule % "consequence", "cascades.yaml")
    sync_failure_lines(config, env.store, env.client, env.world.now)
    assert env.rows("job_id = ?", job)[0]["rule"] == "python-exception"  # the cause, not the wrapper's note
    env.store.db.execute("DELETE FROM failure_lines")
    sync_failure_lines(config_module.loads(FLEET + rule % "cause", "cascades.yaml"), env.store, env.client,
                       env.world.now)
    assert env.rows("job_id = ?", job)[0]["rule"] == "wrapper"
    with pytest.raises(ConfigError) as caught:
        config_module.loads(FLEET + rule % "reason", "cascades.yaml")
    assert any(p.path[:2] == ("failure_rules", 0) and "tier" in str(p) for p in caught.value.problems)
