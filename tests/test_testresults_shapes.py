"""JUnit shapes where a reader must count what the producing tool counted (issue 26).

The reports are ours (tests/fixtures/junit/), small, each in the shape of the tool it names.
"""

from __future__ import annotations

from pathlib import Path

from quartz.testresults import junit
from quartz.testresults.junit import Case, parse_report

JUNIT = Path(__file__).parent / "fixtures" / "junit"


def parsed(name: str):
    return parse_report((JUNIT / name).read_bytes(), name)


def test_an_error_on_a_suite_without_cases_is_a_failed_test_named_after_it():
    report = parsed("suite_load_error.xml")
    broken = [c for c in report.cases if c.outcome != "passed"]
    assert broken == [Case("org.example.ParserTest", "org.example.ParserTest", "org.example.ParserTest", "error",
                           "Could not initialize class org.example.Parser", 0)]
    counts = {s.name: (s.passed, s.errors) for s in report.suites}
    assert counts == {"org.example.ParserTest": (0, 1), "org.example.LexerTest": (2, 0)}
    failure = parse_report(b'<testsuite name="s"><failure message="setUpClass failed"/></testsuite>', "f.xml")
    assert [(c.name, c.outcome) for c in failure.cases] == [("s", "failed")]
    empty = parse_report(b'<testsuite name="s" tests="0"/>', "e.xml")
    assert empty.cases == () and empty.suites[0].tests == 0


def test_long_names_that_differ_after_the_cut_stay_two_tests():
    report = parsed("long_params.xml")
    names = [c.name for c in report.cases]
    assert len(set(names)) == 2 and all(len(n) == junit.NAME_CHARS for n in names)
    assert [c.outcome for c in report.cases] == ["failed", "passed"]
    assert report.suites[0].tests == 2
    # The cut is stable: the same long name gives the same stored name in the next run.
    assert parsed("long_params.xml").cases == report.cases
    # Not because the tool counted each element: without a declared count they are still two tests.
    undeclared = (JUNIT / "long_params.xml").read_bytes().replace(b' tests="2"', b"")
    again = parse_report(undeclared, "u.xml")
    assert [c.name for c in again.cases] == names and all(c.reruns == 0 for c in again.cases)


def test_nameless_cases_stay_distinct():
    report = parsed("nameless.xml")
    assert [(c.name, c.outcome, c.reruns) for c in report.cases] == [
        ("(unnamed #1)", "passed", 0), ("(unnamed #2)", "failed", 0), ("(unnamed #3)", "passed", 0)]
    assert report.suites[0].tests == 3 and report.suites[0].failed == 1


def test_testng_data_provider_runs_each_count():
    report = parsed("testng_dataprovider.xml")
    assert [(c.name, c.outcome) for c in report.cases] == [("adds", "passed"), ("adds #2", "failed"),
                                                           ("adds #3", "passed")]
    assert (report.suites[0].tests, report.suites[0].failed) == (3, 1)


def test_jest_identical_titles_each_count():
    report = parsed("jest_identical.xml")
    assert (report.suites[0].tests, report.suites[0].failed, report.suites[0].passed) == (3, 1, 2)
    assert sorted(c.name for c in report.cases) == ["Button clicks", "Button renders", "Button renders #2"]


def test_a_repeat_the_tool_did_not_count_is_still_a_rerun():
    # tests="1" for two elements: GoogleTest's repeat / a retried test, one test with an earlier attempt.
    report = parse_report(b'<testsuite name="s" tests="1"><testcase classname="C" name="t"><failure message="x"/>'
                          b'</testcase><testcase classname="C" name="t"/></testsuite>', "r.xml")
    assert report.cases == (Case("s", "C", "t", "passed", "x", 1),)
