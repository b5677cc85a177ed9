"""The `notify:` section of cascades.yaml: what the JSON Schema cannot say, and the immutable model.

Channel names are checked against the rules that use them, a Slack channel must name the environment
variable holding its webhook URL (never the URL: it is a secret), a GitHub issues channel a repository, an
e-mail channel its SMTP server, sender and recipients (and, with a login, the NAME of the environment variable
holding the password).
"""

from __future__ import annotations

import re
from types import MappingProxyType

from quartz.config.model import DEFAULT_STUCK_AFTER_S, Channel, Notify, Rule, Smtp, parse_duration

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NEEDS = {"slack": ("webhook_env",), "github_issues": ("repo",), "email": ("host", "from", "to")}
EMAIL_KEYS = ("host", "port", "security", "user", "password_env", "from", "to")
ONLY = {"webhook_env": "slack", "repo": "github_issues", "labels": "github_issues"} | dict.fromkeys(EMAIL_KEYS,
                                                                                                  "email")
PORTS = {"starttls": 587, "tls": 465}
_ADDRESS = {"type": "string", "pattern": r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$"}
EMAIL_CHANNEL = {  # the e-mail keys of a channel in the JSON Schema (config/schema.py)
    "host": {"type": "string", "minLength": 1, "description": "email: the SMTP server"},
    "port": {"type": "integer", "minimum": 1, "maximum": 65535, "description": "email: 587 (starttls), 465 (tls)"},
    "security": {"enum": list(PORTS), "description": "email: STARTTLS (default) or implicit TLS"},
    "user": {"type": "string", "minLength": 1, "description": "email: SMTP login; none for a relay without one"},
    "password_env": {"type": "string", "description": "email: NAME of the environment variable holding the password"},
    "from": {**_ADDRESS, "description": "email: the sender address"},
    "to": {"type": "array", "minItems": 1, "uniqueItems": True, "items": _ADDRESS},
}


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
        for need in NEEDS[kind]:
            if need not in channel:
                validator.error(path, f"a {kind} channel needs '{need}'", key=True)
        for key, owner in ONLY.items():
            if key in channel and owner != kind:
                validator.error(path + (key,), f"'{key}' applies to {owner} channels only", key=True)
        if "webhook_env" in channel and not ENV_NAME.match(str(channel["webhook_env"])):
            # Never echo the value: someone may have pasted the secret URL itself.
            validator.error(path + ("webhook_env",), "write the NAME of an environment variable "
                                                     "(letters, digits, _), e.g. QUARTZ_SLACK_WEBHOOK, not the URL")
        if kind == "email":
            check_email(validator, path, channel)
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


def check_email(validator, path: tuple, channel: dict) -> None:
    """What the schema cannot say about an e-mail channel: the login and its password go together."""
    if "password_env" in channel and not ENV_NAME.match(str(channel["password_env"])):
        # Never echo the value: someone may have pasted the password itself.
        validator.error(path + ("password_env",), "write the NAME of an environment variable "
                                                  "(letters, digits, _), e.g. QUARTZ_SMTP_PASSWORD, not the password")
    if "user" in channel and "password_env" not in channel:
        validator.error(path + ("user",), "an SMTP login needs 'password_env' (the NAME of the environment "
                                          "variable holding its password)", key=True)
    if "password_env" in channel and "user" not in channel:
        validator.error(path + ("password_env",), "'password_env' needs 'user' (the SMTP login)", key=True)


def smtp(c: dict) -> Smtp | None:
    if c["type"] != "email":
        return None
    security = c.get("security", "starttls")
    return Smtp(host=c["host"], port=int(c.get("port", PORTS[security])), security=security, sender=c["from"],
                to=tuple(c["to"]), user=c.get("user"), password_env=c.get("password_env"))


def build(raw) -> Notify:
    raw = raw or {}
    channels = {
        name: Channel(name=name, type=c["type"], webhook_env=c.get("webhook_env"), repo=c.get("repo"),
                      labels=tuple(c.get("labels") or ("quartz",)), smtp=smtp(c))
        for name, c in (raw.get("channels") or {}).items()
    }
    rules = tuple(
        Rule(events=tuple(r["events"]), channels=tuple(r["channels"]), projects=tuple(r.get("projects") or ()),
             cascades=tuple(r.get("cascades") or ()), after_failures=int(r.get("after_failures", 1)),
             stuck_after_s=parse_duration(r["stuck_after"]) if "stuck_after" in r else DEFAULT_STUCK_AFTER_S)
        for r in (raw.get("rules") or [])
    )
    return Notify(channels=MappingProxyType(channels), rules=rules)
