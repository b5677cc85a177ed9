"""A failure is always one click away (issue 26): every failed or linked run the store holds has its page."""

from __future__ import annotations

import json

from quartz.site import builds, keptbuilds, paths
from quartz.site.render import render
from quartz.store import reader
from quartz.store import remote as storage
from quartz.store.history.run import archive_pulled
from tests.helpers.site import NOW, make_store


def failed_runs(store) -> set[int]:
    return {r[0] for r in store.db.execute(
        "SELECT run_id FROM workflow_runs WHERE conclusion IN ('failure', 'timed_out', 'startup_failure')").fetchall()}


def listed(out, project: str) -> dict[int, dict]:
    """Every run in a project's paged builds.json lists, by id."""
    api, name, items = out / "api/v1/projects" / project, "builds.json", {}
    while name:
        page = json.loads((api / name).read_text())
        items.update({i["run_id"]: i for i in page["items"]})
        name = page["next"]
    return items


def test_every_failed_run_has_a_page_and_quiet_old_runs_share_the_lists(tmp_path):
    config, store = make_store(tmp_path / "s.duckdb", runs_per_branch=70, jobs_per_run=1)
    out = tmp_path / "out"
    render(config, store, out, NOW)
    failed = failed_runs(store)
    pages = {p for p in failed if (out / paths.build_page(p)).is_file() and (out / paths.api_build(p)).is_file()}
    assert pages == failed and len(failed) > 20
    items = listed(out, "pytorch")
    old_failed = [i for i in items.values() if i["run_id"] in failed and i["run_id"] not in _newest(store)]
    assert old_failed and all(i["html"] == paths.build_page(i["run_id"]) for i in old_failed)
    named = {r["run_id"] for r in store.query("site/kept_builds", live_ids=[])}  # failed, or a cascade's
    quiet = [i for i in items.values() if i["run_id"] not in _newest(store) | named]
    assert quiet and all(i["html"] is None for i in quiet)  # in the paged lists, no page of their own
    page = json.loads((out / paths.api_build(old_failed[0]["run_id"])).read_text())
    assert page["kind"] == "build" and page["run"]["run_id"] == old_failed[0]["run_id"]
    assert any(j.get("failure") for a in page["attempts"] for j in a["jobs"])  # the failure line is on it


def test_an_unchanged_kept_page_is_carried_over_not_built(tmp_path, monkeypatch):
    config, store = make_store(tmp_path / "s.duckdb", runs_per_branch=70, jobs_per_run=1)
    out = tmp_path / "out"
    plans = []
    real_plan = keptbuilds.plan
    monkeypatch.setattr(keptbuilds, "plan", lambda *a: plans.append(real_plan(*a)) or plans[-1])
    render(config, store, out, NOW)
    assert len(plans[0].build) == len(plans[0].ids) > 10
    newest = max(_newest(store))
    store.db.execute("UPDATE workflow_runs SET display_title = 'renamed' WHERE run_id = ?", [newest])
    render(config, store, out, NOW)  # a full render: the data changed, not the kept runs
    assert plans[1].ids == plans[0].ids and plans[1].build == []
    changed = max(plans[1].ids)
    store.db.execute("UPDATE workflow_runs SET updated_at = updated_at + INTERVAL 1 MINUTE WHERE run_id = ?",
                     [changed])
    render(config, store, out, NOW)
    assert plans[2].build == [changed]
    assert json.loads((out / paths.api_build(changed)).read_text())["run"]["run_id"] == changed


def test_new_kept_pages_are_built_a_bounded_slice_per_render_and_unbuilt_ones_are_not_linked(tmp_path,
                                                                                          monkeypatch):
    monkeypatch.setattr(keptbuilds, "MAX_NEW_PER_RENDER", 5)
    plans = []
    real_plan = keptbuilds.plan
    monkeypatch.setattr(keptbuilds, "plan", lambda *a: plans.append(real_plan(*a)) or plans[-1])
    config, store = make_store(tmp_path / "s.duckdb", runs_per_branch=70, jobs_per_run=1)
    out = tmp_path / "out"
    render(config, store, out, NOW)
    assert len(plans[0].build) == 5 and plans[0].waiting > 5
    linked = {i["run_id"] for p in ("pytorch", "vllm", "rocm", "triton", "sglang")
              for i in listed(out, p).values() if i["html"]}
    assert all((out / paths.build_page(r)).is_file() for r in linked)  # no link to a page that is not there
    waiting = [r for r in failed_runs(store) if not (out / paths.build_page(r)).is_file()]
    assert waiting and not set(waiting) & linked
    store.db.execute("UPDATE workflow_runs SET display_title = 'renamed' WHERE run_id = ?", [max(_newest(store))])
    render(config, store, out, NOW)  # any change makes a full render: the next slice is built
    assert len(plans[1].build) == 5 and not set(plans[1].build) & set(plans[0].build)
    assert plans[1].ids >= plans[0].ids and all((out / paths.build_page(r)).is_file() for r in plans[1].ids)


def test_a_failed_run_moved_to_the_history_keeps_its_page(tmp_path):
    path = tmp_path / "store" / "quartz.duckdb"
    path.parent.mkdir()
    config, store = make_store(path, runs_per_branch=70, jobs_per_run=1)
    failed = failed_runs(store)
    store.close()
    archive_pulled(storage.pull(str(path), path.parent), NOW, 7)
    out = tmp_path / "out"
    with reader.read_only(str(path)) as store:
        hot = {r[0] for r in store.db.execute("SELECT run_id FROM quartz.main.workflow_runs").fetchall()}
        assert failed - hot  # some failed runs now live only in the Parquet history
        render(config, store, out, NOW)
    assert all((out / paths.build_page(p)).is_file() for p in failed)


def _newest(store) -> set[int]:
    return {r["run_id"] for r in builds.load(store, [])[0]}
