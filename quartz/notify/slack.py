"""Slack-compatible incoming webhooks: one POST of {"text", "blocks"}, never retried.

The webhook URL is the secret: it is read from the environment variable the config names, used for the
POST and nowhere else. Errors carry only the exception's type, because requests puts the URL in its messages,
and a refusal's text is stored with every form and piece of the URL taken out (redact.py).
Untrusted text is escaped for Slack's mrkdwn (&, <, >), so a hostile branch name or log line cannot make a
link or a mention; it stays text.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import requests

from quartz.notify.redact import redact

TIMEOUT_S = 10.0
TEXT_CAP = 2900  # Slack's section text limit is 3,000 characters
DIGEST_LINES = 20


@dataclass(frozen=True)
class Answer:
    status: str  # sent | failed | unknown
    response_status: int | None = None
    error: str | None = None
    issue_url: str | None = None


def escape(text: str) -> str:
    """Slack mrkdwn: the three characters that make links, mentions and entities."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, label: str) -> str:
    if not url or not url.startswith(("https://", "http://")):
        return ""
    return f"<{escape(url).replace('|', '%7C')}|{escape(label)}>"


def message(intent: dict) -> dict:
    """One notification as a webhook payload."""
    title = escape(intent["title"])
    lines = [f"*{title}*"]
    if intent.get("detail"):
        lines.append(escape(intent["detail"]))
    if intent.get("link"):
        lines.append(link(intent["link"], "open"))
    body = "\n".join(x for x in lines if x)[:TEXT_CAP]
    return {"text": title, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": body}}]}


def digest(intents: Sequence[dict]) -> dict:
    """Many notifications in one message: a line each, the first DIGEST_LINES of them."""
    head = f"Quartz: {len(intents)} changes"
    lines = [f"*{escape(head)}*"]
    for intent in intents[:DIGEST_LINES]:
        extra = link(intent.get("link"), "open")
        lines.append(f"• {escape(intent['title'])}" + (f" {extra}" if extra else ""))
    if len(intents) > DIGEST_LINES:
        lines.append(escape(f"… and {len(intents) - DIGEST_LINES} more on the Notifications page"))
    text = "\n".join(lines)[:TEXT_CAP]
    return {"text": head, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def post(webhook_env: str, payload: dict, *, timeout: float = TIMEOUT_S) -> Answer:
    """One POST. 2xx sent; 4xx failed (Slack refused it); 5xx or no answer unknown (it may have arrived)."""
    url = os.environ.get(webhook_env or "")
    if not url:
        return Answer("failed", None, f"environment variable {webhook_env} is not set")
    try:
        response = requests.post(url, json=payload, timeout=timeout, allow_redirects=False)
    except requests.exceptions.RequestException as exc:
        return Answer("unknown", None, f"no answer from the webhook ({type(exc).__name__})")
    said = (redact(" ".join(response.text[:4000].split()), url) or "")[:200]
    if response.status_code >= 500:
        return Answer("unknown", response.status_code, f"the webhook answered {response.status_code}")
    if response.status_code >= 300:
        return Answer("failed", response.status_code, f"the webhook refused it ({response.status_code}): {said}")
    return Answer("sent", response.status_code)
