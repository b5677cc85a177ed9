"""The tiers on log shapes of other CI systems and tools (issue 26): the cause over its consequences.

Every log here is real-shaped: the lines are in the format the named tool prints (the source is cited at
each case); names, paths and numbers are made up. Real logs with stated answers are in the corpus test.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quartz.failures import classify, find_failure, load_rules, strip_prefix

RULES = load_rules()

# (why, log lines, the line that must be found, its rule)
CASES = [
    # AddressSanitizer's report (github.com/google/sanitizers/wiki/AddressSanitizerExampleUseAfterFree); the
    # SUMMARY line and the abort after it are the same crash said again.
    ("sanitizer over SIGABRT and its summary",
     ["[ RUN      ] Parser.Reads", "=================================================================",
      "==4521==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010 at pc 0x4f2 bp 0x7ff",
      "READ of size 4 at 0x602000000010 thread T0", "    #0 0x4f2 in Parse src/parse.c:12",
      "SUMMARY: AddressSanitizer: heap-use-after-free src/parse.c:12 in Parse", "==4521==ABORTING",
      "Aborted (core dumped)", "make: *** [Makefile:30: check] Error 134"],
     "==4521==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010 at pc 0x4f2 bp 0x7ff",
     "sanitizer"),
    # Mozilla's harness lines in a Taskcluster log (`[task <time>] <clock>     INFO - `), as in
    # mozilla-mobile/fenix#20408: PROCESS-CRASH names the crash, the signal only says how it died.
    ("PROCESS-CRASH over SIGSEGV, behind Taskcluster's prefixes",
     ["[task 2026-05-01T06:22:07.750Z] 06:22:00     INFO -  mozcrash Copy/paste: minidump_stackwalk",
      "[task 2026-05-01T06:22:07.751Z] 06:22:00     INFO -  Crash reason:  SIGSEGV /SEGV_MAPERR",
      "[task 2026-05-01T06:22:07.752Z] 06:22:00    ERROR -  PROCESS-CRASH | dom/tests/test_x.html | "
      "application crashed [@ mozilla::dom::Foo::Bar]",
      "[task 2026-05-01T06:22:07.753Z] 06:22:00     INFO -  Return code: 1",
      "[taskcluster 2026-05-01T06:22:08.000Z] === Task Finished ===",
      "[taskcluster:error] exit status 1"],
     "[task 2026-05-01T06:22:07.752Z] 06:22:00    ERROR -  PROCESS-CRASH | dom/tests/test_x.html | "
     "application crashed [@ mozilla::dom::Foo::Bar]", "process-crash-report"),
    ("TEST-UNEXPECTED-FAIL behind Taskcluster's prefixes",
     ["[task 2026-05-01T06:22:07.750Z] 06:22:00     INFO -  TEST-PASS | dom/tests/test_a.html | ok",
      "[task 2026-05-01T06:22:07.751Z] 06:22:00     INFO -  TEST-UNEXPECTED-FAIL | dom/tests/test_b.html | "
      "expected 1, got 2",
      "[task 2026-05-01T06:22:07.752Z] 06:22:00     INFO -  Return code: 1"],
     "[task 2026-05-01T06:22:07.751Z] 06:22:00     INFO -  TEST-UNEXPECTED-FAIL | dom/tests/test_b.html | "
     "expected 1, got 2", "mozilla-test-unexpected"),
    ("a reftest failure", ["[task 2026-05-01T06:22:07.750Z] 06:22:00     INFO - REFTEST TEST-UNEXPECTED-FAIL | "
                           "layout/reftests/a.html == layout/reftests/a-ref.html | image comparison, max difference: "
                           "255, number of differing pixels: 1",
                           "[task 2026-05-01T06:22:07.751Z] 06:22:00     INFO - REFTEST INFO | Result summary:"],
     "[task 2026-05-01T06:22:07.750Z] 06:22:00     INFO - REFTEST TEST-UNEXPECTED-FAIL | "
     "layout/reftests/a.html == layout/reftests/a-ref.html | image comparison, max difference: "
     "255, number of differing pixels: 1", "mozilla-test-unexpected"),
    # Gradle's console for a failed test task (JUnit 5 names end in `()`; Gradle's docs, "Testing in Java &
    # JVM projects"), behind Jenkins' Timestamper `HH:MM:SS ` prefix.
    ("Gradle: the failed test over the task and the build",
     ["19:15:51 > Task :core:test", "19:15:58 ", "19:15:58 ParserTest > readsEmptyInput() FAILED",
      "19:15:58     org.opentest4j.AssertionFailedError at ParserTest.java:42", "19:15:58 ",
      "19:15:58 12 tests completed, 1 failed", "19:15:58 > Task :core:test FAILED", "19:15:58 ",
      "19:15:58 FAILURE: Build failed with an exception.", "19:15:58 * What went wrong:",
      "19:15:58 Execution failed for task ':core:test'.",
      "19:15:58 > There were failing tests. See the report at: file:///w/core/build/reports/tests/test/index.html",
      "19:15:58 BUILD FAILED in 41s"],
     "19:15:58 ParserTest > readsEmptyInput() FAILED", "junit-test-failed"),
    # JUnit 4 under Gradle prints the method without `()`.
    ("Gradle, JUnit 4 names", ["com.example.MyTest > shouldDoSomething FAILED",
                               "    java.lang.AssertionError: expected:<1> but was:<2>"],
     "com.example.MyTest > shouldDoSomething FAILED", "junit-test-failed"),
    ("Gradle: the task, when no test or compiler names the cause",
     ["> Task :app:mergeDebugResources FAILED", "FAILURE: Build failed with an exception.", "* What went wrong:",
      "Execution failed for task ':app:mergeDebugResources'.", "BUILD FAILED in 3s"],
     "Execution failed for task ':app:mergeDebugResources'.", "gradle-task-failed"),
    # maven-compiler-plugin: javac's finding as `[ERROR] <file>:[line,col] <message>`, then the goal.
    ("Maven/javac: the compiler's line over the failed goal",
     ["[INFO] Compiling 120 source files to /w/target/classes", "[ERROR] COMPILATION ERROR : ",
      "[ERROR] /w/src/main/java/org/example/Foo.java:[42,46] cannot access org.example.Bar",
      "[INFO] 1 error", "[INFO] BUILD FAILURE",
      "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile "
      "(default-compile) on project core: Compilation failure", "[ERROR] -> [Help 1]"],
     "[ERROR] /w/src/main/java/org/example/Foo.java:[42,46] cannot access org.example.Bar", "javac-error"),
    # A plugin's own finding over the failed goal and Maven's closing advice (printed after every failure).
    ("Maven: a plugin's finding over the closing advice",
     ["[ERROR] Rule 0: org.apache.maven.enforcer.rules.version.RequireJavaVersion failed with message:",
      "[ERROR] Detected JDK version 11.0.21 is not in the allowed range [17,).",
      "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-enforcer-plugin:3.4.1:enforce (enforce) on "
      "project core: Some Enforcer rules have failed.",
      "[ERROR] ", "[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.",
      "[ERROR] Re-run Maven using the -X switch to enable full debug logging.", "[ERROR] ",
      "[ERROR] For more information about the errors and possible solutions, please read the following articles:",
      "[ERROR] [Help 1] http://cwiki.apache.org/confluence/display/MAVEN/MojoExecutionException"],
     "[ERROR] Detected JDK version 11.0.21 is not in the allowed range [17,).", "error-prefix"),
    # maven-surefire-plugin's per-test line.
    ("Maven/surefire: the failed test over the totals",
     ["[INFO] Running org.example.FooTest",
      "[ERROR] Tests run: 3, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.05 s <<< FAILURE! - in "
      "org.example.FooTest",
      "[ERROR] testParse(org.example.FooTest)  Time elapsed: 0.01 s  <<< FAILURE!",
      "java.lang.AssertionError: expected:<1> but was:<2>", "[ERROR] Tests run: 3, Failures: 1, Errors: 0",
      "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:3.2.2:test (default-test) "
      "on project core: There are test failures."],
     "[ERROR] testParse(org.example.FooTest)  Time elapsed: 0.01 s  <<< FAILURE!", "junit-test-failed"),
    # The Linux kernel's modpost (scripts/mod/modpost.c) and kconfig (scripts/kconfig/conf.c) messages.
    ("kernel: modpost over make",
     ["  MODPOST Module.symvers", "ERROR: modpost: \"drm_gem_fb_create\" [drivers/gpu/drm/foo/foo.ko] undefined!",
      "make[2]: *** [scripts/Makefile.modpost:145: Module.symvers] Error 1",
      "make[1]: *** [Makefile:1961: modpost] Error 2", "make: *** [Makefile:234: __sub-make] Error 2"],
     "ERROR: modpost: \"drm_gem_fb_create\" [drivers/gpu/drm/foo/foo.ko] undefined!", "kernel-build-error"),
    ("kernel: a missing defconfig",
     ["  HOSTCC  scripts/kconfig/conf.o", "***", "*** Can't find default configuration "
      "\"arch/arm64/configs/foo_defconfig\"!", "***",
      "make[1]: *** [scripts/kconfig/Makefile:94: foo_defconfig] Error 1"],
     "*** Can't find default configuration \"arch/arm64/configs/foo_defconfig\"!", "kernel-build-error"),
    # git's own fatal line, then the checkout action's exit-code annotation (HUD fixture
    # checkout_ciflow_tag_missing.txt has the same pair).
    ("the cause over the process's exit code",
     ["##[error]fatal: couldn't find remote ref refs/tags/v1", "##[error]The process '/usr/bin/git' failed "
      "with exit code 128"], "##[error]fatal: couldn't find remote ref refs/tags/v1", "gha-error"),
    # pytest's `-rf` summary with durations (pytest-rerunfailures / PyTorch's `--durations` form, HUD
    # fixture pytest_failure.txt), then the KeyboardInterrupt of the timeout that killed the run.
    ("pytest FAILED with a duration over a later KeyboardInterrupt",
     ["FAILED [310.0221s] test/test_c10d.py::TestGloo::test_all_gather - RuntimeError: Process 0 terminated",
      "======================== 1 failed in 310.03s (0:05:10) =========================",
      "Traceback (most recent call last):", "KeyboardInterrupt:", "Command took >15min, returning 124"],
     "FAILED [310.0221s] test/test_c10d.py::TestGloo::test_all_gather - RuntimeError: Process 0 terminated",
     "pytest-failed"),
    # pytest's banner when a timeout interrupts the run (HUD fixture python_test_keyboardinterrupt.txt).
    ("a KeyboardInterrupt from a timeout over the runner's timeout note",
     ["test_ops.py::test_a PASSED [ 90%]",
      "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!! KeyboardInterrupt !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
      "========== 1182 passed, 1523 skipped in 497.69s (0:08:17) ==========",
      "Command took >30min, returning 124", "Got exit code 124"],
     "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!! KeyboardInterrupt !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", "test-interrupted"),
    # PyTorch's run_test.py retry wrapper (HUD fixture unittest_failed_consistently.txt).
    ("FAILED CONSISTENTLY over pytest's total",
     ["================= 1 failed, 1107 deselected, 2 rerun in 1.66s ==================", "Got exit code 1",
      "FAILED CONSISTENTLY: test/test_x.py::TestX::test_y"],
     "FAILED CONSISTENTLY: test/test_x.py::TestX::test_y", "failed-consistently"),
    # A test runner's own summary raised as an exception is a consequence (HUD collection_syntaxerror.txt).
    ("the failing test's error over the runner's RuntimeError summary",
     ["SyntaxError: invalid decimal literal", "Got exit code 1", "test_ops 3/4 failed!",
      "RuntimeError: test_ops 3/4 failed!"], "SyntaxError: invalid decimal literal", "python-exception"),
    # GitHub's REST error body (HUD fixture gh_api_rate_limit.txt).
    ("the GitHub API rate limit",
     ["{", '\t"message": "API rate limit exceeded for user ID 1. If you reach out to GitHub Support…",',
      '\t"status": "403"', "}", "##[error]Process completed with exit code 1."],
     '\t"message": "API rate limit exceeded for user ID 1. If you reach out to GitHub Support…",',
     "github-rate-limit"),
    # Jenkins Pipeline's own lines (`sh` step, Timestamper prefix): the step's exit code and the build's
    # result are consequences of the test line above them.
    # unittest's report (Django's runner prints the same) under Jenkins Pipeline: the failed test over the
    # runner's total, the step's exit code and the build's result.
    ("Jenkins: the failed test over `script returned exit code` and `Finished: FAILURE`",
     ["[2026-05-01T19:15:58.122Z] ======================================================================",
      "[2026-05-01T19:15:58.123Z] FAIL: test_parse (tests.test_parser.ParserTest)",
      "[2026-05-01T19:15:58.124Z] AssertionError: 3 != 4", "[2026-05-01T19:15:58.125Z] Ran 12 tests in 0.2s",
      "[2026-05-01T19:15:58.126Z] FAILED (failures=1)",
      "[Pipeline] }", "ERROR: script returned exit code 1", "Finished: FAILURE"],
     "[2026-05-01T19:15:58.123Z] FAIL: test_parse (tests.test_parser.ParserTest)", "other-test-failed"),
    # KUnit's expectation line (Documentation/dev-tools/kunit) over its TAP `not ok`.
    ("KUnit", ["    # parse_test: EXPECTATION FAILED at lib/parse_kunit.c:42",
               "    Expected x == 3, but x == 4", "    not ok 1 parse_test", "not ok 1 parse"],
     "# parse_test: EXPECTATION FAILED at lib/parse_kunit.c:42", "kunit-failed"),
    ("Gradle's daemon crash", ["> Task :core:test", "Gradle build daemon disappeared unexpectedly (it may have "
                               "been killed or may have crashed)", "FAILURE: Build failed with an exception."],
     "Gradle build daemon disappeared unexpectedly (it may have been killed or may have crashed)",
     "process-crash"),
    # Jenkins' post-build steps run after the failure and fail because of it; mozharness and Taskcluster
    # close with their own verdicts.
    ("Jenkins: an error over a failed post-build step",
     ["19:15:58 ModuleNotFoundError: No module named 'yaml'",
      "19:16:00 ERROR: Step ‘Publish JUnit test result report’ failed: No test report files were found.",
      "Finished: FAILURE"], "19:15:58 ModuleNotFoundError: No module named 'yaml'", "python-exception"),
    ("mozharness and Taskcluster verdicts",
     ["[task 2026-05-01T06:22:07.750Z] 06:22:00    ERROR - fatal: remote error: upload-pack: not our ref",
      "[task 2026-05-01T06:22:07.751Z] 06:22:00  WARNING - setting return code to 2",
      "[task 2026-05-01T06:22:07.752Z] 06:22:00    ERROR - # TBPL FAILURE #",
      "[taskcluster 2026-05-01T06:22:08.000Z] Unsuccessful task run with exit code: 2 completed in 61.2 seconds"],
     "[task 2026-05-01T06:22:07.750Z] 06:22:00    ERROR - fatal: remote error: upload-pack: not our ref",
     "error-prefix"),
    ("Jenkins: a timeout", ["19:15:58 Cancelling nested steps due to timeout", "19:15:58 Sending interrupt signal",
                            "ERROR: script returned exit code 143", "Finished: ABORTED"],
     "19:15:58 Cancelling nested steps due to timeout", "job-timeout"),
    # A Jenkins console note (hidden by escape codes in the raw console) before the tool's text.
    ("Jenkins console note", ["\x1b[8mha:////4NlGhbq1z0BAAA=\x1b[0m[ERROR] /w/src/Foo.java:[3,8] cannot find symbol"
                              .replace("\x1b[8m", "").replace("\x1b[0m", "")],
     "ha:////4NlGhbq1z0BAAA=[ERROR] /w/src/Foo.java:[3,8] cannot find symbol", "javac-error"),
    # The kernel's KASAN report (Documentation/dev-tools/kasan.rst) over the panic it ends with.
    ("kernel: KASAN over the panic",
     ["[   12.345678] ==================================================================",
      "[   12.345679] BUG: KASAN: slab-out-of-bounds in foo_probe+0x12/0x30",
      "[   12.345680] Write of size 4 at addr ffff888003e0c8f8 by task swapper/0/1",
      "[   13.000000] Kernel panic - not syncing: KASAN: panic_on_warn set ..."],
     "[   12.345679] BUG: KASAN: slab-out-of-bounds in foo_probe+0x12/0x30", "sanitizer"),
    ("kernel: a NULL dereference", ["[    1.234567] BUG: kernel NULL pointer dereference, address: 0000000000000008",
                                    "[    1.234568] #PF: supervisor read access in kernel mode",
                                    "[    1.300000] Kernel panic - not syncing: Fatal exception"],
     "[    1.234567] BUG: kernel NULL pointer dereference, address: 0000000000000008", "kernel-crash"),
    ("kernel: a panic alone", ["[    2.000000] Kernel panic - not syncing: VFS: Unable to mount root fs"],
     "[    2.000000] Kernel panic - not syncing: VFS: Unable to mount root fs", "kernel-panic"),
    # Only a sanitizer's SUMMARY line left in the tail: still the cause.
    ("a sanitizer's summary alone", ["SUMMARY: AddressSanitizer: stack-buffer-overflow src/a.c:3 in f",
                                     "make: *** [check] Error 1"],
     "SUMMARY: AddressSanitizer: stack-buffer-overflow src/a.c:3 in f", "sanitizer-summary"),
    # TAP (kernel selftests' `not ok`), `cargo test`, `go test`, jest and Bazel test lines.
    ("kselftest TAP", ["ok 1 selftests: net: reuseport_bpf", "not ok 2 selftests: net: udpgso.sh # exit=1",
                       "not ok 3 selftests: net: tls # SKIP"],
     "not ok 2 selftests: net: udpgso.sh # exit=1", "other-test-failed"),
    ("cargo test", ["test parser::reads_empty ... ok", "test parser::reads_numbers ... FAILED", "failures:",
                    "test result: FAILED. 1 passed; 1 failed; 0 ignored", "error: test failed, to rerun pass `--lib`"],
     "test parser::reads_numbers ... FAILED", "other-test-failed"),
    ("go test", ["=== RUN   TestParse", "    parse_test.go:12: got 3, want 4", "--- FAIL: TestParse (0.00s)",
                 "FAIL", "FAIL\tgithub.com/example/parse\t0.012s"], "--- FAIL: TestParse (0.00s)", "other-test-failed"),
    ("a Go panic over the package's FAIL", ["panic: runtime error: index out of range [3] with length 3",
                                             "goroutine 7 [running]:", "FAIL\tgithub.com/example/parse\t0.012s"],
     "panic: runtime error: index out of range [3] with length 3", "go-panic"),
    ("rustc over cargo's summary", ["error[E0425]: cannot find value `x` in this scope", " --> src/main.rs:2:5",
                                    "error: could not compile `demo` (bin \"demo\") due to 1 previous error"],
     "error[E0425]: cannot find value `x` in this scope", "compiler-error"),
    ("jest", ["FAIL src/Button.test.js", "  ● Button › renders the label", "    expect(received).toBe(expected)",
              "npm ERR! Test failed.  See above for more details."],
     "  ● Button › renders the label", "other-test-failed"),
    ("Bazel", ["//core:parser_test                                                       FAILED in 3.2s",
               "Executed 1 out of 1 test: 1 fails locally.", "FAILED: Build did NOT complete successfully"],
     "//core:parser_test                                                       FAILED in 3.2s", "other-test-failed"),
    # Surefire 3's `-- Time elapsed` form and Maven's closing list of failures.
    ("Surefire 3 test line", ["[ERROR] org.example.FooTest.parses -- Time elapsed: 0.012 s <<< FAILURE!",
                              "org.opentest4j.AssertionFailedError: expected: <1> but was: <2>"],
     "[ERROR] org.example.FooTest.parses -- Time elapsed: 0.012 s <<< FAILURE!", "junit-test-failed"),
    ("Maven's list of failures", ["[ERROR] Failures: ", "[ERROR]   FooTest.parses:42 expected: <1> but was: <2>",
                                  "[ERROR] Tests run: 12, Failures: 1, Errors: 0, Skipped: 0", "[INFO] BUILD FAILURE"],
     "[ERROR]   FooTest.parses:42 expected: <1> but was: <2>", "other-test-failed"),
    # kotlinc under Gradle: `e: file:///…/Foo.kt:12:5 message`.
    ("Kotlin over Gradle's task", ["> Task :app:compileKotlin FAILED",
                                   "e: file:///w/app/src/main/kotlin/Foo.kt:12:5 Unresolved reference: bar",
                                   "FAILURE: Build failed with an exception.",
                                   "> Compilation error. See log for more details"],
     "e: file:///w/app/src/main/kotlin/Foo.kt:12:5 Unresolved reference: bar", "javac-error"),
    ("Gradle: a project that does not configure",
     ["FAILURE: Build failed with an exception.", "* What went wrong:",
      "A problem occurred configuring project ':app'.", "BUILD FAILED in 2s"],
     "A problem occurred configuring project ':app'.", "gradle-task-failed"),
    # autoconf's configure (the `No acceptable C compiler found in $PATH` line) before make gives up.
    ("a missing compiler over the exit code",
     ["checking for gcc... no", "configure: error: in `/w/build':",
      "configure: error: no acceptable C compiler found in $PATH", "Error: Process completed with exit code 77."],
     "configure: error: no acceptable C compiler found in $PATH", "compiler-missing"),
]


@pytest.mark.parametrize(("why", "lines", "line", "rule"), CASES, ids=[c[0] for c in CASES])
def test_the_cause_is_found(why, lines, line, rule):
    failure = classify(lines, RULES)
    assert failure is not None, why
    assert (failure.line, failure.rule) == (line.strip(), rule), why


def test_the_first_failing_step_wins_over_later_steps():
    # HUD fixture artifact_not_found.txt: the download fails, a later `if: always()` upload step fails too.
    lines = ["Run actions/download-artifact@v4", "##[error]Unable to download artifact(s): Artifact not found "
             "for name: wheel-py3_10", "Run actions/upload-artifact@v4",
             "##[error]No files were found with the provided path: /w/out. No artifacts will be uploaded."]
    assert classify(lines, RULES).line_number == 2
    # Within one step the last of equal lines wins: a retried command's final attempt.
    retried = ["Run git fetch", "##[error]fatal: couldn't find remote ref refs/x", "Waiting 18 seconds",
               "##[error]fatal: couldn't find remote ref refs/x"]
    assert classify(retried, RULES).line_number == 4


def test_a_chained_exception_gives_way_to_the_one_it_caused():
    # Python's own wording (HUD fixture error_log1.txt has a three-link chain).
    lines = ["requests.exceptions.ReadTimeout: Read timed out. (read timeout=10)", "",
             "The above exception was the direct cause of the following exception:", "",
             "Traceback (most recent call last):", '  File "x.py", line 1, in <module>',
             "OSError: We couldn't connect to 'https://huggingface.co' to load this file"]
    failure = classify(lines, RULES)
    assert (failure.line_number, failure.rule) == (7, "network-error")


def test_the_key_is_the_same_behind_any_prefix():
    plain = classify(["/src/a.cpp:12:3: error: expected ';' after expression"], RULES).key
    for prefixed in ["19:15:58 /src/a.cpp:12:3: error: expected ';' after expression",
                     "[task 2026-05-01T06:22:07.750Z] /src/a.cpp:12:3: error: expected ';' after expression",
                     "[2026-05-01T19:15:58.123Z] /src/a.cpp:12:3: error: expected ';' after expression"]:
        assert classify([prefixed], RULES).key == plain
    assert find_failure(b"2026-12-02T18:41:58.1234567Z ##[error]Artifact not found for name: x\n").key == \
        find_failure(b"2026-12-03T01:00:00.0000000Z ##[error]Artifact not found for name: x\n").key


@pytest.mark.parametrize(("line", "text", "annotated"), [
    ("19:15:58 [ERROR] boom", "[ERROR] boom", False),
    ("[task 2026-05-01T12:00:00.123Z] 12:00:01     INFO -  TEST-UNEXPECTED-FAIL | a | b",
     "TEST-UNEXPECTED-FAIL | a | b", False),
    ("    java.lang.AssertionError at X.java:1", "java.lang.AssertionError at X.java:1", False),
    ("##[error]boom", "boom", True),
    ("[   12.345678] BUG: unable to handle page fault", "BUG: unable to handle page fault", False),
    ("12:30 is not a clock prefix", "12:30 is not a clock prefix", False),
])
def test_strip_prefix(line, text, annotated):
    assert strip_prefix(line) == (text, annotated)


def test_a_fleet_rule_takes_a_tier():
    rules = load_rules([{"name": "flaky-infra", "pattern": "^Infra hiccup", "priority": 10, "tier": "consequence"},
                        {"name": "gha-error", "pattern": r"^##\[error\](?P<key>.*)", "priority": 5}])
    by_name = {r.name: r for r in rules}
    assert by_name["flaky-infra"].tier == "consequence" and by_name["gha-error"].tier == "annotation"
    assert classify(["Infra hiccup", "KeyError: 'x'"], rules).rule == "python-exception"
    mine = load_rules([{"name": "triton", "pattern": "^triton.compiler.errors.", "priority": 1}])
    assert classify(["RuntimeError: later", "triton.compiler.errors.CompilationError: x"], mine).rule == "triton"


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.sampled_from(["HIP error: ", "error: ", "FAILED", "Killed", "no ", "NO ", "Sanitizer: ", "##[error]",
                                 ".py:", " > ", "Error", " 137", "x", " ", ":", "\t", "ſ", "K"]), max_size=12))
def test_a_gate_never_hides_a_match(parts):
    _check_gates("".join(parts))


def test_gates_pass_every_line_a_rule_matches_in_the_examples():
    for _, lines, _, _ in CASES:
        for line in lines:
            _check_gates(strip_prefix(line)[0])


def _check_gates(text: str) -> None:
    for rule in RULES:
        if rule.gate and rule.pattern.search(text):
            hay = text.lower() if rule.gate_lower else text
            assert any(literal in hay for literal in rule.gate), (rule.name, text)
