"""JUnit XML reports, parsed as untrusted input, into plain frozen records.

The XML goes through defusedxml (no DTD at all, so no entities, no external references, no billion laughs);
the tree is then read with junitparser's element classes (its xunit2 flavour knows Surefire's
flakyFailure/rerunFailure). The dialects real CI writes:

- pytest (`--junitxml`): `<testsuites name="pytest tests"><testsuite name="pytest">`, `<skipped type="pytest.skip">`,
  and PyTorch's rerun writer (`--junit-xml-reruns`, pytest-rerunfailures) adds one `<rerun>` per failed attempt;
- Maven Surefire with `rerunFailingTestsCount`: `<flakyFailure>`/`<flakyError>` (failed, then passed) and
  `<rerunFailure>`/`<rerunError>` (failed every time, next to the final `<failure>`/`<error>`);
- GoogleTest (`--gtest_output=xml`): `result="skipped"` (GTEST_SKIP), `status="notrun" result="suppressed"`
  (DISABLED_ tests, no child element);
- CTest (`--output-junit`): a bare `<testsuite>` root, `status="fail"|"notrun"|"disabled"`, `disabled` without
  a child element;
- nested `<testsuites>`/`<testsuite>` at any depth.

Counts come from the cases themselves, never from the declared `tests`/`failures` attributes; what a case
IS follows what the producing tool counted (issue 26):

- an `<error>`/`<failure>` on a `<testsuite>` without any `<testcase>` (a class that failed to load) is one
  failed (or error) case named after its suite;
- a name written more than once is one test run again (earlier failed attempts are reruns), unless the
  suite's declared `tests` counts every element (TestNG data providers, jest's identical titles): then
  each is its own case, the repeats named `name #2`, `name #3`…; nameless `<testcase/>` are each their own
  case too (`(unnamed #1)`, …);
- identity uses the whole name; only then is a name cut to NAME_CHARS for the store and pages, with a
  digest of the whole name, so long parametrized names that differ after the cut stay distinct.
"""

from __future__ import annotations

import hashlib
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import defusedxml
import defusedxml.ElementTree as SafeET
from junitparser import Error, Failure, JUnitXmlError, Skipped, xunit2

from quartz.testresults.archive import ReportRefused, is_report_name, report_members
from quartz.text import cap

# Names (suite, class, test) longer than this are cut: enough for a parametrized pytest id, small in the store.
NAME_CHARS = 300
# ... after identity is settled on at most this much of a name (untrusted input stays bounded).
IDENTITY_CHARS = 100_000
# A failure message keeps this many characters of its first lines: what a page shows, not the whole traceback.
MESSAGE_CHARS = 2_000
# ... and at most this many lines.
MESSAGE_LINES = 20
# More cases than this in one report is not a test run we can store (the budget is sized for 50,000).
MAX_CASES = 200_000
# Report XML larger than this is not parsed (archive.py already caps a member at 64 MB).
MAX_REPORT_BYTES = 64 * 1024 * 1024
# Nested suites deeper than this are not a test tree.
MAX_DEPTH = 64

OUTCOMES = ("passed", "failed", "error", "skipped")

# ANSI colours, raw or as pytest writes them into XML (bin_xml_escape turns ESC into the text "#x1B").
_ANSI = re.compile(r"(?:\x1b|#x1B)\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Suite:
    """One test suite of a report, counted from its cases."""

    name: str
    passed: int
    failed: int
    skipped: int
    errors: int
    time_s: float

    @property
    def tests(self) -> int:
        return self.passed + self.failed + self.skipped + self.errors


@dataclass(frozen=True)
class Case:
    """One test case: its final outcome, and how many failed attempts came before it.

    `outcome == "passed" and reruns > 0` is a test that failed and then passed within the run (flaky evidence);
    `message` is the failure's first lines (for such a case, the last failed attempt's).
    """

    suite: str
    classname: str
    name: str
    outcome: str
    message: str | None
    reruns: int


@dataclass(frozen=True)
class Report:
    """One parsed report file: its suites and every case in them."""

    source: str
    suites: tuple[Suite, ...]
    cases: tuple[Case, ...]


@dataclass(frozen=True)
class Refusal:
    """A report file (or a whole archive, source "") that was not read, and why."""

    source: str
    reason: str


class ArtifactReports(NamedTuple):
    """What one artifact yields: the reports read, and the files refused (one bad file loses only itself)."""

    reports: list[Report]
    refused: list[Refusal]


class _Rerun(xunit2.InterimResult):
    """PyTorch's pytest rerun writer: one `<rerun message=...>` per failed attempt before the final one."""

    _tag = "rerun"


class _Case(xunit2.TestCase):
    ITER_TYPES = {**xunit2.TestCase.ITER_TYPES, _Rerun._tag: _Rerun}  # noqa: RUF012


def clean(text, limit: int, *, lines: int = 1) -> str | None:
    """Untrusted text made safe to store and show: no ANSI or control characters, first lines, capped."""
    if text is None:
        return None
    text = _ANSI.sub("", str(text)).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text).replace("\t", " ")
    kept = [line.rstrip() for line in text.split("\n") if line.strip()][:lines]
    return cap("\n".join(kept), limit)


