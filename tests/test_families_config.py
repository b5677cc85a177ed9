"""The `families:` table and a project's `family_pattern`: validated at file:line, aliases resolved, family
columns on a project page."""

from __future__ import annotations

import json

import pytest

from quartz.config import ConfigError, loads
from quartz.config.families import job_family
from quartz.site.familycols import family_grid

BASE = """\
projects:
  rocm:
    repo: ROCm/rockrel
    category: core
    workflows: [ci.yml]
    family_pattern: '{pattern}'
families:
  gfx94X-dcgpu: {{aliases: [gfx942, MI300X, mi300_1], coverage: {{linux: tested}}}}
  gfx1151: {{aliases: [Strix Halo], coverage: {cover}}}
"""


def fleet(pattern=r"test \((?P<family>[^)]+)\)", cover="tested", extra=""):
    return loads(BASE.format(pattern=pattern, cover=cover) + extra)


def test_aliases_resolve_in_any_case_and_coverage_reads_per_platform():
    config = fleet(cover="{linux: tested, windows: no-runner}")
    families = config.families
    assert [families.resolve(x) for x in ("gfx942", "mi300x", "MI300_1", "strix halo", "gfx9999")] == [
        "gfx94X-dcgpu", "gfx94X-dcgpu", "gfx94X-dcgpu", "gfx1151", None]
    assert families.coverage("gfx1151", "windows") == "no-runner"
    assert families.coverage("gfx1151", "linux") == "tested"
    assert families.coverage("gfx94X-dcgpu", "windows") is None
    assert config.projects["rocm"].family_pattern == r"test \((?P<family>[^)]+)\)"


@pytest.mark.parametrize("change, message", [
    (dict(cover="no-runer"), "yaml:9:46: families.gfx1151.coverage: coverage 'no-runer' is not one of: tested, "
                             "build-only, no-runner"),
    (dict(cover="{macos: tested}"), "families.gfx1151.coverage.macos: unknown platform 'macos'"),
    (dict(pattern=r"test \((x"), "6:21: projects.rocm.family_pattern: family_pattern is not a valid regex"),
    (dict(pattern=r"test (x)"), "family_pattern needs a named group (?P<family>...)"),
    (dict(extra="  gfx90a: {aliases: [MI300X]}\n"),
     "yaml:10:22: families.gfx90a.aliases.0: alias 'MI300X' already names family 'gfx94X-dcgpu'"),
    (dict(extra="  gfx90a: {alias: [MI210]}\n"), "unknown key 'alias'; did you mean 'aliases'?"),
])
def test_a_bad_families_table_is_one_line_per_problem_at_its_place(change, message):
    with pytest.raises(ConfigError) as caught:
        fleet(**change)
    assert message in str(caught.value)


def test_job_names_carry_families_through_the_aliases_and_unknown_labels_are_kept():
    families = fleet().families
    pattern = r"test \((?P<family>[^)]+)\)"
    assert job_family(pattern, "test (mi300_1)", families) == "gfx94X-dcgpu"
    assert job_family(pattern, "test (gfx1151)", families) == "gfx1151"
    assert job_family(pattern, "test (new-board)", families) == "new-board"
    assert job_family(pattern, "lint", families) is None
    assert job_family(None, "test (gfx942)", families) is None


def test_a_project_page_gets_a_column_per_family():
    config = fleet()
    hud = {"columns": [{"workflow": None, "name": n} for n in
                       ("build", "test (gfx942)", "test (mi300_1)", "test (gfx1151)", "test (new-board)")],
           "commits": [{"sha": "a" * 40, "short": "aaaaaaa",
                        "cells": [{"state": "success"}, {"state": "success"}, {"state": "failure"},
                                  None, {"state": "success"}]}]}
    grid = family_grid(hud, config.projects["rocm"], config.families)
    assert grid["families"] == [{"family": "gfx94X-dcgpu", "known": True}, {"family": "gfx1151", "known": True},
                                {"family": "new-board", "known": False}]
    assert grid["commits"][0]["states"] == ["failure", None, "success"]  # worst of its jobs; no job: no state
    assert family_grid(hud, loads(BASE.format(pattern="x(?P<family>y)", cover="tested")
                                  .replace("    family_pattern: 'x(?P<family>y)'\n", "")).projects["rocm"],
                       config.families) is None


