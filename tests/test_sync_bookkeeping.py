"""Sync's per-workflow questions answered for all workflows at once (quartz/sync/bookkeeping.py)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quartz.store.db import Store
from quartz.sync.bookkeeping import Bookkeeping

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
WORKFLOWS = [("ROCm/pytorch", "build.yml"), ("ROCm/pytorch", "test.yml"), ("ROCm/vllm", "test.yml")]
DEPTH = 3  # small, so the deep end of a listing is reached with a handful of runs

runs = st.lists(st.fixed_dictionaries({
    "workflow": st.sampled_from(WORKFLOWS),
    "minute": st.integers(0, 6),  # few distinct times: ties decide by run id
    "status": st.sampled_from(["completed", "in_progress", "queued", None]),
    "artifacts_synced": st.booleans(),
    "linked": st.sampled_from([None, "stage", "trigger"]),
}), max_size=25)


def _fill(store: Store, rows: list[dict]) -> None:
    for run_id, row in enumerate(rows, start=1):
        repo, workflow = row["workflow"]
        store.db.execute("INSERT INTO workflow_runs (run_id, repo, workflow_path, status, created_at, "
                         "artifacts_synced, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [run_id, repo, workflow, row["status"], T0 + dt.timedelta(minutes=row["minute"]),
                          row["artifacts_synced"], T0])
        if row["linked"] is None:
            continue
        store.db.execute("INSERT INTO cascade_runs (cascade_run_id, cascade, status, trigger_kind, "
                         "trigger_run_id, created_at, updated_at) VALUES (?, 'c', 'running', 'auto', ?, ?, ?)",
                         [f"c{run_id}", run_id if row["linked"] == "trigger" else None, T0, T0])
        if row["linked"] == "stage":
            store.db.execute("INSERT INTO cascade_stages (cascade_run_id, stage, status, run_id, updated_at) "
                             "VALUES (?, 's', 'running', ?, ?)", [f"c{run_id}", run_id, T0])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs)
def test_the_preloaded_answers_are_the_per_workflow_queries(rows):
    with tempfile.TemporaryDirectory() as scratch, Store.open(Path(scratch) / "q.duckdb") as store:
        _fill(store, rows)
        preloaded = Bookkeeping(store, DEPTH)
        asked = Bookkeeping(store, DEPTH)
        for repo, workflow in WORKFLOWS:
            asked.touch(repo, workflow)  # a touched workflow asks the store each question itself
            for question in ("newest", "open_beyond_first_page", "needing_artifacts"):
                assert getattr(preloaded, question)(repo, workflow) == getattr(asked, question)(repo, workflow), \
                    (question, repo, workflow)


def test_states_written_later_land_in_one_statement_and_an_immediate_write_wins(tmp_path):
    with Store.open(tmp_path / "q.duckdb") as store:
        book = Bookkeeping(store, DEPTH)
        assert book.state("runs:ROCm/vllm:test.yml") == {}
        quiet = {"scope": "runs:ROCm/vllm:test.yml", "watermark": T0, "backfilled_from": T0, "etag": 'W/"a"',
                 "last_synced_at": T0 + dt.timedelta(minutes=10)}
        book.put_state_later(quiet)
        book.put_state_later({**quiet, "scope": "runs:ROCm/pytorch:test.yml", "etag": None})
        book.put_state_later({**quiet, "scope": "runs:ROCm/pytorch:build.yml"})
        book.put_state({**quiet, "scope": "runs:ROCm/pytorch:build.yml", "etag": 'W/"now"'})  # later is dropped
        assert [row["scope"] for row in store.query("sync/states")] == ["runs:ROCm/pytorch:build.yml"]
        book.flush()
        states = {row["scope"]: row for row in store.query("sync/states")}
        assert states["runs:ROCm/vllm:test.yml"]["etag"] == 'W/"a"'
        assert states["runs:ROCm/vllm:test.yml"]["last_synced_at"] == T0 + dt.timedelta(minutes=10)
        assert states["runs:ROCm/pytorch:test.yml"]["etag"] is None
        assert states["runs:ROCm/pytorch:build.yml"]["etag"] == 'W/"now"'
        assert Bookkeeping(store, DEPTH).state("runs:ROCm/vllm:test.yml")["watermark"] == T0
