"""render(config, store, out_dir, now): the whole site from the store, in one pass.

Every page is built from one context document that is also written as its
JSON twin, so the HTML and the API never disagree. All output goes through one
Writer (no path twice, unchanged bytes left alone, stale files removed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from quartz import __version__
from quartz.rocm import statusjson
from quartz.site import (
    builds,
    cascades,
    culprit,
    failures,
    health,
    keptbuilds,
    nightlies,
    notifications,
    overview,
    paths,
    projects,
    schemas,
    sincegood,
    testresults,
)
from quartz.site.common import SiteMap, api_rel, doc, iso
from quartz.site.environment import make_env, templates_dir
from quartz.site.jsonout import file_bytes
from quartz.site.stamp import inputs_stamp
from quartz.site.writer import Writer, fingerprint
from quartz.store.history.views import materialize as materialize_history


@dataclass(frozen=True)
class RenderReport:
    pages: int  # HTML pages
    api_files: int  # JSON documents under api/v1 (schemas not counted)
    written: int  # files whose bytes changed (or are new)
    unchanged: int  # files left as they were
    removed: int  # files an earlier render made that this one did not
    bytes: int  # size of everything produced
    status_documents: int = 0  # ROCm/Quartz status.json documents written beside the site
    carried: int = 0  # files carried over unbuilt: the inputs had not changed since the last render

    def markdown(self) -> str:
        return (f"| pages | API files | written | unchanged | removed | size |\n|---|---|---|---|---|---|\n"
                f"| {self.pages} | {self.api_files} | {self.written} | {self.unchanged} | {self.removed} "
                f"| {self.bytes / 1e6:.1f} MB |")


class _Site:
    """Output helpers shared by every page: assets, navigation, the writer."""

    def __init__(self, config, out_dir, now: dt.datetime):
        self.config, self.now = config, now
        self.env = make_env()
        self.writer = Writer(out_dir)
        self.pages = 0
        self.api_files = 0
        self.assets = self._write_assets()
        self.env_print = _environment_print(config, self.assets)

    def _write_assets(self) -> dict[str, str]:
        found = {}
        for name in ("site.css", "site.js"):
            data = (templates_dir() / "assets" / name).read_bytes()
            stem, ext = name.split(".")
            found[name] = f"assets/{stem}-{_fingerprint(data)}.{ext}"
            self.writer.write(found[name], data)
        plotly = _plotly_bytes()
        found["plotly"] = f"assets/plotly-{_fingerprint(plotly)}.min.js"
        self.writer.write(found["plotly"], plotly)
        return found

    def html(self, template: str, path: str, doc: dict, *, section: str, crumbs: list, title: str,
             api: str | None = None, charts: bool = False, twin: bytes | None = None, fixed_print: str = "",
             **extra) -> None:
        """Render a page, unless its JSON twin, its extras and the templates are all as last time (or its
        caller's `fixed_print` is)."""
        self.pages += 1
        print_ = fixed_print
        if twin is not None and not print_:
            print_ = fingerprint(self.env_print, template, path, twin, title, repr(crumbs), section, str(api),
                                 str(charts), json.dumps(extra, sort_keys=True, default=str))
            if self.writer.keep(path, print_):
                return
        root = paths.root_of(path)
        html = self.env.get_template(template).render(
            doc=doc, root=root, path=path, section=section, crumbs=crumbs, title=title, charts=charts,
            api=(root + api) if api else None, assets={k: root + v for k, v in self.assets.items()},
            site_title=self.config.settings.title, releases=list(self.config.releases),
            stale_after_s=3 * self.config.settings.schedule_interval_s, **extra)
        self.writer.write(path, html, print_)

    def json(self, path: str, doc: dict, print_: str = "") -> bytes:
        data = file_bytes(doc)
        self.writer.write(path, data, print_)
        self.api_files += 1
        return data


def _environment_print(config, assets: dict) -> str:
    """Everything besides a page's own document that shapes its HTML: templates, assets, config, version."""
    parts = [__version__, config.source, json.dumps(assets, sort_keys=True)]
    for path in sorted(templates_dir().rglob("*")):
        if path.is_file() and "assets" not in path.parts:
            parts += [path.name, path.read_text(encoding="utf-8")]
    return fingerprint(*parts)


def _fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def _plotly_bytes() -> bytes:
    return resources.files("plotly").joinpath("package_data", "plotly.min.js").read_bytes()


def render(config, store, out_dir: str | Path, now: dt.datetime) -> RenderReport:
    if now.tzinfo is None:
        raise ValueError("render needs an aware UTC datetime for now")
    site = _Site(config, out_dir, now)
    site.writer.stamp = inputs_stamp(store, site.env_print, now)
    light = site.writer.can_carry_over(site.writer.stamp)  # nothing changed: build only what shows the clock
    rocm = nightlies.prepare(site, config, store, now, light)  # ROCm nightlies per GPU family (a block on the grid)
    if not light:
        materialize_history(store)  # a full render reads the runs per project and page: copy them once
    pages = _what_exists(site, store, light)
    _contexts(config, store, pages, now)

    # Pages that show the clock (the freshness line, ages) are built by every render.
    _health_pages(site, pages.health_doc, pages.categories, rocm.block)
    _release_pages(site, config, pages.categories, pages.cascade_rows, pages.items, now)
    _api_index(site, config, pages.health_doc)
    if light:
        carried, status_documents = site.writer.carry_over(), 0
    else:
        carried, status_documents = 0, _full_pages(site, config, store, pages, rocm)
    counts = site.writer.finish()
    return RenderReport(pages=site.pages, api_files=site.api_files, written=counts.written,
                        unchanged=counts.unchanged, removed=counts.removed, bytes=counts.bytes,
                        status_documents=status_documents, carried=carried)


@dataclass
class _Pages:
    """What one render reads from the store and the contexts it builds from it, shared by its page writers."""

    light: bool
    cascade_rows: list[dict]
    chosen: set[str]
    stage_rows: dict
    events: dict
    attempts: dict
    triggers: dict
    linked: set[int]  # runs a cascade stage links to
    build_runs: list[dict]
    jobs: dict
    run_attempts: dict
    artifacts: dict
    paged_ids: set[int]  # the newest runs of each branch, with a build page
    kept: object  # keptbuilds' plan of the other runs that keep a page (None in a light render)
    sitemap: SiteMap
    details: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)
    item_list: list = field(default_factory=list)
    categories: list = field(default_factory=list)
    test_data: object = None
    lines: dict = field(default_factory=dict)
    failures_doc: dict = field(default_factory=dict)
    health_doc: dict = field(default_factory=dict)


