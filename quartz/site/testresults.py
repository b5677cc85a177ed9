"""Test results on the site: a build's tests with verdicts, the fleet's flaky tests, a project's failing tests.

Verdicts (new / known / flaky, quartz/testresults/verdicts.py) need each test's history. Passes are not stored
one by one, so a test's history is every run attempt whose reports carried its suite, with the stored case's
outcome there or else a pass. History is loaded once per render for the tests that matter: those that failed
or reran in the last HISTORY_DAYS (busiest CANDIDATES of them) and those failed on a rendered build page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from quartz.site import paths
from quartz.site.common import SiteMap, api_rel, cap, doc, iso
from quartz.testresults import Observation, classify_failure, flaky_evidence

HISTORY_DAYS = 30
CANDIDATES = 500  # tests whose history is judged for the flaky list
FLAKY_SHOWN = 200
NEWEST_FAILURES = 50
MOST_FAILING = 25
EVIDENCE_RUNS = 20
MESSAGE_LINES = 3
FAILED = ("failed", "error")

Key = tuple[str, str, str, str, str]  # project, variant, suite, classname, name


def _key(project: str, row: dict) -> Key:
    return (project, row["variant"], row["suite"], row["classname"], row["name"])


@dataclass
class TestData:
    """What the pages need, loaded once per render."""

    now: dt.datetime
    suites: dict = field(default_factory=lambda: defaultdict(list))  # run_id -> suite rows
    cases: dict = field(default_factory=lambda: defaultdict(list))  # run_id -> case rows
    reports: dict = field(default_factory=lambda: defaultdict(list))  # run_id -> refused/expired rows
    history: dict = field(default_factory=lambda: defaultdict(list))  # Key -> [Observation]
    candidates: list = field(default_factory=list)
    newest: list = field(default_factory=list)
    built: dict = field(default_factory=dict)  # run_id -> build_tests(), computed once

    def verdict(self, key: Key, run: dict, case: dict) -> str:
        history = self.history.get(key, [])
        current = next((o for o in history if o.run_id == run["run_id"] and o.attempt == case["run_attempt"]),
                       None)
        if current is None:
            current = Observation(run["run_id"], case["run_attempt"], run.get("head_sha") or "",
                                  run.get("head_branch") or run.get("branch") or "",
                                  run.get("seen_at") or run.get("run_started_at") or run.get("created_at") or self.now,
                                  case["outcome"], case["reruns"])
        # Judged with the run's own later attempts in view: a failure its re-run passed is flaky on this page.
        last = max((o.at for o in history if o.run_id == run["run_id"]), default=current.at)
        return classify_failure(dataclasses.replace(current, at=max(last, current.at)), history)


def load(store, build_runs: list[dict], now: dt.datetime) -> TestData:
    data = TestData(now)
    ids = [r["run_id"] for r in build_runs]
    for name, into in (("site_suites_for_runs", data.suites), ("site_cases_for_runs", data.cases),
                       ("site_reports_for_runs", data.reports)):
        for row in store.query(f"testresults/{name}", run_ids=ids):
            into[row["run_id"]].append(row)
    since = now - dt.timedelta(days=HISTORY_DAYS)
    data.candidates = store.query("testresults/site_candidates", since=since.date(), limit=CANDIDATES)
    data.newest = store.query("testresults/site_newest_failures", since=since, limit=NEWEST_FAILURES)
    keys = {(c["project"], c["variant"], c["suite"], c["classname"], c["name"]) for c in data.candidates}
    keys |= {_key(r["project"], c) for r in build_runs for c in data.cases.get(r["run_id"], ())
             if c["outcome"] in FAILED}
    keys |= {_key(n["project"], n) for n in data.newest}
    if keys:
        wanted = [dict(zip(("project", "variant", "suite", "classname", "name"), k, strict=True)) for k in sorted(keys)]
        for row in store.query("testresults/site_observations", keys=wanted, since=since - dt.timedelta(days=14)):
            data.history[_key(row["project"], row)].append(
                Observation(row["run_id"], row["run_attempt"], row["head_sha"], row["branch"], row["seen_at"],
                            row["outcome"], row["reruns"]))
    return data


def _message(text: str | None) -> str | None:
    if not text:
        return None
    return cap("\n".join(text.splitlines()[:MESSAGE_LINES]), 600)


def test_name(row: dict) -> str:
    return f"{row['classname']}::{row['name']}" if row["classname"] else row["name"]


# ---------------------------------------------------------------- one build


def build_tests(data: TestData, run: dict) -> dict | None:
    """The `tests` member of builds/{id}.json: totals of the latest attempt, every failed test with a verdict."""
    if run["run_id"] not in data.built:
        data.built[run["run_id"]] = _build_tests(data, run)
    return data.built[run["run_id"]]


def _build_tests(data: TestData, run: dict) -> dict | None:
    suites = data.suites.get(run["run_id"], [])
    refused = [{"artifact": cap(r["artifact"]) or "–", "status": r["status"], "reason": cap(r["reason"], 1000)}
               for r in data.reports.get(run["run_id"], [])]
    if not suites and not refused:
        return None
    latest = max((s["run_attempt"] for s in suites), default=run["run_attempt"])
    totals = {k: sum(int(s[k]) for s in suites if s["run_attempt"] == latest)
              for k in ("passed", "failed", "skipped", "errors")}
    failed, flaky = [], 0
    for case in data.cases.get(run["run_id"], []):
        verdict = "flaky" if case["outcome"] == "passed" else data.verdict(_key(run["project"], case), run, case)
        flaky += case["run_attempt"] == latest and verdict == "flaky"
        if case["outcome"] in FAILED or case["reruns"]:
            failed.append({"suite": cap(case["suite"]), "name": cap(test_name(case), 400),
                           "message": _message(case["message"]), "verdict": verdict, "outcome": case["outcome"],
                           "attempt": case["run_attempt"], "reruns": case["reruns"], "variant": cap(case["variant"])})
    failed.sort(key=lambda f: (-f["attempt"], f["outcome"] == "passed", f["variant"], f["suite"], f["name"]))
    attempts = defaultdict(list)
    for s in suites:
        attempts[s["run_attempt"]].append({
            "variant": cap(s["variant"]), "suite": cap(s["suite"]), "passed": int(s["passed"]),
            "failed": int(s["failed"]), "skipped": int(s["skipped"]), "errors": int(s["errors"]),
            "time_s": round(float(s["time_s"] or 0), 3)})
    return {**totals, "flaky": flaky, "attempt": latest,
            "failed_tests": failed,
            "attempts": [{"attempt": n, "suites": rows} for n, rows in sorted(attempts.items(), reverse=True)],
            "refused": refused}


def mark_flaky_cells(cells, data: TestData, build_runs: list[dict]) -> None:
    """Health cells whose failed run failed only flaky tests (every failure counted, each judged flaky)."""
    runs = {r["run_id"]: r for r in build_runs}
    for _project, cell in cells:
        run = runs.get(cell.get("run_id"))
        tests = build_tests(data, run) if run is not None and cell["state"] == "failure" else None
        failing = [t for t in (tests or {}).get("failed_tests", [])
                   if t["attempt"] == tests["attempt"] and t["outcome"] in FAILED]
        cell["flaky_only"] = bool(failing) and len(failing) == tests["failed"] + tests["errors"] and all(
            t["verdict"] == "flaky" for t in failing)


# ---------------------------------------------------------------- the fleet and a project


def flaky_tests(data: TestData, sitemap: SiteMap) -> list[dict]:
    found = []
    for c in data.candidates:
        key = (c["project"], c["variant"], c["suite"], c["classname"], c["name"])
        since = data.now - dt.timedelta(days=HISTORY_DAYS)
        evidence = flaky_evidence(o for o in data.history.get(key, []) if o.at >= since)
        if not evidence.is_flaky:
            continue
        found.append({
            "project": c["project"], "projects": [c["project"]], "variant": cap(c["variant"]),
            "suite": cap(c["suite"]), "name": cap(test_name(c), 400), "score": evidence.score,
            "first_seen": iso(evidence.first_seen), "last_seen": iso(evidence.last_seen),
            "branches": [cap(b) for b in evidence.branches],
            "failures": int(c["failures"]), "reruns": int(c["reruns"]),
            "evidence": {"rerun_runs": len(evidence.rerun_runs), "same_commit": len(evidence.same_commit),
                         "flips": len(evidence.flips)},
            "runs": [{"run_id": r, "html": sitemap.build_html(r)} for r in evidence.runs[-EVIDENCE_RUNS:][::-1]],
            "project_html": paths.project_page(c["project"]),
        })
    found.sort(key=lambda t: (-t["score"], -(t["failures"] + t["reruns"]), t["project"], t["name"]))
    return found[:FLAKY_SHOWN]


def newest_failures(data: TestData, sitemap: SiteMap) -> list[dict]:
    out = []
    for n in data.newest:
        key = _key(n["project"], n)
        out.append({"project": n["project"], "run_id": n["run_id"], "attempt": n["run_attempt"],
                    "html": sitemap.build_html(n["run_id"]), "branch": cap(n["branch"]),
                    "variant": cap(n["variant"]), "suite": cap(n["suite"]), "name": cap(test_name(n), 400),
                    "message": _message(n["message"]), "at": iso(n["seen_at"]),
                    "verdict": data.verdict(key, n, {**n, "reruns": 0})})
    return out


def tests_doc(data: TestData, sitemap: SiteMap, now: dt.datetime) -> dict:
    flaky = flaky_tests(data, sitemap)
    newest = newest_failures(data, sitemap)
    stamps = [s for s in [t["last_seen"] for t in flaky] + [n["at"] for n in newest] if s]
    generated = dt.datetime.fromisoformat(max(stamps).replace("Z", "+00:00")) if stamps else None
    return doc("tests", generated, now, window_days=HISTORY_DAYS, tests=flaky, newest_failures=newest)


def project_tests_doc(store, project, now: dt.datetime) -> dict:
    since = (now - dt.timedelta(days=HISTORY_DAYS)).date()
    rows = store.query("testresults/site_most_failing", project=project.name, since=since, limit=MOST_FAILING)
    tests = [{"variant": cap(r["variant"]), "suite": cap(r["suite"]), "name": cap(test_name(r), 400),
              "failures": int(r["failures"]), "reruns": int(r["reruns"] or 0), "runs": int(r["runs"] or 0),
              "last_failed": r["last_failed"].isoformat() if r["last_failed"] else None,
              "branches": [cap(b) for b in (r["branches"] or [])]} for r in rows]
    last = max((r["last_failed"] for r in rows if r["last_failed"]), default=None)
    generated = dt.datetime.combine(last, dt.time(), dt.UTC) if last else None
    return doc("project_tests", generated, now, project=project.name, window_days=HISTORY_DAYS, tests=tests,
               html=paths.project_page(project.name), project_api=api_rel(paths.api_project(project.name)))
