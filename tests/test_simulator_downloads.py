"""The simulator's artifact archives and job logs: 302 to a short-lived URL fetched without the token."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
import requests

from quartz.devtools.simulator import JobSpec, SimulatorServer, World

TOKEN = "sim-token-downloads"
AUTH = {"Authorization": f"token {TOKEN}"}


@pytest.fixture
def sim():
    world = World(dt.datetime(2026, 11, 1, tzinfo=dt.UTC), seed=4)
    world.add_repo("ROCm/pytorch")
    world.add_workflow("ROCm/pytorch", "ci.yml", jobs=[JobSpec("build", 60), JobSpec("test (gfx942)", 60,
                                                                                    failure_rate=1.0)],
                       artifacts=(("test-reports", 4096), ("wheels", 1 << 20)))
    run = world.create_run("ROCm/pytorch", "ci.yml", "main")
    world.advance(dt.timedelta(hours=1))
    with SimulatorServer(world, token=TOKEN) as server:
        yield world, server, run


def located(server, path: str) -> str:
    answer = requests.get(server.url + path, headers=AUTH, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def test_an_artifact_is_a_zip_behind_a_redirect_that_refuses_the_token(sim):
    world, server, run = sim
    listing = requests.get(f"{server.url}/repos/ROCm/pytorch/actions/runs/{run.id}/artifacts", headers=AUTH,
                           timeout=5).json()
    reports = next(a for a in listing["artifacts"] if a["name"] == "test-reports")
    server.reset_counters()
    url = located(server, f"/repos/ROCm/pytorch/actions/artifacts/{reports['id']}/zip")
    assert requests.get(url, headers=AUTH, timeout=5).status_code == 400
    data = requests.get(url, timeout=5).content
    members = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert members == ["test--gfx942/junit.xml"]
    xml = zipfile.ZipFile(io.BytesIO(data)).read(members[0]).decode()
    assert 'failures="1"' in xml and "HIP error: invalid device function" in xml
    assert server.points_used == 1  # the /zip request; the download itself is free


def test_a_download_url_expires_after_a_minute_and_an_old_artifact_is_gone(sim):
    world, server, run = sim
    art = world.add_artifact(run.id, "test-reports-extra")
    world.artifact_content[art.id] = b"PK-not-really"
    url = located(server, f"/repos/ROCm/pytorch/actions/artifacts/{art.id}/zip")
    assert requests.get(url, timeout=5).content == b"PK-not-really"
    world.advance(dt.timedelta(minutes=2))
    assert requests.get(url, timeout=5).status_code == 404
    world.advance(dt.timedelta(days=91))
    gone = requests.get(f"{server.url}/repos/ROCm/pytorch/actions/artifacts/{art.id}/zip", headers=AUTH, timeout=5)
    assert gone.status_code == 410


def test_a_failed_job_log_ends_with_its_failure_line(sim):
    world, server, run = sim
    jobs = requests.get(f"{server.url}/repos/ROCm/pytorch/actions/runs/{run.id}/jobs", headers=AUTH,
                        timeout=5).json()["jobs"]
    failed = next(j for j in jobs if j["conclusion"] == "failure")
    url = located(server, f"/repos/ROCm/pytorch/actions/jobs/{failed['id']}/logs")
    text = requests.get(url, timeout=5).text
    lines = text.splitlines()
    assert lines[0][:4] == "2026" and lines[0][28:29] == " "  # ISO timestamp prefix, as GitHub writes it
    assert any("RuntimeError: HIP error: invalid device function" in line for line in lines)
    assert "Process completed with exit code 1." in lines[-2]
    world.job_logs[failed["id"]] = "custom\n"
    url = located(server, f"/repos/ROCm/pytorch/actions/jobs/{failed['id']}/logs")
    assert requests.get(url, timeout=5).text == "custom\n"
