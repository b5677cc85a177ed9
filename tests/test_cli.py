"""The command line: help everywhere, a version, and exit codes 0 / 1 / 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from quartz import cli

REPO_ROOT = Path(__file__).resolve().parent.parent


def run(*args, cwd=REPO_ROOT, env=None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "quartz", *args], capture_output=True, text=True,
                          cwd=cwd, env=full_env, timeout=120)


def test_version():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("quartz ")


def test_no_command_prints_help_and_exits_2():
    result = run()
    assert result.returncode == 2
    assert "COMMAND" in result.stderr


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_every_command_has_help_with_config_and_store(command, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main([command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: quartz {command}" in out
    assert "--config" in out and "--store" in out


def test_unknown_option_exits_2():
    result = run("validate", "--no-such-flag")
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr


def test_validate_ok_exits_0():
    result = run("validate")
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


def test_validate_bad_file_exits_2_with_positions_and_annotations(tmp_path):
    bad = tmp_path / "cascades.yaml"
    bad.write_text("projects:\n  rocm: {repo: rockrel, category: core}\n")
    result = run("validate", "--config", str(bad), env={"GITHUB_ACTIONS": "true"})
    assert result.returncode == 2
    assert f"{bad}:2:" in result.stderr
    assert f"::error file={bad},line=2," in result.stdout


def test_validate_outside_actions_prints_no_annotations(tmp_path):
    bad = tmp_path / "cascades.yaml"
    bad.write_text("projects: [\n")
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    result = subprocess.run([sys.executable, "-m", "quartz", "validate", "--config", str(bad)],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2
    assert "::error" not in result.stdout
    assert "invalid YAML" in result.stderr


def test_schema_is_json_schema_that_accepts_the_fleet(tmp_path):
    import json

    import jsonschema
    import yaml

    out = tmp_path / "schema.json"
    assert run("schema", "-o", str(out)).returncode == 0
    schema = json.loads(out.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    fleet = yaml.safe_load((REPO_ROOT / "cascades.yaml").read_text())
    jsonschema.validate(fleet, schema)


def test_newer_store_fails_with_exit_1_and_a_message(tmp_path):
    import datetime as dt

    import duckdb

    from quartz.store.db import Store

    path = tmp_path / "q.duckdb"
    Store.open(path).close()
    db = duckdb.connect(str(path))
    db.execute("INSERT INTO schema_migrations VALUES (999, 'x', ?, '9.0.0')", [dt.datetime.now(dt.UTC)])
    db.close()
    result = run("status", "--store", str(path))
    assert result.returncode == 1
    assert "Upgrade Quartz" in result.stderr
    assert "Traceback" not in result.stderr
