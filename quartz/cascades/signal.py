"""The upstream signal a dispatch waited for: when it was complete, and what it was.

Dispatch latency is measured from it (on the cascade page, in cascades/{id}.json and in `quartz bench`):
for a stage with parents, the last parent to hand off (its run's completion, or the moment the jobs its
`jobs` names succeeded); for a first stage, the trigger run's completion (or its trigger `jobs`). A run's
completion is its `updated_at` once completed, as GitHub reports it. A manual start has no upstream signal.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from quartz.config import Cascade, Stage

if TYPE_CHECKING:  # the engine imports this module
    from quartz.cascades.engine import RunView

Signal = tuple[datetime | None, str | None]


def of_run(run: RunView | None, jobs: tuple[str, ...], who: str) -> Signal:
    if run is None:
        return None, None
    if jobs and run.jobs_succeeded_at is not None:
        return run.jobs_succeeded_at, f"jobs {', '.join(jobs)} of {who} run {run.run_id} succeeded"
    if run.completed and run.updated_at is not None:
        return run.updated_at, f"{who} run {run.run_id} completed"
    return None, None


def for_stage(cascade: Cascade, stage: Stage, run_of: Mapping[str, RunView | None],
              trigger: RunView | None) -> Signal:
    """When the last upstream result this stage waited for was complete."""
    if not stage.depends_on:
        jobs = cascade.trigger.jobs if cascade.trigger else ()
        return of_run(trigger, jobs, "the trigger")
    found = [of_run(run_of.get(p), cascade.stages[p].jobs, f"{p}'s") for p in stage.depends_on
             if p in cascade.stages]
    known = [s for s in found if s[0] is not None]
    if len(known) < len(found):
        return None, None  # a parent's moment is not known: say nothing rather than something wrong
    return max(known, default=(None, None))
