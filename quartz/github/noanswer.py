"""Why a request got no HTTP answer, and whether trying again within a cycle can help.

Connection refused, a failed DNS lookup, a TLS error or a connect timeout mean
GitHub (or the URL pointing at it) is not there: it will not heal in the seconds
a retry waits, so the client gives up at once and the sync stops after a few in
a row. A reset connection or a read timeout can be a blip: those are retried.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import requests
from urllib3.exceptions import NameResolutionError

_CAP = 160


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes, contexts and wrapped reasons (requests → urllib3 → socket)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        todo += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]


def hard_cause(exc: requests.exceptions.RequestException, connect_timeout: float) -> str | None:
    """A short cause when retrying soon cannot help (refused, DNS, TLS, connect timeout), else None."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"no connection within {connect_timeout:g} s"
    chain = list(_chain(exc))
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connection refused"
    if any(isinstance(e, (NameResolutionError, socket.gaierror)) for e in chain):
        return "DNS lookup failed"
    if isinstance(exc, requests.exceptions.SSLError) or any(isinstance(e, ssl.SSLError) for e in chain):
        detail = next((str(e) for e in chain if isinstance(e, ssl.SSLError)), "")
        return f"TLS error{': ' + ' '.join(detail.split())[:_CAP] if detail else ''}"
    unreachable = next((e for e in chain if isinstance(e, OSError) and e.errno is not None
                        and type(e).__name__ in ("OSError", "ConnectionError")), None)
    if unreachable is not None and isinstance(exc, requests.exceptions.ConnectionError):
        return f"cannot connect: {unreachable.strerror or unreachable}"  # e.g. network unreachable
    return None


def soft_cause(exc: requests.exceptions.RequestException, read_timeout: float) -> str:
    """A short cause for a failure worth one more try (read timeout, reset connection)."""
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"no answer within {read_timeout:g} s"
    return type(exc).__name__
