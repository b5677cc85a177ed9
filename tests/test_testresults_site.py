"""Test results on the site: synced over HTTP from the simulator, rendered, checked in HTML and JSON."""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import jsonschema
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from quartz.devtools.simulator import JobSpec, SimulatorServer, World
from quartz.site import schemas
from quartz.site.render import render
from quartz.store.db import Store
from quartz.sync.runs import sync
from tests.helpers.site import validate_json_files
from tests.helpers.sync import START, TOKEN, fleet_config, make_client

CONFIG = """
projects:
  vllm:
    repo: ROCm/vllm
    category: 3p_downstream
    workflows: [rocm-test.yml]
"""
HOSTILE = "<script>alert(1)</script>"


def case_xml(name: str, outcome: str = "passed", message: str = "boom", reruns: int = 0) -> str:
    body = "".join(f"<rerun message={quoteattr('first try failed')}/>" for _ in range(reruns))
    if outcome == "failed":
        body += f"<failure message={quoteattr(message)}>{escape(message)}\nmore</failure>"
    elif outcome == "error":
        body += f"<error message={quoteattr(message)}/>"
    elif outcome == "skipped":
        body += "<skipped/>"
    return f"<testcase classname={quoteattr('test.test_ops.TestOps')} name={quoteattr(name)}>{body}</testcase>"


def report_zip(*cases: str, suite: str = "pytest") -> bytes:
    xml = f"<testsuites><testsuite name={quoteattr(suite)}>{''.join(cases)}</testsuite></testsuites>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("test-gfx942/junit.xml", xml)
    return buffer.getvalue()


class Fleet:
    """One project whose runs carry test-report artifacts with contents the test chooses."""

    def __init__(self, server: SimulatorServer, store: Store):
        self.world, self.server, self.store = server.world, server, store
        self.client = make_client(server, store)
        self.config = fleet_config(CONFIG)

    def run(self, sha: str, *cases: str, name: str = "test-reports", conclusion: str | None = None):
        run = self.world.create_run("ROCm/vllm", "rocm-test.yml", "main", head_sha=sha, conclusion=conclusion)
        self.world.advance(timedelta(hours=1))
        self.attach(run, *cases, name=name)
        return run

    def attach(self, run, *cases: str, name: str = "test-reports") -> None:
        artifact = self.world.add_artifact(run.id, name)
        self.world.artifact_content[artifact.id] = report_zip(*cases)
        self.world.advance(timedelta(minutes=5))

    def sync_and_render(self, out):
        report = sync(self.config, self.store, self.client, self.world.now)
        assert report.ok, report.failures
        render(self.config, self.store, out, self.world.now)
        return out


def make_world() -> World:
    world = World(START, seed=9)
    world.add_repo("ROCm/vllm")
    world.add_workflow("ROCm/vllm", "rocm-test.yml", jobs=[JobSpec("test (gfx942)", 600)])
    return world


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with SimulatorServer(make_world(), token=TOKEN) as server:
        store = Store.open(tmp_path_factory.mktemp("store") / "quartz.duckdb")
        fleet = Fleet(server, store)
        first = fleet.run("a" * 40, case_xml("test_x", "failed"), case_xml("test_y"), case_xml(HOSTILE, "failed",
                                                                                               message=HOSTILE))
        second = fleet.run("b" * 40, case_xml("test_x", "failed", "AssertionError: 3 != 4"), case_xml("test_y"))
        third = fleet.run("c" * 40, case_xml("test_x"), case_xml("test_y", "failed"))
        fleet.world.rerun(third.id)
        fleet.world.advance(timedelta(hours=1))
        fleet.attach(third, case_xml("test_x"), case_xml("test_y"), case_xml("test_z", reruns=2))
        bad = fleet.run("d" * 40, case_xml("test_x"))
        fleet.attach(bad, name="junit-evil")
        fleet.world.artifact_content[max(fleet.world.artifact_content)] = b"PK\x03\x04 not a zip"
        fleet.run("e" * 40, case_xml("test_x"), case_xml("test_y", "failed"), conclusion="failure")  # red, flaky
        out = fleet.sync_and_render(tmp_path_factory.mktemp("site") / "site")
        yield out, {"first": first.id, "second": second.id, "third": third.id, "bad": bad.id}, fleet
        store.close()


def build_json(out, run_id: int) -> dict:
    return json.loads((out / f"api/v1/builds/{run_id}.json").read_text())


def test_build_json_lists_failed_tests_with_new_known_and_flaky_verdicts(site):
    out, ids, _ = site
    first = build_json(out, ids["first"])["tests"]
    assert (first["failed"], first["passed"]) == (2, 1)
    assert {t["name"]: t["verdict"] for t in first["failed_tests"]} == {
        "test.test_ops.TestOps::test_x": "new", f"test.test_ops.TestOps::{HOSTILE}": "new"}
    second = build_json(out, ids["second"])["tests"]
    [x] = second["failed_tests"]
    assert (x["name"], x["verdict"], x["message"]) == ("test.test_ops.TestOps::test_x", "known",
                                                       "AssertionError: 3 != 4")
    third = build_json(out, ids["third"])["tests"]
    assert third["attempt"] == 2 and third["failed"] == 0 and third["flaky"] == 1
    verdicts = {(t["name"].split("::")[1], t["attempt"]): t["verdict"] for t in third["failed_tests"]}
    assert verdicts == {("test_y", 1): "flaky", ("test_z", 2): "flaky"}
    assert [a["attempt"] for a in third["attempts"]] == [2, 1]


