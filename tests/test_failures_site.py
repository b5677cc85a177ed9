"""Failure lines where a failure is shown: build pages, health cells, Failures page, cascades, `quartz status`.

Everything goes through the simulator over HTTP: sync stores the lines, render shows them.
"""

from __future__ import annotations

import html
import json
from datetime import timedelta

import pytest

from quartz.cascades import status as cascade_status
from quartz.devtools.simulator import SimulatorServer
from quartz.site.render import render
from quartz.store.db import Store
from quartz.sync.failurelines import sync_failure_lines
from quartz.sync.runs import sync
from tests.helpers.cascades import STEP, start_fleet, started_cascade
from tests.helpers.site import validate_json_files
from tests.helpers.sync import TOKEN, fleet_config, fleet_world, make_client

HOSTILE = "E       RuntimeError: HIP error: <script>alert(1)</script><img src=x onerror=alert(2)> & done"


class Synced:
    def __init__(self, world, server, store, tmp_path):
        self.world, self.server, self.store, self.tmp_path = world, server, store, tmp_path
        self.config = fleet_config()
        self.client = make_client(server, store)

    def sync(self):
        return sync(self.config, self.store, self.client, self.world.now)

    def failed_job(self, repo: str) -> dict:
        """The newest failed job of a repo, its stored line forgotten so the next pass reads its log again."""
        row = self.store.db.execute(
            "SELECT j.job_id, j.run_id FROM jobs j JOIN workflow_runs r USING (run_id) WHERE r.repo = ? AND "
            "j.conclusion = 'failure' ORDER BY j.completed_at DESC LIMIT 1", [repo]).fetchone()
        self.store.db.execute("DELETE FROM failure_lines WHERE job_id = ?", [row[0]])
        return {"job_id": row[0], "run_id": row[1]}

    def log(self, job: dict, line: str) -> None:
        stamp = "2026-11-19T10:00:0{}.0000000Z "
        self.world.job_logs[job["job_id"]] = (f"{stamp.format(0)}step 1: ok\n{stamp.format(1)}{line}\n"
                                              f"{stamp.format(2)}##[error]Process completed with exit code 1.\n")

    def render(self):
        sync_failure_lines(self.config, self.store, self.client, self.world.now)
        out = self.tmp_path / "site"
        render(self.config, self.store, out, self.world.now)
        return out


@pytest.fixture()
def synced(tmp_path):
    world = fleet_world(history_days=3)
    with SimulatorServer(world, token=TOKEN) as server:
        store = Store.open(tmp_path / "quartz.duckdb")
        # Fresh failures in two projects, so today's groups have something to group.
        for repo, workflow in (("ROCm/pytorch", "rocm-build.yml"), ("ROCm/rockrel", "multi_arch_release.yml")):
            world.create_run(repo, workflow, "main", conclusion="failure", created_at=world.now - timedelta(hours=3))
        world.advance(timedelta(minutes=5))
        env = Synced(world, server, store, tmp_path)
        env.sync()
        yield env
        store.close()


def test_a_hostile_log_line_stays_text_on_every_page(synced):
    job = synced.failed_job("ROCm/pytorch")
    synced.log(job, HOSTILE)
    out = synced.render()
    build = json.loads((out / f"api/v1/builds/{job['run_id']}.json").read_text())
    [failure] = [j["failure"] for a in build["attempts"] for j in a["jobs"] if j["job_id"] == job["job_id"]]
    assert failure["line"] == HOSTILE.strip() and failure["rule"] == "hip-error"
    assert failure["key"].startswith("hip-error: HIP error:") and failure["status"] == "found"
    pages = [out / f"builds/{job['run_id']}.html", out / "failures.html"]
    for page in pages:
        text = page.read_text()
        assert "<script>alert(1)" not in text and "<img src=x" not in text
        assert html.escape(HOSTILE.strip(), quote=False) in text


def test_the_build_page_links_the_job_and_says_the_line_number(synced):
    job = synced.failed_job("ROCm/pytorch")
    synced.log(job, "FAILED test/test_ops.py::test_conv2d - AssertionError: off by one")
    out = synced.render()
    text = (out / f"builds/{job['run_id']}.html").read_text()
    assert "line 2 of the job's log" in text and "AssertionError: off by one" in text
    assert f"/job/{job['job_id']}\" rel=\"noopener noreferrer\">open the job's log on GitHub</a>" in text


def test_builds_health_and_failures_json_validate_and_carry_the_line(synced):
    out = synced.render()
    checked, problems = validate_json_files(out)
    assert checked and problems == []
    health = json.loads((out / "api/v1/health.json").read_text())
    failing = [p["default"] for c in health["categories"] for p in c["projects"] if p["default"]["state"] == "failure"]
    assert failing and all(c["failure"] and c["failure"]["summary"] for c in failing)
    index = (out / "index.html").read_text()
    assert f'title="{html.escape(failing[0]["failure"]["summary"])}"' in index
    assert 'href="failures.html"' in index  # in the navigation


