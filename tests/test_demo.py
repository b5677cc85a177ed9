"""`quartz demo`: the README's first command leaves a site with every kind of story in it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from quartz import config as config_module
from quartz.devtools import demo
from quartz.errors import BadInput
from quartz.store.db import Store

pytestmark = [pytest.mark.demo, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parent.parent
END = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    config = config_module.load(REPO_ROOT / "cascades.yaml")
    report = demo.run_demo(config, root / "quartz.duckdb", root / "site", days=4, seed=7, end=END,
                           say=lambda _text: None)
    return root, report


def test_demo_plays_passed_failed_and_running_cascades(demo_site):
    root, report = demo_site
    assert report.cycles >= 48
    assert {"success", "failure", "running"} <= set(report.cascade_runs)
    with Store.open(root / "quartz.duckdb", read_only=True) as store:
        rows = store.db.execute(
            "SELECT cr.cascade, cs.stage, cs.status, cs.reason FROM cascade_stages cs "
            "JOIN cascade_runs cr USING (cascade_run_id)").fetchall()
        reruns = store.db.execute("SELECT count(*) FROM workflow_runs WHERE run_attempt > 1").fetchone()[0]
    skipped = [r for r in rows if r[2] == "skipped"]
    assert skipped and all("pytorch failed" in r[3] for r in skipped if r[0] == "nightly")
    assert reruns >= 1, "the demo shows a run re-run by hand"


def test_demo_site_has_red_and_green_projects_and_fresh_data(demo_site):
    root, _ = demo_site
    health = json.loads((root / "site" / "api" / "v1" / "health.json").read_text())
    text = json.dumps(health)
    assert '"failure"' in text and '"success"' in text
    index = (root / "site" / "index.html").read_text()
    assert "Stale data" not in index
    assert (root / "site" / "cascades.html").is_file()


def test_demo_never_overwrites_a_store_it_did_not_make(tmp_path):
    real = tmp_path / "quartz.duckdb"
    Store.open(real).close()
    config = config_module.load(REPO_ROOT / "cascades.yaml")
    with pytest.raises(BadInput, match="was not made by `quartz demo`"):
        demo.run_demo(config, real, tmp_path / "site", days=4, end=END, say=lambda _t: None)
    assert real.exists()


def test_demo_command_says_how_to_look_at_the_site(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "quartz", "demo", "--config", str(REPO_ROOT / "cascades.yaml"),
         "--store", str(tmp_path / "demo.duckdb"), "--out", str(tmp_path / "site"), "--days", "3"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "quartz serve" in result.stdout and "index.html" in result.stdout


def test_demo_notifies_a_failure_opens_its_issue_and_closes_it_on_recovery(demo_site):
    root, report = demo_site
    sunk = json.loads((root / "site" / "demo-webhook.json").read_text())["messages"]
    assert report.messages["webhook"] == len(sunk) >= 1
    assert report.messages["opened"] >= 1 and report.messages["closed"] >= 1
    notes = json.loads((root / "site" / "api/v1/notifications.json").read_text())["notifications"]
    events = {n["event"] for n in notes}
    assert {"cascade_partial_failure", "cascade_recovered"} <= events or {"cascade_failed",
                                                                          "cascade_recovered"} <= events
    assert {n["status"] for n in notes} == {"sent"}


def test_demo_names_the_culprit_of_a_broken_vllm(demo_site):
    root, _ = demo_site
    with Store.open(root / "quartz.duckdb", read_only=True) as store:
        searches = store.db.execute("SELECT status, verdict_kind, verdict FROM culprit_searches "
                                    "WHERE stage = 'vllm' AND status = 'done'").fetchall()
    assert any(kind == "broken_by" and verdict.startswith("broken by pytorch: vllm passes with last good pytorch")
               for _, kind, verdict in searches), searches
    notes = json.loads((root / "site" / "api/v1/notifications.json").read_text())["notifications"]
    assert "culprit_verdict" in {n["event"] for n in notes}
