"""A failed job's log tail: one API request for the redirect, then a capped download without the token.

`GET /repos/{o}/{r}/actions/jobs/{id}/logs` answers 302 to a pre-signed URL that lives one minute. That URL
is fetched with plain requests and no Authorization header (the signature is the credential; S3 refuses a
second one, and our token must never travel to a storage host). Only the end of a log says why a job
failed, so the download asks for the last `max_bytes` with a Range request; a server that ignores Range
is streamed and all but the last `max_bytes` thrown away. Either way the download stops after
`max_seconds`, and what arrived by then is what is read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests

from quartz.failures import MAX_TAIL_BYTES

from .client import GitHubClient, GitHubError, NotFound, no_auth

DOWNLOAD_TIMEOUT_S = 30.0  # the whole download, not one read
CHUNK = 64 * 1024


@dataclass(frozen=True)
class JobLog:
    """`status`: ok (data holds the tail), expired (410: past the log retention), missing (404)."""

    status: str
    data: bytes = b""
    truncated: bool = False  # data is not the whole log: its first line may be cut


def fetch_job_log(client: GitHubClient, repo: str, job_id: int, *, max_bytes: int = MAX_TAIL_BYTES,
                  max_seconds: float = DOWNLOAD_TIMEOUT_S) -> JobLog:
    """The tail of one job's log (see the module's docstring). Raises GitHubError when it could not be
    read this time (network, 5xx, an expired link): nothing is known, so ask again next cycle."""
    try:
        location = client.redirect_location(f"/repos/{repo}/actions/jobs/{int(job_id)}/logs")
    except NotFound:
        return JobLog("missing")
    except GitHubError as exc:
        if exc.status == 410:
            return JobLog("expired")
        raise
    return _download_tail(location, max_bytes, max_seconds, client.timeout)


def _download_tail(url: str, max_bytes: int, max_seconds: float, read_timeout: float) -> JobLog:
    deadline = time.monotonic() + max_seconds
    headers = {"Range": f"bytes=-{max_bytes}", "Accept-Encoding": "identity"}
    try:
        with requests.get(url, headers=headers, auth=no_auth, stream=True, allow_redirects=False,
                          timeout=(min(read_timeout, max_seconds), read_timeout)) as response:
            if response.status_code == 416:  # an empty log has no last bytes
                return JobLog("ok", b"", False)
            if response.status_code not in (200, 206):
                raise GitHubError(f"the job log download answered HTTP {response.status_code} "
                                  "(the link may have expired); trying again next cycle", response.status_code)
            tail, cut, finished = bytearray(), False, False
            for chunk in response.iter_content(CHUNK):
                tail += chunk
                if len(tail) > max_bytes:
                    del tail[:len(tail) - max_bytes]
                    cut = True
                if time.monotonic() > deadline:
                    break
            else:
                finished = True
            partial = response.status_code == 206 and _longer_than_range(response.headers, len(tail))
            # A download stopped by the deadline holds the log's start, not its end: still the best there is.
            return JobLog("ok", bytes(tail), cut or partial or not finished)
    except requests.exceptions.RequestException as exc:
        raise GitHubError(f"the job log download failed ({type(exc).__name__}); trying again next cycle") from None


def _longer_than_range(headers, received: int) -> bool:
    """Whether a 206's Content-Range (`bytes a-b/total`) says the log holds more than was sent."""
    total = headers.get("content-range", "").rpartition("/")[2]
    return total.isdigit() and int(total) > received
