"""The Notifications page and api/v1/notifications.json: every message Quartz meant to send and what became of it.

An intent still pending when the site renders was left by a cycle that stopped between sending and recording
(the notify phase records every answer before the render), so it shows as unknown.
"""

from __future__ import annotations

import datetime as dt

from quartz.site.common import cap, doc, iso, newest

LIMIT = 500  # newest notifications listed
KEY_CAP = 300
SHOWN_STATUS = {"sent": "sent", "failed": "failed", "unknown": "unknown", "pending": "unknown"}
CHIP = {"sent": "success", "failed": "failure", "unknown": "unknown"}


def notifications_doc(config, store, now: dt.datetime) -> dict:
    rows = store.query("notify/intents_recent", limit=LIMIT)
    items = [item(r) for r in rows]
    channels = [{"name": c.name, "type": c.type, "target": target(c)} for c in config.notify.channels.values()]
    generated = newest(*(newest(r["created_at"], r["sent_at"]) for r in rows)) if rows else None
    counts = {s: sum(1 for i in items if i["status"] == s) for s in ("sent", "unknown", "failed")}
    return doc("notifications", generated, now, channels=channels, counts=counts, notifications=items)


def target(channel) -> str:
    if channel.type == "github_issues":
        return f"issues in {channel.repo}"
    if channel.type == "email":
        return f"e-mail to {', '.join(channel.smtp.to)} via {channel.smtp.host}:{channel.smtp.port}"
    return f"webhook from ${channel.webhook_env}"


def item(row: dict) -> dict:
    status = SHOWN_STATUS.get(row["status"], "unknown")
    return {
        "key": cap(row["key"], KEY_CAP), "channel": row["channel"], "channel_type": row["channel_type"],
        "event": row["event"], "subject": cap(row["subject"], KEY_CAP), "title": cap(row["title"], 300),
        "status": status, "chip": CHIP[status], "created_at": iso(row["created_at"]), "sent_at": iso(row["sent_at"]),
        "link": row["issue_url"] or row["link"], "digest": row["batch"] is not None,
        "error": cap(row["error"], 300),
    }
