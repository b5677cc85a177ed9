"""Error text stored from a refusal holds no part of the secret URL: not the whole URL, its path, its query,
an encoded copy or a piece of its token."""

from __future__ import annotations

from urllib.parse import quote

from quartz.notify.redact import MASK, redact
from tests.helpers.notify import Fleet

SECRET = "https://hooks.slack.com/services/T0ABCDEFG/B0HIJKLMN/abcdefghijklmnopqrstuvwx?token=zyxwvu987654"


def _pieces(url: str) -> list[str]:
    """Every 6-character piece of the URL's path and query (the host is not secret)."""
    tail = url.split("hooks.slack.com", 1)[1]
    return [tail[i:i + 6] for i in range(len(tail) - 5) if tail[i:i + 6].isalnum()]


def test_every_form_of_the_url_is_taken_out():
    said = (f"bad {SECRET} / {SECRET.split('.com')[1]} / {quote(SECRET, safe='')} / token=zyxwvu987654 / "
            f"abcdefghijklm… / …qrstuvwx / {SECRET.upper()} / services/T0ABCDEFG")
    clean = redact(said, SECRET)
    assert MASK in clean and clean.startswith("bad ")
    for piece in _pieces(SECRET):
        assert piece.lower() not in clean.lower(), (piece, clean)


def test_text_without_the_secret_is_left_alone():
    assert redact("invalid_payload: missing text", SECRET) == "invalid_payload: missing text"
    assert redact(None, SECRET) is None and redact("x", None) == "x"


def test_a_refusal_echoing_the_webhook_url_is_stored_without_any_part_of_it(tmp_path, receiver):
    fleet = Fleet(tmp_path)
    try:
        fleet.run("success")
        fleet.cycle()
        receiver.mode = "echo"
        fleet.run("failure")
        fleet.cycle(render=True)
        [intent] = fleet.intents()
        assert intent["status"] == "failed" and "invalid_token" in intent["error"]
        for piece in _pieces(receiver.url.replace(f"127.0.0.1:{receiver.server.server_port}", "hooks.slack.com")):
            assert piece.lower() not in intent["error"].lower(), (piece, intent["error"])
        token = receiver.secret_path.rsplit("/", 1)[1]
        for piece in (token[:10], token[-8:], receiver.query[7:17]):
            assert piece.encode() not in (fleet.tmp / "quartz.duckdb").read_bytes()
            for path in (fleet.tmp / "site").rglob("*.json"):
                assert piece not in path.read_text(), path
    finally:
        fleet.stop()
