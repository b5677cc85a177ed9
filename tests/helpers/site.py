"""Helpers for the site tests: fixture stores, a rendered site, a local HTTP server, schema checks."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import http.server
import json
import threading
from pathlib import Path

import jsonschema

from quartz.site import schemas
from quartz.site.render import render
from quartz.store.db import Store
from tests.helpers import site_fixtures as fixtures

NOW = dt.datetime(2026, 11, 29, 12, 5, tzinfo=dt.UTC)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def make_store(path, *, hostile=False, wide=False, **populate):
    config = fixtures.fleet_config(hostile=hostile, wide=wide)
    store = Store.open(path)
    fixtures.populate(store, config, NOW, hostile=hostile, **populate)
    return config, store


def render_site(tmp_path: Path, *, hostile=False, wide=False, now=NOW, **populate):
    config, store = make_store(tmp_path / "store.duckdb", hostile=hostile, wide=wide, **populate)
    out = tmp_path / "site"
    report = render(config, store, out, now)
    return config, store, out, report


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(directory: Path):
    """The site over real HTTP on 127.0.0.1, as a browser would fetch it."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def schema_for(relpath: str, data: dict) -> str | None:
    if relpath.startswith("badges/"):
        return "badge"
    if relpath.startswith("api/v1/schemas/"):
        return None
    return data.get("kind")


def validate_json_files(out: Path) -> tuple[int, list[str]]:
    """Validate every JSON file of a rendered site against its schema; (files checked, problems)."""
    checked, problems = 0, []
    format_checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    for path in sorted(out.rglob("*.json")):
        rel = path.relative_to(out).as_posix()
        if rel.startswith("."):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        name = schema_for(rel, data)
        if name is None:
            jsonschema.Draft202012Validator.check_schema(data)
            continue
        validator = jsonschema.Draft202012Validator(schemas.schema(name), format_checker=format_checker)
        for error in validator.iter_errors(data):
            problems.append(f"{rel}: {'/'.join(map(str, error.absolute_path))}: {error.message[:200]}")
        checked += 1
    return checked, problems
