"""The REST endpoints: each handler turns (path params, query, body) into a Response."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from . import downloads, issues
from .query import Page, list_runs, paginate
from .shapes import Shapes
from .world import ARTIFACT_RETENTION_S, SimulatorError, World


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-able, or None for an empty body
    headers: dict[str, str] = field(default_factory=dict)
    page: Page | None = None  # set for paginated answers: the server adds the Link header


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    params: dict[str, str]
    actor: str
    drop: bool = False  # a "drop" fault: accept a dispatch but create nothing


Handler = Callable[["Api", Request], Response]
_ROUTES: list[tuple[str, re.Pattern[str], str]] = []
_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        _ROUTES.append((method, re.compile(f"^{pattern}$"), fn.__name__))
        return fn
    return deco


class Api:
    def __init__(self, world: World, shapes: Shapes):
        self.world = world
        self.shapes = shapes
        self.downloads = downloads.Downloads(world)

    def resolve(self, method: str, path: str) -> tuple[Callable[[Request], Response], dict[str, str]] | None:
        """The handler for a request, or None (404); raises 404 for a known path with another method."""
        known_path = False
        for m, pat, name in _ROUTES:
            hit = pat.match(path)
            if hit:
                known_path = True
                if m == method:
                    return getattr(self, name), {k: unquote(v) for k, v in hit.groupdict().items()}
        if known_path:
            raise SimulatorError(404, "Not Found")
        return None

    def _repo(self, req: Request):
        return self.world.repo(f"{req.params['owner']}/{req.params['repo']}")

    def _run(self, req: Request):
        repo = self._repo(req)
        try:
            run = self.world.get_run(int(req.params["run_id"]), visible=True)
        except ValueError as exc:
            raise SimulatorError(404, "Not Found") from exc
        if run.workflow.repo is not repo:
            raise SimulatorError(404, "Not Found")
        return run

    # -- repos -------------------------------------------------------------------------
    @route("GET", "/rate_limit")
    def rate_limit(self, req: Request) -> Response:
        return Response(200, None)  # filled in by the server, which owns the budgets

    @route("GET", _REPO)
    def get_repo(self, req: Request) -> Response:
        return Response(200, self.shapes.full_repo(self._repo(req)))

    @route("GET", _REPO + "/branches")
    def list_branches(self, req: Request) -> Response:
        repo = self._repo(req)
        names = sorted(repo.branches)
        page = paginate(names, len(names), req.query)
        return Response(200, [self.shapes.short_branch(repo, n) for n in page.items], page=page)

    @route("GET", _REPO + "/branches/(?P<branch>.+)")
    def get_branch(self, req: Request) -> Response:
        repo = self._repo(req)
        if req.params["branch"] not in repo.branches:
            raise SimulatorError(404, "Branch not found")
        return Response(200, self.shapes.branch(repo, req.params["branch"]))

    # -- workflows -------------------------------------------------------------------
    @route("GET", _REPO + "/actions/workflows")
    def list_workflows(self, req: Request) -> Response:
        wfs = self._repo(req).workflows
        page = paginate(wfs, len(wfs), req.query)
        return Response(200, {"total_count": len(wfs), "workflows": [self.shapes.workflow(w) for w in page.items]},
                        page=page)

    @route("GET", _REPO + "/actions/workflows/(?P<workflow>[^/]+)")
    def get_workflow(self, req: Request) -> Response:
        return Response(200, self.shapes.workflow(self.world.workflow(self._repo(req), req.params["workflow"])))

    @route("GET", _REPO + "/actions/workflows/(?P<workflow>[^/]+)/runs")
    def list_workflow_runs(self, req: Request) -> Response:
        repo = self._repo(req)
        wf = self.world.workflow(repo, req.params["workflow"])
        return self._runs_page(list_runs(self.world, repo.full_name, wf, req.query))

    @route("GET", _REPO + "/actions/runs")
    def list_repo_runs(self, req: Request) -> Response:
        return self._runs_page(list_runs(self.world, self._repo(req).full_name, None, req.query))

    def _runs_page(self, page: Page) -> Response:
        return Response(200, {"total_count": page.total_count,
                              "workflow_runs": [self.shapes.run(r) for r in page.items]}, page=page)

    @route("POST", _REPO + "/actions/workflows/(?P<workflow>[^/]+)/dispatches")
    def dispatch_workflow(self, req: Request) -> Response:
        body = req.body if isinstance(req.body, dict) else {}
        ref = body.get("ref")
        if not isinstance(ref, str) or not ref:
            raise SimulatorError(422, "Invalid request.\n\n\"ref\" wasn't supplied.")
        inputs = body.get("inputs") or {}
        if not isinstance(inputs, dict):
            raise SimulatorError(422, "Invalid request.\n\nFor 'properties/inputs', is not an object.")
        details = body.get("return_run_details") is True
        repo = self._repo(req)
        if req.drop:
            run_id = self.world.lose_dispatch(repo, req.params["workflow"], ref, inputs)
            return self._dispatch_answer(repo.full_name, run_id, details)
        run = self.world.dispatch_workflow(repo, req.params["workflow"], ref, inputs, actor=req.actor)
        return self._dispatch_answer(repo.full_name, run.id, details)

    def _dispatch_answer(self, full_name: str, run_id: int, details: bool) -> Response:
        if not details:
            return Response(204)
        return Response(200, {
            "workflow_run_id": run_id,
            "run_url": f"{self.shapes.api}/repos/{full_name}/actions/runs/{run_id}",
            "html_url": f"{self.shapes.html}/{full_name}/actions/runs/{run_id}",
        })

    @route("POST", _REPO + "/dispatches")
    def repository_dispatch(self, req: Request) -> Response:
        body = req.body if isinstance(req.body, dict) else {}
        repo = self._repo(req)
        if req.drop:
            return Response(204)
        self.world.repository_dispatch(repo, body.get("event_type"), body.get("client_payload"), actor=req.actor)
        return Response(204)

    # -- runs ------------------------------------------------------------------------
    @route("GET", _REPO + r"/actions/runs/(?P<run_id>\d+)")
    def get_run(self, req: Request) -> Response:
        return Response(200, self.shapes.run(self._run(req)))

    @route("GET", _REPO + r"/actions/runs/(?P<run_id>\d+)/attempts/(?P<attempt>\d+)")
    def get_run_attempt(self, req: Request) -> Response:
        run = self._run(req)
        n = int(req.params["attempt"])
        if not 1 <= n <= len(run.attempts):
            raise SimulatorError(404, "Not Found")
        return Response(200, self.shapes.run(run, n))

    @route("GET", _REPO + r"/actions/runs/(?P<run_id>\d+)/jobs")
    def list_jobs(self, req: Request) -> Response:
        run = self._run(req)
        which = req.query.get("filter", "latest")
        if which not in ("latest", "all"):
            raise SimulatorError(422, "Invalid filter: must be 'latest' or 'all'")
        jobs = self.world.latest_jobs(run) if which == "latest" else self.world.all_jobs(run)
        return self._jobs_page(run, jobs, req)

    @route("GET", _REPO + r"/actions/runs/(?P<run_id>\d+)/attempts/(?P<attempt>\d+)/jobs")
    def list_attempt_jobs(self, req: Request) -> Response:
        run = self._run(req)
        return self._jobs_page(run, self.world.jobs_of_attempt(run, int(req.params["attempt"])), req)

    def _jobs_page(self, run, jobs, req: Request) -> Response:
        page = paginate(jobs, len(jobs), req.query)
        return Response(200, {"total_count": len(jobs), "jobs": [self.shapes.job(run, j) for j in page.items]},
                        page=page)

    @route("GET", _REPO + r"/actions/jobs/(?P<job_id>\d+)")
    def get_job(self, req: Request) -> Response:
        repo = self._repo(req)
        run, job = self.world.find_job(int(req.params["job_id"]))
        if run.workflow.repo is not repo or run.created > self.world.now_ts:
            raise SimulatorError(404, "Not Found")
        return Response(200, self.shapes.job(run, job))

    @route("GET", _REPO + r"/actions/artifacts/(?P<artifact_id>\d+)/zip")
    def download_artifact(self, req: Request) -> Response:
        run, art, attempt = downloads.find_artifact(self.world, int(req.params["artifact_id"]))
        if run.workflow.repo is not self._repo(req):
            raise SimulatorError(404, "Not Found")
        if self.world.artifact_expired(art):
            raise SimulatorError(410, "Artifact has expired")
        data = downloads.artifact_zip(self.world, run, art, attempt)
        return Response(302, headers={"Location": self.downloads.sign(data, "application/zip")})

    @route("GET", _REPO + r"/actions/jobs/(?P<job_id>\d+)/logs")
    def download_job_log(self, req: Request) -> Response:
        run, job = self.world.find_job(int(req.params["job_id"]))
        if run.workflow.repo is not self._repo(req) or self.world.job_status(job) != "completed":
            raise SimulatorError(404, "Not Found")
        if self.world.now_ts >= job.end + ARTIFACT_RETENTION_S:
            raise SimulatorError(410, "Gone")
        text = downloads.job_log(self.world, run, job, int(req.params["job_id"]))
        return Response(302, headers={"Location": self.downloads.sign(text.encode(), "text/plain")})

    @route("GET", _REPO + r"/actions/runs/(?P<run_id>\d+)/artifacts")
    def list_artifacts(self, req: Request) -> Response:
        run = self._run(req)
        arts = self.world.artifacts(run)
        page = paginate(arts, len(arts), req.query)
        return Response(200, {"total_count": len(arts),
                              "artifacts": [self.shapes.artifact(run, a) for a in page.items]}, page=page)

    @route("POST", _REPO + r"/actions/runs/(?P<run_id>\d+)/rerun")
    def rerun(self, req: Request) -> Response:
        self.world.rerun(self._run(req).id, failed_only=False, actor=req.actor)
        return Response(201, {})

    @route("POST", _REPO + r"/actions/runs/(?P<run_id>\d+)/rerun-failed-jobs")
    def rerun_failed(self, req: Request) -> Response:
        self.world.rerun(self._run(req).id, failed_only=True, actor=req.actor)
        return Response(201, {})

    @route("POST", _REPO + r"/actions/runs/(?P<run_id>\d+)/cancel")
    def cancel(self, req: Request) -> Response:
        self.world.cancel(self._run(req).id)
        return Response(202, {})

    # -- commit statuses -------------------------------------------------------------
    @route("POST", _REPO + r"/statuses/(?P<sha>[0-9a-fA-F]{4,40})")
    def create_status(self, req: Request) -> Response:
        body = req.body if isinstance(req.body, dict) else {}
        repo = self._repo(req)
        st = self.world.add_status(repo, req.params["sha"], body.get("state", ""), body.get("context") or "default",
                                   body.get("description"), body.get("target_url"), creator=req.actor)
        out = self.shapes.status(repo, st)
        return Response(201, out, headers={"Location": out["url"]})

    @route("GET", _REPO + r"/commits/(?P<ref>.+)/statuses")
    def list_statuses(self, req: Request) -> Response:
        repo = self._repo(req)
        sts = self.world.statuses(repo, req.params["ref"])
        page = paginate(sts, len(sts), req.query)
        return Response(200, [self.shapes.status(repo, s) for s in page.items], page=page)

    # -- issues (Quartz's GitHub issues notification channel) ---------------------------
    @route("GET", _REPO + "/issues")
    def list_issues(self, req: Request) -> Response:
        repo = self._repo(req)
        page = issues.listing(self.world, repo, req.query)
        return Response(200, [issues.issue_json(self.shapes, repo, i) for i in page.items], page=page)

    @route("POST", _REPO + "/issues")
    def create_issue(self, req: Request) -> Response:
        repo = self._repo(req)
        out = issues.issue_json(self.shapes, repo, issues.create(self.world, repo, req.body, req.actor))
        return Response(201, out, headers={"Location": out["url"]})

    @route("PATCH", _REPO + r"/issues/(?P<number>\d+)")
    def update_issue(self, req: Request) -> Response:
        repo = self._repo(req)
        issue = issues.update(self.world, repo, int(req.params["number"]), req.body)
        return Response(200, issues.issue_json(self.shapes, repo, issue))

    @route("POST", _REPO + r"/issues/(?P<number>\d+)/comments")
    def create_issue_comment(self, req: Request) -> Response:
        repo = self._repo(req)
        issue, made = issues.comment(self.world, repo, int(req.params["number"]), req.body, req.actor)
        out = issues.comment_json(self.shapes, repo, issue, made)
        return Response(201, out, headers={"Location": out["url"]})
