"""Say what a 404 means: the repository or the workflow cascades.yaml names, and on which line.

GitHub answers 404 both for a repository that does not exist (or the token
cannot see) and for a workflow file missing from an existing repository. One
more GET of the repository tells the two apart; it is sent only after a 404.
"""

from __future__ import annotations

from quartz.config import Project
from quartz.deadline import DeadlineReached
from quartz.github.client import GitHubError, NotFound


def explain(client, project: Project, workflow: str) -> str:
    """One line naming what is unknown and where cascades.yaml names it."""
    try:
        client.get(f"/repos/{project.repo}")
    except NotFound:
        at = f" ({project.repo_at})" if project.repo_at else ""
        return (f"unknown repository {project.repo}{at}: GitHub answered 404 — it does not exist, "
                "or the token cannot see it")
    except (GitHubError, DeadlineReached):
        pass  # fall back to the general wording below
    else:
        where = project.workflow_at(workflow)
        at = f" ({where})" if where else ""
        return (f"unknown workflow {workflow} in {project.repo}{at}: GitHub answered 404 — "
                "no such file in .github/workflows")
    where = project.workflow_at(workflow)
    at = f", {where}" if where else ""
    return f"{project.repo} {workflow}: GitHub answered 404 (unknown repository or workflow{at})"
