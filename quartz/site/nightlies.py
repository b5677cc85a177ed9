"""The ROCm nightly pages: a grid per nightly and prerelease, a list, a page per GPU family, the health block.

Everything is read through the status.json documents (quartz.rocm.statusjson), turned into cells by
quartz.rocm.nightly; the streaks of a nightly's cells count back over the 30 nightlies up to it.

    state = prepare(site, config, store, now, light)   # every render: the health grid's "ROCm nightly" block
    publish(site, state)                               # a full render: the pages and their JSON

A light render (nothing changed since the last one) needs only the block; it reads it back from the list file
the last render wrote (same inputs, same bytes), or, when that file is not on disk (a cycle's site holds only
the manifest), builds the documents of the last BLOCK_DAYS days only. The block shows the newest nightly of
those days in every render, so both ways give it the same. A full render builds every document once: the
status.json files are written from the same ones (statusjson.write_all's `documents`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from quartz.rocm import nightly, statusjson
from quartz.site import paths
from quartz.site.common import api_rel, doc
from quartz.site.status import worst

WINDOW = 30  # nightlies of history behind every streak
API_LIST = f"{paths.API}/nightlies.json"
LIST_PAGE = "nightlies.html"
BLOCK_PIPELINES = ("rocm", "pytorch", "jax")
BLOCK_DAYS = 8  # the health grid's block shows the newest nightly reported in these days


def page(release_type: str, key: str) -> str:
    return f"nightlies/{paths.slug(release_type)}/{paths.slug(key)}.html"


def api_nightly(release_type: str, key: str) -> str:
    return f"{paths.API}/nightlies/{paths.slug(release_type)}/{paths.slug(key)}.json"


def family_page(family: str) -> str:
    return f"families/{paths.slug(family)}.html"


def api_family(family: str) -> str:
    return f"{paths.API}/families/{paths.slug(family)}.json"


@dataclass
class Night:
    release_type: str
    key: str
    doc: dict
    cells: list[dict]
    history: dict = field(default_factory=dict)  # cell key -> streak, last green, flips


@dataclass
class State:
    nights: list[Night]  # nightlies oldest first, then prereleases oldest first
    block: dict  # the health grid's "ROCm nightly" block
    known_good: list[dict]
    now: dt.datetime
    documents: list | None = None  # statusjson.all_documents' answer, when this render built it


def load_documents(store, config) -> list[tuple[str, str, dict]]:
    """Every release document the store makes, as (release type, key, doc)."""
    return statusjson.all_documents(store, config)


def _order(item) -> tuple:
    kind, key = item[0], item[1]
    return (kind != "nightly", statusjson._prerelease_order(key) if kind == "prerelease" else (), key)


def build_state(documents, config, now: dt.datetime) -> State:
    repo = next(iter(statusjson.status_repos(config)), "ROCm/rockrel")
    repo = _display_repo(config, repo)
    coverage = getattr(config, "families", None)
    cover = coverage.coverage if coverage is not None and hasattr(coverage, "coverage") else None
    nights = [Night(kind, key, d, nightly.nightly_cells(d, now=now, run_timeout_s=config.settings.run_timeout_s,
                                                         repo=repo, coverage=cover))
              for kind, key, d in sorted(documents, key=_order)]
    for kind in ("nightly", "prerelease"):
        series = [n for n in nights if n.release_type == kind]
        for i, night in enumerate(series):
            window = series[max(0, i - WINDOW + 1): i + 1]
            night.history = nightly.history(kind, [(n.key, n.cells) for n in window])
    newest = [n for n in nights if n.release_type == "nightly"][-WINDOW:]
    good = nightly.known_good("nightly", [(n.key, n.doc, n.cells) for n in newest])
    return State(nights, _block(nights, now), _known_good_rows(good), now, list(documents))


def _display_repo(config, repo: str) -> str:
    project = config.project_for_repo(repo)
    return project.repo if project is not None else repo


def prepare(site, config, store, now: dt.datetime, light: bool) -> State:
    if not light:
        return build_state(load_documents(store, config), config, now)
    block = _previous_block(site)
    if block is None:
        recent = statusjson.all_documents(store, config, since=now - dt.timedelta(days=BLOCK_DAYS + 1))
        block = build_state(recent, config, now).block
    return State([], block, [], now)


def _previous_block(site) -> dict | None:
    try:
        data = json.loads((site.writer.out / API_LIST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    block = data.get("health_block") if isinstance(data, dict) else None
    return block if isinstance(block, dict) else None


# ---------------------------------------------------------------- documents


def _streak(night: Night, cell: dict) -> dict:
    entry = night.history.get(nightly.cell_key(cell))
    if entry is None:
        return {"streak": {"status": cell["status"], "since": nightly.label_of(night.release_type, night.key),
                           "nightlies": 1}, "last_green": None, "flips": 0}
    return {k: entry[k] for k in ("streak", "last_green", "flips")}


def _summary_line(night: Night) -> dict:
    counts: dict[str, int] = {}
    for cell in night.cells:
        counts[cell["status"]] = counts.get(cell["status"], 0) + 1
    d = night.doc
    return {"release_type": night.release_type, "key": night.key,
            "label": nightly.label_of(night.release_type, night.key),
            "rocm_version": d.get("rocm_version"), "overall_status": _overall(night),
            "created_at": d.get("created_at"), "completed_at": d.get("completed_at"),
            "run_id": d.get("trigger_workflow_run_id"),
            "html": page(night.release_type, night.key), "api": api_rel(api_nightly(night.release_type, night.key)),
            "counts": counts}


def _overall(night: Night) -> str:
    status = (night.doc.get("summary") or {}).get("overall_status", "in_progress")
    if status == "in_progress" and any(c["status"] == nightly.TIMED_OUT for c in night.cells):
        return nightly.TIMED_OUT
    return status


def _stamp(night: Night) -> dt.datetime | None:
    value = night.doc.get("status_json_last_updated") or night.doc.get("created_at")
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def nightly_doc(night: Night, now: dt.datetime) -> dict:
    # A platform-wide leaf's variants are the same for every family: listed once per platform, not per cell.
    cells = [{**c, **_streak(night, c), "family_html": family_page(c["family"]),
              "variants": c["variants"] if c["scope"] == "family" else []} for c in night.cells]
    platforms = []
    for platform in nightly.platforms_of(night.doc, nightly.leaves(night.doc)):
        own = [c for c in cells if c["platform"] == platform]
        shared = {c["column"]: c["variants"] for c in night.cells
                  if c["platform"] == platform and c["scope"] == "platform" and c["variants"]}
        columns = list(dict.fromkeys((c["pipeline"], c["phase"], c["column"]) for c in own))
        families = list(dict.fromkeys((c["family"], c["known"] or c["pipeline"] not in nightly.KNOWN_PIPELINES)
                                      for c in own))
        platforms.append({"platform": platform, "urls": nightly.urls_of(night.doc, platform),
                          "platform_variants": [{"column": k, "variants": v} for k, v in shared.items()],
                          "columns": [{"pipeline": p, "phase": ph, "label": label,
                                       "families": _tally(c["status"] for c in own if c["column"] == label)}
                                      for p, ph, label in columns],
                          "families": [{"family": f, "known": k, "html": family_page(f)} for f, k in families]})
    return doc("nightly", _stamp(night), now, **_summary_line(night), build_date=night.doc.get("build_date"),
               run_url=nightly.run_url(_repo_of(cells), night.doc.get("trigger_workflow_run_id"),
                                       night.doc.get("trigger_run_attempt")),
               last_report_at=night.doc.get("status_json_last_updated"), platforms=platforms, cells=cells)


def _tally(statuses) -> dict[str, int]:
    """How many families a column has in each status: the one-glance line under a platform's grid."""
    out: dict[str, int] = {}
    for status in statuses:
        out[status] = out.get(status, 0) + 1
    return dict(sorted(out.items()))


