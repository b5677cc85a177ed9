"""Render survives every store that sync and ingest can write (property-based, with Hypothesis).

Stores are built through the real write paths only: `sync()` over real HTTP
(PyGithub's stack, our client) against a tiny GitHub that answers with the
generated JSON, and `ingest()` with mutated real TheRock reports. The JSON is
what GitHub's OpenAPI description allows, not what the simulator tidily makes:
every field it marks nullable may be null, every optional one may be missing,
names may be empty, very long or non-ASCII, runs may complete before they start.
Every page kind must render and every JSON file must validate against its schema.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import http.server
import json
import os
import re
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from quartz import config as config_module
from quartz.github.client import GitHubClient
from quartz.rocm import ingest
from quartz.site.render import render
from quartz.store.db import Store
from quartz.sync import runs as sync
from tests.helpers import rocmdata
from tests.helpers.site import validate_json_files

pytestmark = pytest.mark.slow

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
REPO = Path(__file__).resolve().parent.parent
PAYLOADS = rocmdata.payload_files() or [rocmdata.PAYLOADS / "absent.json"]  # the test skips when absent
# Failing examples are kept outside the checkout, so a found failure never lands in a commit.
DATABASE = DirectoryBasedExampleDatabase(os.path.expanduser("~/.cache/quartz/hypothesis"))
PROPERTY = settings(max_examples=int(os.environ.get("QUARTZ_PROPERTY_EXAMPLES", "25")), deadline=None,
                    database=DATABASE, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                              HealthCheck.function_scoped_fixture])
PROJECTS = ("rocm", "pytorch", "vllm")

# ---------------------------------------------------------------- a GitHub that answers with given JSON


class ReplayGitHub:
    """Answers GitHub's run, attempt, job and artifact endpoints from `self.runs` (and 404 elsewhere)."""

    def __init__(self):
        self.runs: dict[str, list[dict]] = {}  # repo -> runs
        self.jobs: dict[int, list[dict]] = {}  # run id -> jobs
        handler = self._handler()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"

    def answer(self, path: str):
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/actions/workflows/[^/]+/runs", path)
        if m:
            runs = self.runs.get(m.group(1), [])
            return {"total_count": len(runs), "workflow_runs": runs}
        m = re.fullmatch(r"/repos/[^/]+/[^/]+/actions/runs/(\d+)(?:/attempts/(\d+))?(/jobs|/artifacts)?", path)
        if not m:
            return None
        run_id = int(m.group(1))
        run = next((r for runs in self.runs.values() for r in runs if r["id"] == run_id), None)
        if run is None:
            return None
        if m.group(3) == "/jobs":
            jobs = self.jobs.get(run_id, [])
            return {"total_count": len(jobs), "jobs": jobs}
        if m.group(3) == "/artifacts":
            return {"total_count": 0, "artifacts": []}
        return {**run, "run_attempt": int(m.group(2))} if m.group(2) else run

    def _handler(self):
        replay = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                body = replay.answer(self.path.split("?")[0])
                data = json.dumps(body if body is not None else {"message": "Not Found"}).encode()
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (("limit", 5000), ("remaining", 4999), ("used", 1), ("reset", 2**31)):
                    self.send_header(f"x-ratelimit-{k}", str(v))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def github():
    replay = ReplayGitHub()
    yield replay
    replay.close()


# ---------------------------------------------------------------- what GitHub may send

texts = st.one_of(st.text(max_size=40), st.text(min_size=300, max_size=3000),
                  st.sampled_from(["", "release/7.0", "ünïcødé ✓", "<script>alert(1)</script>", "a\nb\tc"]))
nullable_text = st.one_of(st.none(), texts)
STATUSES = st.sampled_from([None, "queued", "in_progress", "completed", "waiting", "requested", "pending"])
CONCLUSIONS = st.sampled_from([None, "success", "failure", "neutral", "cancelled", "skipped", "timed_out",
                               "action_required", "stale", "startup_failure"])


def when(offset_s: int | None) -> str | None:
    return None if offset_s is None else (NOW + dt.timedelta(seconds=offset_s)).strftime("%Y-%m-%dT%H:%M:%SZ")


