"""Issues in the simulated world, enough for Quartz's GitHub issues channel: create, list by label and
state, comment, close or reopen. The JSON follows GitHub's `issue` and `issue-comment` shapes."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

from .model import Repo
from .query import paginate
from .shapes import iso
from .world import SimulatorError, World


@dataclass
class Issue:
    number: int
    title: str
    body: str
    labels: list[str]
    author: str
    created: int
    updated: int
    state: str = "open"
    state_reason: str | None = None
    closed: int | None = None
    comments: list[tuple[int, str, str, int]] = field(default_factory=list)  # (id, author, body, created)


class Issues:
    """Every repository's issues (kept beside the world, which knows nothing about them)."""

    def __init__(self):
        self.by_repo: dict[int, list[Issue]] = {}
        self.next_comment_id = 5_000_000

    def of(self, repo: Repo) -> list[Issue]:
        return self.by_repo.setdefault(repo.id, [])

    def get(self, repo: Repo, number: int) -> Issue:
        for issue in self.of(repo):
            if issue.number == number:
                return issue
        raise SimulatorError(404, "Not Found")


def issues_of(world: World) -> Issues:
    found = getattr(world, "_issues", None)
    if found is None:
        found = Issues()
        world._issues = found
    return found


def create(world: World, repo: Repo, body: Any, actor: str) -> Issue:
    body = body if isinstance(body, dict) else {}
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        raise SimulatorError(422, "Validation Failed",
                             [{"resource": "Issue", "field": "title", "code": "missing_field"}])
    labels = [str(x) for x in body.get("labels") or [] if isinstance(x, str)]
    with world.lock:
        issues = issues_of(world).of(repo)
        issue = Issue(len(issues) + 1, title, str(body.get("body") or ""), labels, actor, world.now_ts,
                      world.now_ts)
        issues.append(issue)
        return issue


def listing(world: World, repo: Repo, query: dict[str, str]):
    state = query.get("state", "open")
    wanted = {x for x in (query.get("labels") or "").split(",") if x}
    with world.lock:
        found = [i for i in reversed(issues_of(world).of(repo))  # newest first, as GitHub sorts by default
                 if (state == "all" or i.state == state) and wanted <= set(i.labels)]
    return paginate(found, len(found), query)


def update(world: World, repo: Repo, number: int, body: Any) -> Issue:
    body = body if isinstance(body, dict) else {}
    with world.lock:
        issue = issues_of(world).get(repo, number)
        if body.get("state") in ("open", "closed") and body["state"] != issue.state:
            issue.state = body["state"]
            issue.closed = world.now_ts if issue.state == "closed" else None
            issue.state_reason = body.get("state_reason") or ("completed" if issue.state == "closed" else "reopened")
        for key in ("title", "body"):
            if isinstance(body.get(key), str):
                setattr(issue, key, body[key])
        issue.updated = world.now_ts
        return issue


def comment(world: World, repo: Repo, number: int, body: Any, actor: str) -> tuple[Issue, tuple]:
    text = body.get("body") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text:
        raise SimulatorError(422, "Validation Failed",
                             [{"resource": "IssueComment", "field": "body", "code": "missing_field"}])
    with world.lock:
        tracker = issues_of(world)
        issue = tracker.get(repo, number)
        made = (tracker.next_comment_id, actor, text, world.now_ts)
        tracker.next_comment_id += 1
        issue.comments.append(made)
        issue.updated = world.now_ts
        return issue, made


def issue_json(shapes, repo: Repo, issue: Issue) -> dict[str, Any]:
    r = f"{shapes.api}/repos/{repo.full_name}"
    u = f"{r}/issues/{issue.number}"
    iid = repo.id * 100_000 + issue.number
    return {
        "id": iid, "node_id": f"I_{iid:x}", "url": u, "repository_url": r, "labels_url": f"{u}/labels{{/name}}",
        "comments_url": f"{u}/comments", "events_url": f"{u}/events",
        "html_url": f"{shapes.html}/{repo.full_name}/issues/{issue.number}", "number": issue.number,
        "state": issue.state, "state_reason": issue.state_reason, "title": issue.title, "body": issue.body,
        "user": shapes.user(issue.author),
        "labels": [{"id": zlib.crc32(name.encode()), "node_id": f"LA_{name}", "url": f"{r}/labels/{name}",
                    "name": name, "description": None, "color": "ededed", "default": False}
                   for name in issue.labels],
        "assignee": None, "assignees": [], "milestone": None, "locked": False, "active_lock_reason": None,
        "comments": len(issue.comments), "closed_at": iso(issue.closed), "created_at": iso(issue.created),
        "updated_at": iso(issue.updated), "author_association": "MEMBER",
    }


def comment_json(shapes, repo: Repo, issue: Issue, made: tuple) -> dict[str, Any]:
    cid, author, text, created = made
    r = f"{shapes.api}/repos/{repo.full_name}"
    return {
        "id": cid, "node_id": f"IC_{cid:x}", "url": f"{r}/issues/comments/{cid}",
        "html_url": f"{shapes.html}/{repo.full_name}/issues/{issue.number}#issuecomment-{cid}",
        "body": text, "user": shapes.user(author), "created_at": iso(created), "updated_at": iso(created),
        "issue_url": f"{r}/issues/{issue.number}", "author_association": "MEMBER",
    }
