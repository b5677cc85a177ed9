"""The failure-line classifier in the bench: its time per MB of log.

Sync classifies one log tail per failed job (at most MAX_TAIL_BYTES, read with a ranged download). The bench
times find_failure on LOGS synthetic tails of that size, in GitHub's format (a timestamp before each line,
colour codes), built from what real failed jobs print: a pytest run with its summary, a compiler and
linker run, and a Jenkins-prefixed Gradle run; the failure sits near the end, as in a real log, so every
line is scanned. Reported: seconds per MB of log read (the mean, and the slowest log's), and MB read.
"""

from __future__ import annotations

import time

from quartz.failures import MAX_TAIL_BYTES, find_failure, load_rules

LOGS = 12
QUICK_LOGS = 3
_SHAPES = {
    "pytest": (["test/test_ops.py::TestCommonCUDA::test_variant_{n}_cuda_float32 \x1b[32mPASSED\x1b[0m [  {p}%]",
                "I1207 12:00:00.{n} 4242 site-packages/torch/distributed/c10d.py:{n}] Started process {n}"],
               ["_______________ TestCommonCUDA.test_variant_{n}_cuda_float32 _______________",
                "E       AssertionError: Tensor-likes are not close!",
                "FAILED test/test_ops.py::TestCommonCUDA::test_variant_{n}_cuda_float32 - AssertionError: x",
                "========== 1 failed, {n} passed in 310.03s (0:05:10) ==========",
                "##[error]Process completed with exit code 1."]),
    "build": (["[{n}/9000] Building CXX object aten/src/ATen/CMakeFiles/aten.dir/native/Op{n}.cpp.o",
               "/src/aten/native/Op{n}.cpp:12:3: warning: unused variable 'x' [-Wunused-variable]"],
              ["FAILED: aten/src/ATen/CMakeFiles/aten.dir/native/Loss.cpp.o",
               "/src/aten/native/Loss.cpp:415:18: error: use of undeclared identifier 'hipLaunchKernelGGL'",
               "ninja: build stopped: subcommand failed.", "make: *** [Makefile:12: all] Error 1",
               "##[error]Process completed with exit code 2."]),
    "gradle": (["19:15:{s} > Task :module{n}:compileJava UP-TO-DATE",
                "19:15:{s} org.example.Test{n} > reads() PASSED"],
               ["19:15:58 org.example.ParserTest > readsEmptyInput() FAILED",
                "19:15:58     org.opentest4j.AssertionFailedError at ParserTest.java:42",
                "19:15:58 > Task :core:test FAILED", "19:15:58 Execution failed for task ':core:test'.",
                "19:15:58 BUILD FAILED in 41s"]),
}


def synthetic_log(shape: str, size: int = MAX_TAIL_BYTES) -> bytes:
    """A job log of about `size` bytes of one shape, its failure at the end."""
    body, ending = _SHAPES[shape]
    out, total, n = [], 0, 0
    stamp = "2026-12-07T12:00:00.0000000Z "
    while total < size:
        line = stamp + body[n % len(body)].format(n=n, p=n % 100, s=f"{n % 60:02d}") + "\n"
        out.append(line)
        total += len(line)
        n += 1
    out += [stamp + line + "\n" for line in ending]
    return "".join(out).encode("utf-8")[-size:]


def measure(*, quick: bool = False, say=lambda _text: None) -> dict:
    rules = load_rules()
    count = QUICK_LOGS if quick else LOGS
    shapes = sorted(_SHAPES)
    logs = [synthetic_log(shapes[n % len(shapes)]) for n in range(count)]
    say(f"bench: classifying {count} log tails of {MAX_TAIL_BYTES // 1024} KiB")
    times, found = [], 0
    for data in logs:
        t0 = time.perf_counter()
        failure = find_failure(data, rules)
        times.append(time.perf_counter() - t0)
        found += failure is not None
    megabytes = sum(len(d) for d in logs) / 1e6
    return {"logs": count, "megabytes": round(megabytes, 3), "found": found, "seconds": sum(times),
            "seconds_per_mb": sum(times) / megabytes,
            "slowest_seconds_per_mb": max(t / (len(d) / 1e6) for t, d in zip(times, logs, strict=True))}


def lines(figures: dict) -> list[str]:
    return ["", "Failure-line classifier (one capped log tail per failed job)",
            "| logs | MB read | lines found | s per MB (mean) | s per MB (slowest log) |", "|---|---|---|---|---|",
            f"| {figures['logs']} | {figures['megabytes']:.2f} | {figures['found']} | "
            f"{figures['seconds_per_mb']:.3f} | {figures['slowest_seconds_per_mb']:.3f} |"]