offsets = st.integers(min_value=-3 * 86400 + 60, max_value=0)


@st.composite
def runs(draw, repo: str, run_id: int) -> dict:
    created = draw(offsets)
    run = {
        "id": run_id, "name": draw(nullable_text), "head_branch": draw(st.one_of(st.just("main"), nullable_text)),
        "run_number": draw(st.integers(1, 10**6)), "display_title": draw(texts),
        "event": draw(st.sampled_from(["push", "schedule", "workflow_dispatch", "pull_request", "zz-unknown"])),
        "status": draw(STATUSES), "conclusion": draw(CONCLUSIONS), "head_sha": draw(st.text("0123456789abcdef",
                                                                                              min_size=0, max_size=40)),
        "path": ".github/workflows/ci.yml", "workflow_id": 1000 + PROJECTS.index(repo.split("/")[1]),
        "html_url": f"https://github.com/{repo}/actions/runs/{run_id}",
        "created_at": when(created), "updated_at": when(created + draw(st.integers(-3600, 3600))),
        "head_commit": draw(st.one_of(st.none(), st.fixed_dictionaries({"message": texts}))),
        "pull_requests": draw(st.one_of(st.none(), st.just([]))), "previous_attempt_url": None,
    }
    optional = {  # not required by the OpenAPI description: may be missing altogether
        "run_attempt": st.integers(1, 3),
        "run_started_at": st.one_of(st.none(), st.integers(-3 * 86400, 3600).map(when)),  # may precede created_at
        "actor": st.one_of(st.none(), st.fixed_dictionaries({"login": texts})),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            run[key] = draw(strategy)
    return run


@st.composite
def jobs(draw, run: dict, first_id: int) -> list[dict]:
    made = []
    for n in range(draw(st.integers(0, 3))):
        start = draw(st.one_of(st.none(), offsets))
        made.append({
            "id": first_id + n, "run_id": run["id"], "run_attempt": run.get("run_attempt") or 1,
            "name": draw(texts), "status": draw(STATUSES), "conclusion": draw(CONCLUSIONS),
            "created_at": when(start or 0), "started_at": when(start),
            "completed_at": when(None if start is None else start + draw(st.integers(-60, 7200))),
            "runner_name": draw(nullable_text), "labels": draw(st.lists(texts, max_size=3)),
            "html_url": draw(st.one_of(st.none(), st.just(f"https://github.com/o/r/actions/runs/{run['id']}/job/1"))),
            "head_sha": run["head_sha"], "head_branch": run["head_branch"], "workflow_name": run["name"],
        })
    return made


@st.composite
def fleets(draw) -> tuple[str, dict[str, list[dict]], dict[int, list[dict]]]:
    names = draw(st.lists(st.sampled_from(PROJECTS), min_size=1, max_size=3, unique=True))
    lines = ["settings: {backfill_days: 3}", "projects:"]
    for name in names:
        category = "core" if name == "rocm" else "3p_downstream"
        lines.append(f"  {name}: {{repo: o/{name}, category: {category}, workflows: [ci.yml]}}")
    if len(names) > 1 and draw(st.booleans()):  # or no cascades at all
        lines += ["cascades:", "  nightly:",
                  f"    trigger: {{project: {names[0]}, workflow: ci.yml, branch: main, conclusion: success}}",
                  "    stages:", f"      {names[1]}: {{workflow: ci.yml}}"]
    by_repo, by_run = {}, {}
    next_id = 1
    for name in names:
        made = []
        for _ in range(draw(st.integers(0, 4))):  # 0: a project with no runs yet
            run = draw(runs(f"o/{name}", next_id))
            made.append(run)
            by_run[run["id"]] = draw(jobs(run, next_id * 10))
            next_id += 1
        by_repo[f"o/{name}"] = sorted(made, key=lambda r: r["created_at"], reverse=True)
    return "\n".join(lines) + "\n", by_repo, by_run


# ---------------------------------------------------------------- the properties


def render_and_check(config, store, out: Path) -> None:
    report = render(config, store, out, NOW + dt.timedelta(minutes=5))
    assert report.pages > 0
    for page in ("index.html", "trends.html", "cascades.html", "known-good.html"):
        assert (out / page).is_file(), page
    for name in config.projects:
        assert (out / "projects" / f"{name}.html").is_file(), name
    for release in config.releases:
        assert (out / "releases" / f"{release}.html").is_file(), release
    checked, problems = validate_json_files(out)
    assert checked > 0 and problems == [], problems[:5]


@PROPERTY
@given(fleet=fleets())
def test_render_survives_any_store_that_sync_writes(github, fleet):
    text, by_repo, by_run = fleet
    github.runs, github.jobs = by_repo, by_run
    config = config_module.loads(text, "cascades.yaml")
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "q.duckdb") as store:
        client = GitHubClient(github.url, "t", sleep=lambda _s: None, clock=lambda: NOW.timestamp(),
                              write_interval_s=0, store=store)
        sync.sync(config, store, client, NOW)
        stored = store.db.execute("SELECT count(*) FROM workflow_runs").fetchone()[0]
        assert stored == sum(len(r) for r in by_repo.values())
        render_and_check(config, store, Path(tmp) / "site")


