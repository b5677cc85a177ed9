"""Evaluate a workflow's `run-name:` the way GitHub does for the expressions we need.

Only context look-ups are supported (`inputs.X`, `github.event.inputs.X`,
`github.event.client_payload.a.b`, `github.event.action`, `github.event_name`,
`github.ref_name`, `github.actor`); anything else evaluates to an empty string.
"""

from __future__ import annotations

import json
import re
from typing import Any

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _lookup(context: dict[str, Any], dotted: str) -> Any:
    node: Any = context
    for part in dotted.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def render_run_name(template: str, context: dict[str, Any]) -> str:
    return _EXPR.sub(lambda m: _as_text(_lookup(context, m.group(1))), template)


def make_context(*, event_name: str, ref_name: str, actor: str, inputs: dict[str, Any] | None = None,
                 event_type: str | None = None, client_payload: dict[str, Any] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {}
    if inputs is not None:
        event["inputs"] = inputs
    if event_type is not None:
        event["action"] = event_type
        event["client_payload"] = client_payload or {}
    github = {"event_name": event_name, "ref_name": ref_name, "actor": actor, "event": event}
    return {"inputs": inputs or {}, "github": github}
