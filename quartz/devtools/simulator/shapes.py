"""World records rendered in GitHub's JSON shapes (checked against GitHub's OpenAPI
description by tests/test_simulator_openapi.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from .model import Artifact, Repo, Run, Status, Workflow
from .outcomes import JobResult, job_id
from .query import check_suite_id
from .world import ARTIFACT_RETENTION_S, World


def iso(ts: int | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Shapes:
    """Renders with the server's own base URL so every `url` leads back to it."""

    def __init__(self, world: World, api: str, html: str):
        self.world = world
        self.api = api.rstrip("/")
        self.html = html.rstrip("/")
        self._users: dict[str, dict[str, Any]] = {}
        self._repos: dict[int, dict[str, Any]] = {}

    # -- users and repos ---------------------------------------------------------------
    def user(self, login: str) -> dict[str, Any]:
        if login not in self._users:
            uid = _stable_id(login)
            u = f"{self.api}/users/{login}"
            self._users[login] = {
                "login": login, "id": uid, "node_id": f"U_{uid:x}",
                "avatar_url": f"{self.html}/avatars/{login}.png", "gravatar_id": "",
                "url": u, "html_url": f"{self.html}/{login}",
                "followers_url": f"{u}/followers", "following_url": f"{u}/following{{/other_user}}",
                "gists_url": f"{u}/gists{{/gist_id}}", "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
                "subscriptions_url": f"{u}/subscriptions", "organizations_url": f"{u}/orgs",
                "repos_url": f"{u}/repos", "events_url": f"{u}/events{{/privacy}}",
                "received_events_url": f"{u}/received_events",
                "type": "Bot" if login.endswith("[bot]") else "User", "user_view_type": "public",
                "site_admin": False,
            }
        return self._users[login]

    def minimal_repo(self, repo: Repo) -> dict[str, Any]:
        if repo.id not in self._repos:
            u = f"{self.api}/repos/{repo.full_name}"
            self._repos[repo.id] = {
                "id": repo.id, "node_id": f"R_{repo.id:x}", "name": repo.name, "full_name": repo.full_name,
                "private": repo.private, "owner": self.user(repo.owner),
                "html_url": f"{self.html}/{repo.full_name}", "description": None, "fork": False, "url": u,
                "archive_url": f"{u}/{{archive_format}}{{/ref}}", "assignees_url": f"{u}/assignees{{/user}}",
                "blobs_url": f"{u}/git/blobs{{/sha}}", "branches_url": f"{u}/branches{{/branch}}",
                "collaborators_url": f"{u}/collaborators{{/collaborator}}",
                "comments_url": f"{u}/comments{{/number}}", "commits_url": f"{u}/commits{{/sha}}",
                "compare_url": f"{u}/compare/{{base}}...{{head}}", "contents_url": f"{u}/contents/{{+path}}",
                "contributors_url": f"{u}/contributors", "deployments_url": f"{u}/deployments",
                "downloads_url": f"{u}/downloads", "events_url": f"{u}/events", "forks_url": f"{u}/forks",
                "git_commits_url": f"{u}/git/commits{{/sha}}", "git_refs_url": f"{u}/git/refs{{/sha}}",
                "git_tags_url": f"{u}/git/tags{{/sha}}", "hooks_url": f"{u}/hooks",
                "issue_comment_url": f"{u}/issues/comments{{/number}}",
                "issue_events_url": f"{u}/issues/events{{/number}}", "issues_url": f"{u}/issues{{/number}}",
                "keys_url": f"{u}/keys{{/key_id}}", "labels_url": f"{u}/labels{{/name}}",
                "languages_url": f"{u}/languages", "merges_url": f"{u}/merges",
                "milestones_url": f"{u}/milestones{{/number}}",
                "notifications_url": f"{u}/notifications{{?since,all,participating}}",
                "pulls_url": f"{u}/pulls{{/number}}", "releases_url": f"{u}/releases{{/id}}",
                "stargazers_url": f"{u}/stargazers", "statuses_url": f"{u}/statuses/{{sha}}",
                "subscribers_url": f"{u}/subscribers", "subscription_url": f"{u}/subscription",
                "tags_url": f"{u}/tags", "teams_url": f"{u}/teams", "trees_url": f"{u}/git/trees{{/sha}}",
            }
        return self._repos[repo.id]

    def full_repo(self, repo: Repo) -> dict[str, Any]:
        d = dict(self.minimal_repo(repo))
        pushed = max((c.timestamp for c in repo.commits.values()), default=repo.created)
        gh = self.html.split("://", 1)[-1]
        d.update({
            "clone_url": f"{self.html}/{repo.full_name}.git", "git_url": f"git://{gh}/{repo.full_name}.git",
            "ssh_url": f"git@{gh.split('/')[0]}:{repo.full_name}.git", "svn_url": f"{self.html}/{repo.full_name}",
            "mirror_url": None, "homepage": None, "language": "Python", "forks_count": 0, "forks": 0,
            "stargazers_count": 0, "watchers_count": 0, "watchers": 0, "size": 1024,
            "default_branch": repo.default_branch, "open_issues_count": 0, "open_issues": 0,
            "is_template": False, "topics": [], "has_issues": True, "has_projects": False, "has_wiki": False,
            "has_pages": False, "has_downloads": True, "has_discussions": False, "archived": False,
            "disabled": False, "visibility": "private" if repo.private else "public",
            "pushed_at": iso(pushed), "created_at": iso(repo.created), "updated_at": iso(repo.created),
            "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
            "allow_forking": True, "web_commit_signoff_required": False, "license": None,
            "network_count": 0, "subscribers_count": 0,
        })
        return d

    def branch(self, repo: Repo, name: str) -> dict[str, Any]:
        sha = repo.branches[name]
        c = self.world.commit(repo, sha, repo.created)
        u = f"{self.api}/repos/{repo.full_name}"
        author = {"name": c.author, "email": f"{c.author}@users.noreply.github.com", "date": iso(c.timestamp)}
        return {
            "name": name,
            "commit": {
                "sha": sha, "node_id": f"C_{sha[:16]}", "url": f"{u}/commits/{sha}",
                "html_url": f"{self.html}/{repo.full_name}/commit/{sha}", "comments_url": f"{u}/commits/{sha}/comments",
                "commit": {"url": f"{u}/git/commits/{sha}", "author": author, "committer": author,
                           "message": c.message, "comment_count": 0,
                           "tree": {"sha": sha[::-1], "url": f"{u}/git/trees/{sha[::-1]}"}},
                "author": self.user(c.author), "committer": self.user(c.author), "parents": [],
            },
            "_links": {"self": f"{u}/branches/{name}", "html": f"{self.html}/{repo.full_name}/tree/{name}"},
            "protected": False,
            "protection": {"enabled": False, "required_status_checks": {
                "enforcement_level": "off", "contexts": [], "checks": []}},
            "protection_url": f"{u}/branches/{name}/protection",
        }

    def short_branch(self, repo: Repo, name: str) -> dict[str, Any]:
        sha = repo.branches[name]
        return {"name": name, "commit": {"sha": sha, "url": f"{self.api}/repos/{repo.full_name}/commits/{sha}"},
                "protected": False}

    # -- workflows and runs --------------------------------------------------------------
    def workflow(self, wf: Workflow) -> dict[str, Any]:
        r = wf.repo.full_name
        return {
            "id": wf.id, "node_id": f"W_{wf.id:x}", "name": wf.name, "path": wf.path, "state": wf.state,
            "created_at": iso(wf.created), "updated_at": iso(wf.created),
            "url": f"{self.api}/repos/{r}/actions/workflows/{wf.id}",
            "html_url": f"{self.html}/{r}/blob/{wf.repo.default_branch}/{wf.path}",
            "badge_url": f"{self.html}/{r}/workflows/{wf.file_name}/badge.svg",
        }

    def run(self, run: Run, attempt: int | None = None) -> dict[str, Any]:
        w = self.world
        att = run.attempts[(attempt or len(run.attempts)) - 1]
        repo = run.workflow.repo
        u = f"{self.api}/repos/{repo.full_name}/actions/runs/{run.id}"
        c = w.commit(repo, run.sha, run.created)
        author = {"name": c.author, "email": f"{c.author}@users.noreply.github.com"}
        mini = self.minimal_repo(repo)
        return {
            "id": run.id, "name": run.workflow.name, "node_id": f"WFR_{run.id:x}",
            "head_branch": run.branch, "head_sha": run.sha, "path": run.workflow.path,
            "display_title": run.title, "run_number": run.number, "event": run.event,
            "status": w.attempt_status(att), "conclusion": w.attempt_conclusion(run, att),
            "workflow_id": run.workflow.id, "check_suite_id": check_suite_id(run),
            "check_suite_node_id": f"CS_{check_suite_id(run):x}",
            "url": u, "html_url": f"{self.html}/{repo.full_name}/actions/runs/{run.id}",
            "pull_requests": [], "created_at": iso(run.created), "updated_at": iso(w.attempt_updated(att)),
            "actor": self.user(run.actor), "triggering_actor": self.user(att.actor),
            "run_attempt": att.number, "referenced_workflows": [],
            "run_started_at": iso(att.started if w.now_ts >= att.started else att.created),
            "jobs_url": f"{u}/jobs", "logs_url": f"{u}/logs", "check_suite_url":
                f"{self.api}/repos/{repo.full_name}/check-suites/{check_suite_id(run)}",
            "artifacts_url": f"{u}/artifacts", "cancel_url": f"{u}/cancel", "rerun_url": f"{u}/rerun",
            "previous_attempt_url": f"{u}/attempts/{att.number - 1}" if att.number > 1 else None,
            "workflow_url": f"{self.api}/repos/{repo.full_name}/actions/workflows/{run.workflow.id}",
            "head_commit": {"id": c.sha, "tree_id": c.sha[::-1], "message": c.message,
                            "timestamp": iso(c.timestamp), "author": author, "committer": author},
            "repository": mini, "head_repository": mini, "head_repository_id": repo.id,
        }

    def job(self, run: Run, j: JobResult) -> dict[str, Any]:
        w = self.world
        repo = run.workflow.repo
        jid = job_id(run, j.attempt, j.index)
        status = w.job_status(j)
        done = status == "completed"
        started = j.start if status != "queued" else j.created
        runner = status != "queued"
        step_times = [(j.start, j.start + 1), (j.start + 1, max(j.start + 1, j.end - 1)),
                      (max(j.start + 1, j.end - 1), j.end)]
        steps = []
        for n, (name, (a, b)) in enumerate(zip(("Set up job", j.spec.name, "Complete job"), step_times,
                                               strict=True), start=1):
            s_status = "completed" if w.now_ts >= b else ("in_progress" if w.now_ts >= a else "queued")
            s_concl = None
            if s_status == "completed":
                s_concl = j.conclusion if n == 2 else "success"
            steps.append({"name": name, "status": s_status, "conclusion": s_concl, "number": n,
                          "started_at": iso(a) if s_status != "queued" else None,
                          "completed_at": iso(b) if s_status == "completed" else None})
        return {
            "id": jid, "run_id": run.id, "run_url": f"{self.api}/repos/{repo.full_name}/actions/runs/{run.id}",
            "run_attempt": j.attempt, "node_id": f"CR_{jid:x}", "head_sha": run.sha,
            "url": f"{self.api}/repos/{repo.full_name}/actions/jobs/{jid}",
            "html_url": f"{self.html}/{repo.full_name}/actions/runs/{run.id}/job/{jid}",
            "status": status, "conclusion": j.conclusion if done else None,
            "created_at": iso(j.created), "started_at": iso(started), "completed_at": iso(j.end) if done else None,
            "name": j.spec.name, "steps": steps,
            "check_run_url": f"{self.api}/repos/{repo.full_name}/check-runs/{jid}",
            "labels": list(j.spec.labels),
            "runner_id": 1000 + j.index if runner else None,
            "runner_name": f"runner-{j.index}" if runner else None,
            "runner_group_id": 1 if runner else None,
            "runner_group_name": "Default" if runner else None,
            "workflow_name": run.workflow.name, "head_branch": run.branch,
        }

    def artifact(self, run: Run, art: Artifact) -> dict[str, Any]:
        repo = run.workflow.repo
        u = f"{self.api}/repos/{repo.full_name}/actions/artifacts/{art.id}"
        return {
            "id": art.id, "node_id": f"MDg6QXJ0aWZhY3Q{art.id}", "name": art.name, "size_in_bytes": art.size,
            "url": u, "archive_download_url": f"{u}/zip", "expired": self.world.artifact_expired(art),
            "created_at": iso(art.created), "updated_at": iso(art.created),
            "expires_at": iso(art.created + ARTIFACT_RETENTION_S), "digest": None,
            "workflow_run": {"id": run.id, "repository_id": repo.id, "head_repository_id": repo.id,
                             "head_branch": run.branch, "head_sha": run.sha},
        }

    def status(self, repo: Repo, st: Status) -> dict[str, Any]:
        creator = self.user(st.creator)
        return {
            "url": f"{self.api}/repos/{repo.full_name}/statuses/{st.sha}", "avatar_url": creator["avatar_url"],
            "id": st.id, "node_id": f"SC_{st.id:x}", "state": st.state, "description": st.description,
            "target_url": st.target_url, "context": st.context, "created_at": iso(st.created),
            "updated_at": iso(st.created), "creator": creator,
        }


@lru_cache(maxsize=4096)
def _stable_id(login: str) -> int:
    return 1_000_000 + sum((i + 1) * ord(ch) for i, ch in enumerate(login)) * 7919 % 90_000_000
