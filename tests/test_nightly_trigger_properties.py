"""Property: however TheRock's reports of one nightly arrive (any order, repeated, re-run attempts, a newer
release run taking the day) and whenever advance looks, a nightly starts each cascade at most once, and the
Linux ROCm build's cascade exactly once when everything has arrived."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from quartz import config as config_module
from quartz.cascades import advance as dispatch
from quartz.cascades import nightly_trigger
from quartz.devtools import rockrel
from quartz.devtools.simulator import JobSpec, World
from quartz.rocm import ingest
from quartz.store.db import Store
from tests.test_nightly_trigger import FLEET

START = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
LATER = START + timedelta(hours=30)  # every report is in by then; the trigger window still holds
DATABASE = DirectoryBasedExampleDatabase(os.path.expanduser("~/.cache/quartz/hypothesis"))
PROPERTY = settings(max_examples=int(os.environ.get("QUARTZ_PROPERTY_EXAMPLES", "25")), deadline=None,
                    database=DATABASE, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CONFIG = config_module.loads(FLEET)


def _reports() -> list[str]:
    """One nightly's reports as TheRock sends them, plus a re-run attempt and a newer release run."""
    world = World(START - timedelta(hours=1), seed=5)
    repo = world.add_repo("ROCm/rockrel")
    world.add_workflow(repo, "multi_arch_release.yml", jobs=[JobSpec("build", int(4.5 * 3600))])
    rockrel.add_child_workflows(world, repo)
    orch = world.create_run(repo, "multi_arch_release.yml", "main", event="schedule", conclusion="success",
                            created_at=START)
    payloads = rockrel.RockrelNightly(world, "ROCm/rockrel", orch, build_date="20261128", seed=5).due(LATER)
    extra = []
    for text in payloads:
        report = json.loads(text)
        run = report["workflow_run"]
        if run["path"].endswith("test_artifacts.yml") and run["status"] == "completed" and not extra:
            run.update(run_attempt=2, conclusion="success" if run["conclusion"] == "failure" else "failure")
            extra.append(json.dumps(report))  # a family's ROCm tests re-run by hand
    for text in payloads:  # the whole nightly started again by hand: a newer run owns the day
        report = json.loads(text)
        run = report["workflow_run"]
        if run["id"] == orch.id and run["path"].endswith(("multi_arch_release.yml", "portable_linux.yml")):
            run["id"] = orch.id + 10**6
            run["html_url"] = run["html_url"].replace(str(orch.id), str(run["id"]))
            extra.append(json.dumps(report))
    return payloads + extra


REPORTS = _reports()
ACTIONS = st.lists(st.one_of(st.integers(0, len(REPORTS) - 1), st.just("advance")), max_size=60)


@pytest.mark.slow
@PROPERTY
@given(actions=ACTIONS)
def test_one_cascade_run_per_cascade_and_nightly_whatever_the_reports_do(actions):
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "quartz.duckdb") as store:
        report = dispatch.AdvanceReport()
        dispatch.start_triggered(CONFIG, store, START - timedelta(hours=1), "http://sim", report)  # cascades seen
        cycles = iter(LATER + timedelta(minutes=10 * n) for n in range(1000))  # each advance a cycle of its own
        for action in actions:
            if action == "advance":
                nightly_trigger.start_triggered(CONFIG, store, next(cycles), "http://sim", report)
            else:
                ingest.ingest(CONFIG, store, REPORTS[action], fetch=False, now=LATER)
            assert all(n == 1 for _, n in _runs_per_cascade(store))  # never a second run for the nightly
        for text in REPORTS:  # everything arrives in the end, some of it again
            ingest.ingest(CONFIG, store, text, fetch=False, now=LATER)
        for _ in range(2):
            nightly_trigger.start_triggered(CONFIG, store, next(cycles), "http://sim", report)
        counts = dict(_runs_per_cascade(store))
        assert counts["libs"] == 1 and counts.get("gpu", 0) <= 1
        claims = store.query("cascades/nightly_started", cascades=["libs", "gpu"])
        assert len(claims) == len(counts)
        assert {c["nightly_key"] for c in claims} == {"20261128"}


def _runs_per_cascade(store):
    rows = store.db.execute("SELECT cascade, count(*) FROM cascade_runs GROUP BY cascade").fetchall()
    return {(cascade, n) for cascade, n in rows}


def test_a_nightly_green_before_the_cascade_existed_does_not_start_it(tmp_path):
    """Adding a nightly-triggered cascade does not replay the nightlies already green (as run triggers)."""
    with Store.open(tmp_path / "quartz.duckdb") as store:
        for text in REPORTS:
            ingest.ingest(CONFIG, store, text, fetch=False, now=LATER)
        report = dispatch.AdvanceReport()
        dispatch.start_triggered(CONFIG, store, LATER, "http://sim", report)  # Quartz first sees the cascades now
        nightly_trigger.start_triggered(CONFIG, store, LATER, "http://sim", report)
        assert report.started == 0
        assert store.query("cascades/nightly_started", cascades=["libs", "gpu"]) == []
