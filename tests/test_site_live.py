"""Open pages keep themselves current (templates/assets/site.js `live`), in Debian's Chromium.

The site is served over real HTTP and changes between two polls (a run turns red, the store re-rendered into
the same directory); the page updates the cell in place. The poll interval is injected (QUARTZ_POLL_MS) and
the browser's clock pinned to the fixture's, so nothing here waits a minute."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import http.server
import json
import os
import threading
import time

import pytest

from quartz.site.render import render
from tests.helpers.site import CHROMIUM, CHROMIUM_ARGS, NOW, render_site

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")]

CLOCK = """
window.QUARTZ_POLL_MS = 250;
window.QUARTZ_TEST_NOW = %d;
(function () { var real = Date.now; Date.now = function () { return window.QUARTZ_TEST_NOW || real(); }; })();
"""


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class _Logged(http.server.SimpleHTTPRequestHandler):
    """Python's file server (Last-Modified, and 304 to an If-Modified-Since it still meets), keeping a log."""

    answered: list

    def log_request(self, code="-", size="-"):
        self.answered.append((self.path.rsplit("/", 1)[-1], int(code)))

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(directory, answered: list | None = None):
    handler = functools.partial(type("H", (_Logged,), {"answered": answered if answered is not None else []}),
                                directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def open_page(browser, js=True):
    context = browser.new_context(viewport={"width": 1000, "height": 500}, java_script_enabled=js)
    context.add_init_script(CLOCK % int((NOW.timestamp() + 60) * 1000))
    page = context.new_page()
    page.errors = []
    page.statuses = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("response", lambda r: page.statuses.append((r.url.rsplit("/", 1)[-1], r.status)))
    return context, page


def rerender(config, store, out, now) -> None:
    """Render again into the served directory. Python's file server compares Last-Modified in whole seconds,
    so a file rewritten within the second of the last answer would still get a 304: date the files later."""
    render(config, store, out, now)
    later = time.time() + 2
    for path in out.rglob("*"):
        if path.is_file():
            os.utime(path, (later, later))


def cell(project: str) -> str:
    return f'[data-live="{project}|default"]'


def test_the_health_grid_updates_a_cell_in_place_when_the_site_changes(tmp_path, browser):
    config, store, out, _ = render_site(tmp_path)
    health = json.loads((out / "api/v1/health.json").read_text())
    projects = [p for c in health["categories"] for p in c["projects"]]
    first = next(p for p in projects if p["default"]["state"] == "success" and p["default"]["run_id"])
    second = next(p for p in projects if p is not first)
    run_id = first["default"]["run_id"]
    context, page = open_page(browser)
    answered = []
    with serve(out, answered) as base:
        page.goto(base + "index.html")
        page.evaluate("window.scrollTo(0, 250); window.notReloaded = true;"
                      f"document.querySelector('{cell(second['name'])}').kept = true;")
        page.wait_for_timeout(800)  # a few polls of an unchanged file
        assert ("health.json", 304) in answered, answered  # conditional GETs: the server answered 304
        assert "st-failure" not in page.get_attribute(cell(first["name"]), "class")
        store.db.execute("UPDATE workflow_runs SET conclusion = 'failure' WHERE run_id = ?", [run_id])
        rerender(config, store, out, NOW)  # the same clock: only that run's cells differ
        page.wait_for_function(f"document.querySelector('{cell(first['name'])}').classList.contains('st-failure')",
                               timeout=5000)
        assert page.evaluate("window.notReloaded") is True  # no reload
        assert page.evaluate("window.scrollY") == 250  # no scroll jump
        assert page.evaluate(f"document.querySelector('{cell(second['name'])}').kept") is True  # same node
        assert "failed" in page.inner_text(cell(first["name"]))
        assert page.is_hidden("[data-live-note]")
        # The poll fails (the file is gone): the page says so and keeps what it shows.
        (out / "api/v1/health.json").rename(out / "health.json.away")
        page.evaluate("window.QUARTZ_TEST_NOW += 5000")
        page.wait_for_function("!document.querySelector('[data-live-note]').hidden", timeout=5000)
        assert "Could not update this page" in page.inner_text("[data-live-note]")
        assert "failed" in page.inner_text(cell(first["name"]))
        # Back, but nothing new from Quartz for two hours: stale.
        (out / "health.json.away").rename(out / "api/v1/health.json")
        page.evaluate("window.QUARTZ_TEST_NOW += 2 * 3600 * 1000")
        page.wait_for_function("document.querySelector('[data-live-note]').textContent.includes('Stale data')",
                               timeout=5000)
        assert "stale" in page.get_attribute("[data-live=fresh]", "class")
    assert page.errors == []
    context.close()


def test_a_cascade_page_updates_its_stages_in_place(tmp_path, browser):
    config, store, out, _ = render_site(tmp_path)
    cid = "nightly-20261129-1005-05"  # running: its vllm stage is still going
    context, page = open_page(browser)
    with serve(out) as base:
        page.goto(base + f"cascades/{cid}.html")
        assert page.get_attribute("body", "data-poll").endswith(f"api/v1/cascades/{cid}.json")
        assert "running" in page.inner_text('[data-live="stage|vllm"]')
        page.evaluate("window.notReloaded = true")
        store.db.execute("UPDATE cascade_stages SET status = 'success', reason = 'succeeded — by the test', "
                         "finished_at = ?, updated_at = ? WHERE cascade_run_id = ? AND stage = 'vllm'",
                         [NOW, NOW + dt.timedelta(minutes=1), cid])
        store.db.execute("UPDATE cascade_runs SET updated_at = ? WHERE cascade_run_id = ?",
                         [NOW + dt.timedelta(minutes=1), cid])
        rerender(config, store, out, NOW + dt.timedelta(minutes=1))
        page.wait_for_function("document.querySelector('[data-live=\"stage|vllm\"]').textContent"
                               ".includes('by the test')", timeout=5000)
        assert page.evaluate("window.notReloaded") is True
    assert page.errors == []
    context.close()


def test_without_javascript_the_page_is_as_rendered(tmp_path, browser):
    _, _, out, _ = render_site(tmp_path)
    context, page = open_page(browser, js=False)
    with serve(out) as base:
        page.goto(base + "index.html")
        assert page.is_hidden("[data-live-note]")
        assert page.locator("table.grid td.c").count() > 3
        page.wait_for_timeout(600)
        assert not any(name.endswith(".json") for name, _ in page.statuses)  # nothing polls
    context.close()
