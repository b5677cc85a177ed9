"""The health grid (index.html, api/v1/health.json) and the per-branch badges."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from quartz.site import paths, status
from quartz.site.common import SiteMap, doc, iso, newest, seconds_between

CATEGORY_LABELS = {
    "core": "Core",
    "1p_downstream": "First-party downstream",
    "3p_downstream": "Third-party downstream",
}
STALE_IN_FLIGHT = dt.timedelta(days=2)  # an in-flight run older than this is one sync lost, not one running


def load_cells(store, now: dt.datetime) -> dict:
    """(project, branch) → rows of site_health_cells, one per workflow."""
    cells: dict = defaultdict(list)
    for row in store.query("site/health_cells", stale_before=now - STALE_IN_FLIGHT):
        cells[(row["project"], row["branch"])].append(row)
    return cells


def cell(config, cells: dict, sitemap: SiteMap, project, branch: str, now: dt.datetime) -> dict:
    """One grid cell: the combined state of the newest completed run of each workflow on a branch."""
    rows = [r for r in cells.get((project.name, branch), [])
            if r["workflow_path"] is None or r["workflow_path"] in project.workflows]
    workflows = []
    for r in sorted(rows, key=lambda r: r["workflow_path"] or ""):
        key = status.run_state("completed", r["conclusion"]) if r["run_id"] is not None else "none"
        workflows.append({"workflow": r["workflow_path"], "state": key, "run_id": r["run_id"],
                          "finished_at": iso(r["finished_at"]), "running_run_id": r["running_run_id"]})
    completed = [r for r in rows if r["run_id"] is not None]
    state = status.worst(w["state"] for w in workflows if w["run_id"] is not None) if completed else "none"
    # Link to the run that decides the colour: the worst one, newest among equals.
    lead = max(completed, key=lambda r: (status.state(status.run_state("completed", r["conclusion"])).severity,
                                         r["finished_at"]), default=None)
    running = [r for r in rows if r["running_run_id"] is not None]
    finished_at = newest(*(r["finished_at"] for r in completed))
    run_id = lead["run_id"] if lead else None
    running_id = max((r["running_run_id"] for r in running), default=None)
    return {
        "branch": branch,
        "slug": paths.slug(branch),
        "state": state,
        "running": bool(running),
        "running_run_id": running_id,
        "run_id": run_id,
        "head_sha": lead["head_sha"] if lead else None,
        "finished_at": iso(finished_at),
        "age_s": seconds_between(finished_at, now),
        "html": sitemap.build_html(run_id),
        "github_url": lead["html_url"] if lead else None,
        "running_html": sitemap.build_html(running_id),
        "running_github_url": max(running, key=lambda r: r["running_run_id"])["running_html_url"] if running else None,
        "workflows": workflows,
        "badge": paths.badge_base(project.name, branch) + ".svg",
        "project_html": paths.project_page(project.name, None if branch == project.default_branch else branch),
        "_time": finished_at,
    }


def grid(config, cells: dict, sitemap: SiteMap, now: dt.datetime) -> list[dict]:
    """Projects grouped by category, each with its default branch, release branches and the rest."""
    releases = list(config.releases)
    groups: dict[str, list] = defaultdict(list)
    for project in config.projects.values():
        release_branches = {r: config.releases[r].get(project.name) for r in releases}
        default = cell(config, cells, sitemap, project, project.default_branch, now)
        by_release = {r: (cell(config, cells, sitemap, project, b, now) if b else None)
                      for r, b in release_branches.items()}
        named = {project.default_branch, *(b for b in release_branches.values() if b)}
        others = [cell(config, cells, sitemap, project, b, now) for b in project.branches if b not in named]
        groups[project.category].append({
            "name": project.name,
            "display_name": project.display_name,
            "repo": project.repo,
            "html": paths.project_page(project.name),
            "api": paths.api_project(project.name)[len(paths.API) + 1:],
            "default": default,
            "releases": by_release,
            "other_branches": others,
        })
    order = [c for c in CATEGORY_LABELS if c in groups] + sorted(set(groups) - set(CATEGORY_LABELS))
    return [{"name": c, "label": CATEGORY_LABELS.get(c, c), "projects": groups[c]} for c in order]


def all_cells(categories: list[dict]):
    for category in categories:
        for project in category["projects"]:
            yield project, project["default"]
            for c in project["releases"].values():
                if c:
                    yield project, c
            for c in project["other_branches"]:
                yield project, c


def freshness(config, cycle: dict | None, now: dt.datetime, renders: list[dict] = ()) -> dict:
    as_of = cycle["finished_at"] if cycle else now
    age = seconds_between(as_of, now) or 0
    stale_after = 3 * config.settings.schedule_interval_s
    return {
        "as_of": iso(as_of),
        "source": "cycle" if cycle else "render",
        "age_s": age,
        "stale_after_s": stale_after,
        "stale": age > stale_after,
        "cycle_status": cycle["status"] if cycle else None,
        "render_failures": render_failures(renders),
    }


def render_failures(renders: list[dict]) -> dict | None:
    """The renders that failed just before this one (newest first), or None when the last one did not.

    A cycle renders after it pushes, so this render's own cycle (the newest row, not marked) is skipped.
    """
    rows = list(renders)
    if rows and rows[0]["render_status"] != "failed":
        rows = rows[1:]
    failed = []
    for row in rows:
        if row["render_status"] != "failed":
            break
        failed.append(row)
    if not failed:
        return None
    good = rows[len(failed)]["finished_at"] if len(rows) > len(failed) else None
    return {"count": len(failed), "newest_at": iso(failed[0]["finished_at"]),
            "newest_error": failed[0]["render_error"], "last_good_data_at": iso(good) if good else None}


def attention(cascade_items: list[dict]) -> list[dict]:
    """Running cascade runs, then each cascade whose newest finished run did not fully pass."""
    running = [c for c in cascade_items if c["status"] == "running"]
    latest_finished: dict[str, dict] = {}
    for item in cascade_items:  # newest first
        if item["status"] != "running" and item["cascade"] not in latest_finished:
            latest_finished[item["cascade"]] = item
    failing = [c for c in latest_finished.values() if c["status"] in ("failure", "partial_failure", "cancelled")]
    return running + failing


def health_doc(config, categories, cascade_items, cycle, now, renders: list[dict] = ()) -> dict:
    counts: dict[str, int] = defaultdict(int)
    for _, c in all_cells(categories):
        counts[c["state"]] += 1
        if c["running"]:
            counts["running"] += 1
    return doc(
        "health", now, now,
        title=config.settings.title,
        freshness=freshness(config, cycle, now, renders),
        summary=dict(sorted(counts.items())),
        releases=[{"name": r, "html": paths.release_page(r), "api": paths.api_release(r)[len(paths.API) + 1:]}
                  for r in config.releases],
        cascades_attention=attention(cascade_items),
        categories=_public(categories),
    )


def _public(value):
    """Drop the private '_' keys the builders keep for themselves."""
    if isinstance(value, dict):
        return {k: _public(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [_public(v) for v in value]
    return value


public = _public


# ---------------------------------------------------------------- badges

_BADGE_COLOURS = {"success": "#2ea44f", "failure": "#cf222e", "timed_out": "#cf222e", "cancelled": "#6e7781",
                  "running": "#bf8700", "partial_failure": "#bf8700"}


def badge_json(project, c: dict) -> dict:
    s = status.state(c["state"])
    return {"schemaVersion": 1, "label": f"{project['name']} {c['branch']}"[:80], "message": s.word,
            "color": _BADGE_COLOURS.get(c["state"], "#8c959f")}


def badge_svg(env, project, c: dict) -> str:
    data = badge_json(project, c)
    label_w = 6 * len(data["label"]) + 12
    message_w = 6 * len(data["message"]) + 12
    return env.get_template("badge.svg").render(badge=data, label_w=label_w, message_w=message_w)
