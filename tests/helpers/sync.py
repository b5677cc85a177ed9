"""Fixtures for sync tests: a small fleet config, a simulator world and a client against it."""

from __future__ import annotations

from datetime import UTC, datetime

from quartz import config as config_module
from quartz.devtools.simulator import JobSpec, World
from quartz.devtools.simulator import server as simulator_server
from quartz.github.client import GitHubClient

# The simulator answers small bodies in two TCP writes; with Nagle on, each small
# answer then waits ~40 ms for a delayed ACK. Same bytes on the wire, 50x faster tests.
# (Reported to the simulator's owner; harmless once the server sets it itself.)
simulator_server._Handler.disable_nagle_algorithm = True

TOKEN = "sim-token-sync-5ecret-do-not-store"
START = datetime(2026, 11, 20, tzinfo=UTC)

FLEET = """
settings:
  backfill_days: 7
projects:
  rocm:
    repo: ROCm/rockrel
    category: core
    workflows: [multi_arch_release.yml]
    test_reports: []  # these tests count the runs pass's requests; tests/test_testresults_*.py read reports
  pytorch:
    repo: ROCm/pytorch
    category: 1p_downstream
    workflows: [rocm-build.yml, rocm-test.yml]
    test_reports: []
  vllm:
    repo: ROCm/vllm
    category: 3p_downstream
    workflows: [rocm-test.yml]
    test_reports: []
cascades:
  nightly:
    trigger: {project: rocm, workflow: multi_arch_release.yml, branch: main, conclusion: success}
    stages:
      pytorch: {workflow: rocm-build.yml, ref: main}
"""


def fleet_config(text: str = FLEET):
    return config_module.loads(text, "cascades.yaml")


def fleet_world(history_days: float = 10, seed: int = 1) -> World:
    """Three repos; pytorch has two workflows. History is all completed by START."""
    world = World(START, seed=seed)
    rocm = world.add_repo("ROCm/rockrel")
    world.add_workflow(rocm, "multi_arch_release.yml", name="Multi-arch release",
                       jobs=[JobSpec("build", 3600, 0.1, 0.05), JobSpec("release", 600)],
                       artifacts=(("manifest", 2048),))
    pytorch = world.add_repo("ROCm/pytorch")
    world.add_workflow(pytorch, "rocm-build.yml", name="ROCm build",
                       jobs=[JobSpec(f"build ({py})", 2400, 0.05, 0.1) for py in ("3.11", "3.12")])
    world.add_workflow(pytorch, "rocm-test.yml", name="ROCm test", jobs=3)
    vllm = world.add_repo("ROCm/vllm")
    world.add_workflow(vllm, "rocm-test.yml", name="ROCm test", jobs=[JobSpec("test", 1200, 0.1, 0.1)])
    if history_days:
        end = world.now
        world.generate_history(rocm, "multi_arch_release.yml", history_days, 2, end=end)
        world.generate_history(pytorch, "rocm-build.yml", history_days, 6, end=end)
        world.generate_history(pytorch, "rocm-test.yml", history_days, 3, end=end)
        world.generate_history(vllm, "rocm-test.yml", history_days, 4, end=end)
    return world


class Sleeps:
    """An injected sleep that records each wait and moves the world clock instead of sleeping."""

    def __init__(self, world: World | None = None):
        self.world = world
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.world is not None:
            from datetime import timedelta
            self.world.advance(timedelta(seconds=seconds))


def make_client(server, store=None, *, world: World | None = None, sleep=None, max_wait_s: float = 900,
                timeout: float = 15) -> GitHubClient:
    world = world or server.world
    return GitHubClient(server.url, TOKEN, store=store, sleep=sleep or Sleeps(world), max_wait_s=max_wait_s,
                        clock=lambda: world.now.timestamp(), timeout=timeout, write_interval_s=0)


def counts(store) -> dict[str, int]:
    tables = ("workflow_runs", "run_attempts", "jobs", "artifacts", "workflows", "projects")
    return {t: store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
