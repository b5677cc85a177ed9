"""The GitHub REST client: conditional reads, pagination, retries, rate-limit waits.

Reads go through PyGithub's requester (auth, base URL, GitHub Enterprise Server
prefixes) with a thin layer of our own on top:

- conditional GETs: the ETag of each polled URL is kept in the store table
  `http_cache`, so a 304 answer costs no rate-limit point. The caller saves an
  ETag (`remember`) only after it has stored what the body said, so a crash in
  between can never hide a change;
- pagination follows `Link: rel="next"`; page URLs are never built by hand;
- GETs are retried on 5xx, reset connections and (once, if GitHub has answered
  this client before) read timeouts with exponential backoff; connection refused, DNS, TLS and connect timeouts are not
  retried (they do not heal in seconds): they raise Unreachable, and
  `down_streak` counts them (and 401s) in a row so a sync can stop early;
- with a `deadline` (quartz.deadline), no GET starts and no wait is slept past it;
- on 403/429 rate limiting it waits (`retry-after`, else until
  `x-ratelimit-reset` when nothing remains, else 60 s doubling) and stops with
  a RateLimited error that says when to try again if the wait is too long.

Writes use `pygithub_for_writes()`: a PyGithub client with `retry=None`, because
PyGithub's default retry re-sends a POST after a 5xx and a dispatch must never
be sent twice.

The token lives only inside PyGithub's Auth object: it is never put in a URL,
a cache key, a log line or an exception message.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
from github import Auth, Github

from quartz.deadline import Deadline, DeadlineReached
from quartz.errors import QuartzError
from quartz.github import noanswer

DEFAULT_API_URL = "https://api.github.com"
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
MAX_RATE_LIMIT_WAITS = 5  # in a row for one request; then give up cleanly
_MESSAGE_CAP = 300  # characters of GitHub's own error message worth repeating
READ_TIMEOUT_RETRIES = 1  # a GET that timed out is tried once more, then GitHub counts as unreachable
CONNECT_TIMEOUT_S = 5.0  # a TCP/TLS connect that takes longer will not work on a retry either


class GitHubError(QuartzError):
    """GitHub refused or failed a request; `status` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, status: int = 0, url: str = ""):
        super().__init__(message)
        self.status = status
        self.url = url


class NotFound(GitHubError):
    """404: the repository or workflow does not exist, or the token cannot see it."""


class Unreachable(GitHubError):
    """No HTTP answer, for a reason a retry within this cycle would not change; `cause` says which."""

    def __init__(self, message: str, url: str, cause: str):
        super().__init__(message, 0, url)
        self.cause = cause


class BadCredentials(GitHubError):
    """401: GitHub does not accept the token (wrong, expired or revoked)."""


class Forbidden(GitHubError):
    """403 that is not a rate limit: the token lacks a permission; `permission` when GitHub named it."""

    def __init__(self, message: str, status: int, url: str, permission: str | None):
        super().__init__(message, status, url)
        self.permission = permission


WONT_HEAL = (Unreachable, BadCredentials)  # the same answer for every project: a sync stops after a few


class RateLimited(GitHubError):
    """The rate limit is used up for longer than we are willing to wait."""

    def __init__(self, message: str, retry_at: dt.datetime | None):
        super().__init__(message, 403)
        self.retry_at = retry_at


@dataclass
class Stats:
    requests: int = 0  # HTTP requests sent, retries included
    points: int = 0  # requests that count against the primary rate limit (all but 304s)
    not_modified: int = 0  # 304 answers: free
    retries: int = 0  # GETs sent again after a 5xx or a timeout
    waited_s: float = 0.0  # time spent waiting for rate limits and backoff

    def snapshot(self) -> Stats:
        return Stats(self.requests, self.points, self.not_modified, self.retries, self.waited_s)

    def since(self, earlier: Stats) -> Stats:
        return Stats(self.requests - earlier.requests, self.points - earlier.points,
                     self.not_modified - earlier.not_modified, self.retries - earlier.retries,
                     self.waited_s - earlier.waited_s)


