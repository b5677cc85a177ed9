"""Release status, known-good version sets and fleet trends."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from quartz.site import paths, status
from quartz.site.common import doc, iso, loads, newest
from quartz.site.health import public
from quartz.site.projects import days

TREND_DAYS = 30


def release_doc(config, release: str, grid_categories: list[dict], cascade_rows: list[dict],
                cascade_items: dict, now: dt.datetime) -> dict:
    branches = config.releases[release]
    projects = []
    stamps = []
    for category in grid_categories:
        for p in category["projects"]:
            c = p["releases"].get(release)
            if c is None:
                continue
            stamps.append(c["_time"])
            projects.append({"project": p["name"], "display_name": p["display_name"], "category": category["name"],
                             "branch": branches[p["name"]], "cell": public(c), "project_html": p["html"]})
    runs = [cascade_items[r["cascade_run_id"]] for r in cascade_rows
            if str(loads(r["params"], {}).get("release", "")) == release][:50]
    stamps += [dt.datetime.fromisoformat(r["created_at"]) for r in runs]
    return doc(
        "release", newest(*stamps), now,
        release=release,
        state=status.worst(p["cell"]["state"] for p in projects),
        projects=projects,
        cascades=runs,
        html=paths.release_page(release),
    )


def known_good_doc(config, cascade_rows: list[dict], details: dict, now: dt.datetime, families=()) -> dict:
    """Per cascade, the newest run (of those with a page) in which every required stage passed; and per ROCm
    nightly (platform, GPU family, pipeline.phase) the newest nightly it passed in (quartz.site.nightlies)."""
    out = []
    for cascade in config.cascades.values():
        required = [s.name for s in cascade.stages.values() if not s.optional]
        found = None
        for row in cascade_rows:  # newest first
            if row["cascade"] != cascade.name or row["cascade_run_id"] not in details:
                continue
            d = details[row["cascade_run_id"]]
            states = {s["name"]: s["status"] for s in d["stages"]}
            if row["status"] != "running" and all(states.get(name) == "success" for name in required):
                found = d
                break
        out.append({
            "cascade": cascade.name,
            "description": cascade.description,
            "required_stages": required,
            "run": None if found is None else {
                "id": found["id"], "status": found["status"], "created_at": found["created_at"],
                "finished_at": found["finished_at"], "html": found["html"],
                "api": paths.api_cascade(found["id"])[len(paths.API) + 1:]},
            "versions": found["versions"] if found else [],
            "_stamp": dt.datetime.fromisoformat(found["generated_at"]) if found else None,
        })
    stamp = newest(*(c.pop("_stamp") for c in out))
    return doc("known_good", stamp, now, cascades=out, families=list(families))


def trends_doc(config, store, trend_rows: dict, details: dict, now: dt.datetime) -> dict:
    labels = [iso(d)[:10] for d in days(now)]
    per_project: dict = defaultdict(lambda: defaultdict(lambda: [0, 0, []]))
    for (project, _branch), rows in trend_rows.items():
        if project not in config.projects:
            continue
        for r in rows:
            bucket = per_project[project][iso(r["day"])[:10]]
            bucket[0] += r["runs"]
            bucket[1] += r["passed"]
            if r["median_seconds"] is not None:
                bucket[2].append(r["median_seconds"])
    queue: dict = defaultdict(dict)
    for r in store.query("site/queue_daily", since=dt.datetime.fromisoformat(labels[0] + "T00:00:00+00:00")):
        queue[r["project"]][iso(r["day"])[:10]] = r
    projects = []
    for name in config.projects:
        buckets = per_project.get(name, {})
        rate, secs, runs, qmed, qp90 = [], [], [], [], []
        for label in labels:
            b = buckets.get(label)
            runs.append(b[0] if b else 0)
            rate.append(round(100 * b[1] / b[0], 1) if b and b[0] else None)
            secs.append(int(max(b[2])) if b and b[2] else None)
            q = queue.get(name, {}).get(label)
            qmed.append(int(q["median_queue_seconds"]) if q else None)
            qp90.append(int(q["p90_queue_seconds"]) if q else None)
        total, passed = sum(runs), sum(buckets[k][1] for k in buckets)
        week = sum(runs[-7:])
        week_passed = sum(buckets[k][1] for k in labels[-7:] if k in buckets)
        projects.append({"project": name, "display_name": config.projects[name].display_name,
                         "html": paths.project_page(name),
                         "runs": runs, "success_rate": rate, "median_seconds": secs,
                         "queue_median_s": qmed, "queue_p90_s": qp90,
                         "success_rate_30d": round(100 * passed / total, 1) if total else None,
                         "success_rate_7d": round(100 * week_passed / week, 1) if week else None})
    lead = defaultdict(list)
    for d in sorted(details.values(), key=lambda d: d["created_at"]):
        if d["lead_time_s"] is not None:
            lead[d["cascade"]].append({"id": d["id"], "finished_at": d["finished_at"], "lead_time_s": d["lead_time_s"],
                                       "status": d["status"], "html": d["html"]})
    return doc("trends", now.replace(hour=0, minute=0, second=0, microsecond=0), now,
               days=labels, projects=projects,
               cascade_lead_times=[{"cascade": c, "points": pts} for c, pts in sorted(lead.items())])