def test_the_same_failure_in_two_projects_is_one_group(synced):
    a, b = synced.failed_job("ROCm/pytorch"), synced.failed_job("ROCm/rockrel")
    synced.log(a, "E   RuntimeError: QUARTZ-GROUP broke at 0x7f3a2b1c in /__w/pytorch/aten/foo.py line 12")
    synced.log(b, "E   RuntimeError: QUARTZ-GROUP broke at 0x55aa0011 in /src/aten/foo.py line 907")
    out = synced.render()
    doc = json.loads((out / "api/v1/failures.json").read_text())
    [group] = [g for g in doc["groups"] if "QUARTZ-GROUP" in g["key"]]
    assert sorted(group["projects"]) == ["pytorch", "rocm"] and group["jobs"] == 2 and group["new"]
    assert group["summary"].startswith("seen in 2 projects since ")
    assert {o["job_id"] for o in group["occurrences"]} == {a["job_id"], b["job_id"]}
    assert doc["groups"] == sorted(doc["groups"], key=lambda g: (g["last_seen"], g["key_id"]), reverse=True)
    page = (out / "failures.html").read_text()
    assert f'id="k-{group["key_id"]}"' in page and "seen in 2 projects" in page


def test_a_key_seen_in_the_days_before_is_not_new(synced):
    old = synced.store.db.execute(
        "SELECT f.key_id FROM failure_lines f JOIN jobs j USING (job_id) WHERE f.status = 'found' "
        "AND j.completed_at < ? ORDER BY j.completed_at LIMIT 1", [synced.world.now - timedelta(days=1)]).fetchone()
    out = synced.render()
    groups = {g["key_id"]: g for g in json.loads((out / "api/v1/failures.json").read_text())["groups"]}
    assert old and old[0] in groups and groups[old[0]]["new"] is False


# ---------------------------------------------------------------- cascades: since the last good run


@pytest.fixture()
def fleet(tmp_path):
    fleet = start_fleet(tmp_path)
    yield fleet
    fleet.store.close()
    fleet.server.stop()


def test_a_failed_cascade_says_what_changed_since_the_last_good_run(fleet, tmp_path):
    good = started_cascade(fleet)
    assert fleet.run_until_done(good) == "success"
    fleet.world.advance(timedelta(hours=1))
    fleet.world.push("ROCm/rockrel", "main", message="Bump the compiler")  # a new ROCm; PyTorch unchanged
    fleet.upstream_success()
    for _ in range(6):  # the upstream run completes within a step or two
        fleet.cycle()
        if len(fleet.cascade_runs()) == 2:
            break
        fleet.world.advance(STEP)
    bad = fleet.cascade_runs()[-1]["cascade_run_id"]
    assert bad != good
    [pytorch_run] = [r for r in fleet.downstream_runs("pytorch") if r.id == fleet.stages(bad)["pytorch"]["run_id"]]
    fleet.world.force_outcome(pytorch_run.id, "failure")
    assert fleet.run_until_done(bad) == "failure"

    out = tmp_path / "site"
    render(fleet.config, fleet.store, out, fleet.world.now)
    cascade = json.loads((out / f"api/v1/cascades/{bad}.json").read_text())
    slg = cascade["since_last_good"]
    assert slg["last_good"]["id"] == good and slg["versions_known"]
    trigger = next(v for v in slg["versions"] if v["role"] == "trigger")
    assert trigger["changed"] and trigger["then"]["run_id"] != trigger["now"]["run_id"]
    assert trigger["compare_url"] == (f"https://github.com/ROCm/rockrel/compare/{trigger['then']['head_sha']}"
                                      f"...{trigger['now']['head_sha']}")
    pytorch = next(v for v in slg["versions"] if v["role"] == "stage pytorch")
    assert not pytorch["changed"] and pytorch["compare_url"] is None
    assert pytorch["then"]["head_sha"] == pytorch["now"]["head_sha"] != trigger["now"]["head_sha"]
    [flip] = slg["flipped"]
    assert (flip["stage"], flip["then"], flip["now"]) == ("pytorch", "success", "failure")
    assert "error: use of undeclared identifier" in flip["failure"]
    assert [f["stage"] for f in slg["new_failures"]] == ["pytorch"]
    stage = next(s for s in cascade["stages"] if s["name"] == "pytorch")
    assert "hipLaunchKernelGGL" in stage["reason"] and stage["failure"]["rule"] == "compiler-error"
    assert json.loads((out / f"api/v1/cascades/{good}.json").read_text())["since_last_good"] is None
    checked, problems = validate_json_files(out)
    assert problems == []
    page = (out / f"cascades/{bad}.html").read_text()
    assert "Since the last good run" in page and f"cascades/{good}.html" in page

    shown = cascade_status.format_one(cascade_status.one(fleet.store, bad))
    assert "hipLaunchKernelGGL" in next(line for line in shown.splitlines() if line.startswith("pytorch"))
