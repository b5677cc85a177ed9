"""A small world with planted culprits (issue 28), for the tests and `quartz bench`.

ROCm → PyTorch → vLLM; vLLM reads both upstreams and its cascade probes culprits. A night passes, new ROCm
and PyTorch commits land, then the simulator plants one of three stories on vLLM and the next night fails:

- broken_by: vLLM fails with any PyTorch built from the new commit;
- flaky: vLLM's next dispatched run fails whatever its inputs;
- needs_both: vLLM fails with the new PyTorch and also with the new ROCm.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from quartz.devtools.simulator import JobSpec, World

START = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
STEP = timedelta(minutes=10)
STORIES = ("broken_by", "flaky", "needs_both")

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


def build_world(seed: int = 5) -> World:
    world = World(START, seed=seed)
    rocm = world.add_repo("ROCm/rockrel")
    world.add_workflow(rocm, "multi_arch_release.yml", name="Multi-arch release", jobs=[JobSpec("build", 2400)])
    for name, repo, path, inputs in (("pytorch", "ROCm/pytorch", "rocm-build.yml", ("rocm_run_id",)),
                                     ("vllm", "ROCm/vllm", "rocm-test.yml", ("rocm_run_id", "pytorch_run_id"))):
        r = world.add_repo(repo)
        declared = {k: {"required": False, "default": ""} for k in (*inputs, "quartz_correlation_id")}
        world.add_workflow(r, path, name=f"{name} CI", run_name=f"{name} CI ${{{{ inputs.quartz_correlation_id }}}}",
                           inputs=declared, on=("push", "workflow_dispatch"), jobs=[JobSpec("build", 1200)])
    return world


def new_commits(world: World) -> dict[str, str]:
    """Tonight's ROCm and PyTorch commits (their new shas)."""
    return {"rocm": world.push("ROCm/rockrel", "main"), "pytorch": world.push("ROCm/pytorch", "main")}


def plant(world: World, story: str, shas: dict[str, str]) -> None:
    if story == "flaky":
        world.plant_flaky("ROCm/vllm", "rocm-test.yml", failures=1)
        return
    world.plant_culprit("ROCm/vllm", "rocm-test.yml", "pytorch_run_id", shas["pytorch"])
    if story == "needs_both":
        world.plant_culprit("ROCm/vllm", "rocm-test.yml", "rocm_run_id", shas["rocm"])


def upstream_success(world: World) -> int:
    """A ROCm release run on main that has just completed successfully."""
    run = world.create_run("ROCm/rockrel", "multi_arch_release.yml", "main", event="schedule",
                           conclusion="success", created_at=world.now - timedelta(minutes=59))
    world.advance(timedelta(minutes=2))
    return run.id