def _name(text) -> str:
    """A name as its identity: cleaned, its first line, not cut for display yet."""
    return clean(text, IDENTITY_CHARS) or ""


def display_name(name: str) -> str:
    """A name cut to NAME_CHARS; a cut name ends with a digest of the whole one, so two names that differ only
    after the cut stay two names."""
    if len(name) <= NAME_CHARS:
        return name
    digest = hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return f"{name[:NAME_CHARS - len(digest) - 2]}#{digest}…"


def _message(result) -> str | None:
    """A result's message attribute, or else the first lines of its text."""
    message = clean(result.message, MESSAGE_CHARS, lines=MESSAGE_LINES)
    if not message:
        message = clean(result.text, MESSAGE_CHARS, lines=MESSAGE_LINES)
    return message or None


def _seconds(value) -> float:
    """A duration attribute as seconds; anything not a plain finite non-negative number counts as 0."""
    if value is None:
        return 0.0
    try:
        seconds = float(str(value).strip().replace(",", ""))
    except ValueError:
        return 0.0
    return seconds if math.isfinite(seconds) and seconds >= 0 else 0.0


def _case(suite: str, elem: ET.Element) -> Case:
    case = _Case.fromelem(elem)
    finals = case.result
    interim = case.interim_result
    failures = [r for r in finals if isinstance(r, Failure)]
    errors = [r for r in finals if isinstance(r, Error)]
    skips = [r for r in finals if isinstance(r, Skipped)]
    status = (elem.get("status") or "").strip().lower()  # GoogleTest: run/notrun; CTest: run/fail/notrun/disabled
    gtest = (elem.get("result") or "").strip().lower()  # GoogleTest: completed/skipped/suppressed
    if failures:
        outcome, message = "failed", _message(failures[0])
    elif errors:
        outcome, message = "error", _message(errors[0])
    elif skips:
        outcome, message = "skipped", _message(skips[0])
    elif status in ("notrun", "disabled") or gtest in ("skipped", "suppressed"):
        outcome = "skipped"
        message = ("disabled" if gtest == "suppressed" or status == "disabled"
                   else "skipped" if gtest == "skipped" else "not run")
    elif status == "fail":
        outcome, message = "failed", None
    else:
        outcome = "passed"
        message = _message(interim[-1]) if interim else None
    return Case(suite, _name(case.classname), _name(elem.get("name")), outcome, message, len(interim))


def _distinct(cases: list[Case], each_counted: bool) -> list[Case]:
    """Nameless cases numbered, and when the tool counted every element, repeated names numbered too."""
    seen: dict[tuple[str, str], int] = {}
    out = []
    for case in cases:
        if case.name and not each_counted:
            out.append(case)
            continue
        key = (case.classname, case.name)
        seen[key] = seen.get(key, 0) + 1
        n = seen[key]
        name = f"(unnamed #{n})" if not case.name else case.name if n == 1 else f"{case.name} #{n}"
        out.append(Case(case.suite, case.classname, name, case.outcome, case.message, case.reruns))
    return out


def _merge(cases: list[Case]) -> list[Case]:
    """One case per (suite, classname, name): repeats are attempts, the last one is the final outcome.

    GoogleTest's --gtest_repeat and split pytest teardown errors write a test more than once; earlier failed
    attempts count as reruns, so a fail-then-pass reads as a rerun-flaky pass.
    """
    merged: dict[tuple[str, str, str], Case] = {}
    for case in cases:
        key = (case.suite, case.classname, case.name)
        before = merged.get(key)
        if before is None:
            merged[key] = case
            continue
        reruns = before.reruns + case.reruns + (before.outcome in ("failed", "error"))
        message = case.message
        if case.outcome == "passed" and before.outcome in ("failed", "error"):
            message = before.message
        elif case.outcome == "passed":
            message = case.message or before.message
        merged[key] = Case(case.suite, case.classname, case.name, case.outcome, message, reruns)
    return list(merged.values())


def _suites(root: ET.Element, fallback: str) -> Iterable[tuple[str, ET.Element]]:
    """Every <testsuite> element with its name, depth-first, without recursion (nesting is untrusted)."""
    stack = [(root, fallback, 0)]
    while stack:
        elem, parent, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ReportRefused(f"test suites nested more than {MAX_DEPTH} deep")
        name = parent
        if elem.tag == "testsuite":
            name = _name(elem.get("name")) or parent
            yield name, elem
        children = [c for c in elem if c.tag in ("testsuite", "testsuites")]
        stack.extend((child, name, depth + 1) for child in reversed(children))