def _mutate(payload: dict, draw) -> dict:
    run = payload["workflow_run"]
    run["status"] = draw(st.sampled_from(["queued", "in_progress", "completed"]))
    run["conclusion"] = draw(CONCLUSIONS) if run["status"] == "completed" else None
    for key in ("name", "display_title", "head_branch"):
        run[key] = draw(st.one_of(st.text(min_size=1, max_size=60), st.just(run.get(key) or "x")))
    if draw(st.booleans()):
        run["run_started_at"] = None
    for job in run.get("jobs") or []:
        job["conclusion"] = draw(CONCLUSIONS) if job.get("status") == "completed" else None
        if draw(st.booleans()):
            job["completed_at"] = None
    return payload


@st.composite
def reports(draw) -> list[str]:
    chosen = draw(st.lists(st.sampled_from(PAYLOADS), min_size=1, max_size=4))
    return [json.dumps(_mutate(copy.deepcopy(json.loads(p.read_text(encoding="utf-8"))), draw)) for p in chosen]


@pytest.fixture(scope="module")
def fleet_config():
    return config_module.load(REPO / "cascades.yaml")


@PROPERTY
@rocmdata.needs_rocm
@given(payloads=reports())
def test_render_survives_any_store_that_ingest_writes(fleet_config, payloads):
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "q.duckdb") as store:
        for payload in payloads:
            # A report ingest refuses changes nothing; the store that leaves must render too.
            with contextlib.suppress(ingest.BadInput):
                ingest.ingest(fleet_config, store, payload, fetch=False, now=NOW)
        render_and_check(fleet_config, store, Path(tmp) / "site")


# ---------------------------------------------------------------- failures these properties found, pinned


def test_a_run_without_a_head_sha_renders_in_the_commit_grid(github):
    """Found by the sync property: an empty head_sha gave the HUD a commit with `short: null`."""
    run = {"id": 1, "name": None, "head_branch": "main", "run_number": 1, "display_title": "", "event": "push",
           "status": None, "conclusion": None, "head_sha": "", "path": ".github/workflows/ci.yml",
           "workflow_id": 1000, "html_url": "https://github.com/o/rocm/actions/runs/1",
           "created_at": when(0), "updated_at": when(0), "head_commit": None, "pull_requests": None}
    github.runs, github.jobs = {"o/rocm": [run]}, {1: []}
    config = config_module.loads("projects:\n  rocm: {repo: o/rocm, category: core, workflows: [ci.yml]}\n")
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "q.duckdb") as store:
        sync.sync(config, store, GitHubClient(github.url, "t", sleep=lambda _s: None, store=store), NOW)
        render_and_check(config, store, Path(tmp) / "site")
        project = json.loads((Path(tmp) / "site/api/v1/projects/rocm.json").read_text())
        assert project["branches"][0]["hud"]["commits"][0]["short"] == "–"
