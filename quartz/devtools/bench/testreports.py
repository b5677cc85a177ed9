"""Test reports in the bench: parsing a 50,000-case report, what a run with reports costs, and store size.

The synthetic fleet of the main bench uploads no reports (its projects say `test_reports: []`, so its
request counts stay those of the runs pass); this part measures the reports on their own:

- parse: a pytest-style JUnit file of CASES cases (a few failed, rerun and skipped), parsed from XML and
  read from a zip the way sync reads an artifact;
- cost: a small project whose runs upload a `test-reports` artifact (one JUnit file per test job) and a
  wheels artifact, synced over HTTP from the simulator; requests and points counted by the simulator;
- store: the rows a year of the issue's fleet would add (20 projects × 30 runs/day, CASES cases each, one
  suite per test job, NON_PASSING_PER_RUN stored cases per run), from bytes per row measured on a scratch
  store written through the real insert queries.
"""

from __future__ import annotations

import datetime as dt
import io
import time
import zipfile
from pathlib import Path

CASES = 50_000
RUNS = 20  # runs of the cost-measuring project
YEAR_RUNS = 20 * 30 * 365
SUITES_PER_RUN = 25  # one report per test job of a 25-job run
NON_PASSING_PER_RUN = 10  # stored cases per run on average (most runs are green; a red one keeps ~1,000 at most)
SAMPLE_ROWS = 100_000


def junit_report(cases: int) -> bytes:
    """A pytest-style report: 0.2% failed with a traceback, 0.1% passed on rerun, 2% skipped."""
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="pytest tests">',
             f'<testsuite name="pytest" tests="{cases}" time="3600.0">']
    for n in range(cases):
        head = (f'<testcase classname="test.test_ops.TestCommonCUDA" name="test_variant_{n:05d}_cuda_float32" '
                f'file="test/test_ops.py" time="0.{n % 1000:03d}"')
        if n % 500 == 7:
            parts.append(head + '><failure message="AssertionError: Tensor-likes are not close!">Traceback '
                         "(most recent call last):\n  File \"test/test_ops.py\", line 42\nAssertionError"
                         "</failure></testcase>")
        elif n % 1000 == 11:
            parts.append(head + '><rerun message="RuntimeError: HIP error: timeout"/></testcase>')
        elif n % 50 == 3:
            parts.append(head + '><skipped type="pytest.skip" message="not on ROCm"/></testcase>')
        else:
            parts.append(head + "/>")
    parts.append("</testsuite></testsuites>\n")
    return "".join(parts).encode()


def measure(workdir: Path, *, quick: bool = False, say=lambda _text: None) -> dict:
    """The figures; `quick` skips the separate XML-only parse (the zip read below parses it too)."""
    from quartz.testresults import parse_report, read_artifact

    say(f"bench: parsing a {CASES:,}-case JUnit report")
    xml = junit_report(CASES)
    parse_s = None
    if not quick:
        t = time.perf_counter()
        parse_report(xml, "junit.xml")
        parse_s = time.perf_counter() - t
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("test-default-1/junit.xml", xml)
    t = time.perf_counter()
    read = read_artifact(buffer.getvalue())
    read_s = time.perf_counter() - t
    cases = [c for r in read.reports for c in r.cases]
    figures = {"cases": len(cases), "xml_bytes": len(xml), "zip_bytes": len(buffer.getvalue()),
               "parse_seconds": parse_s, "read_artifact_seconds": read_s,
               "stored_cases": sum(1 for c in cases if c.outcome in ("failed", "error") or c.reruns)}
    say("bench: the requests a run with test reports costs")
    figures["cost"] = _cost(workdir)
    say("bench: store bytes of a year of test results")
    figures["store"] = _store_size(workdir)
    return figures


