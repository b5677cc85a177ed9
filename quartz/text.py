"""Untrusted text, cut to a size the store or a page can hold."""

from __future__ import annotations


def cap(value, limit: int) -> str | None:
    """At most `limit` characters, an ellipsis marking a cut; None stays None."""
    if value is None:
        return None
    value = str(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"
