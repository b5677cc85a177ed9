"""The `notify:` section of cascades.yaml: what the JSON Schema cannot say, and the immutable model.

Channel names are checked against the rules that use them, a Slack channel must name the environment
variable holding its webhook URL (never the URL: it is a secret), a GitHub issues channel a repository.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from quartz.config.model import DEFAULT_STUCK_AFTER_S, Channel, Notify, Rule, parse_duration

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NEEDS = {"slack": "webhook_env", "github_issues": "repo"}
ONLY = {"webhook_env": "slack", "repo": "github_issues", "labels": "github_issues"}


def check(validator, raw, projects: dict, cascades: dict) -> None:
    """Report every problem of `notify:` through validator.error / validator.unknown (file:line each)."""
    if not isinstance(raw, dict):
        return  # absent, or the wrong shape: the schema pass said so
    channels = raw.get("channels") if isinstance(raw.get("channels"), dict) else {}
    for name, channel in channels.items():
        path = ("notify", "channels", name)
        validator.check_name(path, name, "channel")
        if not isinstance(channel, dict) or channel.get("type") not in NEEDS:
            continue
        kind = channel["type"]
        if NEEDS[kind] not in channel:
            validator.error(path, f"a {kind} channel needs '{NEEDS[kind]}'", key=True)
        for key, owner in ONLY.items():
            if key in channel and owner != kind:
                validator.error(path + (key,), f"'{key}' applies to {owner} channels only", key=True)
        if "webhook_env" in channel and not ENV_NAME.match(str(channel["webhook_env"])):
            # Never echo the value: someone may have pasted the secret URL itself.
            validator.error(path + ("webhook_env",), "write the NAME of an environment variable "
                                                     "(letters, digits, _), e.g. QUARTZ_SLACK_WEBHOOK, not the URL")
    rules = raw.get("rules") if isinstance(raw.get("rules"), list) else []
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        path = ("notify", "rules", index)
        for known, key, what in ((channels, "channels", "channel"), (projects, "projects", "project"),
                                 (cascades, "cascades", "cascade")):
            for at, name in enumerate(rule.get(key) or []):
                if name not in known:
                    validator.unknown(path + (key, at), what, name, known)


def build(raw) -> Notify:
    raw = raw or {}
    channels = {
        name: Channel(name=name, type=c["type"], webhook_env=c.get("webhook_env"), repo=c.get("repo"),
                      labels=tuple(c.get("labels") or ("quartz",)))
        for name, c in (raw.get("channels") or {}).items()
    }
    rules = tuple(
        Rule(events=tuple(r["events"]), channels=tuple(r["channels"]), projects=tuple(r.get("projects") or ()),
             cascades=tuple(r.get("cascades") or ()), after_failures=int(r.get("after_failures", 1)),
             stuck_after_s=parse_duration(r["stuck_after"]) if "stuck_after" in r else DEFAULT_STUCK_AFTER_S)
        for r in (raw.get("rules") or [])
    )
    return Notify(channels=MappingProxyType(channels), rules=rules)
