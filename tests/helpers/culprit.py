"""A fleet whose nightly probes culprits: ROCm → PyTorch → vLLM, vLLM reading both upstreams."""

from __future__ import annotations

from datetime import timedelta

from quartz import config as config_module
from quartz.devtools.simulator import JobSpec, SimulatorServer, World
from tests.helpers.cascades import START, STEP, TOKEN, Fleet

FLEET = """
settings: {dispatch_timeout: 30m, run_timeout: 6h, schedule_interval: 10m, backfill_days: 1}
projects:
  rocm: {repo: ROCm/rockrel, category: core, workflows: [multi_arch_release.yml]}
  pytorch: {repo: ROCm/pytorch, category: 1p_downstream, workflows: [rocm-build.yml]}
  vllm: {repo: ROCm/vllm, category: 3p_downstream, workflows: [rocm-test.yml]}
cascades:
  nightly:
    trigger: {project: rocm, workflow: multi_arch_release.yml, branch: main, conclusion: success}
    culprit: {stages: [vllm], max_probes: 4, max_age: 7d}
    stages:
      pytorch: {workflow: rocm-build.yml, inputs: {rocm_run_id: "{{ upstream.rocm.run_id }}"}}
      vllm:
        workflow: rocm-test.yml
        depends_on: [pytorch]
        inputs: {rocm_run_id: "{{ upstream.rocm.run_id }}", pytorch_run_id: "{{ upstream.pytorch.run_id }}"}
"""


def build_world() -> World:
    world = World(START, seed=5)
    rocm = world.add_repo("ROCm/rockrel")
    world.add_workflow(rocm, "multi_arch_release.yml", name="Multi-arch release", jobs=[JobSpec("build", 2400)])
    for name, repo, path, inputs in (("pytorch", "ROCm/pytorch", "rocm-build.yml", ("rocm_run_id",)),
                                     ("vllm", "ROCm/vllm", "rocm-test.yml", ("rocm_run_id", "pytorch_run_id"))):
        r = world.add_repo(repo)
        declared = {k: {"required": False, "default": ""} for k in (*inputs, "quartz_correlation_id")}
        world.add_workflow(r, path, name=f"{name} CI", run_name=f"{name} CI ${{{{ inputs.quartz_correlation_id }}}}",
                           inputs=declared, on=("push", "workflow_dispatch"), jobs=[JobSpec("build", 1200)])
    return world


def start(tmp_path) -> Fleet:
    world = build_world()
    server = SimulatorServer(world, token=TOKEN).start()
    fleet = Fleet(world, server, str(tmp_path / "quartz.duckdb"), config=config_module.loads(FLEET))
    fleet.open()
    fleet.cycle()
    return fleet


def night(fleet: Fleet, max_cycles: int = 40) -> str:
    """A ROCm nightly that passes, and its cascade run to the end: its id."""
    fleet.upstream_success()
    fleet.cycle()
    cid = fleet.cascade_runs()[-1]["cascade_run_id"]
    fleet.run_until_done(cid, max_cycles)
    return cid


def until_verdict(fleet: Fleet, cid: str, stage: str = "vllm", max_cycles: int = 60) -> tuple[dict | None, int]:
    """Cycles until the culprit search of (cid, stage) ends: (its row, cycles taken)."""
    for n in range(1, max_cycles + 1):
        row = search(fleet, cid, stage)
        if row is not None and row["status"] != "searching":
            return row, n - 1
        fleet.world.advance(STEP)
        fleet.cycle()
    return search(fleet, cid, stage), max_cycles


def search(fleet: Fleet, cid: str, stage: str = "vllm") -> dict | None:
    rows = [r for r in fleet.store.query("culprit/searches_of", ids=[cid]) if r["stage"] == stage]
    return rows[0] if rows else None


def probes(fleet: Fleet, cid: str) -> list[dict]:
    return fleet.store.query("culprit/probes_of", ids=[cid])


def next_day(fleet: Fleet) -> None:
    fleet.world.advance(timedelta(hours=12))