def _parse_xml(xml_bytes: bytes) -> ET.Element:
    if len(xml_bytes) > MAX_REPORT_BYTES:
        raise ReportRefused(f"report is larger than {MAX_REPORT_BYTES // (1024 * 1024)} MB")
    if xml_bytes.count(b"<testcase") > MAX_CASES:
        raise ReportRefused(f"report has more than {MAX_CASES:,} test cases")
    try:
        return SafeET.fromstring(xml_bytes, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden:
        raise ReportRefused("report declares a DTD (refused: entities and external references)") from None
    except defusedxml.EntitiesForbidden:
        raise ReportRefused("report declares entities (refused)") from None
    except defusedxml.ExternalReferenceForbidden:
        raise ReportRefused("report refers to an external resource (refused)") from None
    except defusedxml.DefusedXmlException as exc:
        raise ReportRefused(f"report refused by the XML guard ({type(exc).__name__})") from None
    except ET.ParseError as exc:
        raise ReportRefused(f"not well-formed XML ({clean(exc, 200)})") from None
    except (ValueError, LookupError, UnicodeError, RecursionError) as exc:
        raise ReportRefused(f"not readable XML ({clean(exc, 200) or type(exc).__name__})") from None


def parse_report(xml_bytes: bytes, source_name: str) -> Report:
    """One JUnit XML report, any of the dialects above, as suites and cases; ReportRefused if it is not read."""
    if isinstance(xml_bytes, str):
        xml_bytes = xml_bytes.encode("utf-8")
    root = _parse_xml(xml_bytes)
    try:
        xunit2.JUnitXml.fromroot(root)  # junitparser's own check of the root element
    except JUnitXmlError:
        raise ReportRefused(f"not a JUnit report (root element <{clean(root.tag, 40)}>)") from None
    fallback = _name(source_name.rsplit("/", 1)[-1].rsplit(".", 1)[0]) or "tests"
    suites: list[Suite] = []
    cases: list[Case] = []
    for name, elem in _suites(root, fallback):
        own = _suite_cases(name, elem)
        if len(cases) + len(own) > MAX_CASES:
            raise ReportRefused(f"report has more than {MAX_CASES:,} test cases")
        nested = any(child.tag in ("testsuite", "testsuites") for child in elem)
        if own or not nested:
            counts = {outcome: sum(1 for c in own if c.outcome == outcome) for outcome in OUTCOMES}
            declared = _seconds(elem.get("time"))
            time_s = declared or sum(_seconds(case.get("time")) for case in elem.iterfind("testcase"))
            suites.append(Suite(name, counts["passed"], counts["failed"], counts["skipped"], counts["error"],
                                round(time_s, 3)))
        cases.extend(own)
    return Report(source_name, tuple(_shown(s) for s in suites), tuple(_shown(c) for c in cases))


def _suite_cases(name: str, elem: ET.Element) -> list[Case]:
    """A suite's own cases, identities settled (see the module's docstring)."""
    elements = list(elem.iterfind("testcase"))
    if not elements:
        return _suite_level(name, elem)
    declared = elem.get("tests")
    each_counted = declared is not None and declared.strip() == str(len(elements))
    return _merge(_distinct([_case(name, case) for case in elements], each_counted))


def _suite_level(name: str, elem: ET.Element) -> list[Case]:
    """A suite without cases that carries its own <failure> or <error>: one case named after the suite."""
    for tag, outcome in (("failure", "failed"), ("error", "error")):
        found = elem.find(tag)
        if found is not None:
            result = Failure.fromelem(found) if tag == "failure" else Error.fromelem(found)
            return [Case(name, name, name, outcome, _message(result), 0)]
    return []


def _shown(record):
    """A suite or case with its names cut for display, once identity no longer depends on them."""
    if isinstance(record, Suite):
        return Suite(display_name(record.name), record.passed, record.failed, record.skipped, record.errors,
                     record.time_s)
    return Case(display_name(record.suite), display_name(record.classname), display_name(record.name),
                record.outcome, record.message, record.reruns)


def read_artifact(zip_bytes: bytes, wanted=is_report_name) -> ArtifactReports:
    """Every JUnit report in an artifact zip; a refused file is listed with its reason, the others are kept.

    A refused archive (a link, a path outside, a zip bomb...) raises ReportRefused: nothing in it is read.
    """
    reports: list[Report] = []
    refused: list[Refusal] = []
    for member in report_members(zip_bytes, wanted):
        try:
            reports.append(parse_report(member.data, member.name))
        except ReportRefused as exc:
            refused.append(Refusal(member.name, exc.reason))
    return ArtifactReports(reports, refused)
