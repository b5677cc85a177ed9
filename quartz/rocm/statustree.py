"""The `pipelines` tree of a status.json, folded report by report as ROCm/Quartz folds it.

ROCm/Quartz applies each report to the file as it arrives, reading that report's own job list (the snapshot
notify_quartz took when it sent it), so a slot's history matters: which cell came first, which report closed a
leaf and at what time. Reports are replayed here in the order they were received, each with its own snapshot,
under the same guards:

- A slot keeps its leaf unless the new one is from a newer run, a newer attempt of the same run, or the same
  attempt and not a step back (a finished leaf never turns running again).
- PyTorch and JAX leaves carry matrix cells read from job names (`py 3.12 | torch release/2.10`); a release run
  calls its tests as reusable workflows, so one job list holds both phases: a job with a `Test | <family>`
  segment of its own is a test sub-job, any other a build sub-job. Cells merge one by one under the same guard,
  keeping the place where each was first seen. A build leaf aggregates cells of several runs and names no run.
- A report naming several families gives each its own cells; one naming a single family reads every test
  sub-job of its snapshot, as ROCm/Quartz does.
- A finished build-phase report refreshes the test leaves its run and attempt own (on any platform), and a
  test-phase report finishes the build cells of its own run early.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from quartz.rocm import therock

ORDER = ("failure", "in_progress", "cancelled", "success")  # rollup precedence; skipped is last
MATRIX_AXIS = {"pytorch": "torch", "jax": "jax_ref"}
_MATRIX_INPUTS = {"torch": ("pytorch_git_ref", "torch_version"), "jax_ref": ("jax_ref", "jax_git_ref")}
_CELL = re.compile(r"py\s+(?P<py>\S+)\s*\|\s*(?:torch|jax)\s+(?P<ref>\S+)", re.IGNORECASE)
_TEST_ARCH = re.compile(rf"Test\s*\|\s*(?P<arch>{therock.GPU_FAMILY})", re.IGNORECASE)


def rollup(statuses: Iterable[str], fallback: str) -> str:
    seen = set(statuses)
    if not seen:
        return fallback
    return next((s for s in ORDER if s in seen), "skipped")


def z(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


@dataclass
class Job:
    name: str
    status: str
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    done: bool


@dataclass
class Leaf:
    """One slot of the tree; also one matrix cell (`matrix` set, no cells of its own)."""

    status: str
    run_id: int | None = None
    run_attempt: int | None = None
    started_at: str | None = None
    completed_at: str | None = None
    variants: list[Leaf] | None = None
    matrix: dict = field(default_factory=dict)

    def terminal(self) -> bool:
        return self.completed_at is not None or self.status != "in_progress"

    def replaced_by(self, new: Leaf) -> bool:
        """Newest run wins, then newest attempt; within one attempt a finished slot never goes back."""
        if self.run_id is not None and new.run_id is not None and new.run_id != self.run_id:
            return new.run_id > self.run_id
        if (new.run_attempt or 0) != (self.run_attempt or 0):
            return (new.run_attempt or 0) > (self.run_attempt or 0)
        if self.terminal() and not new.terminal():
            return False
        return not (self.completed_at is not None and new.completed_at is None)

    def key(self) -> tuple:
        return tuple(sorted(self.matrix.items())) if self.matrix else (("run_id", str(self.run_id or "")),)

    def to_json(self) -> dict:
        if self.matrix:  # a cell: its matrix values flat beside its state
            out = {**self.matrix, "status": self.status, "run_id": self.run_id, "run_attempt": self.run_attempt}
            if self.started_at is not None:
                out.update(started_at=self.started_at, completed_at=self.completed_at)
            return out
        out = {"status": self.status, "run_id": self.run_id, "run_attempt": self.run_attempt,
               "started_at": self.started_at, "completed_at": self.completed_at}
        if self.variants is not None:
            out["variants"] = [v.to_json() for v in self.variants]
        return out


# ---------------------------------------------------------------- one report's leaf


def _job_arches(jobs: list[Job]) -> set[str]:
    return {a for j in jobs for a in _TEST_ARCH.findall(j.name)}


def cells_from_jobs(report, axis: str, *, phase: str | None, arch: str | None = None) -> list[Leaf]:
    """Matrix cells of one report's snapshot: one per (py, ref), for one phase's half and one family."""
    jobs = report.jobs
    if phase == "build":
        jobs = [j for j in jobs if not _TEST_ARCH.search(j.name)]
    elif phase in ("test", "test-full"):
        jobs = [j for j in jobs if _TEST_ARCH.search(j.name)]
    if arch is not None:
        jobs = [j for j in jobs if not _TEST_ARCH.findall(j.name) or arch in _TEST_ARCH.findall(j.name)]
    groups: dict[tuple[str, str], list[Job]] = {}
    for job in jobs:
        matches = list(_CELL.finditer(job.name))
        if matches:  # the segment nearest the job itself names its cell
            groups.setdefault((matches[-1].group("py"), matches[-1].group("ref")), []).append(job)
    fallback = report.row["run_started_at"] or report.row["created_at"]
    cells = []
    for (py, ref), group in groups.items():
        starts = [j.started_at for j in group if j.started_at]
        ends = [j.completed_at for j in group if j.completed_at]
        completed = max(ends) if ends and all(j.done for j in group) else None
        cells.append(Leaf(rollup((j.status for j in group), "in_progress"), report.run_id, report.attempt,
                          z(min(starts) if starts else fallback), z(completed), matrix={"py": py, axis: ref}))
    return cells


def _cells_from_inputs(report, axis: str) -> list[Leaf]:
    """A single-cell run names its cell in its inputs instead of job names."""
    matrix = {}
    if report.inputs.get("python_version"):
        matrix["py"] = str(report.inputs["python_version"])
    ref = next((report.inputs[k] for k in _MATRIX_INPUTS[axis] if report.inputs.get(k)), None)
    if ref:
        matrix[axis] = str(ref)
    if not matrix:
        return []
    completed = report.row["updated_at"] if report.row["conclusion"] else None
    return [Leaf(report.status, report.run_id, report.attempt, z(report.row["run_started_at"] or
                                                                   report.row["created_at"]), z(completed),
                 matrix=matrix)]


def report_leaf(report, *, arch: str | None = None) -> Leaf:
    """The leaf one report stands for; `arch` scopes a multi-family report's cells to one family."""
    where = report.place
    axis = MATRIX_AXIS.get(where.pipeline)
    cells = None
    if axis:
        cells = cells_from_jobs(report, axis, phase=where.phase, arch=arch) or _cells_from_inputs(report, axis)
        cells = cells or None
    status = rollup((c.status for c in cells), "in_progress") if arch is not None and cells else report.status
    completed = z(report.row["updated_at"]) if report.row["conclusion"] and report.row["updated_at"] else None
    return Leaf(status, report.run_id, report.attempt, z(report.row["run_started_at"] or report.row["created_at"]),
                completed, variants=cells)


