"""A simulated GitHub holding the fleet of a cascades.yaml, for `quartz demo` and tests.

Every project's repo, branches and workflows exist; each workflow declares the
inputs that cascade stages send it and shows the correlation id in its
run-name, as the README asks real downstream workflows to do.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from quartz.config import DEFAULT_CORRELATION_INPUT, Config
from quartz.devtools.simulator import JobSpec, World

# How each kind of project's jobs look; failure rates differ so the grid is not all green.
_ROCM_TARGETS = ("gfx94X-dcgpu", "gfx950-dcgpu", "gfx110X-all", "gfx120X-all", "gfx90a")


def _unit(*parts: object) -> float:
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def job_specs(project: str, workflow: str, seed: int) -> list[JobSpec]:
    """A plausible, deterministic job list for one workflow."""
    trouble = _unit(seed, project, "trouble")  # some projects are simply less healthy than others
    fail = 0.01 + 0.10 * trouble**2
    flaky = 0.02 + 0.06 * _unit(seed, project, "flaky")
    if project == "rocm" or workflow.startswith("multi_arch"):
        # rockrel's orchestrator ran 4 h 40 on 2026-08-18 (its Linux ROCm build was done at 2 h 55).
        jobs = [JobSpec(f"build ({t})", 4.5 * 3600, fail / 3, flaky / 2, ("azure-linux-scale-rocm",))
                for t in _ROCM_TARGETS]
        jobs += [JobSpec(f"test ({t})", 1800, fail / 2, flaky, (f"linux-{t}-gpu-rocm",)) for t in _ROCM_TARGETS[:3]]
        return jobs + [JobSpec("release", 600, 0.0, 0.01)]
    shards = 2 + int(4 * _unit(seed, project, workflow, "shards"))
    jobs = [JobSpec("build", 2400, fail / 2, flaky / 3, ("linux-mi325-1gpu-rocm",))]
    jobs += [JobSpec(f"test ({n}/{shards})", 1500, fail / shards, flaky, ("linux-mi325-1gpu-rocm",))
             for n in range(1, shards + 1)]
    return jobs + [JobSpec("lint", 300, 0.005, 0.0)]


def _declared_inputs(config: Config) -> dict[tuple[str, str], dict[str, dict]]:
    """(project, workflow) → the inputs cascade stages send it."""
    declared: dict[tuple[str, str], dict[str, dict]] = {}
    for cascade in config.cascades.values():
        for stage in cascade.stages.values():
            if not stage.workflow:
                continue
            inputs = declared.setdefault((stage.project, stage.workflow), {})
            inputs[stage.correlation_input] = {"required": False, "default": ""}
            for name in stage.inputs:
                inputs[name] = {"required": False, "default": ""}
    return declared


def _dispatch_types(config: Config) -> dict[str, set[str]]:
    types: dict[str, set[str]] = {}
    for cascade in config.cascades.values():
        for stage in cascade.stages.values():
            if stage.event_type:
                types.setdefault(stage.project, set()).add(stage.event_type)
    return types


def build_world(config: Config, start: dt.datetime, seed: int = 0,
                jobs: dict[tuple[str, str], list[JobSpec]] | None = None) -> World:
    """`jobs`: (project, workflow) → its job list, instead of job_specs()'s."""
    world = World(start, seed=seed)
    declared = _declared_inputs(config)
    event_types = _dispatch_types(config)
    release_branches: dict[str, set[str]] = {}
    for branches in config.releases.values():
        for project, branch in branches.items():
            release_branches.setdefault(project, set()).add(branch)
    for project in config.projects.values():
        extra = (set(project.branches) | release_branches.get(project.name, set())) - {project.default_branch}
        repo = world.add_repo(project.repo, default_branch=project.default_branch, branches=tuple(sorted(extra)))
        for index, workflow in enumerate(project.workflows):
            inputs = declared.get((project.name, workflow), {DEFAULT_CORRELATION_INPUT: {"required": False}})
            correlation = next((name for name in inputs if "correlation" in name), DEFAULT_CORRELATION_INPUT)
            title = workflow.rsplit(".", 1)[0].replace("-", " ").replace("_", " ")
            on = ["push", "schedule", "workflow_dispatch", "pull_request"]
            types = None
            if index == 0 and project.name in event_types:
                on.append("repository_dispatch")
                types = tuple(sorted(event_types[project.name]))
            world.add_workflow(
                repo, workflow, name=title,
                run_name=(f"{title} ${{{{ inputs.{correlation} }}}}"
                          f"${{{{ github.event.client_payload.quartz.correlation_id }}}}"),
                inputs=inputs,
                jobs=(jobs or {}).get((project.name, workflow)) or job_specs(project.name, workflow, seed),
                queue_s=120 + 600 * _unit(seed, project.name),
                on=tuple(on), dispatch_types=types,
                artifacts=(("wheels", 350_000_000), ("test-reports", 2_000_000)),
            )
    return world


def add_history(world: World, config: Config, days: float, seed: int = 0) -> int:
    """Fill `days` of completed runs ending now: nightly ROCm releases, pushes elsewhere."""
    total = 0
    for project in config.projects.values():
        branches = list(dict.fromkeys((project.default_branch, *project.branches)))
        for workflow in project.workflows:
            nightly = project.category == "core" and "release" in workflow
            per_day = 1 if nightly else 3 + int(5 * _unit(seed, project.name))
            events = ("schedule",) if per_day == 1 else ("push", "push", "schedule", "pull_request")
            total += world.generate_history(project.repo, workflow, days, per_day, branches=branches, events=events)
    return total
