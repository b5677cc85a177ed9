"""`quartz ingest`: TheRock's real reports are recorded field by field; bad or hostile ones change nothing."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from quartz import cli, config
from quartz.errors import BadInput
from quartz.rocm import ingest
from quartz.store.db import Store
from tests.helpers import rocmdata

FIXTURES = rocmdata.PAYLOADS
pytestmark = rocmdata.needs_rocm  # every test here feeds a real report
REPO = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 6, 20, tzinfo=dt.UTC)
PAYLOADS = sorted(FIXTURES.glob("*.json"))
TABLES = ("ingest_reports", "workflow_runs", "run_attempts", "jobs")


@pytest.fixture(scope="module")
def cfg():
    return config.load(REPO / "cascades.yaml")


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "quartz.duckdb") as s:
        yield s


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def snapshot(store) -> dict:
    return {t: sorted(map(repr, store.db.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES}


def t(value):
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def login(actor):
    return actor["login"] if actor else None


# ---------------------------------------------------------------- real reports


@pytest.mark.parametrize("path", PAYLOADS, ids=lambda p: p.stem)
def test_real_report_is_stored_field_by_field(cfg, store, path):
    payload = json.loads(text(path))
    run = payload["workflow_run"]
    result = ingest.ingest(cfg, store, text(path), fetch=False, now=NOW)
    assert result.outcome == "recorded"

    row = store.db.execute("SELECT * FROM ingest_reports").fetchall()
    assert len(row) == 1
    columns = [d[0] for d in store.db.description]
    stored = dict(zip(columns, row[0], strict=True))
    expected = {
        "run_id": run["id"], "run_attempt": run["run_attempt"], "repo": payload["repository"],
        "event_type": payload["event_type"], "workflow_path": run["path"], "workflow_id": run["workflow_id"],
        "name": run["name"], "display_title": run["display_title"], "event": run["event"],
        "head_branch": run["head_branch"], "head_sha": run["head_sha"], "run_number": run["run_number"],
        "status": run["status"], "conclusion": run["conclusion"], "html_url": run["html_url"],
        "created_at": t(run["created_at"]), "updated_at": t(run["updated_at"]),
        "run_started_at": t(run["run_started_at"]), "actor": login(run["actor"]),
        "triggering_actor": login(run["triggering_actor"]), "release_type": run["release_type"],
        "parent_run_id": run["parent_workflow"]["id"], "received_at": NOW, "first_received_at": NOW,
    }
    assert {k: stored[k] for k in expected} == expected
    assert json.loads(stored["inputs"]) == run["inputs"]
    assert json.loads(stored["captured_outputs"] or "null") == run["captured_outputs"]
    assert json.loads(stored["referenced_workflows"]) == run["referenced_workflows"]
    assert stored["jobs_from"] == ("payload" if run["jobs"] else "none")

    jobs = store.query("rocm/status_jobs", run_ids=[run["id"]])
    full = {r[0]: r for r in store.db.execute("SELECT job_id, runner_name, labels, created_at FROM jobs").fetchall()}
    assert len(jobs) == len(run["jobs"])
    for want, got in zip(sorted(run["jobs"], key=lambda j: j["id"]), jobs, strict=True):
        assert (got["job_id"], got["name"], got["status"], got["conclusion"]) == (
            want["id"], want["name"], want["status"], want["conclusion"])
        assert (got["started_at"], got["completed_at"]) == (t(want.get("started_at")), t(want.get("completed_at")))
        assert got["run_id"] == run["id"] and got["run_attempt"] == run["run_attempt"]
        _, runner, labels, created = full[want["id"]]
        assert (runner, json.loads(labels), created) == (want.get("runner_name"), want.get("labels", []),
                                                          t(want.get("created_at")))

    # The run as a whole: identity always; status and inputs only from the run's own workflow.
    whole = store.query_one("rocm/run_get", run_id=run["id"])
    r = store.db.execute("SELECT name, display_title, event, head_branch, head_sha, run_number, created_at, "
                         "html_url, actor, source, project, status, conclusion, workflow_path FROM workflow_runs"
                         ).fetchone()
    assert r[:10] == (run["name"], run["display_title"], run["event"], run["head_branch"], run["head_sha"],
                      run["run_number"], t(run["created_at"]), run["html_url"], run["actor"]["login"], "ingest")
    assert r[10] is None  # ROCm/Quartz-Tester is no configured project
    if ingest.is_nested(run):
        assert (r[11], r[12], r[13], whole["inputs"]) == ("in_progress", None, None, None)
    else:
        assert (r[11], r[12], r[13]) == (run["status"], run["conclusion"], "multi_arch_release.yml")
        assert json.loads(whole["inputs"]) == run["inputs"]


def test_all_reports_together_and_again_change_nothing(cfg, store):
    for path in PAYLOADS:
        assert ingest.ingest(cfg, store, text(path), fetch=False, now=NOW).outcome == "recorded"
    before = snapshot(store)
    assert len(before["ingest_reports"]) == len(PAYLOADS)
    for path in PAYLOADS:
        later = NOW + dt.timedelta(hours=1)
        assert ingest.ingest(cfg, store, text(path), fetch=False, now=later).outcome == "unchanged"
    assert snapshot(store) == before


def _in_progress_version(payload: dict) -> dict:
    early = copy.deepcopy(payload)
    early["event_type"] = "workflow_run_in_progress"
    early["workflow_run"].update(status="in_progress", conclusion=None, jobs=[], captured_outputs=None)
    return early


def test_in_progress_after_completed_changes_nothing(cfg, store):
    payload = json.loads(text(FIXTURES / "multi_arch_release_completed.json"))
    ingest.ingest(cfg, store, json.dumps(payload), fetch=False, now=NOW)
    before = snapshot(store)
    late = ingest.ingest(cfg, store, json.dumps(_in_progress_version(payload)), fetch=False,
                         now=NOW + dt.timedelta(minutes=5))
    assert late.outcome == "stale"
    assert snapshot(store) == before


def test_completed_after_in_progress_moves_the_run_forward(cfg, store):
    payload = json.loads(text(FIXTURES / "multi_arch_release_completed.json"))
    ingest.ingest(cfg, store, json.dumps(_in_progress_version(payload)), fetch=False, now=NOW)
    assert store.query_one("rocm/run_get", run_id=payload["workflow_run"]["id"])["status"] == "in_progress"
    assert ingest.ingest(cfg, store, json.dumps(payload), fetch=False, now=NOW).outcome == "updated"
    run = store.db.execute("SELECT status, conclusion FROM workflow_runs").fetchone()
    attempt = store.db.execute("SELECT status, conclusion FROM run_attempts").fetchone()
    assert run == attempt == ("completed", "success")
    assert store.db.execute("SELECT count(*), min(status) FROM ingest_reports").fetchone() == (1, "completed")


def test_an_older_attempt_never_replaces_a_newer_one(cfg, store):
    payload = json.loads(text(FIXTURES / "multi_arch_release_completed.json"))
    second = copy.deepcopy(payload)
    second["workflow_run"].update(run_attempt=2, conclusion="failure")
    ingest.ingest(cfg, store, json.dumps(second), fetch=False, now=NOW)
    ingest.ingest(cfg, store, json.dumps(payload), fetch=False, now=NOW)
    assert store.db.execute("SELECT run_attempt, conclusion FROM workflow_runs").fetchone() == (2, "failure")
    assert store.db.execute("SELECT count(*) FROM run_attempts").fetchone() == (2,)


def test_a_synced_run_keeps_its_data_and_learns_its_inputs(cfg, store):
    payload = json.loads(text(FIXTURES / "multi_arch_release_completed.json"))
    run_id = payload["workflow_run"]["id"]
    store.db.execute("INSERT INTO workflow_runs (run_id, repo, status, conclusion, source, fetched_at) "
                     "VALUES (?, 'ROCm/Quartz-Tester', 'completed', 'failure', 'sync', ?)", [run_id, NOW])
    ingest.ingest(cfg, store, json.dumps(payload), fetch=False, now=NOW)
    row = store.query_one("rocm/run_get", run_id=run_id)
    assert (row["source"], row["status"]) == ("sync", "completed")
    assert json.loads(row["inputs"]) == payload["workflow_run"]["inputs"]
    assert store.db.execute("SELECT conclusion FROM workflow_runs").fetchone() == ("failure",)


# ---------------------------------------------------------------- refused reports


def _base() -> dict:
    return json.loads(text(FIXTURES / "multi_arch_build_native_linux_packages_in_progress.json"))


def _mutate(change):
    def make():
        payload = _base()
        change(payload)
        return json.dumps(payload)
    return make


def _deep(levels: int):
    value: object = "x"
    for _ in range(levels):
        value = {"k": value}
    return value


HOSTILE = {
    "not json": lambda: "{not json",
    "a list": lambda: "[1, 2]",
    "empty": lambda: "   ",
    "NaN": lambda: text(FIXTURES / "multi_arch_release_completed.json").replace('"run_number": 39',
                                                                             '"run_number": NaN'),
    "too long": lambda: json.dumps({**_base(), "padding": "x" * 70_000}),
    "unknown event_type": _mutate(lambda p: p.update(event_type="push_event")),
    "event_type not a string": _mutate(lambda p: p.update(event_type=["workflow_run_completed"])),
    "no workflow_run": _mutate(lambda p: p.pop("workflow_run")),
    "workflow_run a string": _mutate(lambda p: p.update(workflow_run="run")),
    "id a string": _mutate(lambda p: p["workflow_run"].update(id="27833561910")),
    "id negative": _mutate(lambda p: p["workflow_run"].update(id=-1)),
    "attempt a boolean": _mutate(lambda p: p["workflow_run"].update(run_attempt=True)),
    "jobs an object": _mutate(lambda p: p["workflow_run"].update(jobs={"id": 1})),
    "job without id": _mutate(lambda p: p["workflow_run"].update(jobs=[{"name": "a", "status": "queued"}])),
    "inputs a list": _mutate(lambda p: p["workflow_run"].update(inputs=["a"])),
    "huge name": _mutate(lambda p: p["workflow_run"].update(name="n" * 5_000)),
    "huge input": _mutate(lambda p: p["workflow_run"]["inputs"].update(ref="r" * 20_000)),
    "deep nesting": _mutate(lambda p: p["workflow_run"]["inputs"].update(extra=_deep(10))),
    "NUL byte": _mutate(lambda p: p["workflow_run"].update(display_title="a\x00b")),
    "path outside workflows": _mutate(lambda p: p["workflow_run"].update(path="../../etc/passwd")),
    "script as path": _mutate(lambda p: p["workflow_run"].update(path=".github/workflows/<script>.yml")),
    "bad timestamp": _mutate(lambda p: p["workflow_run"].update(created_at="yesterday")),
    "bad status": _mutate(lambda p: p["workflow_run"].update(status="exploded")),
    "in progress with a conclusion": _mutate(lambda p: p["workflow_run"].update(conclusion="success")),
    "completed without conclusion": _mutate(lambda p: p.update(event_type="workflow_run_completed")),
    "too many jobs": _mutate(lambda p: p["workflow_run"].update(
        jobs=[{"id": i + 1, "name": "j", "status": "queued"} for i in range(ingest.MAX_JOBS + 1)])),
    "repository not allowed": _mutate(lambda p: p.update(repository="evil/repo")),
    "repository malformed": _mutate(lambda p: p.update(repository="ROCm/TheRock; rm -rf /")),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_report_is_refused_and_changes_nothing(cfg, store, name):
    ingest.ingest(cfg, store, text(FIXTURES / "multi_arch_release_completed.json"), fetch=False, now=NOW)
    before = snapshot(store)
    with pytest.raises(BadInput) as info:
        ingest.ingest(cfg, store, HOSTILE[name](), fetch=False, now=NOW)
    assert len(str(info.value)) < 2_000 and "\x00" not in str(info.value)
    assert snapshot(store) == before


def test_sender_must_be_allowed_when_the_config_names_senders(tmp_path, store):
    source = (REPO / "cascades.yaml").read_text(encoding="utf-8")
    path = tmp_path / "cascades.yaml"
    path.write_text(source.replace("  allowed_repos:", "  allowed_senders: ['quartz-hauly[bot]']\n  allowed_repos:", 1))
    strict = config.load(path)
    report = text(FIXTURES / "multi_arch_release_completed.json")
    with pytest.raises(BadInput, match="not accepted"):
        ingest.ingest(strict, store, report, fetch=False, now=NOW)  # falls back to the run's triggering actor
    with pytest.raises(BadInput, match="not accepted"):
        ingest.ingest(strict, store, report, fetch=False, now=NOW, sender="someone-else")
    assert snapshot(store) == {t: [] for t in TABLES}
    assert ingest.ingest(strict, store, report, fetch=False, now=NOW, sender="quartz-hauly[bot]").outcome == "recorded"


def test_script_in_names_is_stored_as_inert_text(cfg, store):
    payload = json.loads(text(FIXTURES / "multi_arch_release_completed.json"))
    hostile = '<script>alert("x")</script>"; DROP TABLE jobs; --'
    payload["workflow_run"]["display_title"] = hostile
    payload["workflow_run"]["jobs"][0]["name"] = hostile
    payload["workflow_run"]["inputs"]["ref"] = "$(curl evil) `id` ${{ secrets.X }}"
    ingest.ingest(cfg, store, json.dumps(payload), fetch=False, now=NOW)
    assert store.db.execute("SELECT display_title FROM workflow_runs").fetchone() == (hostile,)
    assert store.db.execute("SELECT count(*) FROM jobs WHERE name = ?", [hostile]).fetchone() == (1,)
    assert json.loads(store.query_one("rocm/run_get", run_id=payload["workflow_run"]["id"])["inputs"])["ref"] \
        == "$(curl evil) `id` ${{ secrets.X }}"


# ---------------------------------------------------------------- the command


def run_cli(tmp_path, payload: str, *extra: str) -> int:
    return cli.main(["ingest", "--config", str(REPO / "cascades.yaml"), "--store", str(tmp_path / "q.duckdb"),
                     "--payload-json", payload, *extra])


def test_cli_records_and_refuses_with_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("QUARTZ_INGEST_SENDER", raising=False)
    report = text(FIXTURES / "multi_arch_build_portable_linux_completed.json")
    assert run_cli(tmp_path, report) == 0
    assert "recorded, 57 jobs from payload" in capsys.readouterr().out
    before = (tmp_path / "q.duckdb").read_bytes()
    assert run_cli(tmp_path, json.dumps({**json.loads(report), "event_type": "bogus"})) == 2
    err = capsys.readouterr().err
    assert "event_type" in err and "workflow_run_completed" in err
    assert (tmp_path / "q.duckdb").read_bytes() == before  # refused before the store was opened
    assert run_cli(tmp_path, report) == 0
    assert "unchanged" in capsys.readouterr().out


def test_cli_refuses_a_bad_report_without_creating_a_store(tmp_path):
    assert run_cli(tmp_path, '{"event_type": "workflow_run_completed"}') == 2
    assert not (tmp_path / "q.duckdb").exists()
