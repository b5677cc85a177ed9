"""A local incoming-webhook endpoint for `quartz demo`: it collects every message POSTed to it, like Slack would.

The URL holds a random path, as a real webhook's does; the demo hands it to the cycle through the
environment variable its channel names, exactly as production hands over the secret.
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MAX_BODY = 1024 * 1024


class WebhookSink:
    def __init__(self):
        self.messages: list[dict] = []
        self.path = f"/demo-webhook/{secrets.token_hex(8)}"
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                size = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
                data = self.rfile.read(size)
                ok = self.path == sink.path
                if ok:
                    try:
                        sink.messages.append(json.loads(data))
                    except ValueError:
                        ok = False
                status, body = (200, b"ok") if ok else (400, b"invalid_payload")
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhook-sink", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{self.path}"

    def __enter__(self) -> WebhookSink:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"messages": self.messages}, indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")