@dataclass
class Response:
    url: str  # absolute URL as requested, without credentials; the cache key
    status: int
    headers: Mapping[str, str]
    body: Any  # parsed JSON; on a 304 the cached body if one was kept, else None
    etag: str | None = None
    keep_body: bool = False

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def next_url(self) -> str | None:
        match = _NEXT_LINK.search(self.headers.get("link", ""))
        return match.group(1) if match else None


@dataclass
class _MemoryCache:
    """ETag cache for a client without a store (one process only)."""

    entries: dict[str, tuple[str, Any]] = field(default_factory=dict)

    def get(self, url: str) -> tuple[str, Any] | None:
        return self.entries.get(url)

    def put(self, url: str, etag: str, body: Any, now: dt.datetime) -> None:
        self.entries[url] = (etag, body)

    def forget(self, url: str) -> None:
        self.entries.pop(url, None)

    def load(self, urls: Sequence[str]) -> None:
        pass  # already in memory

    def unload(self) -> None:
        pass


class _StoreCache:
    """ETag cache in the store table http_cache (travels with the store between cycles).

    `load(urls)` reads many entries in one query (a sync's first pages, one per workflow: 1,000 single-row
    queries cost seconds); get() answers those from memory until `unload()`. Every write goes through
    put()/forget(), which drop the URL's loaded entry, so memory never disagrees with the store."""

    def __init__(self, store):
        self.store = store
        self.loaded: dict[str, tuple[str, Any] | None] = {}

    def get(self, url: str) -> tuple[str, Any] | None:
        if url in self.loaded:
            return self.loaded[url]
        return _entry(self.store.query_one("sync/http_cache_get", url=url))

    def put(self, url: str, etag: str, body: Any, now: dt.datetime) -> None:
        self.loaded.pop(url, None)
        self.store.execute("sync/http_cache_put", url=url, etag=etag,
                           body=None if body is None else json.dumps(body), fetched_at=now)

    def forget(self, url: str) -> None:
        self.loaded.pop(url, None)
        self.store.execute("sync/http_cache_forget", url=url)

    def load(self, urls: Sequence[str]) -> None:
        rows = {row["url"]: row for row in self.store.query("sync/http_cache_get_many", urls=list(urls))}
        self.loaded.update((url, _entry(rows.get(url))) for url in urls)

    def unload(self) -> None:
        self.loaded.clear()


def _entry(row: dict | None) -> tuple[str, Any] | None:
    if row is None:
        return None
    return row["etag"], json.loads(row["body"]) if row["body"] is not None else None