# ---------------------------------------------------------------- merging into a slot


def _merge(existing: Leaf | None, new: Leaf) -> list[Leaf]:
    cells = list(existing.variants or []) if existing else []
    where = {c.key(): i for i, c in enumerate(cells)}
    for cell in new.variants or []:
        at = where.get(cell.key())
        if at is None:
            where[cell.key()] = len(cells)
            cells.append(cell)
        elif cells[at].replaced_by(cell):
            cells[at] = cell
    return cells


def merge_build(existing: Leaf | None, new: Leaf) -> Leaf:
    """Build cells of several runs: the leaf keeps only their rollup."""
    cells = _merge(existing, new)
    return Leaf(rollup((c.status for c in cells), new.status), variants=cells)


def merge_test(existing: Leaf | None, new: Leaf) -> Leaf:
    """Test cells merged one by one; the leaf starts at its earliest cell and ends at its latest."""
    cells = _merge(existing, new)
    status = rollup((c.status for c in cells), new.status)
    completed = None
    if status != "in_progress":
        ends = [c.completed_at for c in cells if c.completed_at]
        completed = max(ends) if ends else new.completed_at
    starts = [c.started_at for c in cells if c.started_at]
    started = min(starts) if starts else ((existing.started_at if existing else None) or new.started_at)
    named = new if existing is None or existing.replaced_by(new) else existing
    return Leaf(status, named.run_id, named.run_attempt, started or None, completed, variants=cells)


