"""E-mail through SMTP (Amazon SES's SMTP interface, a company relay): plain text plus HTML, never retried.

One conversation per message: connect (implicit TLS, or STARTTLS before anything else is said), log in when
the channel has a user, MAIL FROM, RCPT TO, DATA. What the answer means for the intent:
- refused before the message was handed over (no connection, TLS or login refused, sender or every recipient
  refused, DATA refused): `failed`; nothing was delivered.
- after the message was sent, the server's answer is an error code: `failed` (it did not take it);
  no answer at all (the connection dropped, a timeout): `unknown`, it may have been delivered; never resent.
The password is read from the environment variable the channel names and kept out of every error text.
Untrusted text is escaped in the HTML part and kept on one line in the subject.
"""

from __future__ import annotations

import contextlib
import html
import os
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from quartz.config.model import Channel, Smtp
from quartz.notify.redact import redact
from quartz.notify.slack import Answer

TIMEOUT_S = 20.0
SUBJECT_CAP = 200
DIGEST_LINES = 100


class _Lost(Exception):
    """The connection ended after the message was sent, before the server said whether it took it."""


def _line(text) -> str:
    return " ".join(str(text or "").split())


def _safe_link(url: str | None) -> str | None:
    return url if url and url.startswith(("https://", "http://")) else None


def _envelope(smtp: Smtp, subject: str, text: str, page: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = _line(subject)[:SUBJECT_CAP]
    msg["From"], msg["To"] = smtp.sender, ", ".join(smtp.to)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=smtp.sender.rsplit("@", 1)[-1])
    msg.set_content(text)
    msg.add_alternative(f"<!DOCTYPE html><html><body>{page}</body></html>", subtype="html")
    return msg


def message(channel: Channel, intent: dict) -> EmailMessage:
    """One notification: the title as subject, its detail and link as text and as escaped HTML."""
    link = _safe_link(intent.get("link"))
    text = "\n\n".join(x for x in (intent["title"], intent.get("detail"), link and f"Open: {link}") if x)
    parts = [f"<h3>{html.escape(_line(intent['title']))}</h3>"]
    if intent.get("detail"):
        parts.append(f"<pre>{html.escape(intent['detail'])}</pre>")
    if link:
        parts.append(f'<p><a href="{html.escape(link, quote=True)}">open</a></p>')
    return _envelope(channel.smtp, f"[Quartz] {_line(intent['title'])}", text + "\n", "\n".join(parts))


def digest(channel: Channel, intents: Sequence[dict]) -> EmailMessage:
    """Many notifications in one e-mail: a line each, the first DIGEST_LINES of them."""
    head = f"Quartz: {len(intents)} changes"
    shown = list(intents[:DIGEST_LINES])
    more = f"… and {len(intents) - DIGEST_LINES} more on the Notifications page" if len(intents) > DIGEST_LINES else ""
    lines = [f"- {_line(i['title'])}" + (f"\n  {_safe_link(i.get('link'))}" if _safe_link(i.get("link")) else "")
             for i in shown]
    items = []
    for i in shown:
        title, link = html.escape(_line(i["title"])), _safe_link(i.get("link"))
        items.append(f'<li><a href="{html.escape(link, quote=True)}">{title}</a></li>' if link else f"<li>{title}</li>")
    page = f"<h3>{html.escape(head)}</h3><ul>{''.join(items)}</ul>" + (f"<p>{html.escape(more)}</p>" if more else "")
    return _envelope(channel.smtp, f"[Quartz] {head}", "\n".join([head, "", *lines, more]).strip() + "\n", page)


def send(channel: Channel, msg: EmailMessage, *, timeout: float = TIMEOUT_S) -> Answer:
    """One SMTP conversation for one message."""
    smtp = channel.smtp
    password = os.environ.get(smtp.password_env) if smtp.password_env else None
    if smtp.password_env and not password:
        return Answer("failed", None, f"environment variable {smtp.password_env} is not set")
    try:
        code, said, refused = _converse(smtp, password, msg, timeout)
    except _Lost as exc:
        return Answer("unknown", None, redact(f"no answer after the message was sent ({exc})", password))
    except smtplib.SMTPResponseException as exc:
        return Answer("failed", exc.smtp_code, redact(f"the server refused it: {exc.smtp_code} {_said(exc)}",
                                                      password)[:300])
    except (smtplib.SMTPException, OSError) as exc:
        return Answer("failed", None, redact(f"not handed to {smtp.host}:{smtp.port} ({_why(exc)})", password))
    if code != 250:
        return Answer("failed", code, redact(f"the server refused it: {code} {said}", password)[:300])
    return Answer("sent", code, f"not accepted for {', '.join(refused)}"[:300] if refused else None)


def _converse(smtp: Smtp, password: str | None, msg: EmailMessage, timeout: float) -> tuple[int, str, list[str]]:
    """The conversation up to the server's answer to the message: (code, words, recipients it refused)."""
    context = ssl.create_default_context()  # verifies the server's certificate and name
    if smtp.security == "tls":
        conn = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=context)
    else:
        conn = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
    try:
        conn.ehlo()
        if smtp.security == "starttls":
            conn.starttls(context=context)
            conn.ehlo()
        if smtp.user:
            conn.login(smtp.user, password or "")
        _check(conn.mail(smtp.sender))
        answers = {to: conn.rcpt(to) for to in smtp.to}
        refused = [f"{to} ({code})" for to, (code, _) in answers.items() if code not in (250, 251)]
        if len(refused) == len(answers):
            _check(next(iter(answers.values())))
        return (*_data(conn, msg), refused)
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            conn.quit()
        conn.close()


def _data(conn: smtplib.SMTP, msg: EmailMessage) -> tuple[int, str]:
    """DATA, the message and the server's answer: once the message went, a lost answer is not a refusal."""
    code, said = conn.docmd("data")
    if code != 354:
        raise smtplib.SMTPDataError(code, said)
    try:
        conn.send(smtplib.quotedata(msg.as_string()).encode("utf-8") + b"\r\n.\r\n")
        code, said = conn.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        raise _Lost(_why(exc)) from None
    return code, said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)


def _check(answer: tuple[int, bytes]) -> None:
    code, said = answer
    if code not in (250, 251):
        raise smtplib.SMTPResponseException(code, said)


def _said(exc: smtplib.SMTPResponseException) -> str:
    said = exc.smtp_error
    return _line(said.decode("utf-8", "replace") if isinstance(said, bytes) else said)


def _why(exc: BaseException) -> str:
    """The exception's type and, for SMTP's own errors, its words (they never hold the password)."""
    words = _line(str(exc))[:150] if isinstance(exc, smtplib.SMTPException | ssl.SSLError) else ""
    return f"{type(exc).__name__}: {words}" if words else type(exc).__name__
