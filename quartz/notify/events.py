"""What changed state, read from the store alone (no GitHub requests).

Each subject (a project branch's workflow, a cascade, a cascade stage) has a state at the end of the cycle.
The outbox compares it with the last state told to each channel: only a difference is news, so a branch
that went red, green and red again between two cycles is one message (or none), never three.

States and their events:
- branch `branch:<project>:<branch>:<workflow>`: red once the newest N completed runs all failed
  (`after_failures`, default 1), green once the newest one passed; in between it keeps its last state.
- cascade `cascade:<name>`: `failure@<run>` / `partial_failure@<run>` for its newest finished run, or
  `success` (news only after a failure: `cascade_recovered`).
- stage `stage:<cascade run>:<stage>`: `timed_out#<attempt>`, or `stuck#<attempt>` once it has waited
  longer than `stuck_after` for its run to appear or finish.
- failure group `failure:<key id>`: `new@<first seen>` once a failure line's key that no job showed in the 14
  days before (a *new* group on the Failures page) appears: told once, however many jobs it fails.

An intent's key is `<channel>|<event>|<subject>|<transition>`, and the transition names the moment that made
the change (`red@<run id>.<attempt>`, `failure@<cascade run>`, `timed_out#<stage attempt>`): a second failure
is a new key, a replayed view of an old one is the same key, which the outbox never sends twice. A new kind of
event adds a subject prefix, an INITIAL state and a detector here, with a transition that names its moment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from quartz.config import Config
from quartz.config.model import Rule
from quartz.site import failures, paths
from quartz.text import cap

NAME_CAP = 120  # branch names, run titles: untrusted and unbounded
REASON_CAP = 400
HISTORY = dt.timedelta(days=2)  # cascade runs and stages older than this are history, not news
BROKEN = ("branch_red", "cascade_failed", "cascade_partial_failure", "stage_timed_out", "stage_stuck",
          "failure_group_new", "culprit_verdict")
# States a subject is assumed to be in before anything was told: a new channel hears about what is broken now.
INITIAL = {"branch": "green", "cascade": "success", "stage": "", "failure": "", "culprit": ""}


@dataclass(frozen=True)
class Event:
    event: str  # one of config.model.NOTIFY_EVENTS, or "" for a change no rule asked to hear about
    subject: str
    state: str  # compared with the last state told to a channel
    transition: str  # with event and subject, the intent's key: one message per change
    title: str
    detail: str = ""
    link: str | None = None
    project: str | None = None
    cascade: str | None = None
    issue_subject: str = ""  # the broken thing a GitHub issue tracks (stage events go to their cascade's issue)

    @property
    def kind(self) -> str:
        return self.subject.split(":", 1)[0]

    @property
    def broken(self) -> bool:
        return self.event in BROKEN


def detect(config: Config, store, rule: Rule, now: dt.datetime, cascades_since: dt.datetime) -> list[Event]:
    """Every subject the rule covers, in its state at the end of this cycle."""
    found: list[Event] = []
    if {"branch_red", "branch_green"} & set(rule.events):
        found += branch_events(config, store, rule, now)
    if {"cascade_failed", "cascade_partial_failure", "cascade_recovered"} & set(rule.events):
        found += cascade_events(config, store, rule, max(cascades_since, now - HISTORY))
    if {"stage_timed_out", "stage_stuck"} & set(rule.events):
        found += stage_events(config, store, rule, now, max(cascades_since, now - HISTORY))
    if "failure_group_new" in rule.events:
        found += failure_group_events(config, store, rule, now)
    if "culprit_verdict" in rule.events:
        from quartz.notify.culprit import culprit_events

        found += [Event(**e) for e in culprit_events(config, store, rule, max(cascades_since, now - HISTORY))]
    return found


def branch_events(config: Config, store, rule: Rule, now: dt.datetime) -> list[Event]:
    since = now - dt.timedelta(days=config.settings.backfill_days)
    found = []
    for row in store.query("notify/branch_states", since=since):
        project = config.projects.get(row["project"])
        if project is None or row["branch"] not in project.branches or (
                rule.projects and project.name not in rule.projects):
            continue
        subject = f"branch:{project.name}:{row['branch']}:{row['workflow']}"
        where = f"{project.display_name} {cap(row['branch'], NAME_CAP)} · {cap(row['workflow'], NAME_CAP)}"
        attempt = f" attempt {row['run_attempt']}" if row["run_attempt"] > 1 else ""  # re-runs read apart
        run = f"run {row['run_id']}{attempt}: {cap(row['display_title'], NAME_CAP)} ({row['conclusion']})"
        line = failures.summary(failures.run_failure(failures.load(store, [row["run_id"]]).get(row["run_id"], [])))
        common = dict(subject=subject, link=row["html_url"], project=project.name, issue_subject=subject,
                      detail=f"Newest run: {run}" + (f"\nFailure: {cap(line, REASON_CAP)}" if line else ""))
        if row["failures"] >= rule.after_failures:
            times = "once" if row["failures"] == 1 else f"{row['failures']} times in a row"
            found.append(Event("branch_red", state="red", transition=f"red@{row['run_id']}.{row['run_attempt']}",
                               title=f"{where} is red: failed {times}", **common))
        elif row["failures"] == 0:
            found.append(Event("branch_green", state="green", transition=f"green@{row['run_id']}.{row['run_attempt']}",
                               title=f"{where} is green again", **common))
    return found


def cascade_events(config: Config, store, rule: Rule, since: dt.datetime) -> list[Event]:
    found = []
    for row in store.query("notify/cascades_finished", since=since):
        if rule.cascades and row["cascade"] not in rule.cascades:
            continue
        run_id, status = row["cascade_run_id"], row["status"]
        if status == "running":
            continue  # its newest run is being re-run: the cascade keeps what it was last told until it ends
        subject = f"cascade:{row['cascade']}"
        common = dict(subject=subject, link=dashboard(config, paths.cascade_page(run_id)), cascade=row["cascade"],
                      project=row["trigger_project"], issue_subject=subject,
                      detail=cap(row["reason"] or "", REASON_CAP) or "")
        if status == "success":
            found.append(Event("cascade_recovered", state="success", transition=f"success@{run_id}",
                               title=f"Cascade {row['cascade']} passed again ({run_id})", **common))
        else:
            words = "failed" if status == "failure" else "partially failed"
            event = "cascade_failed" if status == "failure" else "cascade_partial_failure"
            found.append(Event(event, state=f"{status}@{run_id}", transition=f"{status}@{run_id}",
                               title=f"Cascade {row['cascade']} {words} ({run_id})", **common))
    return found


def stage_events(config: Config, store, rule: Rule, now: dt.datetime, since: dt.datetime) -> list[Event]:
    found = []
    for row in store.query("notify/stages_notable", since=since):
        if rule.cascades and row["cascade"] not in rule.cascades:
            continue
        run_id, stage, attempt = row["cascade_run_id"], row["stage"], row["attempt"]
        common = dict(subject=f"stage:{run_id}:{stage}", cascade=row["cascade"],
                      link=row["run_url"] or dashboard(config, paths.cascade_page(run_id)),
                      detail=cap(row["reason"] or "", REASON_CAP) or "", issue_subject=f"cascade:{row['cascade']}")
        if row["status"] == "timed_out":
            found.append(Event("stage_timed_out", state=f"timed_out#{attempt}", transition=f"timed_out#{attempt}",
                               title=f"Stage {stage} of {run_id} timed out", **common))
            continue
        waited = now - row["waiting_since"] if row["waiting_since"] else dt.timedelta(0)
        if waited.total_seconds() >= rule.stuck_after_s:
            hours = waited.total_seconds() / 3600
            found.append(Event("stage_stuck", state=f"stuck#{attempt}", transition=f"stuck#{attempt}",
                               title=f"Stage {stage} of {run_id} has been {row['status']} for {hours:.1f} h",
                               **common))
    return found


def failure_group_events(config: Config, store, rule: Rule, now: dt.datetime) -> list[Event]:
    """Today's new failure groups (site/failures.py decides what a group is and when it is new)."""
    found = []
    for group in failures.groups(store, now):
        if not group["new"] or (rule.projects and not set(group["projects"]) & set(rule.projects)):
            continue
        moment = f"new@{group['first_seen']}"  # new again after NEW_AFTER quiet days: a new moment
        found.append(Event("failure_group_new", subject=f"failure:{group['key_id']}", state=moment,
                           transition=moment, title=f"New failure: {cap(group['line'], NAME_CAP)}",
                           detail=cap(group["summary"], REASON_CAP) or "",
                           link=dashboard(config, f"failures.html#k-{group['key_id']}"),
                           project=group["first_project"], issue_subject=f"failure:{group['key_id']}"))
    return found


def dashboard(config: Config, page: str) -> str | None:
    """The dashboard page's address when the site's URL is configured."""
    site = config.settings.site_url.rstrip("/")
    return f"{site}/{page}" if site else None