class Tree:
    """The `pipelines` detail tree, filled slot by slot."""

    def __init__(self):
        self.build: dict[str, dict[str, Leaf]] = {p: {} for p in ("rocm", "pytorch", "jax")}
        self.test: dict[str, dict[str, dict[str, dict[str, Leaf]]]] = {
            p: {"test": {}, "test-full": {}} for p in ("rocm", "pytorch", "jax")}
        self.native: dict[str, Leaf] = {}
        self.build_reports: dict[tuple[str, str], object] = {}  # (pipeline, platform) -> report that placed it
        self.native_reports: dict[str, object] = {}  # package type -> report whose links stand, as they arrived

    def upsert(self, report, arch: str, leaf: Leaf) -> bool:
        where = report.place
        if where.pipeline == "native_packages":
            old = self.native.get(where.phase)
            if old is not None and not old.replaced_by(leaf):
                return False
            self.native[where.phase] = leaf
            owner = self.build_reports.get(("rocm", where.platform))
            if owner is None or owner.run_id == report.run_id:  # package links follow the build that owns the block
                self.native_reports[where.phase] = report
            return True
        if where.phase == "build":
            slots, old = self.build[where.pipeline], self.build[where.pipeline].get(where.platform)
            if leaf.variants or (old is not None and old.variants):
                slots[where.platform] = merge_build(old, leaf)
            elif old is not None and not old.replaced_by(leaf):
                return False
            else:
                slots[where.platform] = leaf
            owner = self.build_reports.get((where.pipeline, where.platform))
            if where.pipeline == "rocm" and owner is not None and owner.run_id != report.run_id:
                # A build of another run starts the platform's links afresh.
                self.native_reports = {kind: r for kind, r in self.native_reports.items()
                                       if r.place.platform != where.platform}
            self.build_reports[(where.pipeline, where.platform)] = report
            return True
        slots = self.test[where.pipeline][where.phase].setdefault(where.platform, {})
        old = slots.get(arch)
        if leaf.variants:
            slots[arch] = merge_test(old, leaf)
        elif old is not None and not old.replaced_by(leaf):
            return False
        else:
            slots[arch] = leaf
        return True

    def apply(self, report, arches: list[str]) -> None:
        """One report that passed the owner's gate, placed as ROCm/Quartz places it."""
        where = report.place
        targets = arches if where.phase in ("test", "test-full") else [""]
        per_family = len(targets) > 1 and where.pipeline in MATRIX_AXIS
        leaf = report_leaf(report)
        for arch in targets:
            self.upsert(report, arch, report_leaf(report, arch=arch) if per_family else leaf)
        self.refresh_tests_from_build(report, leaf)
        self.refresh_build_from_test(report)

    def refresh_tests_from_build(self, report, leaf: Leaf) -> None:
        """A finished build-phase snapshot closes the test leaves its run and attempt own."""
        where = report.place
        axis = MATRIX_AXIS.get(where.pipeline)
        if where.phase != "build" or axis is None or not report.row["conclusion"] or not leaf.variants:
            return
        single = len(_job_arches(report.jobs)) <= 1
        for phase in ("test", "test-full"):
            for slots in self.test[where.pipeline][phase].values():
                for arch, old in slots.items():
                    if (old.run_id, old.run_attempt or 0) != (leaf.run_id, leaf.run_attempt or 0):
                        continue
                    cells = cells_from_jobs(report, axis, phase="test", arch=arch)
                    if not cells:
                        continue
                    statuses = [c.status for c in cells] + ([leaf.status] if single else [])
                    candidate = replace(leaf, status=rollup(statuses, "in_progress"), variants=cells)
                    if not old.replaced_by(candidate):
                        continue
                    merged = merge_test(old, candidate)
                    merged.status, merged.completed_at = candidate.status, candidate.completed_at
                    slots[arch] = merged

    def refresh_build_from_test(self, report) -> None:
        """A test-phase snapshot of a shared run finishes that run's build cells before the run ends."""
        where = report.place
        axis = MATRIX_AXIS.get(where.pipeline)
        if where.phase not in ("test", "test-full") or axis is None:
            return
        old = self.build[where.pipeline].get(where.platform)
        if old is None or not old.variants or not any(c.run_id == report.run_id for c in old.variants):
            return
        cells = cells_from_jobs(report, axis, phase="build")
        if not cells:
            return
        status = rollup((c.status for c in cells), "in_progress")
        starts = [c.started_at for c in cells if c.started_at]
        ends = [c.completed_at for c in cells if c.completed_at]
        candidate = Leaf(status, report.run_id, report.attempt, min(starts) if starts else old.started_at,
                         max(ends) if status != "in_progress" and ends else None, variants=cells)
        if old.replaced_by(candidate):
            self.build[where.pipeline][where.platform] = merge_test(old, candidate)

    def to_json(self) -> dict:
        out: dict = {}
        for pipeline in ("rocm", "pytorch", "jax"):
            build = {p: leaf.to_json() for p, leaf in self.build[pipeline].items()}
            test = {p: {a: leaf.to_json() for a, leaf in arches.items()}
                    for p, arches in self.test[pipeline]["test"].items() if arches}
            full = {p: {a: leaf.to_json() for a, leaf in arches.items()}
                    for p, arches in self.test[pipeline]["test-full"].items() if arches}
            if build or test or full:
                out[pipeline] = {"build": build, "test": test, **({"test_full": full} if full else {})}
        if self.native:
            out["native_packages"] = {k: self.native[k].to_json() for k in ("rpm", "deb") if k in self.native}
        return out