class GitHubClient:
    def __init__(self, base_url: str, token: str | None, *, timeout: float = 15,
                 sleep: Callable[[float], None] = time.sleep, max_wait_s: float = 900, store=None,
                 clock: Callable[[], float] = time.time, max_retries: int = 4, write_interval_s: float = 1.0,
                 connect_timeout: float = CONNECT_TIMEOUT_S, deadline: Deadline | None = None):
        self.base_url = base_url.rstrip("/")
        self._token = token or None
        self.timeout = timeout  # seconds to wait for an answer once connected
        self.connect_timeout = min(connect_timeout, timeout)
        self.deadline = deadline  # no GET starts and no wait is slept past it
        self.down_streak = 0  # Unreachable/401 answers in a row, no other answer in between
        self.last_down: GitHubError | None = None  # the newest of those, for the line that stops a sync
        self.answered = False  # GitHub has answered this client at least once (then a timeout may be a blip)
        self.sleep = sleep
        self.clock = clock  # epoch seconds, to read x-ratelimit-reset against
        self.max_wait_s = max_wait_s
        self.max_retries = max_retries
        self.write_interval_s = write_interval_s
        self.stats = Stats()
        self.cache = _StoreCache(store) if store is not None else _MemoryCache()
        self._reader: Github | None = None
        self._prefetched: dict[str, tuple[str | None, tuple]] = {}  # url → (ETag sent, reply): quartz.github.prefetch
        self._stats_lock = threading.Lock()  # prefetch sends from several threads

    def __repr__(self) -> str:  # never the token
        return f"GitHubClient({self.base_url!r})"

    def use_store(self, store) -> None:
        """Keep ETags in this store from now on (a cycle opens its store after making the client)."""
        self.cache = _StoreCache(store)

    # ------------------------------------------------------------ PyGithub objects

    def _github(self, *, write_interval_s: float) -> Github:
        github = Github(
            base_url=self.base_url,
            auth=Auth.Token(self._token) if self._token else None,
            retry=None,  # no urllib3 retries: we retry GETs ourselves; a POST is never repeated
            timeout=max(int(self.timeout), 1),  # PyGithub takes whole seconds
            seconds_between_requests=0,
            seconds_between_writes=write_interval_s,
        )
        # PyGithub has one timeout for connect and read; requests takes (connect, read). A host that is
        # down should cost seconds, not the read timeout. Set only where this PyGithub keeps it.
        requester = github.requester
        if hasattr(requester, "_Requester__timeout"):
            requester._Requester__timeout = (self.connect_timeout, self.timeout)
        return github

    @property
    def pygithub(self) -> Github:
        """A PyGithub client for reads we do not poll (no retries of its own)."""
        if self._reader is None:
            self._reader = self._github(write_interval_s=0)
        return self._reader

    def pygithub_for_writes(self) -> Github:
        """A PyGithub client for POSTs: retry=None, so a request is sent at most once."""
        return self._github(write_interval_s=self.write_interval_s)

    # ------------------------------------------------------------ reads

    def absolute(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> str:
        """The absolute URL of a path under the API base, query sorted so cache keys are stable."""
        url = self.base_url + path_or_url if path_or_url.startswith("/") else path_or_url
        if params:
            query = urllib.parse.urlencode(sorted((k, str(v)) for k, v in params.items() if v is not None))
            url += ("&" if "?" in url else "?") + query
        return url

    def get(self, path_or_url: str, params: Mapping[str, Any] | None = None, *, conditional: bool = False,
            keep_body: bool = False) -> Response:
        """GET one page. `conditional` sends the cached ETag; call remember() once the body is stored."""
        url = self.absolute(path_or_url, params)
        headers = {"Accept": "application/vnd.github+json"}
        cached = self.cache.get(url) if conditional else None
        if cached and keep_body and cached[1] is None:
            cached = None  # remembered without its body: a 304 could not give the caller one
        if cached:
            headers["If-None-Match"] = cached[0]
        early = self._prefetched.pop(url, None)
        if early is not None and early[0] == headers.get("If-None-Match"):
            status, response_headers, text = early[1]  # sent moments ago, with the same ETag
        else:
            status, response_headers, text = self._send(url, headers)
        if status == 304 and cached:
            return Response(url, 304, response_headers, cached[1], cached[0], keep_body)
        if status == 304:  # not asked for; treat like a lost cache
            raise GitHubError(f"GitHub answered 304 to GET {url} without a cached copy", 304, url)
        if status >= 400:
            error = _error_for(status, text, url, response_headers)
            if isinstance(error, BadCredentials):
                self.last_down = error
            raise error
        try:
            body = json.loads(text) if text else None
        except ValueError:
            raise GitHubError(f"GitHub sent a body that is not JSON for GET {url} (HTTP {status})",
                              status, url) from None
        return Response(url, status, response_headers, body, response_headers.get("etag"), keep_body)

    def request_headers(self, url: str, *, conditional: bool) -> dict[str, str]:
        """The headers get() would send for `url` (with the cached ETag when conditional)."""
        headers = {"Accept": "application/vnd.github+json"}
        cached = self.cache.get(url) if conditional else None
        if cached:
            headers["If-None-Match"] = cached[0]
        return headers

    def new_reader(self) -> Github:
        """A PyGithub client of its own (its own connection), for one thread of a prefetch."""
        return self._github(write_interval_s=0)

    def send(self, url: str, headers: Mapping[str, str], *, requester=None) -> tuple[int, dict[str, str], str]:
        return self._send(url, headers, requester)

    def load_etags(self, urls: Sequence[str]) -> None:
        """Read the cached ETags of many URLs at once, for the conditional GETs about to be sent."""
        self.cache.load(urls)

    def keep_prefetched(self, url: str, etag_sent: str | None, reply: tuple) -> None:
        self._prefetched[url] = (etag_sent, reply)

    def drop_prefetched(self) -> None:
        """Forget replies and ETags read ahead for one sync: by the next one they may be stale."""
        self._prefetched.clear()
        self.cache.unload()

    def remember(self, response: Response, now: dt.datetime) -> None:
        """Save a response's ETag so the next conditional GET of its URL can be answered 304."""
        if response.etag and not response.not_modified:
            self.cache.put(response.url, response.etag, response.body if response.keep_body else None, now)

    def forget(self, url: str) -> None:
        self.cache.forget(url)

    def pages(self, path_or_url: str, params: Mapping[str, Any] | None = None,
              first: Response | None = None) -> Iterator[Response]:
        """Every page of a listing, following Link rel="next" (starting after `first` if given)."""
        response = first or self.get(path_or_url, params)
        yield response
        while response.next_url:
            response = self.get(response.next_url)
            yield response

    def redirect_location(self, path_or_url: str) -> str:
        """The Location of a GET that GitHub answers with a redirect (a log or archive download), without
        following it: the pre-signed URL must be fetched without our token (see joblogs.py). One request;
        404 raises NotFound, 410 (expired) a GitHubError with status 410."""
        url = self.absolute(path_or_url)
        status, headers, text = self._send(url, {"Accept": "application/vnd.github+json"})
        if status >= 400:
            raise _error_for(status, text, url)
        location = headers.get("location")
        if status not in (301, 302, 303, 307, 308) or not location:
            raise GitHubError(f"GitHub answered HTTP {status} without a redirect to GET {url}", status, url)
        return urllib.parse.urljoin(url, location)

    # ------------------------------------------------------------ downloads

    def download_artifact(self, repo: str, artifact_id: int, *, max_bytes: int) -> Download:
        """An artifact's zip: one API request (the /zip endpoint's 302), then the pre-signed URL.

        The URL is fetched with a plain request that carries no token (it is pre-signed; S3 refuses a second
        auth), streamed and stopped at `max_bytes` (then status "too_large", nothing kept). 410 → "expired".
        """
        path = f"/repos/{repo}/actions/artifacts/{int(artifact_id)}/zip"
        try:
            location = self.redirect_location(path)
        except GitHubError as exc:
            if exc.status == 410:
                return Download("expired",
                                reason="the artifact has expired (GitHub keeps artifacts 90 days by default)")
            raise
        api_url = self.absolute(path)
        try:
            with requests.get(location, auth=no_auth, stream=True, timeout=self.timeout,
                              allow_redirects=False) as answer:
                if answer.status_code != 200:
                    raise GitHubError(f"the download URL of {api_url} answered HTTP {answer.status_code}",
                                      answer.status_code, api_url)
                return _read_capped(answer, max_bytes)
        except requests.exceptions.RequestException as exc:
            raise GitHubError(f"the download of {api_url} failed ({type(exc).__name__})", 0, api_url) from None

    # ------------------------------------------------------------ the wire

    def _send(self, url: str, headers: Mapping[str, str], requester=None) -> tuple[int, dict[str, str], str]:
        """One GET, retried on 5xx/timeouts and after rate-limit waits; never past the deadline."""
        failures = 0
        limited = 0
        requester = requester or self.pygithub.requester
        while True:
            if self.deadline is not None:
                self.deadline.check(f"GET {url}")
            with self._stats_lock:
                self.stats.requests += 1
            try:
                status, response_headers, text = requester.requestJson("GET", url, headers=dict(headers))
            except requests.exceptions.RequestException as exc:
                failures += 1
                self._no_answer(exc, url, failures)
                self._backoff(failures, url)
                continue
            self.down_streak = self.down_streak + 1 if status == 401 else 0
            self.answered = True
            response_headers = {k.lower(): v for k, v in response_headers.items()}
            with self._stats_lock:
                if status == 304:
                    self.stats.not_modified += 1
                else:
                    self.stats.points += 1
            wait = self._rate_limit_wait(status, response_headers, text, limited)
            if wait is not None:
                limited += 1
                if limited > MAX_RATE_LIMIT_WAITS:
                    raise RateLimited(f"GitHub still rate-limits GET {url} after {MAX_RATE_LIMIT_WAITS} waits; "
                                      "what was synced so far is stored, run again later", None)
                self._wait_for_rate_limit(wait, response_headers, url)
                continue
            if status >= 500:
                failures += 1
                if failures > self.max_retries:
                    raise GitHubError(f"GitHub answered HTTP {status} to GET {url} {failures} times; "
                                      "it may be having an outage, try again later", status, url)
                self._backoff(failures, url)
                continue
            return status, response_headers, text

    def _no_answer(self, exc: requests.exceptions.RequestException, url: str, failures: int) -> None:
        """Raise at once when no retry can help soon (refused, DNS, TLS, connect timeout) or tries are used up."""
        hard = noanswer.hard_cause(exc, self.connect_timeout)
        timed_out = isinstance(exc, requests.exceptions.ReadTimeout)
        # A server that has never answered and times out is not there; one that has may be having a blip.
        timeouts_allowed = READ_TIMEOUT_RETRIES if self.answered else 0
        if hard is None and not (timed_out and failures > timeouts_allowed) and failures <= self.max_retries:
            return
        if hard is None and not timed_out:
            raise GitHubError(f"GitHub did not answer GET {url} after {failures} tries "
                              f"({noanswer.soft_cause(exc, self.timeout)})", 0, url) from None
        self.down_streak += 1
        cause = hard or noanswer.soft_cause(exc, self.timeout)
        self.last_down = Unreachable(f"GitHub at {self.base_url} is unreachable ({cause}): GET {url}", url, cause)
        raise self.last_down from None

    def _backoff(self, failures: int, url: str) -> None:
        delay = min(2 ** (failures - 1), 60)
        if self.deadline is not None and not self.deadline.allows(delay):
            raise DeadlineReached(f"the time budget ran out while retrying GET {url}")
        self.stats.retries += 1
        self.stats.waited_s += delay
        self.sleep(delay)

    def _rate_limit_wait(self, status: int, headers: Mapping[str, str], text: str, limited: int) -> float | None:
        """Seconds to wait before trying again, or None when this is not a rate limit."""
        if status not in (403, 429):
            return None
        if "retry-after" in headers:
            try:
                return max(float(headers["retry-after"]), 1.0)
            except ValueError:
                return 60.0
        if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
            try:
                return max(float(headers["x-ratelimit-reset"]) - self.clock(), 0) + 1
            except ValueError:
                return 60.0
        if status == 429 or "rate limit" in (text or "").lower():
            return 60.0 * 2**limited  # secondary limit without headers: at least a minute, doubling
        return None  # a plain 403: no permission

    def _wait_for_rate_limit(self, wait: float, headers: Mapping[str, str], url: str) -> None:
        retry_at = dt.datetime.fromtimestamp(self.clock() + wait, dt.UTC).replace(microsecond=0)
        if self.deadline is not None and not self.deadline.allows(wait):
            raise DeadlineReached(f"GitHub's rate limit ({_limit_name(headers)}) lets requests through again at "
                                  f"{retry_at:%H:%M:%S} UTC, after this cycle's time budget; not waiting")
        if wait > self.max_wait_s:
            raise RateLimited(
                f"GitHub's rate limit is used up ({_limit_name(headers)}); it lets requests through again "
                f"at {retry_at:%Y-%m-%d %H:%M:%S} UTC, {wait:.0f} s from now, longer than the {self.max_wait_s:.0f} s "
                "Quartz waits. What was synced so far is stored; run again after that time.",
                retry_at,
            )
        self.stats.waited_s += wait
        self.sleep(wait)


def _limit_name(headers: Mapping[str, str]) -> str:
    resource = headers.get("x-ratelimit-resource")
    limit = headers.get("x-ratelimit-limit")
    if resource and limit:
        return f"{resource}, {limit} requests an hour"
    return "secondary limit" if "retry-after" in headers else "primary limit"


def _error_for(status: int, text: str, url: str, headers: Mapping[str, str] | None = None) -> GitHubError:
    message = ""
    try:
        body = json.loads(text) if text else {}
        if isinstance(body, dict):
            message = str(body.get("message", ""))[:_MESSAGE_CAP]
    except ValueError:
        pass
    said = f": {message}" if message else ""
    if status == 404:
        return NotFound(f"GitHub answered 404 for GET {url}{said} — the repository or workflow does not exist, "
                        "or the token cannot see it", status, url)
    if status == 401:
        return BadCredentials(f"GitHub rejected the token (401{said or ': bad credentials'}) for GET {url}; "
                              "set GITHUB_TOKEN to a valid token", status, url)
    if status == 403:
        permission = _permission_named(headers or {}, message)
        needs = (f"the token lacks the permission {permission}" if permission
                 else "the token lacks a permission (Quartz reads with actions: read)")
        return Forbidden(f"GitHub refused GET {url} (403{said}); {needs}", status, url, permission)
    return GitHubError(f"GitHub answered HTTP {status} to GET {url}{said}", status, url)


_PERMISSION_IN_MESSAGE = re.compile(r"\b([a-z_]+)\s*(?:permission|:)\s*(read|write|admin)\b|"
                                    r"\b(read|write|admin)\s+access to ([a-z_]+)\b", re.I)


def _permission_named(headers: Mapping[str, str], message: str) -> str | None:
    """The permission GitHub says a 403 needs: its x-accepted-github-permissions header, else its message."""
    accepted = headers.get("x-accepted-github-permissions", "").strip()
    if accepted:  # "actions=read" or "actions=read; contents=read" (any one of them is enough)
        return " or ".join(part.strip().replace("=", ": ") for part in accepted.split(";") if part.strip())[:100]
    scopes = headers.get("x-accepted-oauth-scopes", "").strip()
    if scopes:
        return f"scope {scopes[:100]}"
    match = _PERMISSION_IN_MESSAGE.search(message)
    if match:
        name, level = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        return f"{name.lower()}: {level.lower()}"
    return None


@dataclass(frozen=True)
class Download:
    """A downloaded archive: status "ok" (with its bytes), "expired" or "too_large" (with the reason)."""

    status: str
    data: bytes = b""
    reason: str = ""


def no_auth(request):
    """For a pre-signed download URL: the signature is the credential, so no token and no ~/.netrc entry
    (requests adds one when given no auth) may travel to the storage host."""
    request.headers.pop("Authorization", None)
    return request


def _read_capped(answer: requests.Response, max_bytes: int) -> Download:
    too_large = Download("too_large", reason=f"the archive is larger than {max_bytes // (1024 * 1024)} MB")
    declared = answer.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return too_large
    chunks, got = [], 0
    for chunk in answer.iter_content(64 * 1024):
        got += len(chunk)
        if got > max_bytes:
            return too_large
        chunks.append(chunk)
    return Download("ok", b"".join(chunks))


def api_url_from(args) -> str:
    return getattr(args, "github_url", None) or os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL


def client_from_args(args, *, store=None, sleep: Callable[[float], None] = time.sleep) -> GitHubClient:
    """The client the CLI uses: --github-url, else $GITHUB_API_URL, else github.com; $GITHUB_TOKEN."""
    base_url = api_url_from(args)
    token = os.environ.get("GITHUB_TOKEN") or None
    if token is None and base_url == DEFAULT_API_URL:
        print("quartz: GITHUB_TOKEN is not set; GitHub allows 60 unauthenticated requests an hour",
              file=sys.stderr)
    return GitHubClient(base_url, token, sleep=sleep, store=store)
