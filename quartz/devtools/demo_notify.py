"""The demo's notifications: a `notify:` section when cascades.yaml has none, a local webhook sink standing in
for Slack, and a simulated repository for the issues channel."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from pathlib import Path

from quartz.config import Config
from quartz.config import notify as notify_config

WEBHOOK_ENV = "QUARTZ_DEMO_WEBHOOK"
ISSUES_REPO = "ROCm/quartz-alerts"
NOTIFY = {
    "channels": {
        "demo-slack": {"type": "slack", "webhook_env": WEBHOOK_ENV},
        "demo-issues": {"type": "github_issues", "repo": ISSUES_REPO, "labels": ["quartz-alert"]},
    },
    "rules": [
        {"events": ["cascade_failed", "cascade_partial_failure", "cascade_recovered", "stage_timed_out",
                    "culprit_verdict"],
         "channels": ["demo-slack", "demo-issues"]},
        {"events": ["stage_stuck"], "channels": ["demo-slack"], "stuck_after": "3h"},
        {"events": ["branch_red", "branch_green"], "channels": ["demo-slack"], "projects": ["pytorch"],
         "after_failures": 2},
    ],
}


def configure(config: Config, world) -> Config:
    """The config the demo runs with: its own `notify:` unless the file has one; the issues repo exists."""
    if not config.notify.rules:
        rules = [r for r in NOTIFY["rules"] if set(r.get("projects", ())) <= set(config.projects)]
        config = dataclasses.replace(config, notify=notify_config.build({**NOTIFY, "rules": rules}))
    for channel in config.notify.channels.values():
        if channel.type == "github_issues" and channel.repo not in {r.full_name for r in world.repos.values()}:
            world.add_repo(channel.repo)
    return config


@contextlib.contextmanager
def sink(config: Config):
    """A webhook sink for every Slack channel's environment variable that is not set already."""
    from quartz.notify.sink import WebhookSink

    names = {c.webhook_env for c in config.notify.channels.values() if c.type == "slack"}
    names = {n for n in names if not os.environ.get(n)}
    with WebhookSink() as made:
        saved = {n: os.environ.get(n) for n in names}
        os.environ.update({n: made.url for n in names})
        try:
            yield made
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def finish(made, world, site_dir: Path) -> dict[str, int]:
    """Keep what the sink received beside the site; count the issues."""
    from quartz.devtools.simulator.issues import issues_of

    made.save(Path(site_dir) / "demo-webhook.json")
    issues = [i for repo_issues in issues_of(world).by_repo.values() for i in repo_issues]
    return {"webhook": len(made.messages), "opened": len(issues),
            "closed": sum(1 for i in issues if i.state == "closed")}
