"""Project pages: the commit × job grid per branch, trends and recent builds, plus builds.json pages."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict

from quartz.site import familycols, paths, status
from quartz.site.builds import run_summary
from quartz.site.common import SCHEMA_VERSION, SiteMap, api_rel, cap, doc, first_line, iso, newest, short_sha
from quartz.site.writer import fingerprint

HUD_COMMITS = 50
HUD_MAX_COLUMNS = 80
RECENT_BUILDS = 25
TREND_DAYS = 30
BUILDS_BLOCK = 100


def load_hud(store) -> dict:
    grouped: dict = defaultdict(list)
    for row in store.query("site/hud_cells", commits=HUD_COMMITS):
        grouped[(row["project"], row["branch"])].append(row)
    return grouped


def load_trends(store, now: dt.datetime) -> dict:
    grouped: dict = defaultdict(list)
    for row in store.query("site/trend_daily", since=_day(now) - dt.timedelta(days=TREND_DAYS - 1)):
        grouped[(row["project"], row["branch"])].append(row)
    return grouped


def _day(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def days(now: dt.datetime) -> list[dt.datetime]:
    start = _day(now) - dt.timedelta(days=TREND_DAYS - 1)
    return [start + dt.timedelta(days=i) for i in range(TREND_DAYS)]


def hud(rows: list[dict], project, sitemap: SiteMap) -> dict:
    """Commits (newest first) × job columns; each cell the job's state in the newest run that has it."""
    multi = len(project.workflows) > 1
    commits: dict[str, dict] = {}
    columns: dict[tuple, None] = {}
    cells: dict[tuple, dict] = {}
    # One row per job (tens of thousands a render): what belongs to the commit or the run is made once.
    for r in rows:  # commit by commit, runs oldest first: later runs overwrite earlier ones
        sha = r["head_sha"] or ""  # GitHub always names one; a report or an old row may not
        c = commits.get(sha)
        if c is None:
            c = commits[sha] = {"sha": sha, "short": short_sha(sha) or "–",
                                "message": first_line(r["head_commit_message"]),
                                "seen_at": r["commit_seen"], "runs": {}}  # ISO text already
        run = c["runs"].get(r["run_id"])
        if run is None:
            run = c["runs"][r["run_id"]] = {
                "run_id": r["run_id"], "workflow": r["workflow_path"],
                "state": status.run_state(r["run_status"], r["run_conclusion"]),
                "html": sitemap.build_html(r["run_id"]), "html_url": r["run_url"]}
        if r["job_name"] is None:
            continue
        key = ((r["workflow_path"] or "") if multi else "", cap(r["job_name"], 120))
        columns.setdefault(key)
        cells[(sha, key)] = {
            "state": status.run_state(r["job_status"], r["job_conclusion"]),
            "duration_s": int(r["job_seconds"]) if r["job_seconds"] is not None else None,
            "run_id": r["run_id"], "html": run["html"], "html_url": r["job_url"]}
    keys = sorted(columns)[:HUD_MAX_COLUMNS]
    out = []
    for c in commits.values():
        runs = list(c["runs"].values())
        out.append({**c, "runs": runs, "state": status.worst(x["state"] for x in runs),
                    "cells": [cells.get((c["sha"], k)) for k in keys]})
    groups: list[dict] = []
    for workflow, _ in keys:
        if groups and groups[-1]["workflow"] == (workflow or None):
            groups[-1]["span"] += 1
        else:
            groups.append({"workflow": workflow or None, "span": 1})
    return {"columns": [{"workflow": w or None, "name": n} for w, n in keys], "groups": groups if multi else [],
            "commits": out, "columns_cut": max(0, len(columns) - len(keys))}


def trend(rows: list[dict], now: dt.datetime) -> dict:
    by_day = {iso(r["day"])[:10]: r for r in rows}
    labels = [iso(d)[:10] for d in days(now)]
    rate, secs, count = [], [], []
    for label in labels:
        r = by_day.get(label)
        count.append(r["runs"] if r else 0)
        rate.append(round(100 * r["passed"] / r["runs"], 1) if r and r["runs"] else None)
        secs.append(int(r["median_seconds"]) if r and r["median_seconds"] is not None else None)
    return {"days": labels, "runs": count, "success_rate": rate, "median_seconds": secs}


def load_recent(store) -> dict:
    grouped: dict = defaultdict(list)
    for row in store.query("site/recent_runs", per_branch=RECENT_BUILDS):
        grouped[row["project"]].append(row)
    return grouped


