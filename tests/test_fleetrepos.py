"""The App token's repository list: stage repos and trigger repos of one owner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from quartz import config
from quartz.github.fleetrepos import token_repos

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_token_covers_stage_and_trigger_repos_of_the_owner_only():
    fleet = config.load(REPO_ROOT / "cascades.yaml")
    repos = token_repos(fleet, "rocm")
    assert "rockrel" in repos  # trigger of nightly: commit statuses go there
    assert {"pytorch", "vllm", "triton", "aiter"} <= set(repos)
    assert "sglang" not in repos  # sgl-project/sglang: another owner, another token


def test_module_prints_a_github_output_line(tmp_path):
    env = {**os.environ, "OWNER": "nobody", "THIS_REPO": "quartz"}
    result = subprocess.run([sys.executable, "-m", "quartz.github.fleetrepos"], capture_output=True, text=True,
                            cwd=REPO_ROOT, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "repos=quartz\n"
