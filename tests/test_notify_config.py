"""`notify:` in cascades.yaml: validated with file:line like the rest, previewed by config-check."""

from __future__ import annotations

import pytest

from quartz.config import ConfigError, dagdiff, loads
from tests.helpers.notify import FLEET

BAD = """\
projects:
  a: {repo: o/a, category: core}
notify:
  channels:
    team: {type: slack, webhook_env: "https://hooks.slack.com/services/T/B/SECRET"}
    tracker: {type: github_issues}
    odd: {type: slack, webhook_env: X, repo: o/b}
  rules:
    - {events: [branch_red, nope], channels: [team, tem], projects: [b], stuck_after: 2x}
"""


def test_every_notify_problem_is_reported_with_its_line():
    with pytest.raises(ConfigError) as caught:
        loads(BAD, "cascades.yaml")
    text = str(caught.value)
    assert "cascades.yaml:5:" in text and "NAME of an environment variable" in text
    assert "SECRET" not in text, "a pasted webhook URL is never echoed"
    assert "cascades.yaml:6:" in text and "needs 'repo'" in text
    assert "cascades.yaml:7:" in text and "'repo' applies to github_issues channels only" in text
    assert "'nope' is not one of" in text
    assert "unknown channel 'tem'; did you mean 'team'?" in text
    assert "unknown project 'b'" in text and "bad duration '2x'" in text


def test_a_valid_notify_section_builds_channels_and_rules():
    config = loads(FLEET.replace("channels: [team]}", "channels: [team], after_failures: 2, stuck_after: 90m}"))
    [rule] = config.notify.rules
    assert (rule.after_failures, rule.stuck_after_s) == (2, 5400)
    assert config.notify.channels["team"].webhook_env == "QUARTZ_TEST_SLACK_WEBHOOK"
    assert loads(FLEET.split("notify:")[0]).notify.rules == ()


def test_config_check_previews_a_changed_notify_section():
    before = FLEET.split("notify:")[0]
    summary = dagdiff.describe_changes(before, loads(FLEET))
    assert "### Notifications" in summary and "QUARTZ&#95;TEST&#95;SLACK&#95;WEBHOOK" in summary
    assert "Notifications" not in dagdiff.describe_changes(FLEET, loads(FLEET))