def test_build_page_shows_failed_tests_escaped_and_refused_reports_with_reason(site):
    out, ids, _ = site
    html = (out / f"builds/{ids['first']}.html").read_text()
    assert "test_x" in html and 'class="verdict v-new"' in html
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    bad = build_json(out, ids["bad"])["tests"]
    [refused] = bad["refused"]
    assert refused["artifact"] == "junit-evil" and "not a readable zip archive" in refused["reason"]
    assert "not a readable zip archive" in (out / f"builds/{ids['bad']}.html").read_text()
    assert bad["passed"] == 1  # the run's other report is read


def test_flaky_json_validates_and_names_the_flaky_tests_with_their_evidence(site):
    out, ids, _ = site
    flaky = json.loads((out / "api/v1/tests/flaky.json").read_text())
    jsonschema.Draft202012Validator(schemas.schema("tests")).validate(flaky)
    by_name = {t["name"].split("::")[1]: t for t in flaky["tests"]}
    assert set(by_name) == {"test_y", "test_z"}
    assert by_name["test_y"]["evidence"]["same_commit"] == 1 and by_name["test_z"]["evidence"]["rerun_runs"] == 1
    # Two failures, one contradicted by a pass of the same commit (the red run "e" is not).
    assert by_name["test_y"]["runs"][0]["run_id"] == ids["third"] and by_name["test_y"]["score"] == 0.5
    assert {n["verdict"] for n in flaky["newest_failures"]} == {"new", "known", "flaky"}
    page = (out / "tests.html").read_text()
    assert "test_z" in page and 'href="tests.html" aria-current="page"' in page
    checked, problems = validate_json_files(out)
    assert problems == [] and checked > 5


def test_a_red_cell_whose_failures_are_all_flaky_says_so(site):
    out, _, _ = site
    health = json.loads((out / "api/v1/health.json").read_text())
    [vllm] = [p for c in health["categories"] for p in c["projects"] if p["name"] == "vllm"]
    assert vllm["default"]["state"] == "failure" and vllm["default"]["flaky_only"] is True
    assert "flaky tests only" in (out / "index.html").read_text()


def test_a_light_render_keeps_the_flaky_only_mark_from_the_grids_runs_alone(site, tmp_path):
    out, _, fleet = site
    copy = tmp_path / "site"
    shutil.copytree(out, copy)
    report = render(fleet.config, fleet.store, copy, fleet.world.now + timedelta(minutes=5))
    assert report.carried > 10  # light: the build set came from the last render's pages
    health = json.loads((copy / "api/v1/health.json").read_text())
    [vllm] = [p for c in health["categories"] for p in c["projects"] if p["name"] == "vllm"]
    assert vllm["default"]["flaky_only"] is True and vllm["default"]["html"]  # still linked to its build page
    assert "flaky tests only" in (copy / "index.html").read_text()


def test_project_tests_json_and_page_show_the_most_failing_tests(site):
    out, _, _ = site
    doc = json.loads((out / "api/v1/projects/vllm/tests.json").read_text())
    jsonschema.Draft202012Validator(schemas.schema("project_tests")).validate(doc)
    assert doc["tests"][0]["name"] == "test.test_ops.TestOps::test_x" and doc["tests"][0]["failures"] == 2
    assert "Most-failing tests" in (out / "projects/vllm.html").read_text()
    index = json.loads((out / "api/v1/index.json").read_text())
    assert {"tests", "project_tests"} <= {e["name"] for e in index["endpoints"]}


# ---------------------------------------------------------------- any report renders

_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60)
_cases = st.lists(st.tuples(_text, st.sampled_from(["passed", "failed", "error", "skipped"]), _text,
                            st.integers(0, 2)), min_size=1, max_size=6)


# Each example starts a simulator and renders a site (~2 s): few examples, and no shrinking, which would take minutes.
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(cases=_cases, suite=_text)
def test_any_parsed_report_stored_through_sync_renders_valid_pages(cases, suite):
    xml_cases = [case_xml(_xml_safe(name), outcome, _xml_safe(message), reruns)
                 for name, outcome, message, reruns in cases]
    with SimulatorServer(make_world(), token=TOKEN) as server, tempfile.TemporaryDirectory() as scratch:
        fleet = Fleet(server, Store.open(Path(scratch) / "quartz.duckdb"))
        run = fleet.world.create_run("ROCm/vllm", "rocm-test.yml", "main")
        fleet.world.advance(timedelta(hours=1))
        artifact = fleet.world.add_artifact(run.id, "test-reports")
        fleet.world.artifact_content[artifact.id] = report_zip(*xml_cases, suite=_xml_safe(suite))
        out = fleet.sync_and_render(Path(scratch) / "site")
        fleet.store.close()
        checked, problems = validate_json_files(out)
        assert problems == [], "\n".join(problems)
        tests = build_json(out, run.id)["tests"]
        counted = tests["failed"] + tests["errors"] + tests["passed"] + tests["skipped"]
        assert 1 <= counted <= len(cases) or tests["refused"]
        page = (out / f"builds/{run.id}.html").read_text()
        assert "<script>alert" not in page


def _xml_safe(text: str) -> str:
    """Characters XML 1.0 can carry at all (a report with others is refused, which another test covers)."""
    return "".join(c for c in text if c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd")
