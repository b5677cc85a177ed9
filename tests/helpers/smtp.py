"""A real SMTP server on localhost (aiosmtpd) for the e-mail channel's tests: STARTTLS or implicit TLS with a
certificate made for the test, a login, and modes that misbehave as servers do.

mode: ok | drop (takes the message, then drops the connection before answering it) | refuse_sender (550 to
MAIL FROM) | refuse_data (554 to the message).
"""

from __future__ import annotations

import email
import email.policy
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

USER = "AKIAQUARTZTEST"
PASSWORD = "s3cret-smtp-Pa55word-for-tests"
PASSWORD_ENV = "QUARTZ_TEST_SMTP_PASSWORD"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost (the client trusts it through SSL_CERT_FILE)."""
    if shutil.which("openssl") is None:
        import pytest

        pytest.skip("openssl is needed to make the test server's certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802 (aiosmtpd's name)
        if self.server.mode == "refuse_sender":
            return "550 5.7.1 Sender address rejected: not verified"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if address.startswith("gone@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.server.attempts += 1
        if self.server.mode == "refuse_data":
            return "554 5.6.0 Message rejected"
        self.server.received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if self.server.mode == "drop":
            server.transport.abort()  # the message arrived; its answer never leaves
        return "250 2.0.0 Ok: queued"


class SmtpServer:
    def __init__(self, cert: Path, key: Path, implicit_tls: bool = False):
        self.mode = "ok"
        self.received: list = []
        self.envelopes: list = []
        self.attempts = 0
        self.port = _free_port()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        # aiosmtpd's auth_require_tls knows only STARTTLS; with implicit TLS every byte is encrypted anyway.
        tls = {"ssl_context": context, "auth_require_tls": False} if implicit_tls else {
            "tls_context": context, "require_starttls": True, "auth_require_tls": True}
        self.controller = Controller(Handler(self), hostname="127.0.0.1", port=self.port, server_hostname="localhost",
                                     authenticator=self.authenticate, **tls)

    @staticmethod
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)  # a refusal is answered 535

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def channel_yaml(port: int, security: str = "starttls") -> str:
    return (f"    mail: {{type: email, host: localhost, port: {port}, security: {security}, user: {USER},"
            f" password_env: {PASSWORD_ENV}, from: quartz@example.test, to: [ci@example.test, leads@example.test]}}\n")
