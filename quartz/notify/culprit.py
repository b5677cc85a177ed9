"""`culprit_verdict`: the follow-up to a failed cascade once its culprit probes have a verdict (issue 28).

Subject `culprit:<cascade run>:<stage>`, state and transition the verdict kind: a verdict is reached once
and never changes, so each channel hears it once (key: channel, event, cascade run and stage, verdict).
Its GitHub issue is the cascade's, so the verdict lands as a comment under the failure it explains.
"""

from __future__ import annotations

import datetime as dt

from quartz.config import Config
from quartz.config.model import Rule
from quartz.site import paths
from quartz.text import cap

NAME_CAP = 120
REASON_CAP = 1000  # a verdict names runs, shas and a compare link


def culprit_events(config: Config, store, rule: Rule, since: dt.datetime) -> list[dict]:
    """The fields of one quartz.notify.events.Event per verdict reached since `since`."""
    site = config.settings.site_url.rstrip("/")
    found = []
    for row in store.query("culprit/verdicts_recent", since=since):
        if rule.cascades and row["cascade"] not in rule.cascades:
            continue
        cid, stage, kind = row["cascade_run_id"], row["stage"], row["verdict_kind"]
        found.append(dict(
            event="culprit_verdict", subject=f"culprit:{cid}:{stage}", state=kind, transition=kind,
            title=cap(f"Cascade {row['cascade']} ({cid}), {stage}: {row['verdict']}", NAME_CAP),
            detail=cap(row["verdict"], REASON_CAP) or "",
            link=f"{site}/{paths.cascade_page(cid)}" if site else None,
            cascade=row["cascade"], issue_subject=f"cascade:{row['cascade']}"))
    return found
