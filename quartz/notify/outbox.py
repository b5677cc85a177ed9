"""Notifications as intents, each sent at most once — the dispatch protocol of quartz.cascades.advance:

1. Compare the state of every subject at the end of the cycle with the last state told to each channel.
2. In one transaction: insert an intent per change (key: channel|event|subject|transition) and move the
   channel's told state on. COMMIT. The next cycle sees the change as told and never plans it again.
   Only an intent this insert created is sent: a key that already exists (a replayed view of a change told
   before, whatever became of it) is skipped, so each key is sent at most once and every message sent has
   its own row to record the answer in. The transition names the moment (run.attempt, cascade run), so a
   second failure is a new key.
3. `before_send()`: the cycle pushes the store to S3 with If-Match (push_checkpoint), so the intents are
   durable where a second cycle would see them; if the push loses the race it raises, and nothing is sent —
   two cycles at once send once.
4. One POST or e-mail per message (or one digest for more than DIGEST_OVER per channel), never retried.
5. Record the answer: sent; failed (4xx, or SMTP refused it: refused); unknown (5xx, or no answer after the
   message went: it may have arrived).
   A cycle killed between 4 and 5 leaves the intent pending; the next cycle marks it unknown. Unknown is
   shown on the Notifications page and never sent again.

All intents of a cycle are claimed and pushed together (one push, not one per message: the store travels to
S3 whole), so a cycle killed part-way through sending leaves the rest unknown: at most once, never twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from quartz.cascades.state import CONFLICTS
from quartz.config import Config
from quartz.config.model import Channel
from quartz.notify import events as event_module
from quartz.notify import mail, slack
from quartz.notify.events import Event
from quartz.notify.slack import Answer

DIGEST_OVER = 5  # more than this many for one Slack channel in one cycle: one digest message
OUTCOME_TRIES = 3


@dataclass(frozen=True)
class Claim:
    channel: Channel
    event: Event

    @property
    def key(self) -> str:
        e = self.event
        return f"{self.channel.name}|{e.event}|{e.subject}|{e.transition}"

    def as_dict(self) -> dict:
        e = self.event
        return {"key": self.key, "title": e.title, "detail": e.detail, "link": e.link, "event": e.event,
                "subject": e.subject, "issue_subject": e.issue_subject, "broken": e.broken}


@dataclass
class NotifyReport:
    claimed: int = 0  # intents written this cycle
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    orphaned: int = 0  # intents an earlier cycle left without an answer, now shown as unknown
    digests: int = 0
    quiet: int = 0  # changes no rule asked to hear about (the told state still moves on)
    replayed: int = 0  # changes whose key was told before (never sent again; the told state moves on)
    contended: int = 0
    errors: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        rows = [("notifications claimed", self.claimed), ("sent", self.sent), ("refused", self.failed),
                ("answer unknown", self.unknown), ("left unknown by an earlier cycle", self.orphaned),
                ("digests", self.digests), ("told before, not sent again", self.replayed)]
        return "\n".join(["### Notify", "", "| | |", "|---|---:|"] + [f"| {k} | {v} |" for k, v in rows]) + "\n"


Before = Callable[[], None]
After = Callable[[str, Answer], None]


def run(config: Config, store, client, now: dt.datetime, cycle_id: str, *, before_send: Before | None = None,
        after_send: After | None = None, timeout: float = slack.TIMEOUT_S) -> NotifyReport:
    """The cycle's notify phase: plan, claim, make durable, send, record."""
    report = NotifyReport()
    if not config.notify.rules:
        return report
    report.orphaned = len(store.query("notify/intents_orphaned", cycle_id=cycle_id))
    claims, quiet = plan(config, store, now)
    claims = claim_all(store, claims, quiet, cycle_id, now, report)
    if claims is None:
        return report
    if claims and before_send:
        before_send()  # e.g. push the store with the intents to S3; raising stops every send
    for name, group in group_by_channel(claims).items():
        deliver(config, store, client, config.notify.channels[name], group, now, cycle_id, report, after_send,
                timeout)
    return report