def project_doc(config, project, cells_by_branch: dict, hud_rows: dict, trend_rows: dict,
                recent_rows: list[dict], sitemap: SiteMap, now: dt.datetime) -> dict:
    branches = []
    for branch in project.branches:
        recent = [run_summary(r, sitemap) for r in recent_rows if r["head_branch"] == branch]
        c = cells_by_branch[branch]
        branches.append({
            "branch": branch,
            "slug": paths.slug(branch),
            "default": branch == project.default_branch,
            "html": paths.project_page(project.name, None if branch == project.default_branch else branch),
            "state": c["state"],
            "running": c["running"],
            "badge_svg": paths.badge_base(project.name, branch) + ".svg",
            "badge_json": paths.badge_base(project.name, branch) + ".json",
            "hud": (grid := hud(hud_rows.get((project.name, branch), []), project, sitemap)),
            "families": familycols.family_grid(grid, project, config.families),
            "trend": trend(trend_rows.get((project.name, branch), []), now),
            "recent_builds": recent,
        })
    stamp = newest(*(r["updated_at"] for r in recent_rows))
    releases = {name: m[project.name] for name, m in config.releases.items() if project.name in m}
    return doc(
        "project", stamp, now,
        project={"name": project.name, "display_name": project.display_name, "repo": project.repo,
                 "category": project.category, "workflows": list(project.workflows),
                 "default_branch": project.default_branch, "releases": releases,
                 "github_url": f"https://github.com/{project.repo}/actions"},
        builds_api=api_rel(paths.api_project_builds(project.name)),
        branches=branches,
    )


def branch_page_doc(pdoc: dict) -> dict:
    """What a branch page shows of its project besides its own branch (given to the page apart): the
    project and one tab per branch. Built from this slice, a branch page is rebuilt when its tabs or its
    branch changed, not on every run of another branch."""
    tabs = [{"branch": b["branch"], "html": b["html"], "state": b["state"]} for b in pdoc["branches"]]
    return {**{k: v for k, v in pdoc.items() if k not in ("branches", "generated_at")}, "branches": tabs}


def load_run_blocks(store) -> dict[str, list[dict]]:
    """project → its blocks of BUILDS_BLOCK runs (oldest first) with their fingerprints."""
    grouped: dict = defaultdict(list)
    for row in store.query("site/run_blocks", block_size=BUILDS_BLOCK):
        grouped[row["project"]].append(row)
    return grouped


def write_builds_pages(site, store, project, blocks: list[dict], sitemap: SiteMap, now: dt.datetime) -> None:
    """builds.json (newest) and its fixed older blocks builds-1.json (oldest) … builds-N.json.

    A block is BUILDS_BLOCK runs counted from the oldest run id, so a full block never changes when new
    runs arrive; builds.json holds the newest full block and the partial one after it. An archived block
    is rebuilt only when the fingerprint of its rows (or of which of its runs have pages) changed.
    """
    total = sum(b["runs"] for b in blocks)
    full = total // BUILDS_BLOCK
    archived = blocks[: full - 1] if full > 1 else []
    linked = sorted(sitemap.builds)
    base = paths.api_project_builds(project.name)[: -len(".json")]
    for number, block in enumerate(archived, start=1):
        path = f"{base}-{number}.json"
        pages = linked[bisect.bisect_left(linked, block["first_run"]): bisect.bisect_right(linked, block["last_run"])]
        print_ = fingerprint("builds-block", str(number), block["fingerprint"], str(block["runs"]), str(pages),
                             str(SCHEMA_VERSION))
        if site.writer.keep(path, print_):
            site.api_files += 1
            continue
        rows = store.query("site/project_runs", project=project.name, first_run=block["first_run"],
                           last_run=block["last_run"])
        site.json(path, doc("builds", block["newest_update"], now, project=project.name, block=number,
                            items=[run_summary(r, sitemap) for r in rows],
                            next=f"builds-{number - 1}.json" if number > 1 else None), print_=print_)
    head = blocks[len(archived):]
    rows = store.query("site/project_runs", project=project.name, first_run=head[0]["first_run"],
                       last_run=head[-1]["last_run"]) if head else []
    site.json(f"{base}.json", doc(
        "builds", newest(*(b["newest_update"] for b in head)), now,
        project=project.name, block=None, total=total, items=[run_summary(r, sitemap) for r in rows],
        next=f"builds-{len(archived)}.json" if archived else None))


def projects_doc(config, grid_categories: list[dict], now: dt.datetime) -> dict:
    items = []
    for category in grid_categories:
        for p in category["projects"]:
            cells = [p["default"], *[c for c in p["releases"].values() if c], *p["other_branches"]]
            seen, branches = set(), []
            for c in cells:
                if c["branch"] not in seen:
                    seen.add(c["branch"])
                    branches.append({"branch": c["branch"], "slug": c["slug"], "state": c["state"],
                                     "running": c["running"], "run_id": c["run_id"], "finished_at": c["finished_at"],
                                     "html": c["project_html"]})
            items.append({"name": p["name"], "display_name": p["display_name"], "repo": p["repo"],
                          "category": category["name"], "html": p["html"], "api": p["api"],
                          "builds_api": api_rel(paths.api_project_builds(p["name"])), "branches": branches})
    stamp = newest(*(c["_time"] for cat in grid_categories for p in cat["projects"]
                     for c in [p["default"], *p["other_branches"], *[x for x in p["releases"].values() if x]]))
    return doc("projects", stamp, now, projects=items)
