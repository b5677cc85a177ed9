"""The dashboard in Debian's Chromium: click through grid → build → cascade, keyboard use, hostile text inert."""

from __future__ import annotations

import os

import pytest

from tests.helpers.site import CHROMIUM, CHROMIUM_ARGS, render_site, serve

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")]

SHOTS = os.environ.get("QUARTZ_SCREENSHOTS")  # set to a directory to keep screenshots for a look


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.errors = []
    pg.dialogs = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)

    def on_dialog(dialog):
        pg.dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    yield pg
    context.close()


def test_walk_grid_to_build_to_cascade_by_clicking(tmp_path, page):
    _, _, out, _ = render_site(tmp_path)
    with serve(out) as base:
        page.goto(base + "index.html")
        assert page.title().startswith("Health")
        assert page.locator("h1").inner_text() == "Fleet health"
        # The ROCm release row's default-branch cell: its newest run triggered tonight's nightly cascade.
        row = page.locator("table.grid tr", has=page.locator("th a", has_text="ROCm release"))
        row.locator("td.c").first.locator("a.st").click()
        assert "/builds/" in page.url
        heading = " ".join(page.locator("h1").inner_text().split())
        assert heading.startswith("✓ passed Build 9")
        page.get_by_role("link", name="nightly-20261129-1005-05").click()
        assert page.url.endswith("/cascades/nightly-20261129-1005-05.html")
        assert "Cascade run" in page.locator("h1").inner_text()
        assert page.locator(".dag svg g.node").count() == 5
        running = page.locator("tr", has=page.locator("th", has_text="vllm")).first
        assert "running" in running.inner_text()
        # Each DAG box links to its run; follow the PyTorch stage back to its build page.
        page.locator(".dag svg a", has=page.locator("text.name", has_text="pytorch")).click()
        assert "/builds/" in page.url and "Build" in page.title()
        page.get_by_role("link", name="Cascades", exact=True).click()
        assert page.url.endswith("/cascades.html")
        if SHOTS:
            page.goto(base + "cascades/nightly-20261124-1205-02.html")
            page.screenshot(path=os.path.join(SHOTS, "cascade.png"), full_page=True)
    assert page.errors == []


def test_keyboard_reaches_the_grid_and_charts_draw(tmp_path, page):
    _, _, out, _ = render_site(tmp_path)
    with serve(out) as base:
        page.goto(base + "index.html")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        for _ in range(80):
            page.keyboard.press("Tab")
            if "builds/" in (page.evaluate("document.activeElement.getAttribute('href') || ''")):
                break
        else:
            pytest.fail("no build link reachable by keyboard")
        page.keyboard.press("Enter")
        page.wait_for_url("**/builds/*.html")
        page.goto(base + "projects/pytorch.html")
        page.wait_for_selector(".chart .main-svg")  # the one shared plotly bundle drew the trend charts
        assert page.locator(".chart .main-svg").count() >= 2
        if SHOTS:
            page.goto(base + "index.html")
            page.screenshot(path=os.path.join(SHOTS, "index.png"), full_page=True)
    assert page.errors == []


def test_hostile_text_shows_literally_and_nothing_runs(tmp_path, page):
    _, _, out, _ = render_site(tmp_path, hostile=True)
    pages = ["index.html", "projects/vllm.html", "cascades.html", "trends.html", "known-good.html",
             "releases/7.10.html"]
    pages += [p.relative_to(out).as_posix() for p in sorted((out / "cascades").glob("*.html"))[:3]]
    pages += [p.relative_to(out).as_posix() for p in sorted((out / "builds").glob("*.html"))[:4]]
    pages += [p.relative_to(out).as_posix() for p in sorted((out / "projects/vllm").glob("*.html"))]
    with serve(out) as base:
        for path in pages:
            page.goto(base + path)
            page.wait_for_load_state("load")
            injected = page.evaluate("""() => ({
                imgs: document.querySelectorAll('img[src="x"], img[onerror]').length,
                bold: document.querySelectorAll('main b').length,
                scripts: [...document.scripts].filter(s => !(s.src.includes('/assets/') ||
                                                            s.type === 'application/json')).length,
            })""")
            assert injected == {"imgs": 0, "bold": 0, "scripts": 0}, path
        page.goto(base + "index.html")
        text = page.locator("main").inner_text()
        assert '"><img src=x onerror=alert(1)>' in text
        assert "{{7*7}}" in text
        page.goto(base + "projects/vllm.html")
        tabs = page.locator("nav[aria-label=Branches]").inner_text()
        assert "<script>alert(1)</script>" in tabs
        assert "../../../etc/passwd" in tabs
    assert page.dialogs == []
    assert page.errors == []
