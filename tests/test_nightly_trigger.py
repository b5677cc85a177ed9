"""Cascades that start on one component of a ROCm nightly, end to end: the simulated rockrel nightly's
reports go through `quartz ingest`, cycles sync and advance over real HTTP against the simulator."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from quartz import config as config_module
from quartz.cascades import advance as dispatch
from quartz.cascades import nightly_trigger
from quartz.config.nightly import NightlyTrigger
from quartz.devtools import rockrel
from quartz.devtools.simulator import JobSpec, SimulatorServer, World
from quartz.rocm import ingest, statusjson
from quartz.store.db import Store
from quartz.sync.runs import sync
from tests.helpers.cascades import TOKEN

START = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
DAY = "20261128"
STEP = timedelta(minutes=10)

FLEET = """
settings: {dispatch_timeout: 30m, run_timeout: 6h, schedule_interval: 10m, backfill_days: 1}
ingest: {allowed_repos: [ROCm/rockrel]}
projects:
  rocm: {repo: ROCm/rockrel, category: core, workflows: [multi_arch_release.yml]}
  ck: {repo: ROCm/composable_kernel, category: 1p_downstream, workflows: [therock-ci.yml]}
  vllm: {repo: ROCm/vllm, category: 3p_downstream, workflows: [rocm-test.yml]}
  apex: {repo: ROCm/apex, category: 1p_downstream, workflows: [rocm-ci.yml]}
cascades:
  libs:
    trigger: {nightly: {platform: linux, pipeline: rocm, phase: build}}
    stages:
      ck:
        workflow: therock-ci.yml
        inputs: {rocm_version: "{{ nightly.rocm_version }}", tarballs: "{{ nightly.urls.tarballs }}",
                 families: "{{ nightly.families }}", build_date: "{{ nightly.build_date }}",
                 release_type: "{{ nightly.release_type }}"}
  gpu:
    trigger:
      nightly: {platform: linux, pipeline: pytorch, phase: test, families: [gfx94X-dcgpu, gfx1151], require: any}
    stages:
      vllm: {workflow: rocm-test.yml, needs_families: [gfx94X-dcgpu], inputs: {families: "{{ nightly.families }}"}}
      apex: {workflow: rocm-ci.yml, needs_families: [gfx1151], inputs: {families: "{{ nightly.families }}"}}
"""
INPUTS = {"ROCm/composable_kernel": ("therock-ci.yml", ("rocm_version", "tarballs", "families", "build_date",
                                                        "release_type")),
          "ROCm/vllm": ("rocm-test.yml", ("families",)), "ROCm/apex": ("rocm-ci.yml", ("families",))}


def build_world() -> World:
    world = World(START - timedelta(hours=1), seed=5)
    rocm = world.add_repo("ROCm/rockrel")
    world.add_workflow(rocm, "multi_arch_release.yml", name="Multi-arch release",
                       jobs=[JobSpec("build (gfx94X-dcgpu)", int(4.5 * 3600))])
    rockrel.add_child_workflows(world, rocm)
    for repo, (path, inputs) in INPUTS.items():
        declared = {k: {"required": False, "default": ""} for k in (*inputs, "quartz_correlation_id")}
        world.add_workflow(world.add_repo(repo), path, run_name="CI ${{ inputs.quartz_correlation_id }}",
                           inputs=declared, on=("push", "workflow_dispatch"), jobs=[JobSpec("test", 1200)])
    return world


class Night:
    """The simulator, a store, and tonight's rockrel nightly reporting through ingest."""

    def __init__(self, tmp_path):
        self.config = config_module.loads(FLEET)
        self.world = build_world()
        self.server = SimulatorServer(self.world, token=TOKEN).start()
        self.path = str(tmp_path / "quartz.duckdb")
        self.store = Store.open(self.path)
        self.cycle()  # Quartz sees the cascades before the nightly starts
        self.world.advance_to(START)
        self.orch = self.world.create_run("ROCm/rockrel", "multi_arch_release.yml", "main", event="schedule",
                                          conclusion="success", created_at=START)
        self.nightly = rockrel.RockrelNightly(self.world, "ROCm/rockrel", self.orch, build_date=DAY, seed=5)
        self.reports = 0

    def client(self, store=None):
        from quartz.github.client import GitHubClient
        return GitHubClient(self.server.url, TOKEN, store=store or self.store, sleep=lambda s: None,
                            write_interval_s=0)

    def deliver(self) -> int:
        payloads = self.nightly.due(self.world.now)
        for payload in payloads:
            ingest.ingest(self.config, self.store, payload, fetch=False, now=self.world.now)
        self.reports += len(payloads)
        return len(payloads)

    def cycle(self, store=None):
        store = store or self.store
        sync(self.config, store, self.client(store), self.world.now)
        return dispatch.advance(self.config, store, self.client(store), self.world.now)

    def step(self, step=STEP):
        self.world.advance(step)
        self.deliver()
        return self.cycle()

    def cascade_runs(self, cascade=None) -> list[dict]:
        rows = self.store.db.execute("SELECT * FROM cascade_runs ORDER BY created_at").df().to_dict("records")
        return [r for r in rows if cascade is None or r["cascade"] == cascade]

    def stages(self, cascade_run_id: str) -> dict[str, dict]:
        return {s["stage"]: s for s in self.store.query("cascades/stages_of", cascade_run_id=cascade_run_id)}

    def leaf(self, *path):
        doc = statusjson.build(self.store, self.config, DAY) or {}
        for key in path:
            doc = doc.get(key) or {}
        return doc

    def close(self):
        self.server.stop()
        self.store.close()


