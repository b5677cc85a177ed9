"""The rendered site: JSON twins valid against their schemas, incremental writes, safe paths, sizes, links."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from quartz.site import paths
from quartz.site.render import render
from quartz.site.writer import DuplicateOutput, Writer
from tests.helpers.site import NOW, make_store, render_site, validate_json_files


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return render_site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    return render_site(tmp_path_factory.mktemp("hostile"), hostile=True)


def _files(out: Path, suffix: str):
    return [p for p in out.rglob(f"*{suffix}") if not p.name.startswith(".")]


@pytest.mark.parametrize("which", ["site", "hostile_site"])
def test_every_json_file_matches_the_schema_published_beside_it(which, request):
    _, _, out, _ = request.getfixturevalue(which)
    checked, problems = validate_json_files(out)
    assert problems == []
    assert checked > 50
    published = {p.name for p in (out / "api/v1/schemas").iterdir()}
    for kind in ("health", "projects", "project", "builds", "build", "cascades", "cascade", "release", "known_good"):
        assert f"{kind}.schema.json" in published


def test_design_paths_exist_and_index_lists_them(site):
    config, _, out, _ = site
    api = out / "api/v1"
    for rel in ("health.json", "projects.json", "cascades.json", "known-good.json", "index.json",
                "projects/pytorch.json", "projects/pytorch/builds.json", "releases/7.10/status.json"):
        assert (api / rel).is_file(), rel
    index = json.loads((api / "index.json").read_text())
    for endpoint in index["endpoints"]:
        assert (api / endpoint["schema"]).is_file()
    cascades = json.loads((api / "cascades.json").read_text())
    first = cascades["items"][0]
    assert (api / first["api"]).is_file() and (out / first["html"]).is_file()
    for item in json.loads((api / "projects/vllm/builds.json").read_text())["items"]:
        if item["api"]:
            assert json.loads((api / item["api"]).read_text())["run"]["run_id"] == item["run_id"]


def test_cascade_json_explains_every_stage_not_yet_passed(site):
    _, _, out, _ = site
    seen_states = set()
    for path in (out / "api/v1/cascades").glob("*.json"):
        doc = json.loads(path.read_text())
        assert doc["status"] in ("running", "success", "partial_failure", "failure", "cancelled")
        for stage in doc["stages"]:
            seen_states.add(stage["status"])
            assert {"name", "status", "reason", "attempts", "run"} <= set(stage)
            if stage["status"] != "success":
                assert stage["reason"], (path.name, stage["name"])
            if stage["run"]:
                assert stage["run"]["run_id"]
    assert {"running", "failure", "skipped", "pending", "dispatched", "timed_out"} <= seen_states


def test_same_data_rewrites_nothing_and_one_change_rewrites_little(tmp_path):
    config, store, out, first = render_site(tmp_path)
    assert first.written == first.unchanged + first.written and first.written > 100
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = render(config, store, out, NOW)
    assert (again.written, again.removed) == (0, 0)
    assert again.unchanged == first.written
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == mtimes

    # One old run changes its conclusion: its build page, its project and the grid follow; most files stay.
    run_id = store.db.execute(
        "SELECT run_id FROM workflow_runs WHERE project = 'sglang' AND status = 'completed' "
        "ORDER BY run_id LIMIT 1").fetchone()[0]
    store.db.execute("UPDATE workflow_runs SET conclusion = 'failure' WHERE run_id = ?", [run_id])
    changed = render(config, store, out, NOW)
    assert 0 < changed.written < changed.unchanged / 5
    assert json.loads((out / paths.api_build(run_id)).read_text())["run"]["state"] == "failure"


def test_files_no_longer_produced_are_removed_but_foreign_files_stay(tmp_path):
    config, store, out, _ = render_site(tmp_path)
    (out / "CNAME").write_text("ci.example.org")
    stale = out / paths.cascade_page("nightly-20261122-0005-00")
    assert stale.is_file()
    store.db.execute("DELETE FROM cascade_stages WHERE cascade_run_id = 'nightly-20261122-0005-00'")
    store.db.execute("DELETE FROM cascade_runs WHERE cascade_run_id = 'nightly-20261122-0005-00'")
    report = render(config, store, out, NOW)
    assert report.removed >= 2 and not stale.exists()
    assert (out / "CNAME").read_text() == "ci.example.org"


def test_writer_refuses_a_second_write_and_paths_outside_the_output(tmp_path):
    writer = Writer(tmp_path / "out")
    writer.write("a/b.html", "x")
    with pytest.raises(DuplicateOutput):
        writer.write("a/b.html", "y")
    for bad in ("../evil.html", "/etc/passwd", "a/../../x", "a//b", "a\\b"):
        with pytest.raises(ValueError):
            writer.write(bad, "x")
    assert not (tmp_path / "evil.html").exists()


@pytest.mark.parametrize("name", ["release/7.10", "../../../etc/passwd", "..", ".hidden", "a b", "<script>",
                                  "x" * 300, "ünï/cødé", "main"])
def test_slugs_are_single_safe_segments_and_stable(name):
    slug = paths.slug(name)
    assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,79}", slug), slug
    assert ".." not in slug and "/" not in slug
    assert paths.slug(name) == slug
    assert (slug == name) == (name in ("main",))


def test_similar_branch_names_get_distinct_slugs():
    names = ["release/7.10", "release-7.10", "release_7.10", "Release/7.10", "release//7.10"]
    assert len({paths.slug(n) for n in names}) == len(names)


def test_hostile_branch_names_never_escape_the_output_dir(hostile_site):
    _, _, out, _ = hostile_site
    root = out.resolve()
    for path in out.rglob("*"):
        assert path.resolve().is_relative_to(root)
    assert not (out.parent / "etc").exists()
    badges = {p.name for p in (out / "badges/vllm").iterdir()}
    assert any(name.startswith("etc-passwd-") for name in badges)


def test_hostile_text_is_escaped_in_html_svg_and_embedded_json(hostile_site):
    _, _, out, _ = hostile_site
    for path in _files(out, ".html") + _files(out, ".svg"):
        text = path.read_text(encoding="utf-8")
        assert "<script>alert" not in text, path
        assert "<img src=x" not in text, path
        assert "<b>bold" not in text, path
        for body in re.findall(r"<script[^>]*>(.*?)</script>", text, flags=re.S):
            assert "<" not in body, path  # embedded JSON carries no markup at all
    index = (out / "index.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in index
    assert "{{7*7}}" in (out / "index.html").read_text()


def test_links_are_relative_and_resolve(site):
    _, _, out, _ = site
    pattern = re.compile(r'(?:href|src)="([^"]*)"')
    for path in _files(out, ".html"):
        for link in pattern.findall(path.read_text()):
            if link.startswith(("https://github.com/", "https://api.github.com/", "#")) or link == "data:,":
                continue
            assert not link.startswith(("/", "http:", "https:", "javascript:")), (path, link)
            target = (path.parent / link.split("#")[0]).resolve()
            assert target.is_file(), (path.relative_to(out), link)


def test_plotly_is_shipped_once_and_the_grid_needs_no_javascript(site):
    _, _, out, _ = site
    bundles = list((out / "assets").glob("plotly-*.min.js"))
    assert len(bundles) == 1 and bundles[0].stat().st_size > 1_000_000
    for path in _files(out, ".html"):
        assert path.stat().st_size < 400_000, path
    index = (out / "index.html").read_text()
    assert "plotly" not in index  # the grid page loads no chart library
    assert index.count("<td class=\"c st-") >= 5


def test_index_for_20_projects_by_6_branches_stays_small(tmp_path):
    _, _, out, _ = render_site(tmp_path, wide=True, runs_per_branch=2, jobs_per_run=3)
    index = (out / "index.html").read_bytes()
    assert index.count(b"st-") > 120
    assert len(index) < 150_000


def test_freshness_turns_into_a_warning_after_three_intervals(tmp_path):
    config, store = make_store(tmp_path / "s.duckdb", runs_per_branch=2, cycle_age=dt.timedelta(minutes=31))
    render(config, store, tmp_path / "out", NOW)
    health = json.loads((tmp_path / "out/api/v1/health.json").read_text())
    assert health["freshness"]["stale"] is True and health["freshness"]["age_s"] == 31 * 60
    assert "Stale data" in (tmp_path / "out/index.html").read_text()
    render(config, store, tmp_path / "out", NOW - dt.timedelta(minutes=2))
    assert "Stale data" not in (tmp_path / "out/index.html").read_text()
    assert "data as of <time datetime=\"2026-11-29T11:34:00Z\">11:34 UTC</time>, 29 min ago" in \
        (tmp_path / "out/index.html").read_text()


def test_builds_pages_chain_older_blocks_that_stay_fixed(tmp_path):
    config, store = make_store(tmp_path / "s.duckdb", runs_per_branch=70, jobs_per_run=1)
    out = tmp_path / "out"
    render(config, store, out, NOW)
    api = out / "api/v1/projects/pytorch"
    seen, name = [], "builds.json"
    while name:
        page = json.loads((api / name).read_text())
        seen += [i["run_id"] for i in page["items"]]
        name = page["next"]
    total = store.db.execute("SELECT count(*) FROM workflow_runs WHERE project = 'pytorch'").fetchone()[0]
    assert len(seen) == len(set(seen)) == total > 250
    assert seen == sorted(seen, reverse=True)
    oldest = (api / "builds-1.json").read_bytes()
    store.db.execute("UPDATE workflow_runs SET run_id = run_id WHERE false")
    store.db.execute(
        "INSERT INTO workflow_runs SELECT * REPLACE (run_id + 1000000 AS run_id) FROM workflow_runs "
        "WHERE project = 'pytorch' ORDER BY run_id DESC LIMIT 1")
    render(config, store, out, NOW)
    assert (api / "builds-1.json").read_bytes() == oldest


def test_an_archived_block_is_rebuilt_when_one_of_its_runs_changes(tmp_path):
    config, store = make_store(tmp_path / "s.duckdb", runs_per_branch=70, jobs_per_run=1)
    out = tmp_path / "out"
    render(config, store, out, NOW)
    block = out / "api/v1/projects/pytorch/builds-1.json"
    oldest = json.loads(block.read_text())["items"][-1]
    store.db.execute("UPDATE workflow_runs SET display_title = 'renamed' WHERE run_id = ?", [oldest["run_id"]])
    render(config, store, out, NOW)
    assert json.loads(block.read_text())["items"][-1]["title"] == "renamed"


def test_a_page_deleted_by_hand_comes_back_on_the_next_render(tmp_path):
    config, store, out, _ = render_site(tmp_path, runs_per_branch=2)
    page = out / "projects/pytorch.html"
    original = page.read_bytes()
    page.unlink()
    report = render(config, store, out, NOW)
    assert report.written == 1 and page.read_bytes() == original


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_a_render_with_nothing_changed_builds_only_what_shows_the_clock(tmp_path):
    config, store, out, first = render_site(tmp_path)
    later = NOW + dt.timedelta(minutes=10)  # the same UTC hour
    light = render(config, store, out, later)
    assert light.pages == 1 + len(config.releases)
    assert light.carried > 100 and light.written <= 6  # the grid, the API index, the releases' status
    full = render(config, store, tmp_path / "full", later)
    assert full.carried == 0
    assert _tree(out) == _tree(tmp_path / "full")  # byte for byte what a full render makes, manifest included


def test_any_rendered_change_or_a_new_hour_renders_everything_but_bookkeeping_does_not(tmp_path):
    config, store, out, _ = render_site(tmp_path)
    assert render(config, store, out, NOW).carried > 0
    store.db.execute("UPDATE cascade_stages SET reason = 'changed' "
                     "WHERE rowid = (SELECT min(rowid) FROM cascade_stages)")
    assert render(config, store, out, NOW).carried == 0
    store.db.execute("UPDATE sync_state SET watermark = watermark + INTERVAL 1 MINUTE")
    store.db.execute("DELETE FROM http_cache")
    assert render(config, store, out, NOW).carried > 0
    assert render(config, store, out, NOW.replace(minute=0) + dt.timedelta(hours=1)).carried == 0


def test_a_light_render_never_trusts_a_site_missing_files(tmp_path):
    config, store, out, _ = render_site(tmp_path, runs_per_branch=2)
    page = out / "projects/pytorch.html"
    page.unlink()
    report = render(config, store, out, NOW + dt.timedelta(minutes=5))
    assert report.carried == 0 and page.is_file()