def _cost(workdir: Path) -> dict:
    from quartz import config as config_module
    from quartz.devtools.simulator import JobSpec, SimulatorServer, World
    from quartz.github.client import GitHubClient
    from quartz.store.db import Store
    from quartz.sync import runs as sync

    world = World(dt.datetime(2026, 11, 1, tzinfo=dt.UTC), seed=3)
    world.add_repo("ROCm/tests")
    world.add_workflow("ROCm/tests", "ci.yml", jobs=[JobSpec("build", 600), JobSpec("test (1/2)", 900, 0.2),
                                                     JobSpec("test (2/2)", 900, 0.2)],
                       artifacts=(("test-reports", 8192), ("wheels", 1 << 20)))
    world.generate_history("ROCm/tests", "ci.yml", 2, RUNS // 2, end=world.now)
    config = config_module.loads("settings: {backfill_days: 3}\nprojects:\n  tests: {repo: ROCm/tests, "
                                 "category: core, workflows: [ci.yml]}\n", "bench-tests.yaml")
    with SimulatorServer(world, token="bench-token", rate_limit=10**9) as server, \
            Store.open(workdir / "testreports.duckdb") as store:
        client = GitHubClient(server.url, "bench-token", sleep=lambda _s: None, clock=lambda: world.now_ts)
        result = sync.sync(config, store, client, world.now)
        runs = store.db.execute("SELECT count(*) FROM workflow_runs WHERE status = 'completed'").fetchone()[0]
        listings = server.request_count(path=r"/runs/\d+/artifacts")
        archives = server.request_count(path=r"/artifacts/\d+/zip")
        return {"ok": result.ok, "runs": runs, "requests": server.request_count(), "points": server.points_used,
                "report_requests": listings + archives, "report_requests_per_run": (listings + archives) / runs,
                # Pre-signed downloads cost no point; the failure-line pass downloads its job logs the same way.
                "downloads_free": server.request_count(path=r"^/_downloads/") - result.log_requests,
                "test_reports": result.test_reports}


def _store_size(workdir: Path) -> dict:
    """Bytes per stored suite and case row, measured on SAMPLE_ROWS rows each, and a year extrapolated."""
    from quartz.store.db import Store

    path = workdir / "testreports-size.duckdb"
    with Store.open(path) as store:
        store.db.execute("CHECKPOINT")
        empty = path.stat().st_size
        for start in range(0, SAMPLE_ROWS, 10_000):
            store.execute("testresults/suites_insert", rows=[
                {"run_id": 20_000_000_000 + n // SUITES_PER_RUN, "run_attempt": 1, "artifact": "test-reports",
                 "variant": f"test-reports-default-{n % SUITES_PER_RUN}-25-linux.rocm.gpu",
                 "source": "test-reports/junit.xml", "suite": "pytest", "passed": 2000 - n % 7, "failed": n % 3,
                 "skipped": 40, "errors": 0, "time_s": 1234.5} for n in range(start, start + 10_000)])
        store.db.execute("CHECKPOINT")
        suites = path.stat().st_size
        for start in range(0, SAMPLE_ROWS, 10_000):
            store.execute("testresults/cases_insert", rows=[
                {"run_id": 20_000_000_000 + n // NON_PASSING_PER_RUN, "run_attempt": 1,
                 "variant": f"test-reports-default-{n % SUITES_PER_RUN}-25-linux.rocm.gpu", "suite": "pytest",
                 "classname": f"test.test_ops.TestCommon{n % 40}", "name": f"test_variant_{n % 3000:05d}_float32",
                 "outcome": "failed", "reruns": n % 2,
                 "message": f"AssertionError: Tensor-likes are not close! Mismatched elements: {n % 97} / 1024"}
                for n in range(start, start + 10_000)])
        store.db.execute("CHECKPOINT")
        cases = path.stat().st_size
    per_suite = (suites - empty) / SAMPLE_ROWS
    per_case = (cases - suites) / SAMPLE_ROWS
    year = YEAR_RUNS * (SUITES_PER_RUN * per_suite + NON_PASSING_PER_RUN * per_case)
    return {"bytes_per_suite_row": per_suite, "bytes_per_case_row": per_case, "year_runs": YEAR_RUNS,
            "suites_per_run": SUITES_PER_RUN, "cases_per_run": NON_PASSING_PER_RUN, "year_bytes": year}


def lines(figures: dict) -> list[str]:
    """The bench table's rows for test reports."""
    cost, store = figures["cost"], figures["store"]
    return ["", "Test reports", "| | |", "|---|---|",
            f"| read a {figures['cases']:,}-case JUnit report from its zip, checks included "
            f"({figures['xml_bytes'] / 1e6:.1f} MB XML, {figures['zip_bytes'] / 1e6:.1f} MB zip) | "
            f"{figures['read_artifact_seconds']:.2f} s" + (f" (XML parse alone {figures['parse_seconds']:.2f} s)"
                                                            if figures["parse_seconds"] is not None else "") + " |",
            f"| requests a completed run's reports cost (artifact listing + one /zip per report artifact; "
            f"the download itself is free) | {cost['report_requests_per_run']:.2f} ({cost['runs']} runs) |",
            f"| store: bytes per suite row / per stored case row | {store['bytes_per_suite_row']:.1f} / "
            f"{store['bytes_per_case_row']:.1f} |",
            f"| store: a year of {store['year_runs']:,} runs × {store['suites_per_run']} suites + "
            f"{store['cases_per_run']} stored cases | {store['year_bytes'] / 1e6:.0f} MB (plain passes are "
            "never stored one by one) |"]
