"""A GitHub issue per broken thing, in the repository a channel names.

Opened on the first failure (title, the failing run's line and links, the channel's labels and a hidden
marker `<!-- quartz:<subject> -->`), commented on when the thing breaks again while the issue is open,
closed with a comment on recovery. The issue is found again by listing the open issues with the channel's
first label and looking for the marker, so a lost store cannot open a duplicate.

Every write is one request without retries (the client's writer has retry=None): a 5xx or no answer leaves
the intent unknown, like a Slack POST.
"""

from __future__ import annotations

import requests
from github import GithubException

from quartz.cascades.lookup import github_message
from quartz.config.model import Channel
from quartz.github.client import GitHubError
from quartz.notify.slack import Answer
from quartz.text import cap

TITLE_CAP = 200
LIST_PAGES = 10  # open issues with the label, 100 a page


def marker(subject: str) -> str:
    return f"<!-- quartz:{subject.replace('--', '- -')} -->"


def fenced(text: str) -> str:
    """Untrusted text as a code block: no markdown, no HTML, no @mentions."""
    return "```text\n" + str(text).replace("```", "'''") + "\n```"


def body(intent: dict, opening: bool) -> str:
    lines = [fenced("\n".join(x for x in (intent["title"], intent.get("detail")) if x))]
    if intent.get("link"):
        lines.append(f"Link: {intent['link']}")
    if opening:
        lines += ["", "Opened by Quartz; it comments here while this stays broken and closes the issue on recovery.",
                  marker(intent["issue_subject"])]
    return "\n\n".join(lines)


class Tracker:
    def __init__(self, client, channel: Channel):
        self.client = client
        self.channel = channel
        self.writer = client.pygithub_for_writes()
        self._open: list[dict] | None = None

    def open_issues(self) -> list[dict]:
        if self._open is None:
            found = []
            params = {"labels": self.channel.labels[0], "state": "open", "per_page": 100}
            for index, page in enumerate(self.client.pages(f"/repos/{self.channel.repo}/issues", params)):
                found += [i for i in (page.body or []) if isinstance(i, dict) and "pull_request" not in i]
                if index + 1 >= LIST_PAGES:
                    break
            self._open = found
        return self._open

    def find(self, subject: str) -> dict | None:
        wanted = marker(subject)
        return next((i for i in self.open_issues() if wanted in (i.get("body") or "")), None)

    def send(self, intent: dict) -> Answer:
        try:
            issue = self.find(intent["issue_subject"])
        except GitHubError as exc:  # nothing was written: refused, not unknown
            return Answer("failed", exc.status or None, f"could not list issues in {self.channel.repo}: {exc}")
        if intent["broken"]:
            if issue is None:
                return self._write("POST", f"/repos/{self.channel.repo}/issues", {
                    "title": cap(intent["title"], TITLE_CAP), "body": body(intent, True),
                    "labels": list(self.channel.labels)}, remember=True)
            return self._comment(issue, intent)
        if issue is None:
            return Answer("sent", None, "no open issue to close")
        answer = self._comment(issue, intent)
        if answer.status != "sent":
            return answer
        return self._write("PATCH", f"/repos/{self.channel.repo}/issues/{int(issue['number'])}",
                           {"state": "closed", "state_reason": "completed"}, forget=issue)

    def _comment(self, issue: dict, intent: dict) -> Answer:
        return self._write("POST", f"/repos/{self.channel.repo}/issues/{int(issue['number'])}/comments",
                           {"body": body(intent, False)}, url=issue.get("html_url"))

    def _write(self, verb: str, path: str, payload: dict, *, remember: bool = False, forget: dict | None = None,
               url: str | None = None) -> Answer:
        """One request, never repeated."""
        try:
            _, data = self.writer.requester.requestJsonAndCheck(verb, path, input=payload)
        except GithubException as exc:
            outcome = "unknown" if exc.status >= 500 else "failed"
            return Answer(outcome, exc.status, f"GitHub answered {exc.status}: {github_message(exc)}", url)
        except requests.exceptions.RequestException as exc:
            return Answer("unknown", None, f"no answer from GitHub ({type(exc).__name__})", url)
        data = data if isinstance(data, dict) else {}
        if remember and data:
            self.open_issues().append(data)
        if forget is not None and forget in self.open_issues():
            self.open_issues().remove(forget)
        return Answer("sent", 200, None, url or data.get("html_url"))
