"""Keep a secret URL (a webhook) or password out of the error text Quartz stores and shows.

A server that refuses a message may echo what it was sent: the whole URL, only its path, its query, a
percent-encoded copy, or a piece of its token cut short. Every form is taken out, not only the exact string:
first the URL and its parts as written, encoded and decoded, then any run of letters and digits long enough
to be a piece of the secret (MIN_PIECE or more characters found in its path or query).
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

MASK = "(redacted)"
MIN_PIECE = 6  # shorter runs of letters and digits are too common to point at the secret
RUN = re.compile(r"[A-Za-z0-9]+")


def _forms(secret: str) -> list[str]:
    """The secret and its parts as a server may echo them, longest first."""
    found = {secret}
    parts = urlsplit(secret)
    if parts.scheme and parts.netloc:
        path_query = parts.path + (f"?{parts.query}" if parts.query else "")
        found |= {parts.netloc + path_query, path_query, parts.path, parts.query}
        found |= {p for p in re.split(r"[/?&=]", path_query) if len(p) >= MIN_PIECE}
    for form in list(found):
        found |= {quote(form, safe=""), quote(form), unquote(form)}
    return sorted((f for f in found if len(f) >= MIN_PIECE or f == secret), key=len, reverse=True)


def _hidden(secret: str) -> str:
    """What a piece is looked for in: the secret's path and query (a URL's host is not secret), lowercased."""
    parts = urlsplit(secret)
    text = parts.path + parts.query if parts.scheme and parts.netloc else secret
    return unquote(text).lower()


def redact(text: str | None, *secrets: str | None) -> str | None:
    """`text` with every form and piece of each secret replaced by MASK."""
    if not text:
        return text
    for secret in (s for s in secrets if s):
        for form in _forms(secret):
            text = re.sub(re.escape(form), MASK, text, flags=re.IGNORECASE)
        hidden = _hidden(secret)
        text = RUN.sub(lambda m, h=hidden: MASK if len(m[0]) >= MIN_PIECE and m[0].lower() in h else m[0], text)
    return text
