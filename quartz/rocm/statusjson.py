"""status.json documents (ROCm/Quartz schema 2.0) built from ingested reports.

Downstream projects poll `release-nightly/<YYYYMMDD>/status.json`,
`release-nightly/latest.json` and `latest_good.json` (and
`prereleases/<X.Y.Z>/<X.Y.ZrcN>/status.json`, `prereleases/latest.json`).
ROCm/Quartz folds each report into the file as it arrives; here the document is
a pure function of the stored reports and jobs, so the arrival order of
reports can never change the outcome:

    doc = build(store, config, "20260818")            # dict, or None when no release owns that day
    report = write_all(store, config, writer, now)   # every document plus the latest files, via the site's writer

The folding rules, as ROCm/Quartz applies them:
- A document belongs to the top-level release run (`multi_arch_release.yml`,
  or the `setup_multi_arch.yml` call it makes with build_variant "release");
  the newest (run id, attempt) owns it. Other reports count only when they
  trace back to that run (artifact_run_id, an artifact URL input, or the
  parent run) or are that run; a PyTorch report may instead match on version.
- Each report places one leaf: rocm/pytorch/jax build per platform, tests
  per platform and GPU family, native rpm/deb. For one slot the newest run
  wins, then the newest attempt, and a finished report beats a running one.
- PyTorch and JAX leaves carry matrix cells ("variants") read from job names
  (`py 3.12 | torch release/2.10`), tests scoped to their family's
  `Test | <family>` jobs. A framework's release run calls its tests as reusable
  workflows, so one job list holds both phases: jobs with a `Test | <family>`
  segment of their own are test cells, all others build cells. Build cells
  merge cell by cell over every build report and the same run's test reports;
  test cells merge cell by cell over the slot's reports, the leaf starting at
  its earliest cell.
- A finished build-phase report of the run and attempt a test leaf names (the
  release-level report that closes the shared run) refreshes that leaf when it
  outranks the slot's test reports: status from its finished cells for that
  family (plus its conclusion when the run tests one family), completed_at its
  own time. A report naming its families refreshes only those.
- `summary` rolls statuses up with failure > in_progress > cancelled >
  success > skipped; test counters count matrix cells; overall_status stays
  in_progress until the owning release run reports completed.
- Keys whose value is null are left out.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from quartz.config import Config
from quartz.rocm import therock

SCHEMA_VERSION = "2.0"
# The ROCm/Quartz revision (main, scripts/receive_therock/) whose folding rules ours follow, and its date.
# Its newest rule change: #83 "Separate pytorch/jax build and test sub-jobs per phase" (develop 33466793).
# Real documents ROCm/Quartz publishes for days after this date must come out of our rules unchanged
# (tests/test_statusjson.py replays them); when one does not, their rules moved on: read what changed
# since this revision, bring ours level, then move these two lines.
ROCM_QUARTZ_REVISION = "fa0fbb96125afa7c475de8efca9095b00085c473"
ROCM_QUARTZ_REVISION_DATE = "2026-08-19"
ORDER = ("failure", "in_progress", "cancelled", "success")  # rollup precedence; skipped is last
CONCLUSIONS = {"success": "success", "failure": "failure", "timed_out": "failure", "action_required": "failure",
               "stale": "failure", "cancelled": "cancelled", "skipped": "skipped", "neutral": "success"}
DOC_RELEASE_TYPE = {"nightly": "nightly", "prerelease": "rc"}
ARTIFACT_BUCKETS = {"nightly": "therock-nightly-artifacts", "prerelease": "therock-prerelease-artifacts"}
CDN = {"nightly": "https://rocm.nightlies.amd.com/", "prerelease": "https://rocm.prereleases.amd.com/"}
MATRIX_AXIS = {"pytorch": "torch", "jax": "jax_ref"}
_MATRIX_INPUTS = {"torch": ("pytorch_git_ref", "torch_version"), "jax_ref": ("jax_ref", "jax_git_ref")}
_CELL = re.compile(r"py\s+(?P<py>\S+)\s*\|\s*(?:torch|jax)\s+(?P<ref>\S+)", re.IGNORECASE)
_TEST_ARCH = re.compile(rf"Test\s*\|\s*(?P<arch>{therock.GPU_FAMILY})", re.IGNORECASE)
DEFAULT_REPOS = ("rocm/rockrel",)


def rollup(statuses: Iterable[str], fallback: str) -> str:
    seen = set(statuses)
    if not seen:
        return fallback
    return next((s for s in ORDER if s in seen), "skipped")


def status_of(conclusion: str | None) -> str:
    """A GitHub conclusion as a status.json status; unknown conclusions count as failure."""
    return CONCLUSIONS.get(conclusion, "failure") if conclusion else "in_progress"


def _z(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _drop_nulls(value):
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


# ---------------------------------------------------------------- reports


@dataclass
class Job:
    name: str
    status: str
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    done: bool


@dataclass
class Report:
    """One stored report with what it means for status.json."""

    row: dict
    inputs: dict
    captured: dict
    place: therock.Place | None
    version: str | None
    owner: int | None
    order: int

    @property
    def run_id(self) -> int:
        return self.row["run_id"]

    @property
    def attempt(self) -> int:
        return self.row["run_attempt"]

    @property
    def status(self) -> str:
        return status_of(self.row["conclusion"])

    @property
    def completed(self) -> bool:
        return self.row["status"] == "completed"

    @property
    def file(self) -> str:
        return therock.workflow_file(self.row["workflow_path"])

    def rank(self) -> tuple:
        """Which report speaks for a slot: newest run, newest attempt, finished over running, newest update."""
        updated = self.row["updated_at"] or self.row["created_at"]
        return (self.run_id, self.attempt, self.completed, updated, self.order)


def _loads(text) -> dict:
    value = json.loads(text) if isinstance(text, str) else text
    return value if isinstance(value, dict) else {}


def _report(row: dict, order: int) -> Report:
    inputs, captured = _loads(row["inputs"]), _loads(row["captured_outputs"])
    place = therock.place(row["workflow_path"], inputs)
    version = therock.release_version(therock.raw_rocm_version(inputs, captured), inputs)
    owner = therock.owner_run_id(row["run_id"], place, inputs, row["parent_run_id"])
    return Report(row, inputs, captured, place, version, owner, order)


def document_key(report: Report) -> tuple[str, str] | None:
    """(release type, date or rc version) naming the document a report belongs to, if any."""
    kind, version = report.row["release_type"], report.version or ""
    if version and therock.is_dev_version(version):
        return None
    if kind == "nightly":
        match = therock.NIGHTLY_VERSION.match(version)
        if match:
            return kind, match.group(1)
        if not version and report.row["created_at"]:  # tests carry no version: the day they ran
            return kind, report.row["created_at"].astimezone(dt.UTC).strftime("%Y%m%d")
        return None
    if kind == "prerelease" and therock.PRERELEASE_VERSION.match(version):
        return kind, version
    return None


def status_repos(config: Config) -> list[str]:
    """Repositories whose release runs make status.json: those running the release orchestrator."""
    repos = [p.repo.lower() for p in config.projects.values() if therock.RELEASE_ORCHESTRATOR in p.workflows]
    return repos or list(DEFAULT_REPOS)


def load_reports(store, config: Config, since: dt.datetime) -> dict[tuple[str, str], list[Report]]:
    grouped: dict[tuple[str, str], list[Report]] = {}
    for order, row in enumerate(store.query("rocm/status_reports", repos=status_repos(config), since=since)):
        report = _report(row, order)
        key = document_key(report)
        if key:
            grouped.setdefault(key, []).append(report)
    return grouped


def load_jobs(store, reports: list[Report]) -> dict[tuple[int, int], list[Job]]:
    jobs: dict[tuple[int, int], list[Job]] = {}
    run_ids = sorted({r.run_id for r in reports})
    if not run_ids:
        return jobs
    for row in store.query("rocm/status_jobs", run_ids=run_ids):
        done = bool(row["conclusion"])
        jobs.setdefault((row["run_id"], row["run_attempt"]), []).append(
            Job(row["name"], status_of(row["conclusion"]), row["started_at"], row["completed_at"], done))
    return jobs


# ---------------------------------------------------------------- leaves


@dataclass
class Leaf:
    status: str
    run_id: int | None = None
    run_attempt: int | None = None
    started_at: str | None = None
    completed_at: str | None = None
    variants: list[dict] | None = None
    rank: tuple = ()

    def to_json(self) -> dict:
        out = {"status": self.status, "run_id": self.run_id, "run_attempt": self.run_attempt,
               "started_at": self.started_at, "completed_at": self.completed_at}
        if self.variants is not None:
            out["variants"] = [_variant_json(v) for v in self.variants]
        return out


def _variant_json(cell: dict) -> dict:
    out = {**cell["matrix"], "status": cell["status"], "run_id": cell["run_id"], "run_attempt": cell["run_attempt"]}
    if cell["started_at"] is not None:
        out["started_at"] = cell["started_at"]
        out["completed_at"] = cell["completed_at"]
    return out


def _cells(report: Report, jobs: list[Job], axis: str, *, phase: str, arch: str | None = None,
           from_inputs: bool = True) -> list[dict]:
    """Matrix cells of one run read from its job names, for one phase and (for tests) one family.

    A pytorch/jax build run calls its tests as a reusable workflow, so one job list holds both halves: a
    job with a `Test | <family>` segment of its own is a test sub-job, any other a build sub-job, and each
    phase reads only its own half. `from_inputs=False` reads job names only (a snapshot of the other
    phase's report must not invent a cell from its inputs).
    """
    is_test = phase in ("test", "test-full")
    groups: dict[tuple[str, str], list[Job]] = {}
    for job in jobs:
        named = _TEST_ARCH.findall(job.name)
        if bool(named) != is_test or (arch is not None and named and arch not in named):
            continue
        matches = list(_CELL.finditer(job.name))
        if matches:  # the segment nearest the job itself names its cell
            groups.setdefault((matches[-1].group("py"), matches[-1].group("ref")), []).append(job)
    fallback_start = report.row["run_started_at"] or report.row["created_at"]
    cells = []
    for (py, ref), group in groups.items():
        starts = [j.started_at for j in group if j.started_at]
        ends = [j.completed_at for j in group if j.completed_at]
        cells.append(_cell(report, {"py": py, axis: ref}, rollup((j.status for j in group), "in_progress"),
                           min(starts) if starts else fallback_start,
                           max(ends) if ends and all(j.done for j in group) else None))
    return cells or (_cell_from_inputs(report, axis) if from_inputs else [])


def _cell(report: Report, matrix: dict, status: str, started, completed) -> dict:
    return {"matrix": matrix, "status": status, "run_id": report.run_id, "run_attempt": report.attempt,
            "started_at": _z(started), "completed_at": _z(completed), "rank": report.rank()}


def _cell_from_inputs(report: Report, axis: str) -> list[dict]:
    """A single-cell test run names its cell in its inputs instead of job names."""
    matrix = {}
    if report.inputs.get("python_version"):
        matrix["py"] = str(report.inputs["python_version"])
    ref = next((report.inputs[k] for k in _MATRIX_INPUTS[axis] if report.inputs.get(k)), None)
    if ref:
        matrix[axis] = str(ref)
    if not matrix:
        return []
    completed = report.row["updated_at"] if report.completed else None
    return [_cell(report, matrix, report.status, report.row["run_started_at"] or report.row["created_at"],
                  completed)]


def _plain_leaf(report: Report) -> Leaf:
    return Leaf(report.status, report.run_id, report.attempt,
                _z(report.row["run_started_at"] or report.row["created_at"]),
                _z(report.row["updated_at"]) if report.completed else None, rank=report.rank())


def _merge_cells(cells: Iterable[dict]) -> list[dict]:
    """Cells keyed by their matrix values; for each, the best-ranked report's view, in first-seen order."""
    merged: dict[tuple, dict] = {}
    for cell in cells:
        key = tuple(sorted(cell["matrix"].items()))
        if key not in merged or cell["rank"] >= merged[key]["rank"]:
            merged[key] = cell  # replacing a value keeps its place
    return list(merged.values())


def _test_arches(jobs: list[Job]) -> set[str]:
    return {a for j in jobs for a in _TEST_ARCH.findall(j.name)}


class Tree:
    """The `pipelines` detail tree, filled slot by slot."""

    def __init__(self):
        self.build: dict[str, dict[str, Leaf]] = {p: {} for p in ("rocm", "pytorch", "jax")}
        self.test: dict[str, dict[str, dict[str, dict[str, Leaf]]]] = {
            p: {"test": {}, "test-full": {}} for p in ("rocm", "pytorch", "jax")}
        self.native: dict[str, Leaf] = {}
        self.build_reports: dict[tuple[str, str], Report] = {}  # (pipeline, platform) -> report that won
        self.native_reports: dict[str, Report] = {}

    def place_plain(self, report: Report, where: therock.Place, arch: str) -> None:
        leaf = _plain_leaf(report)
        if where.pipeline == "native_packages":
            if _better(leaf, self.native.get(where.phase)):
                self.native[where.phase] = leaf
                self.native_reports[where.phase] = report
        elif where.phase == "build":
            if _better(leaf, self.build[where.pipeline].get(where.platform)):
                self.build[where.pipeline][where.platform] = leaf
                self.build_reports[(where.pipeline, where.platform)] = report
        else:
            slots = self.test[where.pipeline][where.phase].setdefault(where.platform, {})
            if _better(leaf, slots.get(arch)):
                slots[arch] = leaf

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


def _better(new: Leaf, old: Leaf | None) -> bool:
    return old is None or new.rank >= old.rank


def fill_tree(reports: list[Report], jobs: dict[tuple[int, int], list[Job]]) -> Tree:
    tree = Tree()
    matrix_builds: dict[tuple[str, str], list[Report]] = {}
    matrix_tests: dict[tuple[str, str, str, str], list[Report]] = {}
    for report in reports:
        where = report.place
        run_jobs = jobs.get((report.run_id, report.attempt), [])
        arches = therock.architectures(report.inputs, [j.name for j in run_jobs])
        if where.phase in ("test", "test-full"):
            if not arches:
                continue  # a test that names no GPU family has no slot
            for arch in arches:
                if where.pipeline in MATRIX_AXIS:
                    matrix_tests.setdefault((where.pipeline, where.phase, where.platform, arch), []).append(report)
                else:
                    tree.place_plain(report, where, arch)
        elif where.pipeline in MATRIX_AXIS:
            matrix_builds.setdefault((where.pipeline, where.platform), []).append(report)
        else:
            tree.place_plain(report, where, "")
    for (pipeline, platform), group in matrix_builds.items():
        snapshots = {id(r): r for (p, _phase, pf, _arch), tests in matrix_tests.items()
                     if (p, pf) == (pipeline, platform) for r in tests}
        _place_matrix_build(tree, pipeline, platform, group, list(snapshots.values()), jobs)
    for (pipeline, phase, platform, arch), group in matrix_tests.items():
        _place_matrix_test(tree, pipeline, phase, platform, arch, group, matrix_builds.get((pipeline, platform), []),
                           jobs)
    return tree


def _place_matrix_build(tree: Tree, pipeline: str, platform: str, group: list[Report], snapshots: list[Report],
                        jobs) -> None:
    """A pytorch/jax build leaf: cells merged from every build report, then from the build half of the
    same run's test reports (their job list spans the whole run, so a finished build shows before the run ends)."""
    axis = MATRIX_AXIS[pipeline]
    cells = [c for r in group for c in _cells(r, jobs.get((r.run_id, r.attempt), []), axis, phase="build")]
    build_runs = {c["run_id"] for c in cells}
    cells += [c for r in snapshots if r.run_id in build_runs
              for c in _cells(r, jobs.get((r.run_id, r.attempt), []), axis, phase="build", from_inputs=False)]
    cells = _merge_cells(cells)
    best = max(group, key=Report.rank)
    tree.build_reports[(pipeline, platform)] = best
    if not cells:
        tree.build[pipeline][platform] = _plain_leaf(best)
        return
    # Cells may come from several runs, so the leaf itself names none.
    tree.build[pipeline][platform] = Leaf(rollup((c["status"] for c in cells), best.status), variants=cells,
                                          rank=best.rank())


def _place_matrix_test(tree: Tree, pipeline: str, phase: str, platform: str, arch: str, group: list[Report],
                       builds: list[Report], jobs) -> None:
    """A pytorch/jax test leaf for one GPU family.

    Cells merge cell by cell over every report of the slot (the better-ranked report's view of a cell wins).
    The newest run (then attempt) names the leaf. Its status and times are the merged cells' rollup, earliest
    start and, once finished, latest end -- unless a finished build-phase report of that same run and attempt
    (the release-level report that closes the shared run) ranks above the slot's test reports: that report
    refreshes the leaf, its status then being the rollup of its own cells for this family (plus its own
    conclusion when its jobs test this family alone) and its completed_at its own time.
    """
    axis = MATRIX_AXIS[pipeline]
    best = max(group, key=Report.rank)
    cells = [c for r in group for c in _cells(r, jobs.get((r.run_id, r.attempt), []), axis, phase=phase, arch=arch)]
    refresher, refreshed = None, []
    for report in sorted(builds, key=Report.rank):
        if (report.run_id, report.attempt) != (best.run_id, best.attempt) or not report.completed:
            continue
        named = therock.architectures(report.inputs, [])
        if named and arch not in named:
            continue  # a release-level report that names its families refreshes only those
        run_jobs = jobs.get((report.run_id, report.attempt), [])
        own = _cells(report, run_jobs, axis, phase="test", arch=arch, from_inputs=False)
        if own:
            cells += own
            # The run's closing snapshot lists finished jobs; one still running in the store is one it no longer has.
            finished = [j for j in run_jobs if j.done]
            refresher, refreshed = report, _cells(report, finished, axis, phase="test", arch=arch, from_inputs=False)
    if not cells:
        tree.test[pipeline][phase].setdefault(platform, {})[arch] = _plain_leaf(best)
        return
    cells = _merge_cells(cells)
    starts = [c["started_at"] for c in cells if c["started_at"]]
    leaf = Leaf(best.status, best.run_id, best.attempt,
                min(starts) if starts else _z(best.row["run_started_at"] or best.row["created_at"]), None,
                variants=cells, rank=best.rank())
    if refresher is not None and refresher.rank() > best.rank():
        statuses = [c["status"] for c in refreshed]
        if len(_test_arches(jobs.get((refresher.run_id, refresher.attempt), []))) <= 1:
            statuses.append(refresher.status)  # a run testing one family speaks for it
        leaf.status = rollup(statuses, refresher.status)
        leaf.completed_at = _z(refresher.row["updated_at"])
    else:
        leaf.status = rollup((c["status"] for c in cells), best.status)
        if leaf.status != "in_progress":
            ends = [c["completed_at"] for c in cells if c["completed_at"]]
            leaf.completed_at = max(ends) if ends else (_z(best.row["updated_at"]) if best.completed else None)
    tree.test[pipeline][phase].setdefault(platform, {})[arch] = leaf


# ---------------------------------------------------------------- ownership and urls


@dataclass
class Release:
    owner: Report
    finished: Report | None  # the owner's completed release-orchestrator report
    leaves: list[Report] = field(default_factory=list)
    cdn: list[Report] = field(default_factory=list)


def _is_owner_report(report: Report) -> bool:
    where = report.place
    if where is None or not report.version:
        return False
    if where.pipeline == "setup":
        return str(report.inputs.get("build_variant") or "").strip() == "release"
    return where.pipeline == "orchestrator" and where.platform == "" and where.phase == "release"


def _belongs(report: Report, owner: Report, rocm_version: str) -> bool:
    if report.owner is not None:
        return report.owner == owner.run_id
    if report.run_id == owner.run_id:
        return True
    return report.place.pipeline == "pytorch" and bool(report.version) and report.version == rocm_version


def find_release(reports: list[Report]) -> Release | None:
    owners = [r for r in reports if _is_owner_report(r)]
    if not owners:
        return None  # only the release run (or its setup) may open a document
    owner = max(owners, key=lambda r: (r.run_id, r.attempt, r.completed, r.order))
    finished = next((r for r in owners if r.run_id == owner.run_id and r.attempt == owner.attempt
                     and r.completed and r.file == therock.RELEASE_ORCHESTRATOR), None)
    release = Release(owner, finished)
    rocm_version = owner.version or ""
    for report in reports:
        where = report.place
        if where is None or report is owner or where.pipeline == "setup" or report.file in therock.IGNORED_FOR_STATUS:
            continue
        if not _belongs(report, owner, rocm_version):
            continue
        if where.pipeline == "orchestrator":
            if where.phase in therock.CDN_PHASES and report.completed:
                release.cdn.append(report)
        elif where.platform:
            release.leaves.append(report)
    return release


def platform_urls(tree: Tree, release: Release, platform: str) -> dict:
    """Where a platform's artifacts are: the winning build's bucket, then the CDN once published."""
    urls: dict[str, str] = {}
    build = tree.build_reports.get(("rocm", platform))
    if build is not None:
        base = _bucket_base(build, platform)
        wheels = _captured(build, "package_find_links_url")
        if base:
            urls.update(tarballs=f"{base}/tarballs/", wheels=wheels or f"{base}/python/",
                        artifacts=f"{base}/index.html")
        elif wheels:
            urls["wheels"] = wheels
    if platform == "linux":
        for kind in ("rpm", "deb"):
            report = tree.native_reports.get(kind)
            if report is None or (build is not None and report.run_id != build.run_id):
                continue  # the package block follows the run that owns the build block
            url = _captured(report, "package_repository_url")
            base = _bucket_base(report, platform)
            if url or base:
                urls[kind] = url or f"{base}/packages/{kind}{'/x86_64' if kind == 'rpm' else ''}/"
    for report in sorted(release.cdn, key=Report.rank):
        if report.place.platform == platform:
            urls.update(_cdn_urls(report, platform))
    return urls


def _bucket_base(report: Report, platform: str) -> str | None:
    bucket = ARTIFACT_BUCKETS.get(report.row["release_type"] or "")
    if not bucket:
        return None
    source = therock.source_run_id(report.run_id, report.inputs, report.row["parent_run_id"])
    return f"https://{bucket}.s3.amazonaws.com/{source}-{platform}"


def _captured(report: Report, key: str) -> str | None:
    for need in report.captured.values():
        outputs = need.get("outputs") if isinstance(need, dict) else None
        value = outputs.get(key) if isinstance(outputs, dict) else None
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _cdn_urls(report: Report, platform: str) -> dict:
    need = report.captured.get("publish_to_release_buckets")
    base = CDN.get(report.row["release_type"] or "")
    if not base or not isinstance(need, dict) or need.get("result") != "success":
        return {}
    urls = {"tarballs": f"{base}tarball-multi-arch/", "wheels": f"{base}whl-multi-arch/"}
    if platform != "linux":
        return urls
    packages = f"{base}packages-multi-arch/"
    match = therock.NIGHTLY_VERSION.match(report.version or "")
    if report.row["release_type"] == "nightly" and match:
        segment = f"{match.group(1)}-{therock.source_run_id(report.run_id, report.inputs, report.row['parent_run_id'])}"
        return {**urls, "rpm": f"{packages}rpm/{segment}/", "deb": f"{packages}deb/{segment}/"}
    return {**urls, "rpm": packages, "deb": packages}


def platform_arches(release: Release, jobs, platform: str) -> list[str]:
    """The families a platform was asked to build: fixed by its first rocm build report."""
    for report in release.leaves:  # in arrival order
        where = report.place
        if where.pipeline == "rocm" and where.phase == "build" and where.platform == platform:
            names = [j.name for j in jobs.get((report.run_id, report.attempt), [])]
            found = therock.architectures(report.inputs, names)
            if found:
                return found
    return []


# ---------------------------------------------------------------- summary


def _zero_counts() -> dict:
    return {"success": 0, "failure": 0, "in_progress": 0, "cancelled": 0, "skipped": 0}


def _test_counts(leaves: Iterable[Leaf], seen: list[str]) -> dict:
    counts = _zero_counts()
    for leaf in leaves:
        cells = [v["status"] for v in leaf.variants] if leaf.variants else [leaf.status]
        for status in cells:
            counts[status] += 1
            seen.append(status)
        if leaf.variants:
            seen.append(leaf.status)
    return counts


def _pipeline_summary(tree: Tree, pipeline: str, platform: str, seen: list[str]) -> dict | None:
    build = tree.build[pipeline].get(platform)
    tests = tree.test[pipeline]["test"].get(platform) or {}
    full = tree.test[pipeline]["test-full"].get(platform) or {}
    if build is None and not tests and not full:
        return None
    out: dict = {"build": {"status": build.status if build else "in_progress"}, "test": _zero_counts()}
    if build is not None:
        seen.append(build.status)
    first_test = len(seen)
    if tests:
        out["test"] = _test_counts(tests.values(), seen)
    if full:
        out["test_full"] = _test_counts(full.values(), seen)
    if build is None:  # tests reported without a build leaf: the build ended as they did
        out["build"] = {"status": rollup(seen[first_test:], "in_progress")}
    return out


def _native_summary(tree: Tree, platform: str, finished: bool, seen: list[str]) -> dict | None:
    if platform != "linux" or not tree.native:
        return None
    missing = "skipped" if finished else "in_progress"
    out = {}
    for kind in ("rpm", "deb"):
        status = tree.native[kind].status if kind in tree.native else missing
        seen.append(status)
        out[kind] = {"status": status}
    return out


def platform_summary(tree: Tree, platform: str, arches: list[str], urls: dict, finished: bool) -> tuple[dict, bool]:
    seen: list[str] = []
    parts = {p: _pipeline_summary(tree, p, platform, seen) for p in ("rocm", "pytorch", "jax")}
    parts["native_packages"] = _native_summary(tree, platform, finished, seen)
    empty = "in_progress" if arches else "skipped"
    # Everything downstream waits for the rocm build: a failed one means they never run.
    rocm_build = tree.build["rocm"].get(platform)
    unstarted = {"cancelled": "cancelled", "failure": "skipped"}.get(rocm_build.status if rocm_build else "", empty)
    inputs = list(seen)
    if not finished and any(parts[p] is None for p in therock.EXPECTED_PIPELINES[platform]):
        inputs.append(unstarted)
    placeholder = {"build": {"status": unstarted}, "test": _zero_counts()}
    out = {"status": rollup(inputs, empty), "architectures": list(arches), "urls": dict(urls),
           "rocm": parts["rocm"] or placeholder, "pytorch": parts["pytorch"] or placeholder}
    if platform == "linux":
        out["jax"] = parts["jax"] or placeholder
        out["native_packages"] = parts["native_packages"] or {"rpm": {"status": unstarted},
                                                              "deb": {"status": unstarted}}
    return out, bool(arches) or bool(seen)


def summary(tree: Tree, release: Release, jobs) -> dict:
    finished = release.finished is not None
    out: dict = {}
    statuses = []
    for platform in ("linux", "windows"):
        urls = platform_urls(tree, release, platform)
        out[platform], has_data = platform_summary(tree, platform, platform_arches(release, jobs, platform), urls,
                                                   finished)
        if has_data:
            statuses.append(out[platform]["status"])
    overall = "in_progress"
    if finished:
        conclusion = release.finished.status
        statuses.append(conclusion)
        if conclusion in ("failure", "cancelled"):  # a run that never finished cannot undo the release's end
            statuses = [s for s in statuses if s != "in_progress"]
        overall = rollup(statuses, "in_progress")
    return {"overall_status": overall, **out}


# ---------------------------------------------------------------- documents


def document(kind: str, key: str, reports: list[Report], jobs) -> dict | None:
    release = find_release(reports)
    if release is None:
        return None
    tree = fill_tree(release.leaves, jobs)
    owner, finished = release.owner, release.finished
    applied = [owner, *release.leaves, *release.cdn] + ([finished] if finished else [])
    created = owner.row["created_at"] or min(r.row["created_at"] for r in applied)
    doc = {
        "schema_version": SCHEMA_VERSION,
        "release_type": DOC_RELEASE_TYPE[kind],
        "rocm_version": owner.version or next((r.version for r in applied if r.version), ""),
        "build_date": key if kind == "nightly" else created.astimezone(dt.UTC).strftime("%Y%m%d"),
        "trigger_workflow_run_id": owner.run_id,
        "trigger_run_attempt": owner.attempt,
        "created_at": _z(created),
        "completed_at": _z(finished.row["updated_at"] or finished.row["received_at"]) if finished else None,
        "orchestrator_conclusion": finished.status if finished else None,
        "status_json_created": _z(min(r.row["first_received_at"] for r in applied)),
        "status_json_last_updated": _z(max(r.row["received_at"] for r in applied)),
        "summary": summary(tree, release, jobs),
        "pipelines": tree.to_json(),
    }
    return _drop_nulls(doc)


def _since(kind: str, key: str) -> dt.datetime:
    if kind == "nightly":
        return dt.datetime.strptime(key, "%Y%m%d").replace(tzinfo=dt.UTC) - dt.timedelta(days=1)
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def build(store, config: Config, build_date: str, release_type: str = "nightly") -> dict | None:
    """The status.json of one release: a nightly by YYYYMMDD, a prerelease by version (7.14.0rc2).

    None when no release run has reported for it.
    """
    grouped = load_reports(store, config, _since(release_type, build_date))
    reports = grouped.get((release_type, build_date), [])
    return document(release_type, build_date, reports, load_jobs(store, reports)) if reports else None


# ---------------------------------------------------------------- writing


@dataclass
class StatusJsonReport:
    documents: int = 0
    files: list[str] = field(default_factory=list)
    latest: str | None = None
    latest_good: str | None = None


def _prerelease_order(version: str) -> tuple[int, ...]:
    match = therock.PRERELEASE_VERSION.match(version)
    return tuple(int(g) for g in match.groups()) if match else (0, 0, 0, 0)


def _write(writer, relative: str, doc: dict, report: StatusJsonReport) -> None:
    writer.write(relative, json.dumps(doc, indent=2) + "\n")  # the site's writer leaves unchanged files alone
    report.files.append(relative)


def all_documents(store, config: Config, since: dt.datetime | None = None) -> list[tuple[str, str, dict]]:
    """Every release document the stored reports make (those reported since `since`), as (kind, key, doc)."""
    grouped = load_reports(store, config, since or dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    found = []
    for (kind, key), reports in sorted(grouped.items()):
        doc = document(kind, key, reports, load_jobs(store, reports))
        if doc is not None:
            found.append((kind, key, doc))
    return found


def write_all(store, config: Config, writer, now: dt.datetime, documents=None) -> StatusJsonReport:
    """Write every release document, plus `latest.json` and `latest_good.json` as plain copies.

    latest.json is the newest day (or newest release candidate), never an older
    one; latest_good.json is the newest day whose overall_status is success.
    `now` bounds nothing today; it is taken so `quartz render` passes one clock.
    `documents` (all_documents' answer) saves building them again when the caller has them.
    """
    del now
    report = StatusJsonReport()
    nightlies: dict[str, dict] = {}
    prereleases: dict[str, dict] = {}
    for kind, key, doc in (all_documents(store, config) if documents is None else documents):
        report.documents += 1
        if kind == "nightly":
            nightlies[key] = doc
            _write(writer, f"release-nightly/{key}/status.json", doc, report)
        else:
            prereleases[key] = doc
            base = key[: key.index("rc")]
            _write(writer, f"prereleases/{base}/{key}/status.json", doc, report)
    if nightlies:
        newest = max(nightlies)
        _write(writer, "release-nightly/latest.json", nightlies[newest], report)
        report.latest = newest
        good = [day for day, doc in nightlies.items() if doc["summary"]["overall_status"] == "success"]
        if good:
            _write(writer, "release-nightly/latest_good.json", nightlies[max(good)], report)
            report.latest_good = max(good)
    if prereleases:
        newest = max(prereleases, key=_prerelease_order)
        _write(writer, "prereleases/latest.json", prereleases[newest], report)
    return report
