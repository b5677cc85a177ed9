"""`quartz start/advance/cancel/retry/status` as a person uses them, against the simulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from quartz import cli
from tests.helpers.cascades import FLEET, TOKEN, start_fleet, started_cascade

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fleet(tmp_path, monkeypatch):
    f = start_fleet(tmp_path)
    f.store.close()  # the CLI opens the store itself
    f.store = None
    config = tmp_path / "cascades.yaml"
    # PyGithub waits 1 s between writes in the CLI's client; commit statuses are covered elsewhere.
    config.write_text(FLEET.replace("report_status: true", "report_status: false"))
    f.config_path = str(config)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    yield f
    f.server.stop()
    if f.store is not None:
        f.store.close()


def quartz(fleet, *args) -> int:
    common = ["--config", fleet.config_path, "--store", fleet.path]
    command, rest = args[0], list(args[1:])
    github = ["--github-url", fleet.server.url] if command in ("start", "advance", "cancel", "retry") else []
    return cli.main([command, *common, *github, *rest])


def written(fleet) -> int:
    fleet.open()
    try:
        return fleet.store.db.execute("SELECT count(*) FROM cascade_runs").fetchone()[0]
    finally:
        fleet.store.close()
        fleet.store = None


@pytest.mark.parametrize("args,message", [
    (["relase", "--param", "release=7.10"], "unknown cascade 'relase'; did you mean 'release'?"),
    (["release"], "missing parameter 'release'"),
    (["release", "--param", "release=6.4"], "parameter 'release' is '6.4'; choose one of: 7.10, 7.9"),
    (["release", "--param", "release=7.10", "--param", "relaese=1"], "unknown parameter 'relaese'"),
    (["release", "--param", "release"], "--param 'release': write KEY=VALUE"),
    (["release", "--param", "release=7.9"], "ref 'release/2.9' does not exist in ROCm/pytorch"),
    (["nightly"], "pass --trigger-run RUN_ID (a run of ROCm/rockrel multi_arch_release.yml)"),
    (["nightly", "--trigger-run", "99"], "--trigger-run 99: no such run in ROCm/rockrel"),
])
def test_start_refuses_bad_input_writing_and_sending_nothing(fleet, capsys, args, message):
    assert quartz(fleet, "start", *args) == 2
    assert message in capsys.readouterr().err
    assert written(fleet) == 0
    assert fleet.server.request_count(method="POST") == 0


def test_start_prints_the_id_and_where_to_watch_it(fleet, capsys):
    assert quartz(fleet, "start", "release", "--param", "release=7.10") == 0
    out, err = capsys.readouterr()
    cid = out.strip()
    assert cid.startswith("release-")
    assert f"quartz status {cid}" in err
    assert f"https://quartz.example/cascades/{cid}.html" in err
    assert f"https://quartz.example/api/v1/cascades/{cid}.json" in err
    assert quartz(fleet, "advance") == 0
    assert "1 dispatched" in capsys.readouterr().out
    [run] = fleet.downstream_runs("pytorch")
    assert run.branch == "release/2.10" and run.inputs["rocm_run_id"] == "7.10"
    assert f"{cid}.pytorch.1" in run.display_title


def test_start_with_a_trigger_run(fleet, capsys):
    rocm = fleet.upstream_success()
    assert quartz(fleet, "start", "nightly", "--trigger-run", str(rocm)) == 0
    cid = capsys.readouterr().out.strip()
    assert quartz(fleet, "advance") == 0
    assert fleet.downstream_runs("pytorch")[0].inputs["rocm_run_id"] == str(rocm)
    # The upstream run already has its cascade run: a trigger never starts a second one.
    assert quartz(fleet, "advance") == 0
    assert written(fleet) == 1
    assert quartz(fleet, "start", "nightly", "--trigger-run", str(rocm)) == 2
    assert "already has a run for upstream run" in capsys.readouterr().err
    assert quartz(fleet, "status", cid) == 0


def test_status_lists_runs_and_explains_one(fleet, capsys):
    fleet.open()
    cid = started_cascade(fleet)
    fleet.store.close()
    fleet.store = None
    capsys.readouterr()
    assert quartz(fleet, "status") == 0
    out = capsys.readouterr().out
    assert cid in out and "nightly" in out and "0/5 ok, 5 open" in out
    assert quartz(fleet, "status", cid) == 0
    out = capsys.readouterr().out
    assert "pytorch" in out and "waiting for pytorch: dispatched" in out
    assert "timeline:" in out and "started" in out and "dispatched" in out
    assert quartz(fleet, "status", cid, "--json") == 0
    picture = json.loads(capsys.readouterr().out)
    assert picture["schema_version"] == 1 and picture["cascade_run"]["cascade_run_id"] == cid
    assert {s["stage"]: s["status"] for s in picture["stages"]}["pytorch"] == "dispatched"
    assert picture["cascade_run"]["upstream"]["rocm"]["run_id"] == picture["cascade_run"]["trigger_run_id"]
    assert quartz(fleet, "status", "--json") == 0
    assert json.loads(capsys.readouterr().out)["cascade_runs"][0]["cascade_run_id"] == cid
    assert quartz(fleet, "status", cid[:-1]) == 2
    assert f"did you mean '{cid}'" in capsys.readouterr().err


def test_cancel_and_retry_from_the_command_line(fleet, capsys):
    fleet.open()
    cid = started_cascade(fleet)
    fleet.store.close()
    fleet.store = None
    assert quartz(fleet, "cancel", cid) == 0
    assert "5 open stages" in capsys.readouterr().out
    assert quartz(fleet, "retry", cid, "pytorch") == 0
    assert "attempt 2" in capsys.readouterr().out
    assert quartz(fleet, "advance") == 0
    runs = fleet.downstream_runs("pytorch")
    assert len(runs) == 2 and f"{cid}.pytorch.2" in runs[1].display_title


def test_status_output_keeps_untrusted_text_inert():
    from quartz.cascades.status import format_one

    picture = {"cascade_run": {"cascade_run_id": "c", "cascade": "n", "status": "running", "trigger_kind": "auto",
                               "trigger_run_id": None, "created_at": None, "finished_at": None, "params": None},
               "stages": [{"stage": "s", "status": "failure", "attempt": 1, "run_url": None, "run_id": None,
                           "reason": "GitHub refused (422): \x1b[2J\x1b]0;owned\x07"}],
               "events": []}
    text = format_one(picture)
    assert "\x1b" not in text and "\x07" not in text


def test_a_second_process_cannot_advance_a_store_in_use(fleet):
    fleet.open()  # this process holds the store
    fleet.upstream_success()
    fleet.sync()
    env = {**os.environ, "GITHUB_TOKEN": TOKEN}
    result = subprocess.run(
        [sys.executable, "-m", "quartz", "advance", "--config", fleet.config_path, "--store", fleet.path,
         "--github-url", fleet.server.url], capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=120)
    assert result.returncode == 1
    assert "in use by another Quartz process" in result.stderr
    assert fleet.server.request_count(method="POST") == 0
