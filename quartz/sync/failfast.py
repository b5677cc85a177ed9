"""Stop a sync when GitHub itself is the problem, not one project.

Connection refused, a failed DNS lookup, a TLS error, a connect timeout, no
answer at all, or a token GitHub rejects (401) give the same answer for every
project. After FAIL_FAST_AFTER of them in a row (no answer from GitHub in
between), trying the other projects only spends the cycle: the sync stops, keeps
what it synced (each project commits as it goes) and says why in one line.
"""

from __future__ import annotations

from quartz.errors import QuartzError
from quartz.github.client import BadCredentials, GitHubError, Unreachable

FAIL_FAST_AFTER = 3


class GitHubDown(QuartzError):
    """GitHub could not be reached, or rejected the token, for several projects in a row."""

    def __init__(self, message: str, cause: GitHubError):
        super().__init__(message)
        self.cause = cause


def check(client, report, projects_total: int) -> None:
    """After a project: when the client saw FAIL_FAST_AFTER won't-heal failures in a row, stop the sync."""
    if report.fatal is not None or client.down_streak < FAIL_FAST_AFTER or client.last_down is None:
        return
    tried = len(report.projects_synced) + len(report.failures)
    left = projects_total - tried
    tail = f" — stopped after {tried} projects" + (f", {left} not tried" if left > 0 else "")
    report.fatal = GitHubDown(describe_down(client.base_url, client.last_down) + tail, client.last_down)
    report.stopped = str(report.fatal)


def describe_down(base_url: str, error: GitHubError) -> str:
    if isinstance(error, Unreachable):
        return f"GitHub at {base_url} is unreachable ({error.cause})"
    if isinstance(error, BadCredentials):
        return f"GitHub at {base_url} rejected the token (401 bad credentials); set GITHUB_TOKEN to a valid token"
    return f"GitHub at {base_url} failed: {error}"
