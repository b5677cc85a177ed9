"""`quartz serve`: look at a rendered site in a browser, from localhost only by default."""

from __future__ import annotations

import functools
import http.server
import sys
from pathlib import Path

from quartz.errors import BadInput


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".json": "application/json", ".svg": "image/svg+xml", ".js": "text/javascript"}


def make_server(directory: str | Path, host: str = "127.0.0.1", port: int = 8000) -> http.server.ThreadingHTTPServer:
    directory = Path(directory)
    if not (directory / "index.html").is_file():
        raise BadInput(f"{directory} holds no rendered site (no index.html); run `quartz render --out {directory}`")
    handler = functools.partial(_Handler, directory=str(directory))
    try:
        return http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise BadInput(f"cannot listen on {host}:{port}: {exc.strerror}; pick another --port") from None


def main(args) -> int:
    server = make_server(args.out, args.host, args.port)
    host, port = server.server_address[:2]
    print(f"serving {args.out} at http://{host}:{port}/ (Ctrl-C stops)", flush=True, file=sys.stdout)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