@pytest.fixture
def night(tmp_path):
    n = Night(tmp_path)
    yield n
    n.close()


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_component_trigger_starts_in_the_first_cycle_after_its_leaf_turns_green(night):
    while not night.cascade_runs("libs"):
        assert night.world.now < START + timedelta(hours=6), "the Linux ROCm build never started the cascade"
        night.step()
    [run] = night.cascade_runs("libs")
    green = _t(night.leaf("pipelines", "rocm", "build", "linux")["completed_at"])
    started = run["created_at"]
    # The first cycle after the leaf turned green, long before the orchestrator (and the nightly) finished.
    assert green <= started < green + STEP
    assert started < datetime.fromtimestamp(night.orch.latest.completed, UTC) - timedelta(hours=1)
    assert night.leaf("summary", "overall_status") == "in_progress"
    assert run["trigger_run_id"] == night.orch.id
    # The dispatch carries the nightly's fields.
    night.step()
    [ck] = [r for r in night.world.runs_in("ROCm/composable_kernel", "therock-ci.yml")]
    assert ck.inputs["rocm_version"] == f"7.13.0a{DAY}" and ck.inputs["build_date"] == DAY
    assert ck.inputs["release_type"] == "nightly"
    assert ck.inputs["tarballs"] == f"https://therock-nightly-artifacts.s3.amazonaws.com/{night.orch.id}-linux/tarballs/"
    assert ck.inputs["families"].split(",") == list(rockrel.LINUX)

    # Everything else the nightly reports, to its last test the next day: still one cascade run, one dispatch.
    while not night.nightly.finished:
        night.step(timedelta(minutes=30))
    assert night.reports > 40
    assert len(night.cascade_runs("libs")) == 1
    assert len(night.world.runs_in("ROCm/composable_kernel", "therock-ci.yml")) == 1
    assert night.store.query("cascades/nightly_started", cascades=["libs", "gpu"]) and \
        len(night.store.query("cascades/nightly_started", cascades=["libs"])) == 1


