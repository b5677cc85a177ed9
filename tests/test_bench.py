"""`quartz bench --quick`: the counts it reports are the right ones (never its times)."""

from __future__ import annotations

import json
import math

import pytest

from quartz import cli
from quartz.devtools.bench import bulk, fleet, report, sample_projects
from quartz.devtools.bench.fleet import Sizes
from quartz.devtools.simulator import SimulatorServer
from quartz.errors import BadInput
from quartz.github.client import GitHubClient
from quartz.store.db import Store
from quartz.sync import runs as sync

pytestmark = pytest.mark.slow

QUICK = Sizes.quick()


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    assert cli.main(["bench", "--quick", "--json", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_backfill_costs_one_request_per_run_plus_listing_pages(figures):
    ours = figures["backfill"]["quartz"]
    per_project = QUICK.runs_per_project
    listing = 1 + max(1, math.ceil(per_project / 100))  # page 1 polled, then the backfill window's pages
    assert ours["runs"] == QUICK.runs
    # Plus one request per failed job for its failure line; the download it redirects to costs no point.
    logs = ours["log_requests"]
    assert logs == ours["failure_lines"]
    assert ours["points"] == QUICK.runs + QUICK.projects * listing + logs
    assert ours["requests"] == ours["points"] + logs
    assert not figures["backfill"]["extrapolated"]
    assert figures["backfill"]["naive"]["runs"] == QUICK.runs
    assert figures["backfill"]["naive"]["points"] > ours["points"]


def test_steady_state_cycle_costs_no_rate_limit_points(figures):
    first, steady = figures["cycles"]["first"], figures["cycles"]["steady"]
    # After the bulk load nothing is new, but no ETag is cached yet: one paid page 1 per workflow.
    assert (first["github_requests"], first["github_points"]) == (QUICK.projects, QUICK.projects)
    assert (first["runs_new"], first["jobs"], first["log_requests"]) == (0, 0, 0)  # the bulk load has the lines
    assert (steady["github_requests"], steady["github_points"]) == (QUICK.projects, 0)
    assert steady["naive"]["points"] > 0
    # Three quiet cycles were measured; the one reported is their median.
    samples = steady["samples_seconds"]
    assert len(samples) == 3 and sum(steady["seconds"].values()) == sorted(samples)[1]
    assert "steady-state samples (s), median shown" in report.table(figures)


def test_new_run_cycle_reads_each_new_run_once_and_starts_the_cascade(figures):
    new = figures["cycles"]["new_run"]
    assert new["runs_new"] == QUICK.projects
    assert new["jobs"] == QUICK.projects * QUICK.jobs_per_run
    assert (new["cascades_started"], new["dispatched"]) == (1, 1)
    # Per workflow: page 1 and the new run's jobs; the trigger run's artifacts; the dispatch POST; one
    # request per failed job of the new runs.
    logs = new["log_requests"]
    assert logs == new["failure_lines"]
    assert new["github_points"] == new["github_requests"] - logs == 2 * QUICK.projects + 1 + 1 + logs
    assert new["naive"]["points"] > new["github_points"]


def test_sizes_and_goals_are_reported(figures):
    assert figures["bulk"]["runs"] == QUICK.runs and figures["bulk"]["jobs"] == QUICK.jobs
    cycles = figures["cycles"]
    assert cycles["store_bytes"] > 0 and cycles["index_bytes"] > 0 and cycles["site_files"] > 10
    assert all(cycles[name]["maxrss_bytes"] > 0 for name in ("first", "steady", "new_run", "incremental_render"))
    # Rendered over the steady-state site: only what the new runs changed is written again.
    assert 0 < cycles["incremental_render"]["written"] < cycles["incremental_render"]["unchanged"]
    assert set(cycles["first"]["seconds"]) == {"pull", "sync", "advance", "notify", "render", "push", "publish",
                                               "archive"}
    goals = {g["goal"]: g for g in figures["goals"]}
    assert goals["steady-state cycle: rate-limit points"]["met"]
    assert goals["backfill: requests per completed run"]["met"]
    assert figures["command"] == "quartz bench --quick"


def test_time_to_signal_is_measured_for_a_three_stage_cascade(figures):
    signal = figures["time_to_signal"]
    assert signal["hand_offs"] == 3 and len(signal["pings"]["seconds"]) == 3  # each ping dispatched its stage
    jobs = signal["job_triggers"]
    assert len(jobs["latency_s"]) == 3 and all(0 <= s <= signal["schedule_interval_s"] for s in jobs["latency_s"])
    assert all(s > 0 for s in jobs["dispatched_before_upstream_end_s"])  # before the upstream run ended
    assert "Time to signal" in report.table(figures) and "(a model:" in report.table(figures)
    goals = {g["goal"]: g for g in figures["goals"]}
    assert "ping: upstream done → downstream dispatched, Quartz's own time (s)" in goals


def test_test_reports_are_measured_apart(figures):
    reports = figures["test_reports"]
    assert reports["cases"] == 50_000 and reports["stored_cases"] == 150
    # Per completed run: the artifact listing and one /zip for its test-reports artifact (wheels do not match).
    assert reports["cost"]["ok"] and reports["cost"]["report_requests_per_run"] == 2.0
    assert reports["cost"]["downloads_free"] == reports["cost"]["runs"]
    assert 0 < reports["store"]["year_bytes"] < 150_000_000


def test_the_classifier_is_timed_per_mb_of_log(figures):
    found = figures["classifier"]
    assert found["logs"] == found["found"] == 3  # every synthetic tail has its failure line
    assert found["megabytes"] > 1 and found["seconds_per_mb"] > 0
    assert "Failure-line classifier" in report.table(figures)


def test_bulk_load_writes_the_rows_an_http_backfill_writes(tmp_path):
    sizes = Sizes(projects=2, days=2, runs_per_day=10, jobs_per_run=4)
    config = fleet.load_config(sizes)
    world = fleet.build_world(sizes, config)
    with SimulatorServer(world, token="t", rate_limit=10**6, html_url=bulk.HTML) as server, \
            Store.open(tmp_path / "synced.duckdb") as synced, Store.open(tmp_path / "bulk.duckdb") as loaded:
        client = GitHubClient(server.url, "t", sleep=lambda _s: None, clock=lambda: world.now_ts)
        assert sync.sync(config, synced, client, world.now).ok
        report = bulk.load_history(config, loaded, world, world.now, sizes.days + 1)
        assert (report.runs, report.jobs) == (sizes.runs, sizes.jobs)
        assert synced.db.execute("SELECT count(*) FROM failure_lines WHERE status = 'found'").fetchone()[0] > 0
        for sql in ("SELECT * EXCLUDE (fetched_at) FROM workflow_runs ORDER BY run_id",
                    "SELECT * FROM run_attempts ORDER BY run_id", "SELECT * FROM jobs ORDER BY job_id",
                    "SELECT * FROM workflows ORDER BY workflow_id", "SELECT * FROM projects ORDER BY name",
                    "SELECT scope, watermark, backfilled_from FROM sync_state ORDER BY scope",
                    "SELECT * EXCLUDE (fetched_at) FROM failure_lines ORDER BY job_id"):
            assert loaded.db.execute(sql).fetchall() == synced.db.execute(sql).fetchall(), sql


def test_backfill_is_sampled_on_whole_projects_when_history_is_large():
    assert sample_projects(QUICK) == fleet.project_names(QUICK)
    assert sample_projects(Sizes()) == ["p00"]  # 10,950 runs a project: one is measured, the rest extrapolated


def test_bad_sizes_are_refused(capsys):
    with pytest.raises(BadInput):
        Sizes(projects=0).check()
    assert cli.main(["bench", "--days", "0"]) == 2
    assert "--days must be at least 1" in capsys.readouterr().err


def test_json_into_a_missing_directory_is_refused_before_any_work(tmp_path, capsys):
    assert cli.main(["bench", "--quick", "--json", str(tmp_path / "nowhere" / "bench.json")]) == 2
    assert "its directory does not exist" in capsys.readouterr().err


def test_a_nightly_component_trigger_adds_no_request_to_a_cycle(figures):
    nightly = figures["nightly_trigger"]
    assert nightly["reports"] > 40 and nightly["cycles"] >= 40
    assert nightly["trigger_requests"] == 0
    assert 0 <= nightly["delay_minutes"] <= nightly["step_minutes"]  # the first cycle after the leaf turned green


def test_culprit_probes_reach_the_planted_verdict_and_count_their_cost(figures):
    found = figures["culprit"]
    assert {story: f["verdict_kind"] for story, f in found.items()} == {
        "broken_by": "broken_by", "flaky": "flaky", "needs_both": "needs_both"}
    # The re-run, then one put-back per changed upstream until one passes, then both together.
    assert [found[s]["probe_dispatches"] for s in ("flaky", "broken_by", "needs_both")] == [1, 2, 4]
    assert all(f["dispatch_posts"] == f["probe_dispatches"] and f["cycles_to_verdict"] >= f["probe_dispatches"]
               for f in found.values())


def test_the_rocm_nightly_pages_are_measured(figures):
    nightly = figures["nightlies"]
    assert (nightly["nightlies"], nightly["family_rows"]) == (30, 29)
    assert nightly["cells_per_nightly"] == 16 * 8 + 13 * 4
    # 30 nightly pages, 16 family pages and the list; nothing changed: no file written again.
    assert nightly["first"]["pages"] == 47 and nightly["unchanged"]["written"] == 0
