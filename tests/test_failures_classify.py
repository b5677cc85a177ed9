"""Failure lines from realistic job log tails; rule loading, priorities, boilerplate and bounded work."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quartz.failures import (
    MAX_MATCH_CHARS,
    MAX_SCAN_LINES,
    Failure,
    RuleError,
    classify,
    clean_line,
    find_failure,
    load_rules,
    parse_rule,
)
from quartz.failures.classify import MATCH_ORDER, TIERS, nested_quantifier

LOGS = Path(__file__).parent / "fixtures" / "logs"
RULES = load_rules()
HANG_GUARD_S = 120  # see _hang_guarded: not a speed check

# fixture: (rule, line, key)
EXPECTED = {
    "pytest_failure.log": (
        "pytest-failed",
        "FAILED tests/kernels/test_attention.py::test_paged_attention[gfx942-float16-128] - "
        "AssertionError: Tensor-likes are not close!",
        "pytest-failed: test_attention.py::test_paged_attention[gfx942-float16-<n>] - "
        "AssertionError: Tensor-likes are not close!"),
    "ctest_failure.log": (
        "ctest-failed-test", "3 - rocprim.device_radix_sort (Failed)",
        "ctest-failed-test: rocprim.device_radix_sort (Failed)"),
    "cmake_configure_failure.log": (
        "cmake-error", "CMake Error at CMakeLists.txt:112 (find_package):",
        "cmake-error: CMake Error at CMakeLists.txt:<n> (find_package):"),
    "hipcc_compile_error.log": (
        "compiler-error",
        "/__w/pytorch/pytorch/aten/src/ATen/native/hip/Loss.hip:415:18: error: use of undeclared identifier "
        "'hipLaunchKernelGGL'",
        "compiler-error: Loss.hip:<n>:<n>: error: use of undeclared identifier 'hipLaunchKernelGGL'"),
    "runner_lost.log": (
        "runner-shutdown",
        "##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped, "
        "or a manually started runner is canceled.",
        "runner-shutdown"),
    "job_timeout.log": (
        "job-timeout",
        "##[error]The job running on runner rocm-mi300x-8gpu-runner-k7x2p-9rt4q has exceeded the maximum "
        "execution time of 360 minutes.",
        "job-timeout"),
    "oom_kill.log": (
        "oom-killed", "clang++: fatal error: Killed signal terminated program clang",
        "oom-killed: clang++: fatal error: Killed signal terminated program clang"),
    "pip_network_error.log": (
        "network-error",
        "ERROR: Could not install packages due to an OSError: HTTPSConnectionPool(host='download.pytorch.org', "
        "port=443): Max retries exceeded with url: /whl/rocm6.4/torch-2.9.0%2Brocm6.4-cp312-cp312-"
        "manylinux_2_28_x86_64.whl (Caused by ProtocolError('Connection aborted.', ConnectionResetError(104, "
        "'Connection reset by peer')))",
        "network-error: ERROR: Could not install packages due to an OSError: HTTPSConnectionPool("
        "host='download.pytorch.org', port=<n>): Max retries exceeded with url: …"),
    "gpu_memory_fault.log": (
        "gpu-memory-fault",
        "Memory access fault by GPU node-2 (Agent handle: 0x55d5c8a0b2c0) on address 0x7f3a00001000. Reason: "
        "Page not present or supervisor privilege.",
        "gpu-memory-fault: Memory access fault by GPU node-<n> (Agent handle: 0x<hex>) on address 0x<hex>. "
        "Reason: Page not present or supervisor privilege."),
}


def test_every_fixture_is_expected():
    assert sorted(p.name for p in LOGS.glob("*.log")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_failure_line(name):
    rule, line, key = EXPECTED[name]
    data = (LOGS / name).read_bytes()
    failure = find_failure(data, RULES)
    assert failure is not None
    assert (failure.rule, failure.line, failure.key) == (rule, line, key)
    # The line number points at the raw log line (1-based), whose cleaned text is the failure line.
    raw = data.decode("utf-8").split("\n")[failure.line_number - 1]
    assert clean_line(raw).strip() == failure.line
    assert re.match(r"\d{4}-\d\d-\d\dT[\d:.]+Z ", raw)
    assert len(failure.context) <= 5 and len(failure.after) <= 3
    assert not any("Process completed with exit code" in c for c in failure.context + failure.after)
    assert failure.as_dict()["key"] == key and len(failure.key_id) == 16


def test_fixture_keys_are_distinct():
    keys = [find_failure((LOGS / name).read_bytes(), RULES).key for name in EXPECTED]
    assert len(set(keys)) == len(keys)


def test_context_is_the_lines_before():
    lines = [f"step {n}" for n in range(10)] + ["RuntimeError: HIP error: out of range", "after 1"]
    failure = classify(lines, RULES)
    assert failure == Failure("RuntimeError: HIP error: out of range", 11,
                              ("step 5", "step 6", "step 7", "step 8", "step 9"), "hip-error",
                              "hip-error: HIP error: out of range", ("after 1",))


def test_highest_priority_wins_over_lower_lines():
    lines = ["/src/a.cpp:1:2: error: expected ';'", "ninja: build stopped: subcommand failed.",
             "make: *** [all] Error 1", "##[error]Something failed"]
    failure = classify(lines, RULES)
    assert (failure.rule, failure.line_number) == ("compiler-error", 1)


def test_equal_priority_the_bottom_most_wins():
    lines = ["/src/a.cpp:1:2: error: first", "/src/b.cpp:3:4: error: second", "1 error generated."]
    assert classify(lines, RULES).line == "/src/b.cpp:3:4: error: second"
    rules = load_rules([{"name": "mine-a", "pattern": "^alpha", "priority": 5000},
                        {"name": "mine-b", "pattern": "^beta", "priority": 5000}])
    assert classify(["alpha 1", "beta 2", "alpha 3", "tail"], rules).line == "alpha 3"


def test_boilerplate_never_wins():
    lines = ["step ok", "##[error]Process completed with exit code 1.", "Process completed with exit code 137.",
             "Post job cleanup.", "Cleaning up orphan processes"]
    assert classify(lines, RULES) is None
    # Not even a fleet rule written to match it.
    greedy = load_rules([{"name": "anything", "pattern": ".", "priority": 9999}])
    assert classify(lines, greedy).line == "step ok"
    assert classify(["Error: the job failed", *lines], RULES).rule == "error-prefix"


def test_gha_error_outranks_a_test_failure_but_not_a_cause():
    # Issue 26: GitHub's annotation is often exactly the cause (Artifact not found, a lint finding).
    lines = ["##[error]Docker build failed", "something"]
    assert classify(lines, RULES).rule == "gha-error"
    assert classify(lines, RULES).key == "gha-error: Docker build failed"
    assert classify(["E   ValueError: bad shape (3, 4)", *lines], RULES).rule == "gha-error"
    assert classify(["/src/a.cpp:1:2: error: expected ';'", *lines], RULES).rule == "compiler-error"
    # An annotation that only reports an exit code stays a consequence.
    assert classify(["E   ValueError: bad shape (3, 4)", "##[error]The process '/usr/bin/git' failed with exit "
                     "code 128"], RULES).rule == "pytest-error-line"


@pytest.mark.parametrize(("line", "rule"), [
    ("The self-hosted runner: rocm-mi250-17 lost communication with the server. Verify the machine is running.",
     "runner-lost"),
    ("##[error]The action has timed out.", "step-timeout"),
    ("##[error]The operation was canceled.", "operation-canceled"),
    ("OSError: [Errno 28] No space left on device: '/tmp/x'", "disk-full"),
    ("/home/runner/_work/_temp/a1.sh: line 3:  4821 Killed                  python train.py", "oom-killed"),
    ("Killed", "oom-killed"),
    ("torch.OutOfMemoryError: HIP out of memory. Tried to allocate 2.00 GiB.", "gpu-out-of-memory"),
    ("hipErrorNoBinaryForGpu: Unable to find code object for all current devices!", "hip-no-binary"),
    ("RuntimeError: No HIP GPUs are available", "gpu-unavailable"),
    ("HIP error: hipErrorInvalidValue", "hip-error"),
    ("rocBLAS error: Could not initialize Tensile host: No devices found", "rocm-library-error"),
    ("MIOpen Error: /long/pathname/so/that/logs/are/long/miopen/src/ocl/convolutionocl.cpp:321: No suitable "
     "algorithm was found to execute the required convolution", "rocm-library-error"),
    ("Fatal Python error: Segmentation fault", "process-crash"),
    ("python3: /src/foo.cpp:12: void f(): Assertion `n > 0' failed.", "assertion-failed"),
    ("C:\\src\\foo.cpp(12): error C2065: 'x': undeclared identifier", "compiler-error"),
    ("/usr/bin/ld: libtorch_hip.so: undefined reference to `hipMallocAsync'", "linker-error"),
    ("ld.lld: error: unable to find library -lamdhip64", "linker-error"),
    ("CMake Error: The source directory \"/src\" does not exist.", "cmake-error"),
    ("[  FAILED  ] RocprimDeviceScan/3.InclusiveScan, where TypeParam = params<int>", "gtest-failed"),
    ("  7/12 Test  #7: hipcub.device_scan ....................***Timeout 1500.02 sec", "ctest-test-failed"),
    ("E   Failed: Timeout >900.0s", "pytest-timeout"),
    ("ERROR tests/test_models.py - ModuleNotFoundError: No module named 'vllm._C'", "pytest-failed"),
    ("clang++: error: linker command failed with exit code 1 (use -v to see invocation)", "compiler-driver-error"),
    ("Error response from daemon: manifest for rocm/pytorch:nightly not found: manifest unknown",
     "container-image-pull"),
    ("toomanyrequests: You have reached your pull rate limit.", "container-image-pull"),
    ("huggingface_hub.errors.HfHubHTTPError: 504 Server Error: Gateway Time-out for url: https://huggingface.co/x",
     "http-server-error"),
    ("curl: (22) The requested URL returned error: 503", "http-server-error"),
    ("fatal: unable to access 'https://github.com/ROCm/x/': Could not resolve host: github.com", "network-error"),
    # An exception that only reports an exit status is a consequence (issue 26), the make output above it
    # is the cause.
    ("subprocess.CalledProcessError: Command '['make']' returned non-zero exit status 2.", "nonzero-exit"),
    ("KeyboardInterrupt", "python-exception"),
    ("ERROR: No matching distribution found for torch==2.9.0+rocm7.0", "pip-dependency"),
    ("./run_tests.sh: line 4: rocminfo: command not found", "command-not-found"),
    ("Errors while running CTest", "ctest-summary"),
    ("FAILED: lib/CMakeFiles/x.dir/a.cpp.o", "ninja-failed"),
    ("make[2]: *** [CMakeFiles/Makefile2:1204: all] Error 2", "make-error"),
    ("ninja: build stopped: subcommand failed.", "ninja-stopped"),
    ("========= 3 failed, 10 passed in 12.20s =========", "pytest-summary"),
    ("Error: The process '/usr/bin/docker' failed with exit code 125", "nonzero-exit"),
    ("error: line too long (131 > 120 characters) (E501)", "error-prefix"),
])
def test_rule_examples(line, rule):
    failure = classify(["some output", line, "Cleaning up orphan processes"], RULES)
    assert failure is not None and failure.rule == rule, (line, failure)


def test_shipped_rules():
    assert 25 <= len(RULES) <= 80
    assert len({r.name for r in RULES}) == len(RULES)
    order = [(MATCH_ORDER.index(r.tier), -r.priority) for r in RULES]
    assert order == sorted(order) and {r.tier for r in RULES} == set(TIERS)
    assert all(r.builtin for r in RULES)
    assert all(nested_quantifier(r.pattern.pattern, r.pattern.flags) is None for r in RULES)
    for rule in RULES:  # no shipped rule takes boilerplate for a failure on its own
        assert classify(["Process completed with exit code 137."], [rule]) is None


def test_extra_rules_add_and_replace():
    rules = load_rules([{"name": "triton-compile", "pattern": r"^triton\.compiler\.errors\.", "priority": 730},
                        {"name": "gha-error", "pattern": r"^##\[error\](?P<key>.*)", "priority": 50,
                         "flags": ["IgnoreCase"]}])
    by_name = {r.name: r for r in rules}
    assert len(rules) == len(RULES) + 1
    assert not by_name["triton-compile"].builtin and by_name["gha-error"].priority == 50
    line = "triton.compiler.errors.CompilationError: at 12:4: unsupported"
    assert classify(["x", line], rules).rule == "triton-compile"
    assert classify(["x", line], RULES).rule == "python-exception"
    assert load_rules() == RULES  # the shipped set is not changed by a fleet's


@pytest.mark.parametrize(("raw", "message"), [
    ({"name": "bad-regex", "pattern": "HIP error: (unclosed", "priority": 10}, "does not compile"),
    ({"name": "bad-priority", "pattern": "x", "priority": "high"}, "priority"),
    ({"name": "bad-priority", "pattern": "x", "priority": True}, "priority"),
    ({"name": "no-pattern", "priority": 3}, "pattern"),
    ({"name": "typo", "pattern": "x", "priority": 3, "priorty": 4}, "unknown field"),
    ({"name": "flags", "pattern": "x", "priority": 3, "flags": ["multiline"]}, "flags"),
    ({"name": "redos", "pattern": r"^(\w+\s*)*$", "priority": 3}, "nests unbounded quantifiers"),
    ({"name": "redos2", "pattern": r"(a+)+b", "priority": 3}, "nests unbounded quantifiers"),
])
def test_invalid_extra_rule_names_the_rule(raw, message):
    with pytest.raises(RuleError) as err:
        load_rules([{"name": "fine", "pattern": "ok", "priority": 1}, raw], origin="cascades.yaml")
    assert f"rule {raw['name']!r}" in str(err.value) and message in str(err.value)
    assert str(err.value).startswith("cascades.yaml: ")
    assert err.value.name == raw["name"] and err.value.index == 1


def test_invalid_extra_rule_without_a_name_or_twice():
    with pytest.raises(RuleError, match=r"rule #1: must be a mapping"):
        load_rules(["HIP error"])
    with pytest.raises(RuleError, match=r"rule #2: needs a name"):
        load_rules([{"name": "a", "pattern": "x", "priority": 1}, {"pattern": "x", "priority": 1}])
    with pytest.raises(RuleError, match=r"rule 'a': is defined twice"):
        load_rules([{"name": "a", "pattern": "x", "priority": 1}, {"name": "a", "pattern": "y", "priority": 2}])
    with pytest.raises(RuleError, match="position 11"):
        parse_rule({"name": "p", "pattern": "HIP error: (unclosed", "priority": 1}, index=0, origin="x")


def test_scan_is_capped_in_lines():
    lines = ["RuntimeError: HIP error: too far up"] + ["ok"] * MAX_SCAN_LINES
    assert classify(lines, RULES) is None
    assert classify(lines[1:] + ["HIP error: near"], RULES).line_number == MAX_SCAN_LINES + 1


def test_match_is_capped_in_length():
    assert classify(["x" * MAX_MATCH_CHARS + " HIP error: past the cap"], RULES) is None
    long = "HIP error: " + "y" * 50_000
    failure = classify([long], RULES)
    assert failure.rule == "hip-error" and len(failure.line) <= 1_000 and len(failure.key) <= 160


@pytest.mark.parametrize("line", [
    "a" * 200_000,
    ":1" * 100_000,
    "/" + "a/" * 100_000,
    " " * 100_000 + "x",
    "E " + "\t " * 100_000,
    "A." * 100_000 + "!",
    "1/1 Test #1: " + "." * 100_000,
    "(" * 50_000 + "0x" * 50_000,
])
def test_pathological_lines_give_a_bounded_result(line):
    failure = _hang_guarded(classify, [line] * 50, RULES)
    if failure is not None:
        assert len(failure.line) <= 1_000 and len(failure.key) <= 160
        assert all(len(c) <= 500 for c in failure.context + failure.after)


def test_a_backtracking_rule_is_refused_and_the_cap_bounds_a_slow_one():
    with pytest.raises(RuleError, match="nests unbounded"):
        load_rules([{"name": "evil", "pattern": r"^(a|a?)+$|(x+x+)+y", "priority": 1}])
    # Quadratic, allowed: only the first MAX_MATCH_CHARS of a line are searched, so the tail that would
    # complete the match is never seen.
    slow = load_rules([{"name": "quadratic", "pattern": r"a.*b.*c$", "priority": 2000}])
    assert _hang_guarded(classify, ["a" + "b" * 500_000 + "c"] * 20, slow) is None
    assert classify(["a" + "b" * 10 + "c"], slow).rule == "quadratic"


def test_only_the_last_lines_of_a_long_log_are_scanned():
    lines = ["FAILED tests/test_ops.py::test_early - AssertionError: too early"]
    lines += [f"tests/test_ops.py::test_{n} PASSED [ {n % 100}%]" for n in range(MAX_SCAN_LINES)]
    assert classify(lines, RULES) is None
    lines.append("FAILED tests/test_ops.py::test_x - AssertionError: nope")
    failure = classify(lines, RULES)
    assert failure.rule == "pytest-failed" and failure.line_number == len(lines)


def _hang_guarded(function, *args):
    """Run `function` in a thread; fail if it has not returned after HANG_GUARD_S.

    A hang guard, not a speed check: the limit is far above any normal run, it only stops a test that
    would otherwise never end (catastrophic backtracking)."""
    result: list = []
    worker = threading.Thread(target=lambda: result.append(function(*args)), daemon=True)
    worker.start()
    worker.join(HANG_GUARD_S)
    assert not worker.is_alive(), f"hang guard: still running after {HANG_GUARD_S} s"
    return result[0]


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.text(max_size=300), max_size=60))
def test_random_text_never_raises(lines):
    failure = classify(lines, RULES)
    if failure is not None:
        assert 1 <= failure.line_number <= len(lines)
        assert failure.rule in {r.name for r in RULES}
        assert len(failure.key) <= 160 and len(failure.context) <= 5 and len(failure.after) <= 3


@settings(max_examples=100, deadline=None, database=None)
@given(st.lists(st.sampled_from(["HIP error: x", "ok", "", "Killed", "make: *** [a] Error 1",
                                 "Process completed with exit code 1.", "##[error]boom", "E   ValueError: v"]),
                max_size=MAX_SCAN_LINES + 50))
def test_classify_is_bounded_and_deterministic(lines):
    failure = classify(lines, RULES)
    assert failure == classify(list(lines), RULES)
    if failure is not None:
        assert failure.line_number > len(lines) - MAX_SCAN_LINES
        assert failure.line != "Process completed with exit code 1."
