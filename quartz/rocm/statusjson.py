"""status.json documents (ROCm/Quartz schema 2.0) built from ingested reports.

Downstream projects poll `release-nightly/<YYYYMMDD>/status.json`,
`release-nightly/latest.json` and `latest_good.json` (and
`prereleases/<X.Y.Z>/<X.Y.ZrcN>/status.json`, `prereleases/latest.json`).
ROCm/Quartz folds each report into the file as it arrives, from the job list
that report carried; so do we: `quartz ingest` keeps every release report in an
arrival log with its own job snapshot, and a document is that log replayed in
order (`statustree` holds the slot rules):

    doc = build(store, config, "20260818")            # dict, or None when no release owns that day
    report = write_all(store, config, writer, now)   # every document plus the latest files, via the site's writer

The folding rules, as ROCm/Quartz applies them:
- A document belongs to the top-level release run (`multi_arch_release.yml`,
  or the `setup_multi_arch.yml` call it makes with build_variant "release");
  the newest (run id, attempt) owns it, as reports arrive: a newer run starts the
  document afresh, a newer attempt reopens it. Other reports count only when they
  arrive after it and trace back to that run (artifact_run_id, an artifact URL input, or the
  parent run) or are that run; a PyTorch report may instead match on version.
- Each report places one leaf (rocm/pytorch/jax build per platform, tests per
  platform and GPU family, native rpm/deb) under the slot rules in statustree.
- `summary` rolls statuses up with failure > in_progress > cancelled >
  success > skipped; test counters count matrix cells; overall_status stays
  in_progress until the owning release run reports completed.
- Keys whose value is null are left out.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from quartz.config import Config
from quartz.github.rows import parse_time
from quartz.rocm import therock
from quartz.rocm.statustree import Job, Leaf, Tree, rollup
from quartz.rocm.statustree import z as _z

SCHEMA_VERSION = "2.0"
# The ROCm/Quartz revision (main, scripts/receive_therock/) whose folding rules ours follow, and its date.
# Its newest rule change: #83 "Separate pytorch/jax build and test sub-jobs per phase" (develop 33466793).
# Real documents ROCm/Quartz publishes for days after this date must come out of our rules unchanged
# (tests/test_statusjson.py replays them); when one does not, their rules moved on: read what changed
# since this revision, bring ours level, then move these two lines.
ROCM_QUARTZ_REVISION = "fa0fbb96125afa7c475de8efca9095b00085c473"
ROCM_QUARTZ_REVISION_DATE = "2026-08-19"
CONCLUSIONS = {"success": "success", "failure": "failure", "timed_out": "failure", "action_required": "failure",
               "stale": "failure", "cancelled": "cancelled", "skipped": "skipped", "neutral": "success"}
DOC_RELEASE_TYPE = {"nightly": "nightly", "prerelease": "rc"}
ARTIFACT_BUCKETS = {"nightly": "therock-nightly-artifacts", "prerelease": "therock-prerelease-artifacts"}
CDN = {"nightly": "https://rocm.nightlies.amd.com/", "prerelease": "https://rocm.prereleases.amd.com/"}
DEFAULT_REPOS = ("rocm/rockrel",)


def status_of(conclusion: str | None) -> str:
    """A GitHub conclusion as a status.json status; unknown conclusions count as failure."""
    return CONCLUSIONS.get(conclusion, "failure") if conclusion else "in_progress"


def _drop_nulls(value):
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


# ---------------------------------------------------------------- reports


@dataclass
class Report:
    """One stored report with what it means for status.json."""

    row: dict
    inputs: dict
    captured: dict
    place: therock.Place | None
    version: str | None
    owner: int | None
    jobs: list[Job]  # the job list this report carried (or was fetched for it), as it stood then

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


def _loads(text) -> dict:
    value = json.loads(text) if isinstance(text, str) else text
    return value if isinstance(value, dict) else {}


def _report(row: dict) -> Report:
    inputs, captured = _loads(row["inputs"]), _loads(row["captured_outputs"])
    place = therock.place(row["workflow_path"], inputs)
    version = therock.release_version(therock.raw_rocm_version(inputs, captured), inputs)
    owner = therock.owner_run_id(row["run_id"], place, inputs, row["parent_run_id"])
    return Report(row, inputs, captured, place, version, owner, _snapshot(row["jobs"]))


def _snapshot(text) -> list[Job]:
    value = json.loads(text) if isinstance(text, str) else text
    jobs = []
    for job in value if isinstance(value, list) else []:
        if isinstance(job, dict) and isinstance(job.get("name"), str):
            conclusion = job.get("conclusion") or None
            jobs.append(Job(job["name"], status_of(conclusion), parse_time(job.get("started_at")),
                            parse_time(job.get("completed_at")), bool(conclusion)))
    return jobs



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
    for row in store.query("rocm/status_log", repos=status_repos(config), since=since):
        report = _report(row)
        key = document_key(report)
        if key:
            grouped.setdefault(key, []).append(report)
    return grouped


# ---------------------------------------------------------------- ownership and urls


@dataclass
class Release:
    owner: Report
    finished: Report | None = None  # the owner's completed release-orchestrator report
    leaves: list[Report] = field(default_factory=list)  # reports the owner's gate let in, in arrival order
    cdn: list[Report] = field(default_factory=list)
    tree: Tree = field(default_factory=Tree)
    arches: dict[str, list[str]] = field(default_factory=dict)  # platform -> families its first rocm build named
    # ROCm/Quartz sums a document up when something is applied to it, not when its release run first claims it.
    summed_up: bool = False


def _is_owner_report(report: Report) -> bool:
    where = report.place
    if where is None or not report.version:
        return False
    if where.pipeline == "setup":
        return str(report.inputs.get("build_variant") or "").strip() == "release"
    return where.pipeline == "orchestrator" and where.platform == "" and where.phase == "release"


def _belongs(report: Report, owner: Report) -> bool:
    if report.owner is not None:
        return report.owner == owner.run_id
    if report.run_id == owner.run_id:
        return True
    return report.place.pipeline == "pytorch" and bool(report.version) and report.version == (owner.version or "")


def _take_ownership(release: Release | None, report: Report) -> Release | None:
    """The release run (or its setup) claims the document: a newer run starts it afresh, a newer attempt
    reopens it, an older one is turned away."""
    if release is None:
        return Release(report)
    owner = release.owner
    if (report.run_id, report.attempt) < (owner.run_id, owner.attempt):
        return release
    if report.run_id > owner.run_id:
        return Release(report, summed_up=True)
    if report.attempt > owner.attempt:
        release.finished, release.summed_up = None, True
    release.owner = report
    return release


def fold(reports: list[Report]) -> Release | None:
    """Replay the reports in arrival order under the owner's gate, as ROCm/Quartz applies them."""
    release = None
    for report in reports:
        where = report.place
        if where is None or report.file in therock.IGNORED_FOR_STATUS:
            continue
        if _is_owner_report(report):
            release = _take_ownership(release, report)
            if (report.file == therock.RELEASE_ORCHESTRATOR and report.completed
                    and (report.run_id, report.attempt) == (release.owner.run_id, release.owner.attempt)):
                release.finished, release.summed_up = report, True
            continue
        if release is None or not _belongs(report, release.owner):
            continue  # only the release run may open a document; a leaf follows its owner
        if where.pipeline == "orchestrator":
            if where.phase in therock.CDN_PHASES and report.completed:
                release.cdn.append(report)
                release.summed_up = True
            continue
        arches = therock.architectures(report.inputs, [j.name for j in report.jobs])
        if not where.platform or not arches:
            continue  # a report that names no GPU family places nothing
        release.tree.apply(report, arches)
        release.leaves.append(report)
        release.summed_up = True
        if where.pipeline == "rocm" and where.phase == "build":
            release.arches.setdefault(where.platform, arches)
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
            if report is None:
                continue
            url = _captured(report, "package_repository_url")
            base = _bucket_base(report, platform)
            if url or base:
                urls[kind] = url or f"{base}/packages/{kind}{'/x86_64' if kind == 'rpm' else ''}/"
    for report in release.cdn:  # in arrival order: a later publication's links replace an earlier one's
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


