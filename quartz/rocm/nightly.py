"""A nightly (or prerelease) status.json document as cells: one per (platform, GPU family, pipeline, phase).

status.json keeps builds per platform and tests per platform and family; a reader asks per family ("is pytorch
on gfx1151 usable from last night?"), so every family the nightly built gets a cell for every pipeline.phase
that runs on its platform, a platform-wide leaf (a build, a native package) giving each family its status:

    cells = nightly_cells(doc, now=now, run_timeout_s=6 * 3600, repo="ROCm/rockrel", families=table)
    history = streaks(docs_oldest_first)       # (platform, family, pipeline, phase) -> Streak for the newest

A family with no test leaf is `not_tested` (built but no result, or a family no runner tests) -- a word of its
own that is never green -- or `in_progress` while the nightly may still test it. A nightly whose reports stopped
arriving for longer than `run_timeout_s` shows what was still running as `timed_out`. Anything the document
names that we do not know (a family outside the summary, a pipeline we have no column for) is kept as a cell
marked `known: false`, never dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from quartz.rocm import therock

# The grid's columns, in order: (pipeline, phase, label).
COLUMNS = (("rocm", "build", "rocm.build"), ("rocm", "test", "rocm.test"),
           ("pytorch", "build", "pytorch.build"), ("pytorch", "test", "pytorch.test"),
           ("pytorch", "test_full", "pytorch.test_full"),
           ("jax", "build", "jax.build"), ("jax", "test", "jax.test"),
           ("native_packages", "rpm", "native rpm"), ("native_packages", "deb", "native deb"))
PLATFORMS = ("linux", "windows")
KNOWN_PIPELINES = ("rocm", "pytorch", "jax", "native_packages")
NOT_TESTED = "not_tested"
TIMED_OUT = "timed_out"
GREEN = "success"
STATUSES = ("success", "failure", "in_progress", "cancelled", "skipped", NOT_TESTED, TIMED_OUT)
_TEST_PHASES = ("test", "test_full")


def key_of(doc: Mapping) -> tuple[str, str]:
    """(release type as in our paths, key): ('nightly', '20260818') or ('prerelease', '7.14.0rc2')."""
    if doc.get("release_type") == "rc":
        return "prerelease", str(doc.get("rocm_version") or doc.get("build_date") or "")
    return "nightly", str(doc.get("build_date") or "")


def _iso(value) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def stalled(doc: Mapping, now: dt.datetime, run_timeout_s: int) -> bool:
    """The nightly is unfinished and no report arrived within run_timeout: what still runs has timed out."""
    summary = doc.get("summary") if isinstance(doc.get("summary"), dict) else {}
    if summary.get("overall_status") != "in_progress":
        return False
    last = _iso(doc.get("status_json_last_updated")) or _iso(doc.get("created_at"))
    return last is not None and (now - last).total_seconds() > run_timeout_s


def urls_of(doc: Mapping, platform: str) -> dict[str, str]:
    """A platform's artifact URLs from the summary; only http(s) ones (they come from reports: untrusted)."""
    block = _summary(doc).get(platform)
    urls = block.get("urls") if isinstance(block, dict) else None
    return {str(k)[:40]: v[:500] for k, v in (urls.items() if isinstance(urls, dict) else ())
            if isinstance(v, str) and v.startswith(("https://", "http://"))}


def run_url(repo: str, run_id, attempt) -> str | None:
    if not isinstance(run_id, int) or not repo:
        return None
    tail = f"/attempts/{attempt}" if isinstance(attempt, int) and attempt > 1 else ""
    return f"https://github.com/{repo}/actions/runs/{run_id}{tail}"


def _is_leaf(node) -> bool:
    return isinstance(node, dict) and isinstance(node.get("status"), str)


def _counts(leaf: Mapping) -> dict | None:
    variants = leaf.get("variants")
    if not isinstance(variants, list) or not variants:
        return None
    counts: dict[str, int] = {}
    for v in variants:
        status = v.get("status") if isinstance(v, dict) else None
        counts[str(status)] = counts.get(str(status), 0) + 1
    return counts


def _variants(leaf: Mapping) -> list[dict]:
    out = []
    for v in leaf.get("variants") or []:
        if isinstance(v, dict):
            matrix = {k: str(x) for k, x in v.items()
                      if k not in ("status", "run_id", "run_attempt", "started_at", "completed_at")}
            out.append({"matrix": matrix, "status": str(v.get("status")), "run_id": v.get("run_id"),
                        "run_attempt": v.get("run_attempt"), "started_at": v.get("started_at"),
                        "completed_at": v.get("completed_at")})
    return out


# ---------------------------------------------------------------- the leaves a document holds


@dataclass(frozen=True)
class Found:
    pipeline: str
    phase: str
    platform: str
    family: str | None  # None: a leaf for the whole platform
    leaf: Mapping


