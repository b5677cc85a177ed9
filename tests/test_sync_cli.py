"""`quartz sync` end to end: exit codes, output, and the token never stored or printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from quartz.cli import main
from quartz.devtools.simulator import SimulatorServer
from tests.helpers.sync import TOKEN, fleet_world

FLEET = """
projects:
  rocm: {repo: ROCm/rockrel, category: core, workflows: [multi_arch_release.yml]}
  vllm: {repo: ROCm/vllm, category: 3p_downstream, workflows: [rocm-test.yml]}
"""
GHOST = "  ghost: {repo: ROCm/ghost, category: core, workflows: [ci.yml]}\n"


@pytest.fixture()
def server(monkeypatch):
    with SimulatorServer(fleet_world(history_days=3), token=TOKEN) as s:
        monkeypatch.setenv("GITHUB_API_URL", s.url)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
        yield s


def _files(tmp_path: Path, fleet: str) -> tuple[str, str]:
    config = tmp_path / "cascades.yaml"
    config.write_text(fleet, encoding="utf-8")
    return str(config), str(tmp_path / "quartz.duckdb")


def _store_bytes(tmp_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in tmp_path.glob("quartz.duckdb*"))


def test_sync_exits_0_and_twice_is_free(server, tmp_path, capsys):
    config, store = _files(tmp_path, FLEET)
    assert main(["sync", "--config", config, "--store", store, "--backfill-days", "3650"]) == 0
    out = capsys.readouterr()
    assert "2 projects synced, 0 failed" in out.out and "sync: [2/2] vllm" in out.err
    server.reset_counters()
    assert main(["sync", "--config", config, "--store", store]) == 0
    assert server.points_used == 0 and "0 rate-limit points" in capsys.readouterr().out


def test_a_failed_project_exits_1_and_the_token_is_never_stored_or_printed(server, tmp_path, capsys):
    config, store = _files(tmp_path, FLEET + GHOST)
    assert main(["sync", "--config", config, "--store", store, "--backfill-days", "3650"]) == 1
    out = capsys.readouterr()
    assert "ghost failed" in out.err and "ROCm/ghost" in out.err
    assert "1 failed" in out.out
    data = _store_bytes(tmp_path)
    assert b"ROCm/vllm" in data  # the store holds what was synced...
    assert TOKEN.encode() not in data  # ...and never the token
    assert TOKEN not in out.out + out.err


def test_a_rejected_token_is_reported_without_echoing_it(server, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_not-the-right-one")
    config, store = _files(tmp_path, FLEET)
    assert main(["sync", "--config", config, "--store", store]) == 1
    out = capsys.readouterr()
    assert "401" in out.err and "GITHUB_TOKEN" in out.err
    assert "ghp_not-the-right-one" not in out.out + out.err
    assert b"ghp_not-the-right-one" not in _store_bytes(tmp_path)


def test_an_s3_store_is_left_to_quartz_cycle(server, tmp_path, capsys):
    config, _ = _files(tmp_path, FLEET)
    assert main(["sync", "--config", config, "--store", "s3://bucket/quartz.duckdb"]) == 2
    assert "quartz cycle" in capsys.readouterr().err
