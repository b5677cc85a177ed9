"""status.json folded report by report: each report's own job list, in arrival order, under the owner's gate.

ROCm/Quartz writes the file as each report arrives, reading the job list that report carried; these tests send
reports shaped as TheRock's notify_quartz sends them through `quartz ingest` and check the rules that make our
document the same as theirs where a fold over the final state would differ.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from quartz import config
from quartz.rocm import ingest, statusjson
from quartz.store.db import Store

REPO_ROOT = Path(__file__).resolve().parent.parent
DAY = "20260905"
T0 = dt.datetime(2026, 9, 5, 0, 0, 5, tzinfo=dt.UTC)
OWNER, PYTORCH_LINUX, PYTORCH_WINDOWS = 500, 520, 530
VERSION = f"7.13.0a{DAY}"


@pytest.fixture(scope="module")
def cfg():
    return config.load(REPO_ROOT / "cascades.yaml")


@pytest.fixture
def store():
    with Store.open(":memory:") as s:
        yield s


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def z(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def job(name: str, start: int, end: int | None, conclusion: str | None = None) -> dict:
    out = {"id": abs(hash((name, start))) % 10**9, "name": name, "status": "completed" if end else "in_progress",
           "conclusion": conclusion if end else None, "started_at": z(at(start))}
    if end:
        out["completed_at"] = z(at(end))
    return out


def send(cfg, store, run_id: int, path: str, minutes: int, inputs: dict, *, conclusion: str | None = None,
         jobs=(), attempt: int = 1, fetched=None) -> str:
    run = {"id": run_id, "run_attempt": attempt, "path": f".github/workflows/{path}", "name": "Release",
           "status": "completed" if conclusion else "in_progress", "conclusion": conclusion,
           "created_at": z(T0), "run_started_at": z(T0), "updated_at": z(at(minutes)), "event": "workflow_dispatch",
           "head_branch": "main", "head_sha": "0" * 40, "run_number": 1, "workflow_id": 1,
           "html_url": f"https://github.com/ROCm/rockrel/actions/runs/{run_id}", "actor": {"login": "bot", "id": 1},
           "inputs": {"release_type": "nightly", "rocm_version": VERSION, **inputs}, "release_type": "nightly",
           "jobs": list(jobs), "referenced_workflows": []}
    payload = {"event_type": "workflow_run_completed" if conclusion else "workflow_run_in_progress",
               "repository": "ROCm/rockrel", "workflow_run": run}
    client = _Jobs(fetched) if fetched is not None else None
    return ingest.ingest(cfg, store, json.dumps(payload), fetch=fetched is not None, now=at(minutes) +
                         dt.timedelta(seconds=1), client=client).outcome


class _Jobs:
    def __init__(self, jobs):
        self.jobs = jobs

    def pages(self, path, params):
        import types
        yield types.SimpleNamespace(body={"jobs": self.jobs})


def start_release(cfg, store):
    send(cfg, store, OWNER, "multi_arch_release.yml", 0, {})


LINK = {"artifact_run_id": str(OWNER)}
CELL = "Build | py 3.12 | torch release/2.10"


def pytorch_test_leaf(store, cfg, platform: str, family: str) -> dict:
    return statusjson.build(store, cfg, DAY)["pipelines"]["pytorch"]["test"][platform][family]


# ---------------------------------------------------------------- each report's own snapshot


def test_a_finished_leaf_never_goes_back_to_running_on_an_older_snapshot(cfg, store):
    start_release(cfg, store)
    test = {"amdgpu_family": "gfx94X-dcgpu", "test_runs_on": "linux-mi300", **LINK}
    send(cfg, store, 510, "test_artifacts.yml", 90, test, conclusion="failure")
    assert send(cfg, store, 510, "test_artifacts.yml", 30, test) == "stale"  # a late start report, logged all the same
    leaf = statusjson.build(store, cfg, DAY)["pipelines"]["rocm"]["test"]["linux"]["gfx94X-dcgpu"]
    assert (leaf["status"], leaf["completed_at"]) == ("failure", z(at(90)))


def test_a_test_leaf_keeps_the_view_of_the_report_that_closed_it_not_the_runs_final_jobs(cfg, store):
    """The run's release-level report closed the family's leaf at 3:00; jobs that finished later in the same run
    (seen only by the store's job table) do not reopen or re-time it."""
    start_release(cfg, store)
    families = {"amdgpu_families": "gfx94X-dcgpu", **LINK}
    test = {"amdgpu_family": "gfx94X-dcgpu", "test_runs_on": "linux-mi300", **LINK}
    build = job(CELL, 10, 100, "success")
    first = job(f"{CELL} / Test | gfx94X-dcgpu | linux-mi300", 110, 170, "failure")
    send(cfg, store, PYTORCH_LINUX, "test_pytorch_wheels.yml", 110, test)
    send(cfg, store, PYTORCH_LINUX, "multi_arch_release_linux_pytorch_wheels.yml", 180, families,
         conclusion="failure", jobs=[build, first])
    leaf = pytorch_test_leaf(store, cfg, "linux", "gfx94X-dcgpu")
    assert (leaf["status"], leaf["completed_at"]) == ("failure", z(at(180)))
    assert [(c["py"], c["status"]) for c in leaf["variants"]] == [("3.12", "failure")]


def test_cells_keep_the_place_where_they_were_first_seen(cfg, store):
    start_release(cfg, store)
    base = {"amdgpu_family": "gfx1151", "test_runs_on": "linux-strix", **LINK}
    # The nightly cell's own call announces itself first (its cell from its inputs), then the run's snapshot.
    send(cfg, store, PYTORCH_LINUX, "test_pytorch_wheels.yml", 50, {**base, "python_version": "3.11",
                                                                     "torch_version": "nightly"})
    jobs = [job("Build | py 3.12 | torch release/2.10 / Test | gfx1151 | linux-strix", 40, 70, "success"),
            job("Build | py 3.11 | torch nightly / Test | gfx1151 | linux-strix", 50, 80, "failure")]
    send(cfg, store, PYTORCH_LINUX, "test_pytorch_wheels.yml", 81, {**base, "python_version": "3.11",
                                                                     "torch_version": "nightly"},
         conclusion="failure", jobs=jobs)
    cells = pytorch_test_leaf(store, cfg, "linux", "gfx1151")["variants"]
    assert [(c["py"], c["torch"], c["status"]) for c in cells] == [("3.11", "nightly", "failure"),
                                                                     ("3.12", "release/2.10", "success")]


def test_a_family_without_a_runner_sent_nowhere_is_closed_by_its_own_runs_release_report(cfg, store):
    """A Windows family with no GPU runner has an empty runner label, so its test lands in the Linux slot; the
    Windows release report of that same run closes it there (its completed_at), as ROCm/Quartz does."""
    start_release(cfg, store)
    windows = {"amdgpu_families": "gfx906", **LINK}
    name = f"{CELL} / Test | gfx906 | none"
    send(cfg, store, PYTORCH_WINDOWS, "test_pytorch_wheels.yml", 60,
         {"amdgpu_family": "gfx906", "test_runs_on": "", **LINK}, conclusion="success",
         jobs=[job(CELL, 10, 50, "success"), job(name, 52, 58, "success")])
    send(cfg, store, PYTORCH_WINDOWS, "multi_arch_release_windows_pytorch_wheels.yml", 75, windows,
         conclusion="success", jobs=[job(CELL, 10, 50, "success"), job(name, 52, 58, "success")])
    leaf = pytorch_test_leaf(store, cfg, "linux", "gfx906")
    assert (leaf["run_id"], leaf["status"], leaf["completed_at"]) == (PYTORCH_WINDOWS, "success", z(at(75)))


def test_a_test_call_reads_its_whole_runs_test_jobs_as_rocm_quartz_does(cfg, store):
    """One family's test call carries the job list of the whole run; ROCm/Quartz scopes cells to a family only
    for a report naming several, so a single family's leaf counts every family's test jobs of that cell."""
    start_release(cfg, store)
    jobs = [job(f"{CELL} / Test | gfx94X-dcgpu | linux-mi300", 20, 30, "success"),
            job(f"{CELL} / Test | gfx1151 | linux-strix", 20, 35, "failure")]
    send(cfg, store, PYTORCH_LINUX, "test_pytorch_wheels.yml", 40,
         {"amdgpu_family": "gfx94X-dcgpu", "test_runs_on": "linux-mi300", **LINK}, conclusion="success", jobs=jobs)
    cells = pytorch_test_leaf(store, cfg, "linux", "gfx94X-dcgpu")["variants"]
    assert [c["status"] for c in cells] == ["failure"]


def test_jobs_fetched_for_a_running_report_are_not_its_snapshot(cfg, store):
    start_release(cfg, store)
    test = {"amdgpu_family": "gfx94X-dcgpu", "test_runs_on": "linux-mi300", **LINK}
    send(cfg, store, PYTORCH_LINUX, "test_pytorch_wheels.yml", 20, test,
         fetched=[job(f"{CELL} / Test | gfx94X-dcgpu | linux-mi300", 10, 15, "failure")])
    leaf = pytorch_test_leaf(store, cfg, "linux", "gfx94X-dcgpu")
    assert "variants" not in leaf and leaf["status"] == "in_progress"


# ---------------------------------------------------------------- the arrival log


def test_a_report_sent_again_is_applied_again_as_there(cfg, store):
    """ROCm/Quartz applies every dispatch: a leaf that came before the release run claimed the day counts once it
    is sent again afterwards (with the job list it carried the first time)."""
    test = {"amdgpu_family": "gfx94X-dcgpu", "test_runs_on": "linux-mi300", **LINK}
    send(cfg, store, 510, "test_artifacts.yml", 90, test, conclusion="failure")
    start_release(cfg, store)
    assert statusjson.build(store, cfg, DAY)["pipelines"] == {}
    assert send(cfg, store, 510, "test_artifacts.yml", 90, test, conclusion="failure") == "unchanged"
    leaf = statusjson.build(store, cfg, DAY)["pipelines"]["rocm"]["test"]["linux"]["gfx94X-dcgpu"]
    assert (leaf["status"], leaf["completed_at"]) == ("failure", z(at(90)))
    assert store.db.execute("SELECT count(*) FROM ingest_report_log").fetchone()[0] == 3


def test_a_store_from_before_the_log_gets_one_entry_per_report_it_kept(cfg, tmp_path):
    path = tmp_path / "old.duckdb"
    with Store.open(path) as store:
        start_release(cfg, store)
        send(cfg, store, 510, "test_artifacts.yml", 90,
             {"amdgpu_family": "gfx94X-dcgpu", "test_runs_on": "linux-mi300", **LINK}, conclusion="success")
        before = statusjson.build(store, cfg, DAY)
        store.db.execute("DROP TABLE ingest_report_log")
        store.db.execute("DELETE FROM schema_migrations WHERE version = 130")
    with Store.open(path) as store:
        assert store.db.execute("SELECT count(*) FROM ingest_report_log").fetchone()[0] == 2
        assert statusjson.build(store, cfg, DAY)["pipelines"] == before["pipelines"]


def test_package_links_that_arrive_before_the_build_stand_until_a_build_of_another_run(cfg, store):
    """The platform's link block is kept as reports arrive: a package report before any rocm build writes its
    link; the first build does not take it away; a build of a different run afterwards starts the block afresh."""
    start_release(cfg, store)
    families = {"dist_amdgpu_families": "gfx94X-dcgpu", "amdgpu_family": "", **LINK}
    send(cfg, store, 507, "multi_arch_build_native_linux_packages.yml", 40,
         {"native_package_type": "deb", **families}, conclusion="success")
    send(cfg, store, 505, "multi_arch_build_portable_linux.yml", 60, families, conclusion="success")
    deb = "https://therock-nightly-artifacts.s3.amazonaws.com/500-linux/packages/deb/"
    assert statusjson.build(store, cfg, DAY)["summary"]["linux"]["urls"]["deb"] == deb
    send(cfg, store, 509, "multi_arch_build_portable_linux.yml", 90, families, conclusion="success")
    assert "deb" not in statusjson.build(store, cfg, DAY)["summary"]["linux"]["urls"]
