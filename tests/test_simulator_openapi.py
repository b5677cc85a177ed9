"""Every endpoint the simulator serves answers in the shape GitHub's OpenAPI description declares.

The description comes from the npm package @octokit/openapi (pinned in .ci/package.json).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from jsonschema import Draft4Validator

from quartz.devtools.simulator import SimulatorServer
from quartz.devtools.simulator.routes import _ROUTES
from quartz.devtools.simulator.sample import sample_world

DESCRIPTION = Path(__file__).resolve().parents[1] / ".ci/node_modules/@octokit/openapi/generated/api.github.com.json"
TOKEN = "openapi-token"


def openapi_to_jsonschema(node: Any) -> Any:
    """OpenAPI 3.0 marks null with `nullable: true`; JSON Schema needs it spelled as a type."""
    if isinstance(node, list):
        return [openapi_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: openapi_to_jsonschema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


@pytest.fixture(scope="module")
def description() -> dict[str, Any]:
    if not DESCRIPTION.exists():
        pytest.fail(f"GitHub's OpenAPI description is missing ({DESCRIPTION}); run `npm ci --prefix .ci` first.")
    doc = json.loads(DESCRIPTION.read_text())
    return {"paths": doc["paths"], "components": {"schemas": openapi_to_jsonschema(doc["components"]["schemas"])}}


def validator(description: dict[str, Any], template: str, method: str, status: int) -> Draft4Validator:
    op = description["paths"][template][method.lower()]
    schema = op["responses"][str(status)]["content"]["application/json"]["schema"]
    return Draft4Validator({"allOf": [openapi_to_jsonschema(schema)], "components": description["components"]})


@pytest.fixture(scope="module")
def served():
    world = sample_world(seed=3, history_days=2)
    pytorch = world.repo("ROCm/pytorch")
    failed = world.create_run(pytorch, "rocm-build.yml", "main", conclusion="failure")
    world.advance(timedelta(hours=2))
    world.rerun(failed.id, failed_only=True)
    world.add_artifact(failed.id, "logs", 123)
    world.create_run(pytorch, "rocm-build.yml", "release/2.7")  # queued
    world.add_status(pytorch, pytorch.branches["main"], "success", "quartz", "ok", "https://example.test/1")
    with SimulatorServer(world, token=TOKEN) as server:
        yield world, server, failed


def _call(server: SimulatorServer, method: str, path: str, body: dict | None = None) -> requests.Response:
    return requests.request(method, server.url + path, json=body, timeout=10, allow_redirects=False,
                            headers={"Authorization": f"token {TOKEN}"})


def cases(world, failed) -> list[tuple[str, str, str, str, dict | None, int]]:
    """(route handler, OpenAPI path, method, concrete path, body, expected status)."""
    repo = "/repos/ROCm/pytorch"
    t = "/repos/{owner}/{repo}"
    run_id = failed.id
    queued = max(world.repo("ROCm/pytorch").runs, key=lambda r: r.id)
    job_id = world.all_jobs(failed)[0]
    from quartz.devtools.simulator.outcomes import job_id as make_job_id
    jid = make_job_id(failed, job_id.attempt, job_id.index)
    sha = world.repo("ROCm/pytorch").branches["main"]
    artifact_id = world.artifacts(failed)[-1].id
    return [
        ("rate_limit", "/rate_limit", "GET", "/rate_limit", None, 200),
        ("get_repo", t, "GET", repo, None, 200),
        ("list_branches", t + "/branches", "GET", repo + "/branches", None, 200),
        ("get_branch", t + "/branches/{branch}", "GET", repo + "/branches/release/2.7", None, 200),
        ("list_workflows", t + "/actions/workflows", "GET", repo + "/actions/workflows", None, 200),
        ("get_workflow", t + "/actions/workflows/{workflow_id}", "GET",
         repo + "/actions/workflows/rocm-build.yml", None, 200),
        ("list_workflow_runs", t + "/actions/workflows/{workflow_id}/runs", "GET",
         repo + "/actions/workflows/rocm-build.yml/runs?per_page=100", None, 200),
        ("list_repo_runs", t + "/actions/runs", "GET", repo + "/actions/runs?per_page=100", None, 200),
        ("get_run", t + "/actions/runs/{run_id}", "GET", f"{repo}/actions/runs/{run_id}", None, 200),
        ("get_run", t + "/actions/runs/{run_id}", "GET", f"{repo}/actions/runs/{queued.id}", None, 200),
        ("get_run_attempt", t + "/actions/runs/{run_id}/attempts/{attempt_number}", "GET",
         f"{repo}/actions/runs/{run_id}/attempts/1", None, 200),
        ("list_jobs", t + "/actions/runs/{run_id}/jobs", "GET", f"{repo}/actions/runs/{run_id}/jobs?filter=all",
         None, 200),
        ("list_jobs", t + "/actions/runs/{run_id}/jobs", "GET", f"{repo}/actions/runs/{queued.id}/jobs", None, 200),
        ("list_attempt_jobs", t + "/actions/runs/{run_id}/attempts/{attempt_number}/jobs", "GET",
         f"{repo}/actions/runs/{run_id}/attempts/2/jobs", None, 200),
        ("get_job", t + "/actions/jobs/{job_id}", "GET", f"{repo}/actions/jobs/{jid}", None, 200),
        ("list_artifacts", t + "/actions/runs/{run_id}/artifacts", "GET", f"{repo}/actions/runs/{run_id}/artifacts",
         None, 200),
        ("download_artifact", t + "/actions/artifacts/{artifact_id}/{archive_format}", "GET",
         f"{repo}/actions/artifacts/{artifact_id}/zip", None, 302),
        ("download_job_log", t + "/actions/jobs/{job_id}/logs", "GET", f"{repo}/actions/jobs/{jid}/logs", None, 302),
        ("create_status", t + "/statuses/{sha}", "POST", f"{repo}/statuses/{sha}",
         {"state": "pending", "context": "quartz/x", "description": None}, 201),
        ("list_statuses", t + "/commits/{ref}/statuses", "GET", f"{repo}/commits/{sha}/statuses", None, 200),
        ("dispatch_workflow", t + "/actions/workflows/{workflow_id}/dispatches", "POST",
         repo + "/actions/workflows/rocm-build.yml/dispatches",
         {"ref": "main", "inputs": {"correlation_id": "x"}, "return_run_details": True}, 200),
        ("dispatch_workflow", t + "/actions/workflows/{workflow_id}/dispatches", "POST",
         repo + "/actions/workflows/rocm-build.yml/dispatches", {"ref": "main"}, 204),
        ("repository_dispatch", t + "/dispatches", "POST", "/repos/sgl-project/sglang/dispatches",
         {"event_type": "rocm-nightly", "client_payload": {"correlation_id": "y"}}, 204),
        ("rerun_failed", t + "/actions/runs/{run_id}/rerun-failed-jobs", "POST",
         f"{repo}/actions/runs/{run_id}/rerun-failed-jobs", {}, 201),
        ("cancel", t + "/actions/runs/{run_id}/cancel", "POST", f"{repo}/actions/runs/{run_id}/cancel", {}, 202),
        ("rerun", t + "/actions/runs/{run_id}/rerun", "POST", f"{repo}/actions/runs/{run_id}/rerun", {}, 201),
        ("create_issue", t + "/issues", "POST", repo + "/issues",
         {"title": "pytorch main is red", "body": "<!-- quartz:x -->", "labels": ["quartz"]}, 201),
        ("list_issues", t + "/issues", "GET", repo + "/issues?labels=quartz&state=open&per_page=100", None, 200),
        ("create_issue_comment", t + "/issues/{issue_number}/comments", "POST", repo + "/issues/1/comments",
         {"body": "still red"}, 201),
        ("update_issue", t + "/issues/{issue_number}", "PATCH", repo + "/issues/1",
         {"state": "closed", "state_reason": "completed"}, 200),
    ]


def test_every_served_endpoint_matches_githubs_openapi_description(description, served):
    world, server, failed = served
    seen = set()
    problems = []
    for name, template, method, path, body, status in cases(world, failed):
        if name == "rerun_failed":
            world.advance(timedelta(hours=3))  # the re-run attempt must be finished to re-run again
        if name == "rerun":
            world.advance(timedelta(hours=3))
        resp = _call(server, method, path, body)
        assert resp.status_code == status, f"{method} {path}: {resp.status_code} {resp.text[:300]}"
        seen.add(name)
        if status == 204:
            assert resp.content == b""
            continue
        if status == 302:  # a redirect has no body: the description must declare it with its Location
            declared = description["paths"][template][method.lower()]["responses"][str(status)]
            assert "Location" in declared["headers"] and resp.headers["Location"].startswith(server.url)
            continue
        errors = sorted(validator(description, template, method, status).iter_errors(resp.json()),
                        key=lambda e: list(e.absolute_path))
        problems += [f"{method} {path}: {'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors]
    assert not problems, "\n".join(problems[:20])
    assert seen == {name for _, _, name in _ROUTES}, "a served route has no OpenAPI check"


def test_translation_accepts_null_only_where_nullable():
    schema = openapi_to_jsonschema({"type": "object", "properties": {
        "a": {"type": "string", "nullable": True}, "b": {"type": "string"}}})
    v = Draft4Validator(schema)
    assert v.is_valid({"a": None, "b": "x"})
    assert not v.is_valid({"a": "x", "b": None})