def test_a_stage_needing_families_none_of_which_passed_is_skipped_with_its_reason(night):
    while not night.cascade_runs("gpu"):
        assert night.world.now < START + timedelta(hours=16), "PyTorch tests on gfx94X-dcgpu never passed"
        night.step(timedelta(minutes=30))
    [run] = night.cascade_runs("gpu")
    for _ in range(8):
        night.step()
    stages = night.stages(run["cascade_run_id"])
    assert stages["apex"]["status"] == "skipped"
    assert stages["apex"]["reason"] == ("skipped: needs gfx1151, which had not passed linux pytorch.test in nightly "
                                        f"{DAY} when the cascade started (passed: gfx94X-dcgpu)")
    assert night.world.runs_in("ROCm/apex", "rocm-ci.yml") == []
    [vllm] = night.world.runs_in("ROCm/vllm", "rocm-test.yml")
    assert vllm.inputs["families"] == "gfx94X-dcgpu"
    assert stages["vllm"]["status"] in ("running", "success", "failure", "dispatched")
    # More cycles never re-open the skipped stage (its parents are fine; its families are not).
    events = night.store.query("cascades/events_of", cascade_run_id=run["cascade_run_id"])
    assert not [e for e in events if e["kind"] == "reopened"]


def test_two_overlapping_cycles_start_the_cascade_once(night):
    """The cycle after the leaf turns green runs twice at once (two advances on one store file)."""
    while night.leaf("pipelines", "rocm", "build", "linux").get("status") != "success":
        night.world.advance(STEP)
        night.deliver()
        sync(night.config, night.store, night.client(), night.world.now)
    stores = [Store.open(night.path) for _ in range(2)]
    errors: list[Exception] = []

    def run(store):
        try:
            dispatch.advance(night.config, store, night.client(store), night.world.now)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert errors == []
    for _ in range(3):
        night.step()
    assert len(night.cascade_runs("libs")) == 1
    assert len(night.world.runs_in("ROCm/composable_kernel", "therock-ci.yml")) == 1


# ---------------------------------------------------------------- the trigger's rules, on documents


def doc(build="success", tests=None, platform_status="in_progress", arches=("gfx94X-dcgpu", "gfx1151")) -> dict:
    leaves = {f: {"status": s, "completed_at": "2026-11-28T05:00:00Z"} for f, s in (tests or {}).items()}
    return {"summary": {"linux": {"status": platform_status, "architectures": list(arches), "urls": {}}},
            "pipelines": {"rocm": {"build": {"linux": {"status": build, "completed_at": "2026-11-28T02:55:00Z"}},
                                   "test": {"linux": leaves}}}}


@pytest.mark.parametrize("trigger, document, fired, families", [
    (NightlyTrigger("linux", "rocm", "build"), doc(), True, ("gfx94X-dcgpu", "gfx1151")),
    (NightlyTrigger("linux", "rocm", "build"), doc(build="in_progress"), False, ()),
    (NightlyTrigger("linux", "rocm", "build", families=("gfx1151",)), doc(), True, ("gfx1151",)),
    (NightlyTrigger("linux", "rocm", "build", families=("gfx1151", "gfx90a")), doc(), False, ()),
    (NightlyTrigger("linux", "rocm", "build", families=("gfx1151", "gfx90a"), require="any"), doc(), True,
     ("gfx1151",)),
    (NightlyTrigger("linux", "rocm", "test", families=("gfx94X-dcgpu", "gfx1151")),
     doc(tests={"gfx94X-dcgpu": "success", "gfx1151": "failure"}), False, ()),
    (NightlyTrigger("linux", "rocm", "test", families=("gfx94X-dcgpu", "gfx1151"), require="any"),
     doc(tests={"gfx94X-dcgpu": "success"}), True, ("gfx94X-dcgpu",)),
    (NightlyTrigger("linux", "rocm", "test"), doc(tests={"gfx94X-dcgpu": "success"}), False, ()),  # still going
    (NightlyTrigger("linux", "rocm", "test"), doc(tests={"gfx94X-dcgpu": "success"}, platform_status="success"),
     True, ("gfx94X-dcgpu",)),
    (NightlyTrigger("windows", "rocm", "build"), doc(), False, ()),
])
def test_when_a_nightly_trigger_fires(trigger, document, fired, families):
    verdict = nightly_trigger.evaluate(trigger, document)
    assert (verdict.fired, verdict.families) == (fired, families), verdict.why
    assert verdict.why


