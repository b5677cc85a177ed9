"""A real HTTP server on 127.0.0.1 speaking GitHub's REST API for a World.

Each request goes: token check (401) -> injected faults -> primary rate limit (403)
-> handler -> ETag/304 -> charge one point (not for 304, 401, /rate_limit or limit
answers) -> request log. Times in headers (Date, x-ratelimit-reset) follow the world
clock, so a client that waits for a reset must advance the world, not sleep.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from .faults import Fault, Faults
from .ratelimit import RateLimiter, RequestLog, RequestRecord
from .routes import Api, Request, Response
from .shapes import Shapes
from .world import SimulatorError, World

DOCS = "https://docs.github.com/rest"
API_VERSION = "2022-11-28"
MAX_BODY = 1 << 20


class SimulatorServer:
    """Serve `world` over HTTP. Use as a context manager or call start()/stop().

    token: the only accepted token (sent as `token X` or `Bearer X`); never echoed.
    actor: the login that token acts as (dispatches, statuses, re-runs).
    rate_limit: primary budget per hour of world time.
    prefix: serve under a path prefix, e.g. "/api/v3" as GitHub Enterprise Server does.
    """

    def __init__(self, world: World, token: str = "sim-token", rate_limit: int = 5000, actor: str = "quartz-bot",
                 port: int = 0, prefix: str = "", html_url: str = "https://github.com"):
        self.world = world
        self._token = token
        self.actor = actor
        self.prefix = prefix.rstrip("/")
        self._port = port
        self._html_url = html_url
        self.faults = Faults()
        self.log = RequestLog()
        self.limiter = RateLimiter(world, rate_limit)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.api: Api | None = None

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> SimulatorServer:
        if self._httpd is not None:
            return self
        handler = type("BoundHandler", (_Handler,), {"sim": self})
        self._httpd = _Server(("127.0.0.1", self._port), handler)
        self.api = Api(self.world, Shapes(self.world, self.url, self._html_url))
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="github-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()  # wakes any hanging handler
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """The base_url for PyGithub (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    # -- counters --------------------------------------------------------------------
    def request_count(self, method: str | None = None, path: str | None = None, status: int | None = None,
                      costly: bool | None = None) -> int:
        """Requests since reset_counters(); `path` is a regex searched in path+query."""
        return self.log.count(method, path, status, costly)

    @property
    def points_used(self) -> int:
        """Primary rate-limit points charged since reset_counters()."""
        return self.log.points

    @property
    def requests(self) -> list[RequestRecord]:
        return list(self.log.records)

    def reset_counters(self) -> None:
        self.log.clear()

    @property
    def rate_limit_remaining(self) -> int:
        b = self.limiter.snapshot(self._token)
        return max(0, b.limit - b.used)

    def set_rate_limit_remaining(self, remaining: int) -> None:
        self.limiter.set_remaining(self._token, remaining)

    # -- request processing (called from handler threads) ------------------------------
    def authorised(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        return scheme.lower() in ("token", "bearer") and value.strip() == self._token

    def rate_headers(self) -> dict[str, str]:
        b = self.limiter.snapshot(self._token)
        return {"x-ratelimit-limit": str(b.limit), "x-ratelimit-remaining": str(max(0, b.limit - b.used)),
                "x-ratelimit-used": str(b.used), "x-ratelimit-reset": str(b.reset), "x-ratelimit-resource": "core"}

    def rate_limit_body(self) -> dict[str, Any]:
        b = self.limiter.snapshot(self._token)
        core = {"limit": b.limit, "remaining": max(0, b.limit - b.used), "reset": b.reset, "used": b.used}
        search = {"limit": 30, "remaining": 30, "reset": self.world.now_ts + 60, "used": 0}
        graphql = {"limit": 5000, "remaining": 5000, "reset": self.world.now_ts + 3600, "used": 0}
        return {"resources": {"core": core, "search": search, "graphql": graphql}, "rate": core}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client that gave up (timeouts, hang faults) is not a server error
        super().handle_error(request, client_address)


def _error_body(status: int, message: str, errors: list | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "documentation_url": DOCS, "status": str(status)}
    if errors:
        body["errors"] = errors
    return body


class _Handler(BaseHTTPRequestHandler):
    sim: SimulatorServer
    protocol_version = "HTTP/1.1"  # keep-alive, as GitHub; every answer sets Content-Length
    # Headers and body in one segment, sent at once: otherwise Nagle + delayed ACK add ~40 ms a request.
    disable_nagle_algorithm = True
    wbufsize = 1 << 16
    server_version = "GitHub.com-simulator"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # quiet; the request log keeps what tests need and never the token

    def date_time_string(self, timestamp: float | None = None) -> str:
        return formatdate(self.sim.world.now_ts if timestamp is None else timestamp, usegmt=True)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    # -- the pipeline ----------------------------------------------------------------
    def _serve(self, method: str) -> None:
        sim = self.sim
        split = urlsplit(self.path)
        path = split.path
        full = self.path
        body_bytes = self._read_body()
        if sim.prefix and path.startswith(sim.prefix):
            path = path[len(sim.prefix):] or "/"
        if len(path) > 1:
            path = path.rstrip("/")
        if path.startswith("/_downloads/"):
            self._download(method, full, path)
            return
        if not sim.authorised(self.headers.get("Authorization")):
            self._answer(method, full, Response(401, _error_body(401, "Bad credentials")), cost=0)
            return
        fault = sim.faults.pick(method, path, full)
        if fault and fault.kind == "secondary":
            msg = ("You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                   "If you reach out to GitHub Support for help, please include the request ID.")
            resp = Response(fault.status, _error_body(fault.status, msg), {"retry-after": str(fault.retry_after)})
            self._answer(method, full, resp, cost=0)
            return
        if fault and (fault.kind == "error" and not fault.after):
            self._answer(method, full, Response(fault.status, _error_body(fault.status, "Server Error")), cost=0)
            return
        if fault and fault.kind == "hang" and not fault.apply:
            sim._stopping.wait(fault.seconds)
            self._record(method, full, 0, 0)
            self.close_connection = True
            return
        is_rate_limit = path == "/rate_limit"
        if not is_rate_limit and sim.limiter.exhausted(sim._token):
            b = sim.limiter.snapshot(sim._token)
            msg = "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, " \
                  "please include the request ID."
            self._answer(method, full, Response(403, _error_body(403, msg)), cost=0,
                         extra={"x-ratelimit-reset": str(b.reset)})
            return
        resp = self._dispatch(method, path, split.query, body_bytes, fault)
        if is_rate_limit and resp.status == 200:
            resp.body = sim.rate_limit_body()
        cost = 0 if is_rate_limit else 1
        if fault and fault.kind == "error" and fault.after:
            resp = Response(fault.status, _error_body(fault.status, "Server Error"))
        if fault and fault.kind == "hang":
            sim._stopping.wait(fault.seconds)
        self._answer(method, full, resp, cost=cost, etag=method == "GET")

    def _download(self, method: str, full: str, path: str) -> None:
        """A pre-signed download URL (see downloads.py): no token wanted, none accepted, no point charged."""
        assert self.sim.api is not None
        link = self.sim.api.downloads.fetch(path[len("/_downloads/"):])
        status = 404 if link is None or method != "GET" else 200
        if self.headers.get("Authorization"):
            status = 400  # as S3: a pre-signed URL with an Authorization header is refused
        data = link.data if status == 200 else b"<Error><Code>AccessDenied</Code></Error>"
        suffix = re.fullmatch(r"bytes=-([1-9][0-9]*)", self.headers.get("Range") or "")
        if status == 200 and suffix and data:  # a suffix range, as S3 and Azure Blob serve it
            total, data = len(data), data[-int(suffix.group(1)):]
            status = 206
        self._record(method, full, status, 0)
        self.send_response(status)
        if status == 206:
            self.send_header("Content-Range", f"bytes {total - len(data)}-{total - 1}/{total}")
        self.send_header("Content-Type", link.content_type if status < 300 else "application/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, MAX_BODY)) if length > 0 else b""

    def _dispatch(self, method: str, path: str, query: str, body_bytes: bytes, fault: Fault | None) -> Response:
        sim = self.sim
        assert sim.api is not None
        try:
            body = json.loads(body_bytes) if body_bytes.strip() else None
        except ValueError:
            return Response(400, _error_body(400, "Problems parsing JSON"))
        try:
            with sim.world.lock:
                found = sim.api.resolve(method, path)
                if found is None:
                    return Response(404, _error_body(404, "Not Found"))
                handler, params = found
                req = Request(method, path, dict(parse_qsl(query, keep_blank_values=True)), body, params,
                              sim.actor, drop=bool(fault and fault.kind == "drop"))
                return handler(req)
        except SimulatorError as exc:
            return Response(exc.status, _error_body(exc.status, exc.message, exc.errors))

    def _answer(self, method: str, full: str, resp: Response, cost: int, etag: bool = False,
                extra: dict[str, str] | None = None) -> None:
        sim = self.sim
        data = b"" if resp.body is None else json.dumps(resp.body, separators=(",", ":")).encode()
        status = resp.status
        headers = dict(resp.headers)
        if headers.get("Location", "").startswith("/"):  # GitHub's redirects are absolute URLs
            headers["Location"] = f"http://127.0.0.1:{sim.port}{headers['Location']}"
        if resp.page is not None:
            link = self._link(full, resp.page)
            if link:
                headers["Link"] = link
        if etag and status == 200:
            tag = 'W/"' + hashlib.sha256(data).hexdigest()[:40] + '"'
            headers["ETag"] = tag
            wanted = [t.strip() for t in (self.headers.get("If-None-Match") or "").split(",") if t.strip()]
            if tag in wanted or tag[2:] in wanted or "*" in wanted:
                status, data, cost = 304, b"", 0  # conditional hit: free, as on GitHub
        if status == 401:
            cost = 0
        if cost:
            sim.limiter.charge(sim._token, cost)
        if status == 401:  # an unauthenticated caller sees the anonymous budget, never the token's
            headers.update({"x-ratelimit-limit": "60", "x-ratelimit-remaining": "59", "x-ratelimit-used": "1",
                            "x-ratelimit-reset": str(sim.world.now_ts + 3600), "x-ratelimit-resource": "core"})
        else:
            headers.update(sim.rate_headers())
        if extra:
            headers.update(extra)
        self._record(method, full, status, cost)
        try:
            self.send_response(status)
            if data or status not in (204, 304):
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-GitHub-Api-Version-Selected", API_VERSION)
            self.send_header("X-GitHub-Request-Id", uuid.uuid4().hex[:20].upper())
            self.send_header("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            if data and method != "HEAD":
                self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a hang fault)

    def _record(self, method: str, full: str, status: int, cost: int) -> None:
        self.sim.log.add(RequestRecord(method, full, status, cost))

    def _link(self, full: str, page) -> str:
        split = urlsplit(full)
        query = [(k, v) for k, v in parse_qsl(split.query, keep_blank_values=True) if k != "page"]
        base = f"http://127.0.0.1:{self.sim.port}{split.path}"

        def url(n: int) -> str:
            return f"{base}?{urlencode([*query, ('page', str(n))])}"

        rels = []
        if page.page < page.last_page:
            rels += [f'<{url(page.page + 1)}>; rel="next"', f'<{url(page.last_page)}>; rel="last"']
        if page.page > 1:
            rels += [f'<{url(min(page.page - 1, page.last_page))}>; rel="prev"', f'<{url(1)}>; rel="first"']
        return ", ".join(rels)
