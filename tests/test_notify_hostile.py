"""Hostile names stay text in Slack and on the page; the webhook URL is nowhere but the POST."""

from __future__ import annotations

import json

import jsonschema
import pytest

from quartz.site import schemas
from tests.helpers.notify import FLEET, WEBHOOK_ENV, Fleet

HOSTILE_BRANCH = "x/<b>bold</b>&<!channel>"
HOSTILE_TITLE = "*boom* <!here> <https://evil.example|click me> <script>alert(1)</script> & `rm`"


@pytest.fixture
def fleet(tmp_path):
    text = FLEET.replace("workflows: [rocm-build.yml]}",
                         "workflows: [rocm-build.yml], branches: [main, " + json.dumps(HOSTILE_BRANCH) + "]}")
    made = Fleet(tmp_path, text)
    yield made
    made.stop()


def test_a_hostile_branch_and_run_title_stay_text_in_slack_and_html(fleet, receiver):
    fleet.cycle()
    fleet.run("failure", branch=HOSTILE_BRANCH, title=HOSTILE_TITLE)
    fleet.cycle(render=True)
    [message] = receiver.messages
    mrkdwn = message["blocks"][0]["text"]["text"]
    assert "<!channel>" not in mrkdwn and "<!here>" not in mrkdwn and "<https://evil" not in mrkdwn
    assert "&lt;!here&gt;" in mrkdwn and "&lt;!channel&gt;" in mrkdwn and "&amp;" in mrkdwn
    assert "<b>" not in message["text"]
    page = (fleet.tmp / "site" / "notifications.html").read_text()
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    data = json.loads((fleet.tmp / "site" / "api/v1/notifications.json").read_text())
    jsonschema.Draft202012Validator(schemas.schema("notifications")).validate(data)
    assert data["notifications"][0]["status"] == "sent" and HOSTILE_BRANCH in data["notifications"][0]["title"]
    index = json.loads((fleet.tmp / "site" / "api/v1/index.json").read_text())
    assert "notifications.json" in {e["path"] for e in index["endpoints"]}


def test_the_webhook_url_never_reaches_the_store_the_site_or_the_output(fleet, receiver, monkeypatch, capfd):
    fleet.cycle()
    fleet.run("failure")
    fleet.cycle(render=True)
    # A webhook that does not answer at all: requests names the URL in its error; the store must not.
    dead = receiver.url.replace(str(receiver.server.server_port), "9")
    monkeypatch.setenv(WEBHOOK_ENV, dead)
    fleet.run("success")
    report = fleet.cycle(render=True)
    print(report.markdown())
    assert report.notify.unknown == 1 and len(receiver.messages) == 1
    secret = receiver.secret_path.rsplit("/", 1)[1]
    assert secret.encode() not in (fleet.tmp / "quartz.duckdb").read_bytes()
    for path in (fleet.tmp / "site").rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    out, err = capfd.readouterr()
    assert secret not in out and secret not in err
    assert WEBHOOK_ENV in (fleet.tmp / "site" / "notifications.html").read_text()
