"""A small built-in world: ROCm -> PyTorch -> vLLM with a few days of history.

Used by `python -m quartz.devtools.simulator` and by tests that need a realistic fixture.
"""

from __future__ import annotations

from datetime import UTC, datetime

from .model import JobSpec
from .world import World

SAMPLE_START = datetime(2026, 11, 1, tzinfo=UTC)
CORRELATION_INPUT = {"correlation_id": {"required": False, "default": ""}}


def sample_world(seed: int = 0, start: datetime = SAMPLE_START, history_days: int = 3) -> World:
    world = World(start, seed=seed)
    rocm = world.add_repo("ROCm/rockrel", branches=("release/6.4",))
    world.add_workflow(
        rocm, "multi_arch_release.yml", name="Multi-arch release",
        run_name="Multi-arch release ${{ inputs.correlation_id }}",
        inputs={**CORRELATION_INPUT, "rocm_version": {"required": False, "default": "nightly"}},
        jobs=[JobSpec(f"build ({arch})", 3600, 0.02, 0.03) for arch in ("gfx942", "gfx950", "gfx1201")]
        + [JobSpec("release", 600, 0.0, 0.01)],
        queue_s=120, artifacts=(("manifest", 2048),),
    )
    pytorch = world.add_repo("ROCm/pytorch", branches=("release/2.7",))
    world.add_workflow(
        pytorch, "rocm-build.yml", name="ROCm build", run_name="ROCm build ${{ inputs.correlation_id }}",
        inputs={**CORRELATION_INPUT, "rocm_run": {"required": False, "default": ""}},
        jobs=[JobSpec(f"build ({py})", 2400, 0.03, 0.05) for py in ("3.10", "3.11", "3.12")], queue_s=300,
    )
    vllm = world.add_repo("ROCm/vllm")
    world.add_workflow(
        vllm, "rocm-test.yml", name="ROCm test", run_name="ROCm test ${{ inputs.correlation_id }}",
        inputs=CORRELATION_INPUT,
        jobs=[JobSpec(f"test shard {n}", 1200, 0.02, 0.08) for n in range(1, 5)], queue_s=600,
    )
    sglang = world.add_repo("sgl-project/sglang")
    world.add_workflow(
        sglang, "rocm-nightly.yml", name="ROCm nightly",
        run_name="ROCm nightly ${{ github.event.client_payload.correlation_id }}",
        on=("repository_dispatch",), dispatch_types=("rocm-nightly",),
        jobs=[JobSpec("test", 1800, 0.05, 0.05)],
    )
    if history_days:
        world.generate_history(rocm, "multi_arch_release.yml", history_days, 2, branches=("main", "release/6.4"),
                               events=("schedule",))
        world.generate_history(pytorch, "rocm-build.yml", history_days, 8, branches=("main", "release/2.7"),
                               events=("push", "workflow_dispatch"))
        world.generate_history(vllm, "rocm-test.yml", history_days, 6)
    return world