def _repo_of(cells: list[dict]) -> str:
    url = next((c["run_url"] for c in cells if c["run_url"]), "")
    parts = url.split("/")
    return "/".join(parts[3:5]) if len(parts) > 5 else "ROCm/rockrel"


def list_doc(state: State, now: dt.datetime) -> dict:
    lines = [_summary_line(n) for n in reversed(state.nights)]  # newest first
    stamp = max((s for s in map(_stamp, state.nights) if s), default=None)
    return doc("nightlies", stamp, now, nightlies=lines, health_block=state.block)


def family_doc(family: str, state: State, now: dt.datetime) -> dict:
    """One GPU family across the last 30 nightlies: per (platform, pipeline.phase) its streak and statuses."""
    series = [n for n in state.nights if n.release_type == "nightly"][-WINDOW:]
    newest = series[-1] if series else None
    rows = {}
    for night in series:
        for cell in night.cells:
            if cell["family"] != family:
                continue
            row = rows.setdefault((cell["platform"], cell["pipeline"], cell["phase"]), {
                "platform": cell["platform"], "pipeline": cell["pipeline"], "phase": cell["phase"],
                "column": cell["column"], "nights": []})
            row["nights"].append({"key": night.key, "label": nightly.label_of("nightly", night.key),
                                  "status": cell["status"], "html": page("nightly", night.key),
                                  "run_url": cell["run_url"]})
    good = {(g["platform"], g["pipeline"], g["phase"]): g for g in state.known_good if g["family"] == family}
    for (platform, pipeline, phase), row in rows.items():
        entry = newest.history.get((platform, family, pipeline, phase)) if newest else None
        row.update(entry and {k: entry[k] for k in ("streak", "last_green", "flips")}
                   or {"streak": None, "last_green": None, "flips": 0})
        row["streak_text"] = nightly.streak_text(entry) if entry else "not in the newest nightly"
        row["known_good"] = good.get((platform, pipeline, phase))
    stamp = _stamp(newest) if newest else None
    return doc("family", stamp, now, family=family, nightlies=len(series), rows=list(rows.values()))


