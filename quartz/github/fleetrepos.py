"""`python -m quartz.github.fleetrepos`: the repositories a Quartz GitHub App token must reach.

Workflows print it into $GITHUB_OUTPUT and scope actions/create-github-app-token
to it: stage repositories receive dispatches, trigger repositories receive
commit statuses. Only repositories of OWNER count (an App token covers one owner).
"""

from __future__ import annotations

import os
import sys

from quartz.config import Config, load


def token_repos(config: Config, owner: str) -> list[str]:
    projects = {stage.project for cascade in config.cascades.values() for stage in cascade.stages.values()}
    projects |= {cascade.trigger.project for cascade in config.cascades.values() if cascade.trigger}
    names = set()
    for name in projects:
        repo_owner, repo_name = config.projects[name].repo.split("/", 1)
        if repo_owner.lower() == owner.lower():
            names.add(repo_name)
    return sorted(names)


def main() -> int:
    owner = os.environ["OWNER"]
    fallback = os.environ.get("THIS_REPO", "")
    repos = token_repos(load(os.environ.get("QUARTZ_CONFIG", "cascades.yaml")), owner) or [fallback]
    print("repos=" + ",".join(repos))
    return 0


if __name__ == "__main__":
    sys.exit(main())