FLEET = """
projects:
  rocm:
    repo: ROCm/rockrel
    category: core
    workflows: [ci.yml]
    test_reports: []
    family_pattern: '^test \\((?P<family>[^)]+)\\)'
families:
  gfx94X-dcgpu: {aliases: [gfx942, mi300_1]}
  gfx1151: {aliases: [Strix Halo]}
"""


def test_family_columns_through_sync_and_render(tmp_path):
    """Jobs synced from the simulator over HTTP; the project page and its JSON get a column per family."""
    from datetime import timedelta

    from quartz.devtools.simulator import JobSpec, SimulatorServer, World
    from quartz.site.render import render
    from quartz.store.db import Store
    from quartz.sync.runs import sync
    from tests.helpers.sync import START, TOKEN, make_client

    world = World(START, seed=4)
    world.add_repo("ROCm/rockrel")
    world.add_workflow("ROCm/rockrel", "ci.yml", jobs=[
        JobSpec("build", 600), JobSpec("test (gfx942)", 600), JobSpec("test (mi300_1)", 600, failure_rate=1.0),
        JobSpec("test (gfx1151)", 600), JobSpec("test (<b>board</b>)", 600)])
    config = loads(FLEET, "cascades.yaml")
    with SimulatorServer(world, token=TOKEN) as server, Store.open(tmp_path / "quartz.duckdb") as store:
        world.create_run("ROCm/rockrel", "ci.yml", "main", head_sha="a" * 40)
        world.advance(timedelta(hours=2))
        assert sync(config, store, make_client(server, store), world.now).ok
        render(config, store, tmp_path / "site", world.now)
    pdoc = json.loads((tmp_path / "site/api/v1/projects/rocm.json").read_text(encoding="utf-8"))
    grid = pdoc["branches"][0]["families"]
    assert grid["families"] == [{"family": "<b>board</b>", "known": False}, {"family": "gfx1151", "known": True},
                                {"family": "gfx94X-dcgpu", "known": True}]
    assert grid["commits"][0]["states"] == ["success", "success", "failure"]  # mi300_1 failed: gfx94X-dcgpu red
    page = (tmp_path / "site/projects/rocm.html").read_text(encoding="utf-8")
    assert "Commits × GPU families" in page and "&lt;b&gt;board&lt;/b&gt;" in page and "<b>board</b>" not in page


NIGHTLY_CASCADE = """\
cascades:
  on-gpu:
    trigger:
      nightly: {{platform: linux, pipeline: rocm, phase: build, families: [{trigger}]}}
    stages:
      rocm: {{workflow: ci.yml, needs_families: [{needs}]}}
"""


@pytest.mark.parametrize("trigger, needs, message", [
    ("gfx942", "gfx1151", "families.0: 'gfx942' is an alias of family 'gfx94X-dcgpu'; nightlies report by family "
                          "name: write 'gfx94X-dcgpu'"),
    ("gfx94X-dcgpu", "gfx1152", "needs_families.0: unknown family 'gfx1152'; did you mean 'gfx1151'?"),
])
def test_a_nightly_cascade_names_families_as_the_table_does(trigger, needs, message):
    with pytest.raises(ConfigError) as caught:
        fleet(extra=NIGHTLY_CASCADE.format(trigger=trigger, needs=needs))
    assert message in str(caught.value)


def test_family_names_of_the_table_are_accepted_in_a_nightly_cascade():
    config = fleet(extra=NIGHTLY_CASCADE.format(trigger="gfx94X-dcgpu", needs="gfx1151"))
    assert config.cascades["on-gpu"].stages["rocm"].needs_families == ("gfx1151",)
