"""Build pages kept for every run that failed or is linked, beyond the newest per branch (issue 26).

A failure is always one click away: every run the store holds (hot or history) that failed, or that a
failure line, a cascade or a notification names, has its page at builds/<run_id>.html (and its JSON twin)
for as long as the store holds the run. The newest runs per branch are paged by builds.py as before; the
others are "kept" pages, made of what rarely changes: each is fingerprinted from its run's state and its
failure lines, and a render carries an unchanged one over without building it. A page that is new or
changed is built, at most MAX_NEW_PER_RENDER a render (newest first), so the first render after an upgrade
(or a large backfill) does not balloon: the rest follow in the next full renders, and until then nothing
links to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from quartz.site import builds, failures, paths
from quartz.site.writer import Writer, fingerprint

MAX_NEW_PER_RENDER = 200
_KIND = "kept-build-1"  # part of every print: change it when a kept page's content changes shape


@dataclass
class Plan:
    ids: set[int] = field(default_factory=set)  # runs with a kept page after this render
    build: list[int] = field(default_factory=list)  # of which built now, newest first
    prints: dict[int, str] = field(default_factory=dict)
    waiting: int = 0  # new or changed pages left for a later render


def plan(writer: Writer, store, live_ids: set[int], env_print: str) -> Plan:
    """Which kept pages this render carries over unchanged (claimed now) and which it builds."""
    out = Plan()
    for row in store.query("site/kept_builds", live_ids=sorted(live_ids)):
        rid = row["run_id"]
        print_ = fingerprint(env_print, _KIND, *(str(row[k]) for k in (
            "run_id", "run_attempt", "status", "conclusion", "updated_at", "lines", "lines_at")))
        if writer.keep(paths.api_build(rid), print_) and writer.keep(paths.build_page(rid), print_):
            out.ids.add(rid)
        elif len(out.build) < MAX_NEW_PER_RENDER:
            out.ids.add(rid)
            out.build.append(rid)
            out.prints[rid] = print_
        else:
            out.waiting += 1
    return out


def write(site, config, store, kept: Plan, sitemap, now) -> int:
    """Build the kept pages the plan could not carry over; how many."""
    if not kept.build:
        return 0
    runs = builds.runs(store, kept.build)
    ids = [r["run_id"] for r in runs]
    jobs, attempts, artifacts = _by_run(store, "site/jobs_for_runs", ids), \
        _by_run(store, "site/attempts_for_runs", ids), _by_run(store, "site/artifacts_for_runs", ids)
    lines = failures.load(store, ids)
    for run in runs:
        rid = run["run_id"]
        bdoc = builds.build_doc(config, run, jobs.get(rid, []), attempts.get(rid, []), artifacts.get(rid, []),
                                [], sitemap, now, failure_rows=lines.get(rid, []))
        name = bdoc["project"]["display_name"]
        if not site.writer.has(paths.api_build(rid)):  # its twin may have been carried over by plan()
            site.json(paths.api_build(rid), bdoc, kept.prints[rid])
        site.html("build.html", paths.build_page(rid), bdoc, section="projects",
                  crumbs=[("Health", "index.html"), (name, bdoc["project"]["html"]), (f"run {rid}", None)],
                  title=f"Build {rid} · {name}", api=paths.api_build(rid), fixed_print=kept.prints[rid])
    return len(runs)


def _by_run(store, query: str, ids: list[int]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {}
    for row in store.query(query, run_ids=ids):
        found.setdefault(row["run_id"], []).append(row)
    return found
