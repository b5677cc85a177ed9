"""Grouping keys: the same failure in two projects, branches or runs gets one key; different ones do not."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quartz.failures import KEY_MAX_CHARS, classify, failure_key, find_failure, key_id, load_rules, normalise

RULES = load_rules()
LOGS = Path(__file__).parent / "fixtures" / "logs"


@pytest.mark.parametrize(("text", "expected"), [
    ("/__w/pytorch/pytorch/aten/src/ATen/native/hip/Loss.hip:415:18: error: x", "Loss.hip:<n>:<n>: error: x"),
    ('File "/usr/lib/python3.12/site-packages/torch/cuda/__init__.py", line 129, in _lazy_init',
     'File "__init__.py", line <n>, in _lazy_init'),
    ("C:\\actions-runner\\_work\\x\\src\\foo.cpp(12): error C2065", "foo.cpp(<n>): error C2065"),
    ("at 2026-12-02T18:41:58.123Z and 2026-12-02 18:41:58+00:00 on 2026-12-02 at 18:41:58",
     "at <time> and <time> on <date> at <time>"),
    ("job 3f1c2a9e-8b7d-4c6e-9a1b-2d3e4f5a6b7c sha 9f8e7d6c5b4a39281706f5e4d3c2b1a098765432 build 1a2b3c4",
     "job <uuid> sha <hex> build <hex>"),
    ("Agent handle: 0x55d5c8a0b2c0 on address 0X7F3A00001000", "Agent handle: 0x<hex> on address 0x<hex>"),
    ("connect to 10.0.3.17:29500 failed", "connect to <ip> failed"),
    ("see https://HuggingFace.co/api/models/meta-llama/Llama-3-8B?rev=main now", "see https://huggingface.co/… now"),
    ("Tried to allocate 2.00 GiB in 12.3s (3 / 100, 0.5%)", "Tried to allocate <n> GiB in <n>s (<n> / <n>, <n>%)"),
    ("open '/tmp/tmpk2j3_x9q/input.json' and 'tmpab12cd_x'", "open 'input.json' and 'tmp<x>'"),
    ("make[2]: *** [CMakeFiles/Makefile2:1204: all] Error 2",
     "make[<n>]: *** [CMakeFiles/Makefile2:<n>: all] Error <n>"),
    ("   many     spaces\there  ", "many spaces here"),
])
def test_normalise(text, expected):
    assert normalise(text) == expected


def test_architecture_names_and_codes_are_kept():
    text = "test_conv2d_gfx942 on gfx90a:xnack- and gfx1100 (E501, sm_90, cp311, test_op_03, MI300X)"
    assert normalise(text) == text
    assert failure_key("hip-error", "kernel for gfx942") != failure_key("hip-error", "kernel for gfx950")


def test_same_failure_in_two_logs_same_key():
    # Two checkouts, two line numbers: one compiler error (the simulator's line and the fixture's).
    a = classify(["/src/aten/native/hip/Loss.hip:412:18: error: use of undeclared identifier 'hipLaunchKernelGGL'"],
                 RULES)
    b = find_failure((LOGS / "hipcc_compile_error.log").read_bytes(), RULES)
    assert a.key == b.key and a.line != b.line
    # One GPU fault on two nodes, at two addresses, in two processes.
    fault = find_failure((LOGS / "gpu_memory_fault.log").read_bytes(), RULES)
    other = classify(["Memory access fault by GPU node-4 (Agent handle: 0x5611aa00ff10) on address 0x7ffe12345000. "
                      "Reason: Page not present or supervisor privilege."], RULES)
    assert fault.key == other.key
    # One HIP error: from pytest's E line in one project, its summary line in another.
    e_line = classify(["E       RuntimeError: HIP error: invalid device function"], RULES)
    summary = classify(["FAILED tests/test_x.py::test_y[gfx942] - RuntimeError: HIP error: invalid device function"],
                       RULES)
    assert e_line.key == summary.key == "hip-error: HIP error: invalid device function"
    # Runners with generated names time out the same way.
    one = classify(["##[error]The job running on runner mi300-a1b2c has exceeded the maximum execution time of 360 "
                    "minutes."], RULES)
    two = classify(["##[error]The job running on runner gpu-pool-77-zz9 has exceeded the maximum execution time of "
                    "120 minutes."], RULES)
    assert one.key == two.key == "job-timeout"
    # One pytest failure in two branches: parametrisation numbers and temp paths differ.
    x = classify(["FAILED tests/test_io.py::test_save[128] - FileNotFoundError: "
                  "'/tmp/pytest-of-runner/pytest-3/x0/a.pt'"], RULES)
    y = classify(["FAILED tests/test_io.py::test_save[256] - FileNotFoundError: "
                  "'/tmp/pytest-of-ci/pytest-11/x1/a.pt'"], RULES)
    assert x.key == y.key


def test_different_failures_different_keys():
    lines = [
        "RuntimeError: HIP error: invalid device function",
        "RuntimeError: HIP error: out of memory",
        "/src/a.cpp:1:2: error: use of undeclared identifier 'foo'",
        "/src/a.cpp:1:2: error: use of undeclared identifier 'bar'",
        "FAILED tests/test_a.py::test_one - AssertionError: x",
        "FAILED tests/test_a.py::test_two - AssertionError: x",
        "3 - rocprim.device_scan (Failed)",
        "3 - rocprim.device_scan (Timeout)",
        "No space left on device",
        "Connection reset by peer",
    ]
    keys = [classify([line], RULES).key for line in lines]
    assert len(set(keys)) == len(keys), keys


def test_key_shape():
    assert failure_key("runner-lost", "") == "runner-lost"
    long = failure_key("python-exception", "ValueError: " + "word " * 100)
    assert len(long) == KEY_MAX_CHARS and long.endswith("…")
    assert key_id("hip-error: HIP error: x") == key_id("hip-error: HIP error: x")
    assert key_id("a") != key_id("b") and len(key_id("a")) == 16


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(max_size=400))
def test_keys_never_raise_and_are_bounded(text):
    key = failure_key("rule", text)
    assert len(key) <= KEY_MAX_CHARS
    assert key == failure_key("rule", text)
    assert "\n" not in normalise(text)
