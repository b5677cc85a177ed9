"""Planted culprits: dispatched runs of a workflow that fail because of what their inputs name.

`Culprit` fails a run whose input names a run (by id) built from a given sha, or holds that sha itself:
"vLLM fails with any PyTorch built from commit abc". `Flaky` fails a workflow's next N dispatched runs
whatever their inputs. World.dispatch_workflow asks every planted rule; the first that answers wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Culprit:
    workflow_id: int
    input: str
    sha: str
    otherwise: str | None = None  # e.g. "success": runs naming another version pass (a scripted story)

    def verdict(self, world, workflow, inputs: dict[str, Any]) -> str | None:
        if workflow.id != self.workflow_id:
            return None
        value = str(inputs.get(self.input) or "")
        run = world.runs.get(int(value)) if value.isdigit() else None
        if value == self.sha or (run is not None and run.sha == self.sha):
            return "failure"
        return self.otherwise


@dataclass
class Flaky:
    workflow_id: int
    failures: int = 1  # dispatched runs left to fail

    def verdict(self, world, workflow, inputs: dict[str, Any]) -> str | None:
        if workflow.id != self.workflow_id or self.failures <= 0:
            return None
        self.failures -= 1
        return "failure"