# ---------------------------------------------------------------- validate


BAD = """
projects:
  rocm: {repo: ROCm/rockrel, category: core, workflows: [multi_arch_release.yml]}
  ck: {repo: ROCm/composable_kernel, category: 1p_downstream, workflows: [ci.yml]}
cascades:
  a:
    trigger: {nightly: {platform: windows, pipeline: jax, phase: rpm, require: any}}
    stages:
      ck: {workflow: ci.yml, inputs: {v: "{{ nightly.version }}"}}
  b:
    trigger: {project: rocm, workflow: multi_arch_release.yml}
    stages:
      ck: {workflow: ci.yml, needs_families: [gfx1151], inputs: {v: "{{ nightly.rocm_version }}"}}
  c:
    trigger: {nightly: {platform: linux, pipeline: rocm, phase: build, familes: [gfx1151]}, branch: main}
    stages:
      ck: {workflow: ci.yml, needs_families: [MI300X]}
"""


def test_validate_names_every_bad_nightly_trigger_at_its_line():
    with pytest.raises(config_module.ConfigError) as caught:
        config_module.loads(BAD, "cascades.yaml")
    problems = [str(p) for p in caught.value.problems]
    expected = [
        "cascades.yaml:7:35: cascades.a.trigger.nightly.platform: pipeline jax runs on linux only",
        "cascades.yaml:7:66: cascades.a.trigger.nightly.phase: pipeline jax has no phase 'rpm'; its phases: "
        "build, test",
        "cascades.yaml:7:80: cascades.a.trigger.nightly.require: require: any needs a list of families to choose from",
        "cascades.yaml:9:42: cascades.a.stages.ck.inputs.v: template '{{ nightly.version }}': write nightly.<field>",
        "cascades.yaml:13:30: cascades.b.stages.ck.needs_families: needs_families needs a nightly trigger",
        "cascades.yaml:13:69: cascades.b.stages.ck.inputs.v: template '{{ nightly.rocm_version }}': nightly.<field> "
        "needs a nightly trigger",
        "cascades.yaml:15:72: cascades.c.trigger.nightly.familes: unknown key 'familes'; did you mean 'families'?",
        "cascades.yaml:15:93: cascades.c.trigger.branch: a nightly trigger stands alone; 'branch' belongs to a run "
        "trigger",
        "cascades.yaml:17:47: cascades.c.stages.ck.needs_families.0: 'MI300X' is not a GPU family name such as "
        "gfx94X-dcgpu or gfx1151",
    ]
    assert len(problems) == len(expected), "\n".join(problems)
    for line, want in zip(problems, expected, strict=True):
        assert line.startswith(want), f"{line!r} does not start with {want!r}"


def test_the_json_schema_knows_the_nightly_trigger():
    from quartz.config.schema import SCHEMA

    trigger = SCHEMA["properties"]["cascades"]["additionalProperties"]["properties"]["trigger"]
    assert set(trigger["properties"]["nightly"]["properties"]) == {"release_type", "platform", "pipeline", "phase",
                                                                  "families", "require"}
    stage = SCHEMA["properties"]["cascades"]["additionalProperties"]["properties"]["stages"]["additionalProperties"]
    assert "needs_families" in stage["properties"]
    json.dumps(SCHEMA)  # `quartz schema` writes it as is


def test_a_pull_request_changing_a_nightly_trigger_shows_it_in_the_dag_summary():
    import html

    from quartz.config import dagdiff

    new = config_module.loads(FLEET.replace("phase: build}}", "phase: test, families: [gfx1151]}}", 1))
    markdown = html.unescape(dagdiff.describe_changes(FLEET, new))
    assert "### `libs` — changed" in markdown
    assert ("<code>trigger.nightly</code>: <code>nightly linux rocm.build</code> → "
            "<code>nightly linux rocm.test (gfx1151)</code>") in markdown
    graph = dagdiff.mermaid(new, new.cascades["libs"])
    assert '  start(["nightly linux rocm.test _gfx1151_ · succeeded"])' in graph  # mermaid-safe label
