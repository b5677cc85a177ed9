"""The GitHub issues channel against the simulator over HTTP: open, comment, close, and no duplicate after
the store is lost."""

from __future__ import annotations

import pytest

from quartz.devtools.simulator.issues import issues_of
from quartz.notify.github_issues import marker
from tests.helpers.notify import Fleet

TEXT = """\
settings: {backfill_days: 3}
projects:
  pytorch: {repo: ROCm/pytorch, category: 1p_downstream, workflows: [rocm-build.yml]}
notify:
  channels:
    tracker: {type: github_issues, repo: ROCm/pytorch, labels: [quartz-alert, ci]}
  rules:
    - {events: [branch_red, branch_green], channels: [tracker]}
"""
SUBJECT = "branch:pytorch:main:rocm-build.yml"


@pytest.fixture
def fleet(tmp_path):
    made = Fleet(tmp_path, TEXT)
    yield made
    made.stop()


def _issues(fleet):
    return issues_of(fleet.world).of(fleet.world.repo("ROCm/pytorch"))


def test_an_issue_opens_on_failure_and_closes_on_recovery(fleet):
    fleet.run("success")
    fleet.cycle()
    assert _issues(fleet) == []
    fleet.run("failure", title="boom @everyone ```")
    fleet.cycle()
    [issue] = _issues(fleet)
    assert issue.state == "open" and issue.labels == ["quartz-alert", "ci"] and marker(SUBJECT) in issue.body
    assert "is red" in issue.title and "```text" in issue.body
    fleet.run("success")
    fleet.cycle()
    assert issue.state == "closed" and len(issue.comments) == 1 and "green again" in issue.comments[0][2]
    [intent, *_] = fleet.intents()
    assert intent["status"] == "sent" and intent["issue_url"].endswith("/issues/1")
    fleet.run("failure")
    fleet.cycle()
    assert [i.state for i in _issues(fleet)] == ["closed", "open"]  # broken again: a new issue


def test_a_lost_store_finds_the_open_issue_again_instead_of_opening_another(fleet):
    fleet.run("success")
    fleet.cycle()
    fleet.run("failure")
    fleet.cycle()
    (fleet.tmp / "quartz.duckdb").unlink()  # the store is lost: nothing remembers the issue
    fleet.cycle()
    [issue] = _issues(fleet)
    assert len(issue.comments) == 1  # told again (the new store knew nothing), as a comment on the same issue
    fleet.run("success")
    fleet.cycle()
    assert issue.state == "closed"


def test_an_issue_created_but_answered_502_is_unknown_and_never_resent(fleet):
    fleet.run("success")
    fleet.cycle()
    fleet.run("failure")
    fleet.server.faults.error(r"/issues$", "POST", status=502, after=True)
    fleet.cycle()
    fleet.cycle()
    [intent] = fleet.intents()
    assert (intent["status"], intent["response_status"]) == ("unknown", 502)
    assert len(_issues(fleet)) == 1  # GitHub made it; Quartz did not ask twice