def _what_exists(site: _Site, store, light: bool) -> _Pages:
    """The cascade runs and the runs that get a page, and the site map that links only to those."""
    cascade_rows = store.query("site/cascade_runs")
    chosen = cascades.chosen_ids(cascade_rows)
    stage_rows, events, attempts = cascades.load_details(store, sorted(chosen))
    trigger_ids = {r["trigger_run_id"] for r in cascade_rows if r["cascade_run_id"] in chosen and r["trigger_run_id"]}
    linked = {s["run_id"] for rows in stage_rows.values() for s in rows if s["run_id"] is not None}
    build_runs, jobs, run_attempts, artifacts, paged_ids = _paged_builds(site, store, light, trigger_ids | linked)
    kept = None if light else keptbuilds.plan(site.writer, store, paged_ids, site.env_print)
    sitemap = SiteMap(builds=paged_ids | (kept.ids if kept else set()), cascades=chosen)
    triggers = {r["run_id"]: r for r in store.query("site/trigger_runs", run_ids=sorted(trigger_ids))}
    return _Pages(light=light, cascade_rows=cascade_rows, chosen=chosen, stage_rows=stage_rows, events=events,
                  attempts=attempts, triggers=triggers, linked=linked, build_runs=build_runs, jobs=jobs,
                  run_attempts=run_attempts, artifacts=artifacts, paged_ids=paged_ids, kept=kept, sitemap=sitemap)


def _contexts(config, store, p: _Pages, now: dt.datetime) -> None:
    """Every page's document: cascades, the grid, tests, failure lines, and what each adds to the others."""
    for row in p.cascade_rows:
        if row["cascade_run_id"] in p.chosen:
            p.details[row["cascade_run_id"]] = cascades.detail_doc(
                config, row, p.stage_rows.get(row["cascade_run_id"], []), p.events.get(row["cascade_run_id"], []),
                p.attempts, p.triggers.get(row["trigger_run_id"]), p.sitemap, now)
    p.items = {row["cascade_run_id"]: cascades.list_item(row, p.stage_rows.get(row["cascade_run_id"]), p.sitemap)
               for row in p.cascade_rows}
    p.item_list = [p.items[r["cascade_run_id"]] for r in p.cascade_rows]
    p.categories = health.grid(config, health.load_cells(store, now), p.sitemap, now)
    if p.light:  # of the paged runs, the light pages need only the grid's (their flaky-only marks)
        grid_runs = {c.get("run_id") for _, c in health.all_cells(p.categories)}
        p.build_runs = builds.runs(store, grid_runs & p.sitemap.builds)
    p.test_data = testresults.load(store, p.build_runs, now)
    paged = set() if p.light else p.paged_ids  # build pages show their lines
    p.lines = failures.load(store, paged | p.linked | failures.cell_run_ids(p.categories))
    p.failures_doc = failures.groups_doc(store, now, p.sitemap)
    failures.link_groups(p.lines, p.failures_doc)
    failures.annotate_cells(p.categories, p.lines)
    failures.annotate_stages(p.details, p.lines)
    failures.annotate_items(p.items, p.details)
    sincegood.annotate(store, p.details, p.cascade_rows, p.sitemap)
    culprit.annotate(store, p.details, p.sitemap)
    testresults.mark_flaky_cells(health.all_cells(p.categories), p.test_data, p.build_runs)
    p.health_doc = health.health_doc(config, p.categories, p.item_list, store.query_one("site/cycle_latest"), now,
                                     renders=store.query("site/cycle_renders"))