# ---------------------------------------------------------------- summary


def _zero_counts() -> dict:
    return {"success": 0, "failure": 0, "in_progress": 0, "cancelled": 0, "skipped": 0}


def _test_counts(leaves: Iterable[Leaf], seen: list[str]) -> dict:
    counts = _zero_counts()
    for leaf in leaves:
        cells = [v.status for v in leaf.variants] if leaf.variants else [leaf.status]
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


def _pending(platform: str) -> dict:
    waiting = {"build": {"status": "in_progress"}, "test": _zero_counts()}
    out = {"status": "in_progress", "architectures": [], "urls": {}, "rocm": waiting, "pytorch": dict(waiting)}
    if platform == "linux":
        out.update(jax=dict(waiting), native_packages={"rpm": {"status": "in_progress"},
                                                      "deb": {"status": "in_progress"}})
    return out


def summary(tree: Tree, release: Release) -> dict:
    if not release.summed_up:  # only the release run's start so far: everything still to come
        return {"overall_status": "in_progress", **{p: _pending(p) for p in ("linux", "windows")}}
    finished = release.finished is not None
    out: dict = {}
    statuses = []
    for platform in ("linux", "windows"):
        urls = platform_urls(tree, release, platform)
        out[platform], has_data = platform_summary(tree, platform, release.arches.get(platform, []), urls,
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


def document(kind: str, key: str, reports: list[Report]) -> dict | None:
    release = fold(reports)
    if release is None:
        return None
    tree = release.tree
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
        "summary": summary(tree, release),
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
    return document(release_type, build_date, reports) if reports else None


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
        doc = document(kind, key, reports)
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