def leaves(doc: Mapping) -> list[Found]:
    """Every leaf of `pipelines`, whatever its depth: platform-wide, per platform, per platform and family."""
    found = []
    pipelines = doc.get("pipelines")
    for pipeline, phases in (pipelines.items() if isinstance(pipelines, dict) else ()):
        for phase, node in (phases.items() if isinstance(phases, dict) else ()):
            if _is_leaf(node):  # native packages: one leaf, Linux only
                found.append(Found(str(pipeline), str(phase), "linux" if pipeline == "native_packages" else "all",
                                   None, node))
                continue
            for platform, sub in (node.items() if isinstance(node, dict) else ()):
                if _is_leaf(sub):
                    found.append(Found(str(pipeline), str(phase), str(platform), None, sub))
                    continue
                for family, leaf in (sub.items() if isinstance(sub, dict) else ()):
                    if _is_leaf(leaf):
                        found.append(Found(str(pipeline), str(phase), str(platform), str(family), leaf))
    return found


def columns_for(platform: str, found: Iterable[Found]) -> list[tuple[str, str]]:
    """The pipeline.phase columns a platform shows: what runs there, plus whatever the document holds."""
    runs = therock.EXPECTED_PIPELINES.get(platform, ())
    present = {(f.pipeline, f.phase) for f in found if f.platform in (platform, "all")}
    cols = [(p, ph) for p, ph, _ in COLUMNS if (p in runs and ph != "test_full") or (p, ph) in present]
    return cols + sorted(present - set(cols))


def column_label(pipeline: str, phase: str) -> str:
    return next((label for p, ph, label in COLUMNS if (p, ph) == (pipeline, phase)), f"{pipeline}.{phase}")


# ---------------------------------------------------------------- cells


@dataclass
class Context:
    doc: Mapping
    now: dt.datetime
    run_timeout_s: int
    repo: str
    coverage: object  # callable (family, platform, pipeline) -> "tested" | "build-only" | "no-runner" | None

    @property
    def finished(self) -> bool:
        return _summary(self.doc).get("overall_status") not in (None, "in_progress")

    def stale(self) -> bool:
        last = _iso(self.doc.get("status_json_last_updated")) or _iso(self.doc.get("created_at"))
        return last is not None and (self.now - last).total_seconds() > self.run_timeout_s


def _summary(doc: Mapping) -> dict:
    return doc.get("summary") if isinstance(doc.get("summary"), dict) else {}


def architectures(doc: Mapping, platform: str) -> list[str]:
    block = _summary(doc).get(platform)
    names = block.get("architectures") if isinstance(block, dict) else None
    return [str(n) for n in names] if isinstance(names, list) else []


def platforms_of(doc: Mapping, found: Iterable[Found]) -> list[str]:
    named = [p for p in PLATFORMS if isinstance(_summary(doc).get(p), dict)]
    return named + sorted({f.platform for f in found if f.platform not in named and f.platform != "all"})


def _summary_status(doc: Mapping, platform: str, pipeline: str, phase: str) -> str | None:
    block = _summary(doc).get(platform)
    part = block.get(pipeline) if isinstance(block, dict) else None
    if not isinstance(part, dict):
        return None
    node = part.get("build" if phase == "build" else phase)
    return node.get("status") if isinstance(node, dict) and isinstance(node.get("status"), str) else None


def _missing(ctx: Context, platform: str, family: str, pipeline: str, phase: str,
             build: Mapping | None) -> tuple[str, str]:
    """The status (and why) of a cell the document holds no leaf for."""
    if phase in _TEST_PHASES:
        built = (build or {}).get("status") or _summary_status(ctx.doc, platform, pipeline, "build")
        if built in ("skipped", "cancelled"):
            return built, f"the {pipeline} build was {built}: no test ran"
        cover = ctx.coverage(family, platform, pipeline) if ctx.coverage else None
        if cover in ("build-only", "no-runner"):
            return NOT_TESTED, f"{family} is {cover} on {platform} (families table)"
        if ctx.finished:  # the release ended: no result will come
            return NOT_TESTED, "no test reported a result for this family"
        return (TIMED_OUT, "no report within run_timeout") if ctx.stale() else ("in_progress", "waiting for tests")
    status = _summary_status(ctx.doc, platform, pipeline, phase) or ("skipped" if ctx.finished else "in_progress")
    if status == "in_progress" and ctx.stale():
        return TIMED_OUT, "no report within run_timeout"
    return status, "not reported"


