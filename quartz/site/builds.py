"""One page per rendered run (builds/<run_id>.html, api/v1/builds/<run_id>.json).

Which runs get a page: the newest PER_BRANCH runs of every project and branch,
plus every run a rendered cascade page links to (stage runs and trigger runs).
Older runs stay in builds.json's pages; those that failed or are linked keep a page (keptbuilds.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from quartz.site import failures, paths, status
from quartz.site.common import SiteMap, cap, doc, first_line, iso, newest, seconds_between

PER_BRANCH = 60


def load(store, extra_ids: list[int]) -> tuple[list[dict], dict, dict, dict]:
    """The runs that get a page, with their jobs, attempts and artifacts."""
    runs = store.query("site/build_runs", per_branch=PER_BRANCH, extra_ids=sorted(extra_ids))
    jobs, attempts, artifacts = defaultdict(list), defaultdict(list), defaultdict(list)
    ids = [r["run_id"] for r in runs]
    for row in store.query("site/jobs_for_runs", run_ids=ids):
        jobs[row["run_id"]].append(row)
    for row in store.query("site/attempts_for_runs", run_ids=ids):
        attempts[row["run_id"]].append(row)
    for row in store.query("site/artifacts_for_runs", run_ids=ids):
        artifacts[row["run_id"]].append(row)
    return runs, jobs, attempts, artifacts


def paged_ids(files) -> set[int]:
    """The runs whose build page is among `files` (output paths), e.g. those of the last render."""
    ids = set()
    for path in files:
        name = path[len("builds/"):-len(".html")] if path.startswith("builds/") and path.endswith(".html") else ""
        if name.isdigit() and paths.build_page(int(name)) == path:
            ids.add(int(name))
    return ids


def runs(store, run_ids) -> list[dict]:
    """Whole rows of the given runs (as `load` returns them), by run id."""
    return store.query("site/runs_by_id", run_ids=sorted(i for i in run_ids if i is not None))


def run_summary(run: dict, sitemap: SiteMap) -> dict:
    """The fields of a run every list shows."""
    return {
        "run_id": run["run_id"],
        "workflow": run.get("workflow_path"),
        "title": cap(run.get("display_title")),
        "branch": cap(run.get("head_branch")),
        "head_sha": run.get("head_sha"),
        "run_number": run.get("run_number"),
        "attempt": run.get("run_attempt"),
        "event": run.get("event"),
        "state": status.run_state(run.get("status"), run.get("conclusion")),
        "conclusion": run.get("conclusion"),
        "created_at": iso(run.get("created_at")),
        "duration_s": seconds_between(run.get("run_started_at"), run.get("updated_at"))
        if run.get("status") == "completed" else None,
        "html_url": run.get("html_url"),
        "html": sitemap.build_html(run["run_id"]),
        "api": sitemap.build_api(run["run_id"]),
    }


def _job(row: dict) -> dict:
    return {
        "job_id": row["job_id"],
        "name": cap(row["name"]),
        "state": status.run_state(row["status"], row["conclusion"]),
        "conclusion": row["conclusion"],
        "started_at": row["started_at"],  # already ISO text and whole seconds (site/jobs_for_runs)
        "completed_at": row["completed_at"],
        "queue_s": row["queue_s"],
        "duration_s": row["duration_s"],
        "runner": cap(row["runner_name"], 80),
        "html_url": row["html_url"],
    }


def build_doc(config, run: dict, jobs: list[dict], attempts: list[dict], artifacts: list[dict],
              memberships: list[dict], sitemap: SiteMap, now: dt.datetime, failure_rows: list[dict] = (),
              tests: dict | None = None) -> dict:
    project = config.projects.get(run["project"])
    by_attempt = defaultdict(list)
    lines = {r["job_id"]: r for r in failure_rows}
    for j in jobs:
        job = _job(j)
        if j["conclusion"] in ("failure", "timed_out"):
            job["failure"] = failures.job_failure(lines.get(j["job_id"]))  # None: not read yet
        by_attempt[j["run_attempt"]].append(job)
    known = {a["run_attempt"]: a for a in attempts}
    numbers = sorted(set(known) | set(by_attempt) | {run["run_attempt"]}, reverse=True)
    attempt_docs = []
    for n in numbers:
        a = known.get(n) or (run if n == run["run_attempt"] else {})
        attempt_docs.append({
            "attempt": n,
            "state": status.run_state(a.get("status"), a.get("conclusion")) if a else "none",
            "started_at": iso(a.get("run_started_at")),
            "finished_at": iso(a.get("updated_at")) if a.get("status") == "completed" else None,
            "duration_s": seconds_between(a.get("run_started_at"), a.get("updated_at"))
            if a.get("status") == "completed" else None,
            "latest": n == run["run_attempt"],
            "jobs": by_attempt.get(n, []),
        })
    summary = run_summary(run, sitemap)
    return doc(
        "build", newest(run["updated_at"], *(m["updated_at"] for m in memberships)), now,
        run={**summary, "actor": cap(run["actor"], 80), "message": first_line(run["head_commit_message"]),
             "started_at": iso(run["run_started_at"]), "updated_at": iso(run["updated_at"]),
             "repo": run["repo"], "source": run["source"]},
        project={"name": run["project"], "display_name": project.display_name if project else run["project"],
                 "html": paths.project_page(run["project"]) if project else None},
        attempts=attempt_docs,
        artifacts=[{"name": cap(a["name"]), "size_bytes": a["size_in_bytes"], "expired": a["expired"],
                    "expires_at": iso(a["expires_at"])} for a in artifacts],
        cascades=[{"id": m["cascade_run_id"], "cascade": m["cascade"], "role": m["role"], "status": m["status"],
                   "html": sitemap.cascade_html(m["cascade_run_id"]), "api": sitemap.cascade_api(m["cascade_run_id"])}
                  for m in memberships],
        tests=tests,
    )