def _full_pages(site: _Site, config, store, p: _Pages, rocm) -> int:
    """The pages a light render carries over: projects, builds, cascades, overviews. Returns the number of
    ROCm/Quartz status.json documents written."""
    now = site.now
    _project_pages(site, config, store, p.categories, p.sitemap, now,
                   _test_pages(site, config, store, p.test_data, p.sitemap))
    _build_pages(site, config, p.build_runs, p.jobs, p.run_attempts, p.artifacts, p.cascade_rows, p.stage_rows,
                 p.sitemap, now, p.lines, p.test_data)
    keptbuilds.write(site, config, store, p.kept, p.sitemap, now)
    _cascade_pages(site, config, p.item_list, p.cascade_rows, p.details, now)
    _overview_pages(site, config, store, p.cascade_rows, p.details, now, rocm.known_good)
    nightlies.publish(site, rocm)
    _failures_page(site, p.failures_doc)
    _notifications_page(site, config, store, now)
    schemas.publish(site.writer)
    # ROCm/Quartz's status.json documents (release-nightly/, prereleases/), for the consumers that poll them.
    return statusjson.write_all(store, config, site.writer, now, rocm.documents).documents


def _paged_builds(site: _Site, store, light: bool, extra_ids: set[int]):
    """The runs with a build page, their jobs, attempts, artifacts, and their ids. A light render has the last
    render's inputs, so its build pages are the last render's (from the manifest); it reads none of them here."""
    if light:
        return [], {}, {}, {}, builds.paged_ids(site.writer.previous_files())
    build_runs, jobs, run_attempts, artifacts = builds.load(store, sorted(extra_ids))
    return build_runs, jobs, run_attempts, artifacts, {r["run_id"] for r in build_runs}


def _health_pages(site: _Site, health_doc: dict, categories: list[dict], rocm_nightly: dict | None = None) -> None:
    twin = site.json(f"{paths.API}/health.json", health_doc)
    site.html("index.html", "index.html", health_doc, section="health", crumbs=[], title="Health",
              api=f"{paths.API}/health.json", twin=twin, rocm_nightly=rocm_nightly)
    for project, c in health.all_cells(categories):
        base = paths.badge_base(project["name"], c["branch"])
        if site.writer.has(base + ".json"):
            continue  # a branch shown in two columns (default and a release) has one badge
        site.writer.write(base + ".json", file_bytes(health.badge_json(project, c)))
        site.writer.write(base + ".svg", health.badge_svg(site.env, project, c))


def _test_pages(site: _Site, config, store, test_data, sitemap: SiteMap) -> dict:
    """The fleet's Tests page and flaky.json, each project's tests.json; returns the project docs."""
    tdoc = testresults.tests_doc(test_data, sitemap, site.now)
    site.json(paths.api_tests_flaky(), tdoc)
    site.html("tests.html", paths.TESTS_PAGE, tdoc, section="tests", crumbs=[("Health", "index.html")],
              title="Tests", api=paths.api_tests_flaky())
    found = {}
    for project in config.projects.values():
        found[project.name] = testresults.project_tests_doc(store, project, site.now)
        site.json(paths.api_project_tests(project.name), found[project.name])
    return found


