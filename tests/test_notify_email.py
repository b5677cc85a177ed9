"""The e-mail channel end to end: cycles against the simulator over HTTP, sending to a real SMTP server on
localhost (aiosmtpd) over STARTTLS or implicit TLS with a login; answers lost after DATA are unknown and never
resent; a refused sender is failed; hostile text is escaped in the HTML part."""

from __future__ import annotations

import json

import pytest

from quartz.config import ConfigError, dagdiff, loads
from tests.helpers.notify import FLEET, Fleet
from tests.helpers.smtp import PASSWORD, PASSWORD_ENV, SmtpServer, channel_yaml, make_certificate

HOSTILE = "boom <script>alert(1)</script> & <b>bold</b>\r\nBcc: victim@example.test"


def fleet_text(port: int, security: str = "starttls", branches: str = "") -> str:
    slack = "    team: {type: slack, webhook_env: QUARTZ_TEST_SLACK_WEBHOOK}\n"
    text = FLEET.replace(slack, channel_yaml(port, security))
    text = text.replace("channels: [team]}", "channels: [mail]}")
    if branches:
        text = text.replace("workflows: [rocm-build.yml]}", f"workflows: [rocm-build.yml], branches: [{branches}]}}")
    return text


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("smtp-cert"))


@pytest.fixture
def trusted(certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # the client trusts the test server's certificate
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    return certificate


@pytest.fixture
def server(trusted):
    with SmtpServer(*trusted) as made:
        yield made


def test_red_then_green_are_one_e_mail_each_with_text_and_escaped_html(tmp_path, server):
    fleet = Fleet(tmp_path, fleet_text(server.port))
    try:
        fleet.run("success")
        fleet.cycle()
        fleet.run("failure", title=HOSTILE)
        fleet.cycle()
        fleet.cycle()
        [red] = server.received
        assert red["Subject"].startswith("[Quartz] pytorch main") and "is red" in red["Subject"]
        assert red["Bcc"] is None and "\n" not in red["Subject"]
        assert server.envelopes[0] == ("quartz@example.test", ["ci@example.test", "leads@example.test"])
        text = red.get_body(("plain",)).get_content()
        page = red.get_body(("html",)).get_content()
        assert "<script>alert(1)</script>" in text  # plain text is text
        assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<b>bold" not in page
        fleet.run("success")
        fleet.cycle(render=True)
        assert len(server.received) == 2 and "green again" in server.received[1]["Subject"]
        intents = fleet.intents()
        assert sorted((i["channel_type"], i["status"], i["response_status"]) for i in intents) == [
            ("email", "sent", 250), ("email", "sent", 250)]
        listed = json.loads((fleet.tmp / "site" / "api/v1/notifications.json").read_text())
        assert len(listed["notifications"]) == 2 and "e-mail to ci@example.test" in listed["channels"][0]["target"]
        assert PASSWORD.encode() not in (fleet.tmp / "quartz.duckdb").read_bytes()
    finally:
        fleet.stop()


def test_implicit_tls_sends_too(tmp_path, trusted):
    with SmtpServer(*trusted, implicit_tls=True) as tls_server:
        fleet = Fleet(tmp_path, fleet_text(tls_server.port, "tls"))
        try:
            fleet.run("success")
            fleet.cycle()
            fleet.run("failure")
            fleet.cycle()
            assert len(tls_server.received) == 1
            assert [i["status"] for i in fleet.intents()] == ["sent"]
        finally:
            fleet.stop()


def test_a_connection_dropped_after_the_data_is_unknown_and_never_resent(tmp_path, server):
    fleet = Fleet(tmp_path, fleet_text(server.port))
    try:
        fleet.run("success")
        fleet.cycle()
        server.mode = "drop"
        fleet.run("failure")
        report = fleet.cycle()
        assert report.notify.unknown == 1 and len(server.received) == 1
        server.mode = "ok"
        fleet.cycle()
        fleet.cycle()
        assert server.attempts == 1 and len(server.received) == 1
        [intent] = fleet.intents()
        assert intent["status"] == "unknown" and "after the message was sent" in intent["error"]
    finally:
        fleet.stop()


def test_a_refused_sender_is_failed_with_the_servers_words_and_never_resent(tmp_path, server):
    fleet = Fleet(tmp_path, fleet_text(server.port))
    try:
        fleet.run("success")
        fleet.cycle()
        server.mode = "refuse_sender"
        fleet.run("failure")
        fleet.cycle()
        server.mode = "ok"
        fleet.cycle()
        assert server.received == [] and server.attempts == 0
        [intent] = fleet.intents()
        assert (intent["status"], intent["response_status"]) == ("failed", 550)
        assert "Sender address rejected" in intent["error"]
    finally:
        fleet.stop()


def test_a_wrong_password_is_failed_and_the_password_is_nowhere(tmp_path, server, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password-xyz")
    fleet = Fleet(tmp_path, fleet_text(server.port))
    try:
        fleet.run("success")
        fleet.cycle()
        fleet.run("failure")
        fleet.cycle()
        [intent] = fleet.intents()
        assert (intent["status"], intent["response_status"]) == ("failed", 535), intent["error"]
        assert "not-the-password-xyz" not in intent["error"] and server.received == []
    finally:
        fleet.stop()


def test_more_than_five_changes_make_one_digest_e_mail(tmp_path, server):
    branches = ["main", "b1", "b2", "b3", "b4", "b5", "b6"]
    fleet = Fleet(tmp_path, fleet_text(server.port, branches=", ".join(branches)))
    try:
        fleet.cycle()
        for branch in branches:
            fleet.run("failure", branch=branch)
        report = fleet.cycle()
        assert (report.notify.claimed, report.notify.digests) == (7, 1)
        [digest] = server.received
        assert digest["Subject"] == "[Quartz] Quartz: 7 changes"
        assert digest.get_body(("plain",)).get_content().count("is red") == 7
        intents = fleet.intents()
        assert {i["status"] for i in intents} == {"sent"} and len({i["batch"] for i in intents}) == 1
    finally:
        fleet.stop()


BAD = """\
projects:
  a: {repo: o/a, category: core}
notify:
  channels:
    mail: {type: email, host: smtp.example.test, user: me, from: q@example.test, to: [x@example.test]}
    nohost: {type: email, from: q@example.test, to: [x@example.test]}
    pasted: {type: email, host: h, user: u, password_env: "hunter2 secret!", from: q@example.test, to: [x@y.z]}
    odd: {type: slack, webhook_env: X, host: h}
    bad: {type: email, host: h, security: ssl, from: "not an address", to: [x@y.z]}
  rules:
    - {events: [branch_red], channels: [mail]}
"""


def test_quartz_validate_reports_every_e_mail_channel_problem_with_its_line():
    with pytest.raises(ConfigError) as caught:
        loads(BAD, "cascades.yaml")
    text = str(caught.value)
    assert "cascades.yaml:5:" in text and "an SMTP login needs 'password_env'" in text
    assert "cascades.yaml:6:" in text and "needs 'host'" in text
    assert "cascades.yaml:7:" in text and "NAME of an environment variable" in text and "hunter2" not in text
    assert "cascades.yaml:8:" in text and "'host' applies to email channels only" in text
    assert "cascades.yaml:9:" in text and "'ssl' is not one of" in text


def test_a_valid_e_mail_channel_defaults_its_port_from_its_security():
    text = fleet_text(2525).replace("port: 2525, security: starttls, ", "")
    smtp = loads(text).notify.channels["mail"].smtp
    assert (smtp.host, smtp.port, smtp.security, smtp.user, smtp.password_env) == (
        "localhost", 587, "starttls", "AKIAQUARTZTEST", PASSWORD_ENV)
    tls = loads(text.replace("host: localhost,", "host: localhost, security: tls,")).notify.channels["mail"].smtp
    assert tls.port == 465
    preview = dagdiff.describe_changes(FLEET.split("notify:")[0], loads(text))  # `quartz config-check`
    assert "e-mail to ci@example.test, leads@example.test via localhost:587" in preview.replace("&#95;", "_")


def test_quartz_validate_names_the_file_and_line_of_an_e_mail_channel_problem(tmp_path, capsys):
    from quartz import cli

    path = tmp_path / "cascades.yaml"
    path.write_text(BAD)
    assert cli.main(["validate", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:5:" in err and "an SMTP login needs 'password_env'" in err and "Traceback" not in err
    path.write_text(fleet_text(2525))
    assert cli.main(["validate", "--config", str(path)]) == 0


def test_recipients_the_server_refuses_are_noted_and_all_refused_is_failed(server):
    from quartz.config.model import Channel, Smtp
    from quartz.notify import mail

    def channel(*to):
        return Channel("mail", "email", smtp=Smtp("localhost", server.port, "starttls", "quartz@example.test", to,
                                                  "AKIAQUARTZTEST", PASSWORD_ENV))

    some = channel("ci@example.test", "gone@example.test")
    answer = mail.send(some, mail.message(some, {"title": "t", "detail": "d", "link": None}))
    assert (answer.status, answer.error) == ("sent", "not accepted for gone@example.test (550)")
    assert server.envelopes[-1][1] == ["ci@example.test"]
    none = channel("gone@example.test")
    answer = mail.send(none, mail.message(none, {"title": "t"}))
    assert (answer.status, answer.response_status) == ("failed", 550) and len(server.received) == 1