def _cell(ctx: Context, platform: str, family: str, pipeline: str, phase: str, leaf: Mapping | None,
          scope: str, known: bool, build: Mapping | None) -> dict:
    if leaf is None:
        status, reason = _missing(ctx, platform, family, pipeline, phase, build)
        leaf = {}
    else:
        status, reason = str(leaf["status"]), None
        if status == "in_progress" and ctx.stale():
            status, reason = TIMED_OUT, "no report within run_timeout"
    run_id, attempt = leaf.get("run_id"), leaf.get("run_attempt")
    return {"platform": platform, "family": family, "pipeline": pipeline, "phase": phase,
            "column": column_label(pipeline, phase), "status": status, "reason": reason, "scope": scope,
            "known": known and pipeline in KNOWN_PIPELINES,
            "run_id": run_id if isinstance(run_id, int) else None,
            "run_attempt": attempt if isinstance(attempt, int) else None,
            "run_url": run_url(ctx.repo, run_id, attempt), "started_at": leaf.get("started_at"),
            "completed_at": leaf.get("completed_at"), "counts": _counts(leaf), "variants": _variants(leaf)}


def nightly_cells(doc: Mapping, *, now: dt.datetime, run_timeout_s: int, repo: str = "ROCm/rockrel",
                  coverage=None) -> list[dict]:
    """One cell per (platform, family, pipeline.phase), rows in the summary's family order, unknown ones last."""
    ctx = Context(doc, now, run_timeout_s, repo, coverage)
    found = leaves(doc)
    by_family = {(f.pipeline, f.phase, f.platform, f.family): f.leaf for f in found if f.family is not None}
    by_platform = {(f.pipeline, f.phase, f.platform): f.leaf for f in found if f.family is None}
    cells = []
    for platform in platforms_of(doc, found):
        named = architectures(doc, platform)
        extra = sorted({f.family for f in found
                        if f.platform == platform and f.family is not None and f.family not in named})
        cols = columns_for(platform, found)
        for family in named + extra:
            for pipeline, phase in cols:
                whole = by_platform.get((pipeline, phase, platform)) or by_platform.get((pipeline, phase, "all"))
                own = by_family.get((pipeline, phase, platform, family))
                leaf, scope = (own, "family") if own is not None else (whole, "platform")
                build = by_platform.get((pipeline, "build", platform))
                cells.append(_cell(ctx, platform, family, pipeline, phase, leaf, scope, family in named, build))
    return cells


# ---------------------------------------------------------------- history across nightlies


def cell_key(cell: Mapping) -> tuple[str, str, str, str]:
    return cell["platform"], cell["family"], cell["pipeline"], cell["phase"]


def label_of(release_type: str, key: str) -> str:
    """20260815 → 2026-08-15; a prerelease version stays as it is."""
    if release_type == "nightly" and len(key) == 8 and key.isdigit():
        return f"{key[:4]}-{key[4:6]}-{key[6:]}"
    return key


def history(release_type: str, series: list[tuple[str, list[dict]]]) -> dict[tuple, dict]:
    """For each cell of the newest nightly: its streak, last green night and flips over the series.

    `series` is [(key, cells)], oldest first (at most the window the caller keeps, e.g. 30 nightlies). A streak
    counts back over consecutive nightlies with the same status; a nightly without the cell ends it.
    """
    if not series:
        return {}
    by_night = [(key, {cell_key(c): c["status"] for c in cells}) for key, cells in series]
    out = {}
    for k, status in by_night[-1][1].items():
        count, since = 0, by_night[-1][0]
        for key, statuses in reversed(by_night):
            if statuses.get(k) != status:
                break
            count, since = count + 1, key
        seen = [statuses[k] for _, statuses in by_night if k in statuses]
        green = next((key for key, statuses in reversed(by_night) if statuses.get(k) == GREEN), None)
        out[k] = {"streak": {"status": status, "since": label_of(release_type, since), "nightlies": count},
                  "last_green": label_of(release_type, green) if green else None,
                  "flips": sum(1 for a, b in zip(seen, seen[1:], strict=False) if a != b), "window": len(seen)}
    return out


def streak_text(entry: Mapping) -> str:
    streak = entry["streak"]
    word = {"success": "green", "failure": "red"}.get(streak["status"], streak["status"].replace("_", " "))
    n = streak["nightlies"]
    return f"{word} since {streak['since']}, {n} nightl{'y' if n == 1 else 'ies'}"


def known_good(release_type: str, series: list[tuple[str, Mapping, list[dict]]]) -> dict[tuple, dict]:
    """For each (platform, family, pipeline, phase): the newest nightly where it passed, and what to pin.

    `series` is [(key, doc, cells)] oldest first.
    """
    out: dict[tuple, dict] = {}
    for key, doc, cells in series:
        for cell in cells:
            if cell["status"] != GREEN:
                continue
            out[cell_key(cell)] = {"key": key, "date": label_of(release_type, key),
                                   "rocm_version": doc.get("rocm_version"), "run_id": cell["run_id"],
                                   "urls": urls_of(doc, cell["platform"])}
    return out