def _project_pages(site: _Site, config, store, categories, sitemap: SiteMap, now, tests=None) -> None:
    hud_rows = projects.load_hud(store)
    trend_rows = projects.load_trends(store, now)
    recent = projects.load_recent(store)
    run_blocks = projects.load_run_blocks(store)
    site.json(f"{paths.API}/projects.json", projects.projects_doc(config, categories, now))
    by_project = {p["name"]: p for cat in categories for p in cat["projects"]}
    for project in config.projects.values():
        grid_row = by_project[project.name]
        cells = {c["branch"]: c for c in [grid_row["default"], *grid_row["other_branches"],
                                          *[x for x in grid_row["releases"].values() if x]]}
        for branch in project.branches:
            if branch not in cells:
                cells[branch] = health.cell(config, {}, sitemap, project, branch, now)
        pdoc = projects.project_doc(config, project, cells, hud_rows, trend_rows, recent.get(project.name, []),
                                    sitemap, now)
        site.json(paths.api_project(project.name), pdoc)
        page = projects.branch_page_doc(pdoc)
        twin = file_bytes(page)  # the page's branch is in its extras, which the page's print covers too
        for branch in pdoc["branches"]:
            site.html("project.html", branch["html"], page, section="projects", charts=True,
                      crumbs=[("Health", "index.html"), (project.display_name, paths.project_page(project.name))]
                      + ([(branch["branch"], None)] if not branch["default"] else []),
                      title=f"{project.display_name} · {branch['branch']}", branch=branch,
                      api=paths.api_project(project.name), twin=twin, tests=(tests or {}).get(project.name))
        projects.write_builds_pages(site, store, project, run_blocks.get(project.name, []), sitemap, now)


def _build_pages(site, config, build_runs, jobs, run_attempts, artifacts, cascade_rows, stage_rows, sitemap,
                 now, lines, test_data=None) -> None:
    memberships = defaultdict(list)
    by_id = {r["cascade_run_id"]: r for r in cascade_rows}
    for cid, rows in stage_rows.items():
        for s in rows:
            if s["run_id"] is not None:
                c = by_id[cid]
                memberships[s["run_id"]].append({"cascade_run_id": cid, "cascade": c["cascade"],
                                                 "role": f"stage {s['stage']}", "status": s["status"],
                                                 "updated_at": s["updated_at"]})
    for c in cascade_rows:
        if c["cascade_run_id"] in sitemap.cascades and c["trigger_run_id"] is not None:
            memberships[c["trigger_run_id"]].append({"cascade_run_id": c["cascade_run_id"], "cascade": c["cascade"],
                                                     "role": "trigger", "status": c["status"],
                                                     "updated_at": c["updated_at"]})
    for run in build_runs:
        rid = run["run_id"]
        bdoc = builds.build_doc(config, run, jobs.get(rid, []), run_attempts.get(rid, []), artifacts.get(rid, []),
                                memberships.get(rid, []), sitemap, now, failure_rows=lines.get(rid, []),
                                tests=testresults.build_tests(test_data, run) if test_data else None)
        name = bdoc["project"]["display_name"]
        twin = site.json(paths.api_build(rid), bdoc)
        site.html("build.html", paths.build_page(rid), bdoc, section="projects",
                  crumbs=[("Health", "index.html"), (name, bdoc["project"]["html"]), (f"run {rid}", None)],
                  title=f"Build {rid} · {name}", api=paths.api_build(rid), twin=twin)


def _cascade_pages(site, config, item_list, cascade_rows, details, now) -> None:
    list_docs = cascades.list_docs(item_list, cascade_rows, now)
    for path, ldoc in list_docs:
        site.json(path, ldoc)
    head = list_docs[0][1]
    definitions = [{"name": c.name, "description": c.description,
                    "trigger": f"{c.trigger.project} · {c.trigger.workflow}" if c.trigger else
                    c.nightly_trigger.describe() if c.nightly_trigger else "started by hand",
                    "stages": list(c.stages)} for c in config.cascades.values()]
    site.html("cascades.html", "cascades.html", head, section="cascades", crumbs=[("Health", "index.html")],
              title="Cascades", api=paths.api_cascades(), definitions=definitions)
    for cid, ddoc in details.items():
        twin = site.json(paths.api_cascade(cid), ddoc)
        site.html("cascade.html", paths.cascade_page(cid), ddoc, section="cascades", charts=False,
                  crumbs=[("Health", "index.html"), ("Cascades", "cascades.html"), (cid, None)],
                  title=f"Cascade {cid}", api=paths.api_cascade(cid), twin=twin)


def _release_pages(site, config, categories, cascade_rows, items, now) -> None:
    for release in config.releases:
        rdoc = overview.release_doc(config, release, categories, cascade_rows, items, now)
        site.json(paths.api_release(release), rdoc)
        site.html("release.html", paths.release_page(release), rdoc, section="releases",
                  crumbs=[("Health", "index.html"), (f"Release {release}", None)],
                  title=f"Release {release}", api=paths.api_release(release))