def plan(config: Config, store, now: dt.datetime) -> tuple[list[Claim], dict[tuple[str, str], Event]]:
    """What changed for each channel since it was last told: (claims, quiet changes)."""
    with store.transaction():
        for name in config.notify.channels:
            store.execute("notify/watch_touch", channel=name, now=now)
    watched = {r["channel"]: r["first_seen_at"] for r in store.query("notify/watch_list")}
    told = {(r["channel"], r["subject"]): r["state"] for r in store.query("notify/state_list")}
    grace = dt.timedelta(seconds=2 * config.settings.schedule_interval_s)
    claims: dict[tuple[str, str], Claim] = {}
    quiet: dict[tuple[str, str], Event] = {}
    for rule in config.notify.rules:
        since = min(watched[name] for name in rule.channels) - grace
        for event in event_module.detect(config, store, rule, now, since):
            for name in rule.channels:
                at = (name, event.subject)
                if at in claims or event.state == told.get(at, event_module.INITIAL[event.kind]):
                    continue
                if event.event in rule.events:
                    claims[at] = Claim(config.notify.channels[name], event)
                    quiet.pop(at, None)
                else:
                    quiet[at] = event
    return list(claims.values()), quiet


def claim_all(store, claims: list[Claim], quiet: dict, cycle_id: str, now: dt.datetime,
              report: NotifyReport) -> list[Claim] | None:
    """Intents and told states in one transaction: after COMMIT no later cycle plans these again.
    Returns the claims whose intent this call created (the only ones to send), None on a write conflict."""
    fresh: list[Claim] = []
    try:
        with store.transaction():
            for (channel, subject), event in quiet.items():
                store.execute("notify/state_put", channel=channel, subject=subject, state=event.state, key="",
                              now=now)
            for c in claims:
                e = c.event
                made = store.query("notify/intent_insert", key=c.key, channel=c.channel.name,
                                   channel_type=c.channel.type, event=e.event, subject=e.subject,
                                   transition=e.transition, title=e.title, detail=e.detail, link=e.link,
                                   project=e.project, cascade=e.cascade, cycle_id=cycle_id, now=now)
                if made:
                    fresh.append(c)
                store.execute("notify/state_put", channel=c.channel.name, subject=e.subject, state=e.state,
                              key=c.key, now=now)
    except CONFLICTS as exc:
        report.contended += 1
        report.errors.append(f"could not claim notifications: {type(exc).__name__}")
        return None
    report.claimed, report.quiet, report.replayed = len(fresh), len(quiet), len(claims) - len(fresh)
    return fresh


def group_by_channel(claims: list[Claim]) -> dict[str, list[Claim]]:
    groups: dict[str, list[Claim]] = defaultdict(list)
    for c in claims:
        groups[c.channel.name].append(c)
    return groups


def deliver(config: Config, store, client, channel: Channel, group: list[Claim], now: dt.datetime, cycle_id: str,
            report: NotifyReport, after_send: After | None, timeout: float) -> None:
    one, many = senders(client, channel, timeout)
    if many is not None and len(group) > DIGEST_OVER:
        batch = f"digest:{cycle_id}:{channel.name}"
        answer = many([c.as_dict() for c in group])
        report.digests += 1
        if after_send:
            after_send(batch, answer)
        for c in group:
            record(store, c.key, answer, now, report, batch)
        return
    for c in group:
        answer = one(c.as_dict())
        if after_send:
            after_send(c.key, answer)
        record(store, c.key, answer, now, report, None)


Send = Callable[[dict], Answer]


def senders(client, channel: Channel, timeout: float) -> tuple[Send, Callable[[list[dict]], Answer] | None]:
    """How the channel sends one intent, and a digest of many (None: it has no digests)."""
    if channel.type == "github_issues":
        from quartz.notify.github_issues import Tracker

        return Tracker(client, channel).send, None
    if channel.type == "email":
        return (lambda i: mail.send(channel, mail.message(channel, i), timeout=timeout),
                lambda many: mail.send(channel, mail.digest(channel, many), timeout=timeout))
    return (lambda i: slack.post(channel.webhook_env, slack.message(i), timeout=timeout),
            lambda many: slack.post(channel.webhook_env, slack.digest(many), timeout=timeout))


def record(store, key: str, answer: Answer, now: dt.datetime, report: NotifyReport, batch: str | None) -> None:
    """Write the answer; a write conflict is tried again (the intent alone is safe: it is never resent)."""
    setattr(report, answer.status, getattr(report, answer.status) + 1)
    for _ in range(OUTCOME_TRIES):
        with contextlib.suppress(*CONFLICTS):
            store.execute("notify/intent_outcome", key=key, status=answer.status, now=now,
                          response_status=answer.response_status, error=answer.error, batch=batch,
                          issue_url=answer.issue_url)
            return