def _block(nights: list[Night], now: dt.datetime) -> dict:
    """Per family in the newest nightly: rocm / pytorch / jax each as what a user of that family gets -- its own
    test results (over its platforms) -- not a worst-of with the platform-wide builds, which is always red."""
    oldest = (now - dt.timedelta(days=BLOCK_DAYS)).strftime("%Y%m%d")
    newest = next((n for n in reversed(nights) if n.release_type == "nightly"), None)
    if newest is None or newest.key < oldest:
        return {"nightly": None, "families": []}
    families: dict[str, dict[str, list[str]]] = {}
    for cell in newest.cells:
        parts = families.setdefault(cell["family"], {})
        if cell["pipeline"] in BLOCK_PIPELINES and cell["phase"] == "test":
            parts.setdefault(cell["pipeline"], []).append(_block_word(cell["status"]))
    rows = [{"family": f, "html": family_page(f),
             "parts": [{"pipeline": p, "status": worst(parts[p])} for p in BLOCK_PIPELINES if p in parts]}
            for f, parts in families.items()]
    return {"nightly": _summary_line(newest), "families": rows}


def _block_word(status: str) -> str:
    return {"in_progress": "running"}.get(status, status)


def _known_good_rows(good: dict) -> list[dict]:
    rows = []
    for (platform, family, pipeline, phase), entry in sorted(good.items()):
        rows.append({"platform": platform, "family": family, "pipeline": pipeline, "phase": phase,
                     "column": nightly.column_label(pipeline, phase), **entry,
                     "html": page("nightly", entry["key"])})
    return rows


# ---------------------------------------------------------------- pages


def publish(site, state: State) -> None:
    """Every nightly's page and JSON, the list, the family pages (a full render only)."""
    now = state.now
    ldoc = list_doc(state, now)
    site.json(API_LIST, ldoc)
    site.html("nightlies.html", LIST_PAGE, ldoc, section="nightlies", crumbs=[("Health", "index.html")],
              title="ROCm nightlies", api=API_LIST)
    for night in state.nights:
        ndoc = nightly_doc(night, now)
        api = api_nightly(night.release_type, night.key)
        twin = site.json(api, ndoc)
        site.html("nightly.html", page(night.release_type, night.key), ndoc, section="nightlies",
                  crumbs=[("Health", "index.html"), ("ROCm nightlies", LIST_PAGE), (ndoc["label"], None)],
                  title=f"ROCm {night.release_type} {ndoc['label']}", api=api, twin=twin, grid=_grid(ndoc))
    for family in dict.fromkeys(c["family"] for n in state.nights for c in n.cells):
        fdoc = family_doc(family, state, now)
        twin = site.json(api_family(family), fdoc)
        site.html("family.html", family_page(family), fdoc, section="nightlies",
                  crumbs=[("Health", "index.html"), ("ROCm nightlies", LIST_PAGE), (family, None)],
                  title=f"GPU family {family}", api=api_family(family), twin=twin)


def _grid(ndoc: dict) -> dict:
    """platform -> family -> column label -> cell, for the template's table."""
    grid: dict = {}
    for cell in ndoc["cells"]:
        grid.setdefault(cell["platform"], {}).setdefault(cell["family"], {})[cell["column"]] = cell
    return grid