def _overview_pages(site, config, store, cascade_rows, details, now, families=()) -> None:
    kdoc = overview.known_good_doc(config, [r for r in cascade_rows], details, now, families)
    site.json(f"{paths.API}/known-good.json", kdoc)
    site.html("known_good.html", "known-good.html", kdoc, section="known-good", crumbs=[("Health", "index.html")],
              title="Known good", api=f"{paths.API}/known-good.json")
    tdoc = overview.trends_doc(config, store, projects.load_trends(store, now), details, now)
    site.json(f"{paths.API}/trends.json", tdoc)
    site.html("trends.html", "trends.html", tdoc, section="trends", crumbs=[("Health", "index.html")],
              title="Trends", charts=True, api=f"{paths.API}/trends.json")


def _failures_page(site: _Site, fdoc: dict) -> None:
    twin = site.json(f"{paths.API}/failures.json", fdoc)
    site.html("failures.html", "failures.html", fdoc, section="failures", crumbs=[("Health", "index.html")],
              title="Failures", api=f"{paths.API}/failures.json", twin=twin)


def _notifications_page(site, config, store, now) -> None:
    ndoc = notifications.notifications_doc(config, store, now)
    twin = site.json(paths.api_notifications(), ndoc)
    site.html("notifications.html", paths.NOTIFICATIONS_PAGE, ndoc, section="notifications",
              crumbs=[("Health", "index.html")], title="Notifications", api=paths.api_notifications(), twin=twin)


def _api_index(site: _Site, config, health_doc: dict) -> None:
    endpoints = [
        ("health", "health.json", "the health grid: every project × branch and release, freshness"),
        ("projects", "projects.json", "every project with its branches' states"),
        ("project", "projects/{project}.json", "one project: commit × job grid, trends, recent builds per branch"),
        ("builds", "projects/{project}/builds.json",
         "a project's runs, newest first; 'next' names the next older page (builds-N.json)"),
        ("build", "builds/{run_id}.json", "one run: attempts, jobs, artifacts, cascades it belongs to"),
        ("cascades", "cascades.json", "cascade runs, newest first; 'next' names the next older page"),
        ("cascade", "cascades/{cascade_id}.json", "one cascade run: stages with status, reason, attempts, runs"),
        ("release", "releases/{release}/status.json", "one release's status across its projects and cascades"),
        ("known_good", "known-good.json", "per cascade, the newest fully passing run and its versions"),
        ("failures", "failures.json", "today's failure lines grouped by key across the fleet, newest first"),
        ("notifications", "notifications.json",
         "messages sent to Slack, GitHub issues and e-mail: sent, unknown or failed"),
        ("nightlies", "nightlies.json", "ROCm nightlies and prereleases, newest first, and the health grid's block"),
        ("nightly", "nightlies/{release_type}/{key}.json",
         "one nightly (key: build date) or prerelease (key: version): a cell per platform, family, pipeline, phase"),
        ("family", "families/{family}.json", "one GPU family over the last 30 nightlies: streaks, known good"),
        ("tests", "tests/flaky.json", "flaky tests across the fleet (score, evidence, runs) and the newest failures"),
        ("project_tests", "projects/{project}/tests.json", "a project's most-failing tests in the last 30 days"),
    ]
    index = doc(
        "index", dt.datetime.fromisoformat(health_doc["freshness"]["as_of"]), site.now,
        title=config.settings.title,
        note="Paths are relative to this file's directory (api/v1/); 'html' fields are relative to the site root.",
        endpoints=[{"name": n, "path": p, "schema": api_rel(paths.schema_path(n)), "description": d}
                   for n, p, d in endpoints],
        projects=[{"name": p, "api": api_rel(paths.api_project(p)), "builds": api_rel(paths.api_project_builds(p)),
                   "tests": api_rel(paths.api_project_tests(p))} for p in config.projects],
        releases=[{"name": r, "api": api_rel(paths.api_release(r))} for r in config.releases],
    )
    site.json(f"{paths.API}/index.json", index)


__all__ = ["RenderReport", "render", "iso"]


def main(args) -> int:
    from quartz import config as config_mod
    from quartz.store import reader

    config = config_mod.load(args.config)
    with reader.read_only(args.store) as store:  # an s3:// store is pulled to a temporary file, never pushed
        report = render(config, store, args.out, dt.datetime.now(dt.UTC))
    print(f"rendered {report.pages} pages and {report.api_files} API files into {args.out}: "
          f"{report.written} written, {report.unchanged} unchanged, {report.removed} removed "
          f"({report.bytes / 1e6:.1f} MB)", file=sys.stdout)
    return 0
