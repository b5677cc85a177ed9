"""The ROCm nightly per GPU family: cells, streaks and known good from ROCm's seven real nightlies.

The document-level tests read the real status.json files; the store-level ones feed the reports those files
imply through `quartz ingest` (tests/helpers/statusjson.py), render the site and read its JSON and pages.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quartz import config
from quartz.rocm import nightly, statusjson
from quartz.site.render import render
from quartz.store.db import Store
from tests.helpers import rocmdata
from tests.helpers.site import CHROMIUM, CHROMIUM_ARGS, serve, validate_json_files
from tests.helpers.statusjson import Reporter, small_doc

REPO = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 8, 20, tzinfo=dt.UTC)
SIX_HOURS = 6 * 3600


@pytest.fixture(scope="module")
def cfg():
    return config.load(REPO / "cascades.yaml")


def real(day: str) -> dict:
    if not rocmdata.STATUS.is_dir():
        pytest.skip(rocmdata.MISSING)
    return json.loads((rocmdata.STATUS / f"{day}.json").read_text(encoding="utf-8"))


def cells_of(doc: dict, cfg=None, now=NOW) -> list[dict]:
    return nightly.nightly_cells(doc, now=now, run_timeout_s=SIX_HOURS,
                                 coverage=cfg.families.coverage if cfg else None)


def pick(cells, platform, family, column) -> dict:
    return next(c for c in cells if (c["platform"], c["family"], c["column"]) == (platform, family, column))


# ---------------------------------------------------------------- one nightly, document level


def test_20260818_pytorch_tests_red_on_9_of_16_linux_and_4_of_13_windows_families():
    doc = real("20260818")
    cells = cells_of(doc)
    tests = [c for c in cells if (c["pipeline"], c["phase"]) == ("pytorch", "test")]
    assert Counter(c["platform"] for c in tests) == {"linux": 16, "windows": 13}
    red = Counter(c["platform"] for c in tests if c["status"] == "failure")
    assert red == {"linux": 9, "windows": 4}
    # ROCm tests: red on every Linux family with a runner (7), the rest built but never tested.
    rocm = [c for c in cells if (c["platform"], c["pipeline"], c["phase"]) == ("linux", "rocm", "test")]
    assert Counter(c["status"] for c in rocm) == {"failure": 7, "not_tested": 9}


def test_every_summary_family_has_a_cell_for_every_pipeline_phase_of_its_platform():
    doc = real("20260818")
    cells = cells_of(doc)
    expected = {"linux": {"rocm.build", "rocm.test", "pytorch.build", "pytorch.test", "jax.build", "jax.test",
                          "native rpm", "native deb"},
                "windows": {"rocm.build", "rocm.test", "pytorch.build", "pytorch.test"}}
    for platform, columns in expected.items():
        for family in doc["summary"][platform]["architectures"]:
            have = {c["column"] for c in cells if (c["platform"], c["family"]) == (platform, family)}
            assert have == columns, (platform, family)
    assert len(cells) == 16 * 8 + 13 * 4


def test_a_platform_wide_build_gives_each_family_its_status_and_a_missing_test_is_not_tested():
    doc = real("20260818")
    cells = cells_of(doc)
    build = pick(cells, "linux", "gfx90a", "rocm.build")
    assert (build["status"], build["scope"], build["run_id"]) == ("success", "platform", 32082944878)
    assert build["run_url"] == "https://github.com/ROCm/rockrel/actions/runs/32082944878"
    untested = pick(cells, "linux", "gfx90a", "rocm.test")
    assert untested["status"] == "not_tested" and untested["run_id"] is None
    gfx1151 = pick(cells, "linux", "gfx1151", "pytorch.test")
    assert gfx1151["status"] == "failure" and gfx1151["scope"] == "family"
    assert gfx1151["counts"] == {"failure": 17, "success": 3}
    assert {"py": "3.11", "torch": "release/2.13"} in [v["matrix"] for v in gfx1151["variants"]
                                                      if v["status"] == "success"]


def test_families_table_coverage_makes_no_runner_families_not_tested_before_the_nightly_ends(cfg):
    doc = real("20260818")
    live = json.loads(json.dumps(doc))
    live["summary"]["overall_status"] = "in_progress"
    live["status_json_last_updated"] = "2026-08-19T23:00:00Z"
    del live["pipelines"]["rocm"]["test"]["linux"]["gfx110X-all"]  # a tested family whose result is still to come
    without_table = cells_of(live)
    with_table = cells_of(live, cfg)
    assert pick(without_table, "linux", "gfx90a", "rocm.test")["status"] == "in_progress"  # might still come
    assert pick(with_table, "linux", "gfx90a", "rocm.test")["status"] == "not_tested"  # no runner: known
    assert pick(with_table, "linux", "gfx110X-all", "rocm.test")["status"] == "in_progress"  # tested: waits


def test_a_nightly_whose_reports_stop_shows_in_progress_until_run_timeout_then_timed_out():
    doc = real("20260818")
    live = json.loads(json.dumps(doc))
    live["summary"]["overall_status"] = "in_progress"
    live["pipelines"]["pytorch"]["test"]["linux"]["gfx1151"]["status"] = "in_progress"
    last = dt.datetime(2026, 8, 19, 1, 31, 24, tzinfo=dt.UTC)
    before = cells_of(live, now=last + dt.timedelta(seconds=SIX_HOURS - 60))
    after = cells_of(live, now=last + dt.timedelta(seconds=SIX_HOURS + 60))
    assert pick(before, "linux", "gfx1151", "pytorch.test")["status"] == "in_progress"
    assert pick(after, "linux", "gfx1151", "pytorch.test")["status"] == "timed_out"
    assert pick(after, "linux", "gfx1151", "rocm.test")["status"] == "failure"  # finished leaves stay
    assert not any(c["status"] == "in_progress" for c in after)


def test_an_unknown_family_or_pipeline_is_kept_and_marked():
    doc = json.loads(json.dumps(real("20260818")))
    doc["pipelines"]["pytorch"]["test"]["linux"]["gfx9999-new"] = {"status": "success", "run_id": 7}
    doc["pipelines"]["triton"] = {"build": {"linux": {"status": "failure", "run_id": 8}},
                                  "test": {"linux": {"gfx1151": {"status": "success", "run_id": 9}}}}
    cells = cells_of(doc)
    new = pick(cells, "linux", "gfx9999-new", "pytorch.test")
    assert (new["status"], new["known"], new["run_id"]) == ("success", False, 7)
    triton = pick(cells, "linux", "gfx1151", "triton.test")
    assert (triton["status"], triton["known"]) == ("success", False)
    assert pick(cells, "linux", "gfx94X-dcgpu", "triton.build")["status"] == "failure"


# ---------------------------------------------------------------- seven nightlies, document level


def series(cfg=None) -> list[tuple[str, list[dict]]]:
    days = [p.stem for p in rocmdata.status_files()]
    if not days:
        pytest.skip(rocmdata.MISSING)
    return [(day, cells_of(real(day), cfg)) for day in days]


def test_streaks_last_green_and_flips_across_the_seven_nightlies():
    history = nightly.history("nightly", series())
    red = history[("linux", "gfx1151", "pytorch", "test")]
    assert red["streak"] == {"status": "failure", "since": "2026-08-12", "nightlies": 7}
    assert red["last_green"] is None and red["flips"] == 0
    assert nightly.streak_text(red) == "red since 2026-08-12, 7 nightlies"
    # gfx900 on Linux: red, red, green, green, red, green, green.
    flappy = history[("linux", "gfx900", "pytorch", "test")]
    assert flappy["streak"] == {"status": "success", "since": "2026-08-17", "nightlies": 2}
    assert (flappy["last_green"], flappy["flips"]) == ("2026-08-18", 3)
    # Windows ROCm tests on gfx110X-all: red to the 15th, green on the 16th, red on the 17th, green on the 18th.
    win = history[("windows", "gfx110X-all", "rocm", "test")]
    assert win["streak"]["nightlies"] == 1 and win["flips"] == 3


def test_known_good_per_family_is_the_newest_nightly_that_passed_with_what_to_pin():
    docs = [(day, real(day)) for day, _ in series()]  # skips, saying why, without the real documents
    good = nightly.known_good("nightly", [(day, d, cells_of(d)) for day, d in docs])
    win = good[("windows", "gfx110X-all", "rocm", "test")]
    assert (win["date"], win["rocm_version"]) == ("2026-08-18", "10.1.0a20260818")
    assert win["urls"]["wheels"] == "https://rocm.nightlies.amd.com/whl-multi-arch/"
    assert good[("linux", "gfx90a", "rocm", "build")]["key"] == "20260818"
    assert good[("linux", "gfx1152", "pytorch", "test")]["key"] == "20260818"
    assert ("linux", "gfx1151", "pytorch", "test") not in good  # never passed in the window
    assert good[("linux", "gfx1152", "native_packages", "deb")]["urls"]["deb"].endswith("/deb/20260818-32082944878/")


# ---------------------------------------------------------------- through ingest, the store and the render


@pytest.fixture(scope="module")
def site(cfg, tmp_path_factory):
    """The seven real nightlies fed report by report through `quartz ingest`, then rendered."""
    days = rocmdata.status_files()
    if not days:
        pytest.skip(rocmdata.MISSING)
    root = tmp_path_factory.mktemp("nightly")
    with Store.open(root / "quartz.duckdb") as store:
        for path in days:
            Reporter(json.loads(path.read_text(encoding="utf-8")), cfg, store).send_all()
        render(cfg, store, root / "site", NOW)
    return root / "site"


def read(site: Path, rel: str) -> dict:
    return json.loads((site / rel).read_text(encoding="utf-8"))


@pytest.mark.slow
def test_the_rendered_nightly_json_holds_cells_with_streaks(site):
    listing = read(site, "api/v1/nightlies.json")
    assert [n["key"] for n in listing["nightlies"]] == [f"202608{d}" for d in range(18, 11, -1)]
    ndoc = read(site, "api/v1/" + listing["nightlies"][0]["api"])
    cells = {(c["platform"], c["family"], c["pipeline"], c["phase"]): c for c in ndoc["cells"]}
    assert len(cells) == 16 * 8 + 13 * 4
    red = cells[("linux", "gfx1151", "pytorch", "test")]
    assert red["streak"] == {"status": "failure", "since": "2026-08-12", "nightlies": 7}
    assert red["run_id"] == 32091357945
    assert sum(1 for c in ndoc["cells"] if (c["pipeline"], c["phase"], c["status"]) == ("pytorch", "test", "failure")
               and c["platform"] == "windows") == 4
    assert cells[("linux", "gfx90a", "rocm", "test")]["status"] == "not_tested"
    tally = {(p["platform"], c["label"]): c["families"] for p in ndoc["platforms"] for c in p["columns"]}
    assert tally[("linux", "pytorch.test")] == {"failure": 9, "success": 7}
    assert tally[("windows", "pytorch.test")] == {"failure": 4, "success": 9}
    assert tally[("linux", "rocm.test")] == {"failure": 7, "not_tested": 9}
    family = read(site, "api/v1/families/gfx900.json")
    row = next(r for r in family["rows"] if (r["platform"], r["column"]) == ("linux", "pytorch.test"))
    assert [n["status"] for n in row["nights"]] == ["failure", "failure", "success", "success", "failure",
                                                    "success", "success"]
    assert row["streak_text"] == "green since 2026-08-17, 2 nightlies"


@pytest.mark.slow
def test_known_good_json_gains_families_and_every_file_meets_its_schema(site):
    kg = read(site, "api/v1/known-good.json")
    assert "cascades" in kg  # the existing field stays
    entry = next(g for g in kg["families"] if (g["platform"], g["family"], g["column"]) ==
                 ("windows", "gfx110X-all", "rocm.test"))
    assert entry["date"] == "2026-08-18" and entry["rocm_version"] == "10.1.0a20260818"
    checked, problems = validate_json_files(site)
    assert checked and problems == []
    index = read(site, "api/v1/index.json")
    assert {"nightlies", "nightly", "family"} <= {e["name"] for e in index["endpoints"]}
    health = (site / "index.html").read_text(encoding="utf-8")
    assert "ROCm nightly" in health and "families/gfx1151.html" in health


# ---------------------------------------------------------------- odd reports


def test_a_report_naming_an_unknown_family_goes_through_ingest_and_is_shown(cfg, tmp_path):
    doc = small_doc("20260101", 1000)
    doc["pipelines"]["rocm"]["test"]["linux"]["gfx9999-new"] = {
        "status": "failure", "run_id": 1009, "run_attempt": 1, "started_at": "2026-01-01T01:00:00Z",
        "completed_at": "2026-01-01T02:00:00Z"}
    with Store.open(tmp_path / "quartz.duckdb") as store:
        Reporter(doc, cfg, store).send_all()
        render(cfg, store, tmp_path / "site", dt.datetime(2026, 1, 2, tzinfo=dt.UTC))
        block = _block_html(tmp_path / "site")
        quiet = render(cfg, store, tmp_path / "site", dt.datetime(2026, 1, 2, 0, 30, tzinfo=dt.UTC))
    assert quiet.carried > 0  # a light render: the grid's block read back, not rebuilt
    assert _block_html(tmp_path / "site") == block
    assert "ROCm nightly" in block and "families/gfx9999-new.html" in block
    ndoc = read(tmp_path / "site", "api/v1/nightlies/nightly/20260101.json")
    odd = [c for c in ndoc["cells"] if c["family"] == "gfx9999-new"]
    assert [(c["status"], c["known"], c["run_id"]) for c in odd if c["column"] == "rocm.test"] == [
        ("failure", False, 1009)]
    assert {c["column"] for c in odd} >= {"rocm.build", "rocm.test", "pytorch.test"}  # a full row, marked unknown
    page = (tmp_path / "site" / "nightlies/nightly/20260101.html").read_text(encoding="utf-8")
    assert "gfx9999-new" in page and "unknown family" in page


def _block_html(site: Path) -> str:
    page = (site / "index.html").read_text(encoding="utf-8")
    return page[page.index('<section aria-labelledby="rocm-nightly-h"'):page.index('<section aria-labelledby="grid-h"')]


_NAMES = st.sampled_from(["rocm", "pytorch", "jax", "native_packages", "triton", "<b>x</b>", "", "build", "test"])
_STATUS = st.sampled_from(["success", "failure", "in_progress", "cancelled", "skipped", "weird", ""])
_LEAF = st.fixed_dictionaries({"status": _STATUS}, optional={
    "run_id": st.one_of(st.integers(-5, 2**40), st.text(max_size=5), st.none()),
    "run_attempt": st.one_of(st.integers(0, 5), st.none()),
    "variants": st.one_of(st.lists(st.one_of(st.fixed_dictionaries({"status": _STATUS, "py": st.text(max_size=4)}),
                                             st.integers(), st.none()), max_size=3), st.text(max_size=3))})
_JUNK = st.one_of(st.none(), st.integers(), st.text(max_size=4), st.lists(st.integers(), max_size=2))
_FAMILIES = st.sampled_from(["gfx94X-dcgpu", "gfx1151", "gfx9999-new", "", "<script>", "gfx90a"])
_NODE = st.one_of(_LEAF, _JUNK, st.dictionaries(st.sampled_from(["linux", "windows", "macos"]), st.one_of(
    _LEAF, _JUNK, st.dictionaries(_FAMILIES, st.one_of(_LEAF, _JUNK), max_size=3)), max_size=3))
_DOCS = st.fixed_dictionaries({
    "build_date": st.just("20260101"),
    "summary": st.one_of(_JUNK, st.fixed_dictionaries({
        "overall_status": _STATUS,
        "linux": st.one_of(_JUNK, st.fixed_dictionaries({"architectures": st.one_of(
            st.lists(_FAMILIES, max_size=3), _JUNK)})),
    })),
    "pipelines": st.one_of(_JUNK, st.dictionaries(_NAMES, st.one_of(_JUNK, st.dictionaries(_NAMES, _NODE, max_size=3)),
                                                  max_size=4)),
    "status_json_last_updated": st.sampled_from(["2026-01-01T00:00:00Z", "not a time", ""]),
})


@settings(max_examples=200, deadline=None)
@given(doc=_DOCS)
def test_any_document_gives_cells_and_drops_no_family_leaf(doc):
    cells = nightly.nightly_cells(doc, now=NOW, run_timeout_s=SIX_HOURS)
    by_key = {(c["platform"], c["family"], c["pipeline"], c["phase"]): c for c in cells}
    for found in nightly.leaves(doc):
        if found.family is None:
            continue
        cell = by_key[(found.platform, found.family, found.pipeline, found.phase)]  # kept, never dropped
        assert cell["status"] in (found.leaf["status"], nightly.TIMED_OUT)
    for cell in cells:
        assert cell["status"] != "success" or cell["run_id"] is not None or cell["scope"] in ("family", "platform")
        assert cell["status"] != nightly.NOT_TESTED or cell["run_id"] is None
    nightly.history("nightly", [("20260101", cells)])  # and the history of it


# ---------------------------------------------------------------- in Chromium


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")
def test_the_nightly_page_answers_is_pytorch_on_gfx1151_usable_and_not_tested_never_looks_green(site):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p, serve(site) as base:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "index.html")
        page.locator(".rocm-nightly a", has_text="2026-08-18").click()  # the health grid's block → the nightly
        assert page.url.endswith("/nightlies/nightly/20260818.html")
        cell = page.locator('table[data-platform="linux"] tr[data-family="gfx1151"] td[data-column="pytorch.test"]')
        assert cell.locator(".st").inner_text().strip() == "✗ failed"
        assert "17 failed, 3 passed" in cell.inner_text()
        cell.locator("summary").click()  # drill-down without JavaScript: <details>
        variants = cell.locator("table.variants")
        assert variants.is_visible()
        assert "py 3.11 · torch release/2.13" in variants.locator("tr", has_text="passed").first.inner_text()
        assert "red since 2026-08-12 (7 nightlies)".replace("red", "failed") in cell.inner_text()
        green = page.locator('td.nc[data-status="success"] .st').first.evaluate("e => getComputedStyle(e).color")
        untested = page.locator('td.nc[data-status="not_tested"]')
        assert untested.count() > 20
        for i in range(untested.count()):
            one = untested.nth(i)
            assert one.locator(".st").inner_text().strip() == "◌ not tested"
            assert one.locator(".st").evaluate("e => getComputedStyle(e).color") != green
        page.locator('tr[data-family="gfx1151"] th a').first.click()  # the family page
        row = page.locator('tr[data-platform="linux"][data-column="pytorch.test"]')
        assert "red since 2026-08-12, 7 nightlies" in row.inner_text()
        browser.close()
    assert errors == []


def test_artifact_urls_from_reports_are_linked_only_when_http():
    doc = json.loads(json.dumps(real("20260818")))
    doc["summary"]["linux"]["urls"].update(wheels="javascript:alert(1)", tarballs="https://x.example/t/")
    assert nightly.urls_of(doc, "linux")["tarballs"] == "https://x.example/t/"
    assert "wheels" not in nightly.urls_of(doc, "linux")
    good = nightly.known_good("nightly", [("20260818", doc, cells_of(doc))])
    assert "wheels" not in good[("linux", "gfx90a", "rocm", "build")]["urls"]


_ODD_FAMILY = st.from_regex(r"gfx[0-9A-Za-z]{1,6}(-[0-9A-Za-z]{1,8})?", fullmatch=True)


@pytest.mark.slow
@settings(max_examples=15, deadline=None)
@given(families=st.lists(_ODD_FAMILY, min_size=1, max_size=3, unique=True),
       status=st.sampled_from(["success", "failure", "in_progress", "cancelled"]))
def test_reports_naming_any_family_go_through_ingest_and_every_family_keeps_its_cell(cfg, families, status):
    doc = small_doc("20260101", 1000)
    for n, family in enumerate(families):
        leaf = {"status": status, "run_id": 1100 + n, "run_attempt": 1, "started_at": "2026-01-01T01:00:00Z"}
        if status != "in_progress":
            leaf["completed_at"] = "2026-01-01T02:00:00Z"
        doc["pipelines"]["rocm"]["test"]["linux"][family] = leaf
    with Store.open(":memory:") as store:
        Reporter(doc, cfg, store).send_all()
        built = statusjson.build(store, cfg, "20260101")
    cells = cells_of(built, cfg, now=dt.datetime(2026, 1, 1, 3, tzinfo=dt.UTC))
    for family in families:
        cell = pick(cells, "linux", family, "rocm.test")
        assert cell["status"] == status and cell["run_id"] == 1100 + families.index(family)
        assert cell["known"] == (family == "gfx94X-dcgpu")


def test_prereleases_get_pages_keyed_by_version_with_streaks_of_their_own(cfg, tmp_path):
    with Store.open(tmp_path / "quartz.duckdb") as store:
        Reporter(small_doc("20260201", 1000, version="7.14.0rc2", leaf="failure"), cfg, store).send_all()
        Reporter(small_doc("20260205", 2000, version="7.14.0rc10", leaf="failure"), cfg, store).send_all()
        Reporter(small_doc("20260203", 3000), cfg, store).send_all()  # a nightly between them
        render(cfg, store, tmp_path / "site", dt.datetime(2026, 2, 6, tzinfo=dt.UTC))
    listing = read(tmp_path / "site", "api/v1/nightlies.json")
    assert [(n["release_type"], n["key"]) for n in listing["nightlies"]] == [
        ("prerelease", "7.14.0rc10"), ("prerelease", "7.14.0rc2"), ("nightly", "20260203")]
    rc10 = read(tmp_path / "site", "api/v1/nightlies/prerelease/7.14.0rc10.json")
    cell = next(c for c in rc10["cells"] if (c["platform"], c["family"], c["column"]) ==
                ("linux", "gfx94X-dcgpu", "rocm.test"))
    assert cell["status"] == "failure"
    assert cell["streak"] == {"status": "failure", "since": "7.14.0rc2", "nightlies": 2}  # rc2 → rc10, not the nightly
    assert (tmp_path / "site" / "nightlies" / "prerelease" / "7.14.0rc10.html").is_file()


def test_a_finished_nightly_never_leaves_a_missing_test_in_progress():
    doc = json.loads(json.dumps(real("20260818")))
    doc["pipelines"]["triton"] = {"test": {"linux": {"gfx1151": {"status": "success", "run_id": 9}}}}
    del doc["pipelines"]["jax"]["build"]  # a test with no build leaf (the summary still has its status)
    cells = cells_of(doc, now=dt.datetime(2026, 9, 1, tzinfo=dt.UTC))
    assert pick(cells, "linux", "gfx90a", "triton.test")["status"] == "not_tested"  # unknown pipeline, no build
    assert pick(cells, "linux", "gfx90a", "jax.test")["status"] == "not_tested"
    assert not any(c["status"] in ("in_progress", "timed_out") for c in cells)
