"""Cleaning a job log's tail: timestamps, ANSI, carriage returns, runner markers and boilerplate."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from quartz.failures import MAX_TAIL_BYTES, MAX_TAIL_LINES, clean_line, clean_log, is_boilerplate, read_tail

STAMP = "2026-12-02T18:41:58.1234567Z "


def test_timestamp_ansi_and_markers_are_stripped():
    assert clean_line(STAMP + "\x1b[31mFAILED\x1b[0m tests/a.py::t - E") == "FAILED tests/a.py::t - E"
    assert clean_line(STAMP + "\x1b[1;38;5;196mbold\x1b[K and \x1b]8;;https://x\x07link\x1b]8;;\x07") == "bold and link"
    assert clean_line(STAMP + "##[group]Run pytest -v") == "Run pytest -v"
    assert clean_line(STAMP + "##[endgroup]") is None
    assert clean_line(STAMP + "##[debug]Evaluating condition") is None
    assert clean_line(STAMP + "[command]/usr/bin/git version") == "/usr/bin/git version"
    error = "##[error]HIP error: invalid device function"
    assert clean_line(STAMP + error) == error
    assert clean_line("2026-12-02T18:41:58Z no fraction") == "no fraction"
    assert clean_line("no stamp at all") == "no stamp at all"


def test_carriage_return_keeps_the_last_drawing():
    assert clean_line(STAMP + "Downloading  10%\rDownloading  57%\rDownloading 100%") == "Downloading 100%"
    assert clean_line(STAMP + "done\r\n") == "done"
    assert clean_line(STAMP + "kept\r\r") == "kept"


def test_blank_and_boilerplate_lines_are_dropped():
    for line in ["", "   ", "\x1b[0m", "Post job cleanup.", "Cleaning up orphan processes",
                 "##[error]Process completed with exit code 1.", "Process completed with exit code 137.",
                 "Error: Process completed with exit code 2.", "Terminate orphan process: pid (4821) (python3)"]:
        assert clean_line(STAMP + line) is None, line
    assert is_boilerplate("##[error]Process completed with exit code 1.")
    assert not is_boilerplate("RuntimeError: HIP error: invalid device function")


def test_bom_crlf_and_numbers():
    data = ("\ufeff" + STAMP + "first\r\n" + STAMP + "##[endgroup]\r\n" + STAMP + "third\n").encode()
    tail = read_tail(data)
    assert tail.lines == ["first", "third"]
    assert tail.numbers == [1, 3]
    assert not tail.truncated


def test_tail_is_capped_in_bytes_and_starts_on_a_whole_line():
    line = STAMP + "x" * 100 + " é\n"
    data = (line * (MAX_TAIL_BYTES // len(line) + 50)).encode() + (STAMP + "the end\n").encode()
    tail = read_tail(data)
    assert tail.truncated
    assert tail.lines[-1] == "the end"
    assert all(text == "x" * 100 + " é" for text in tail.lines[:-1])
    assert len(tail.lines) <= MAX_TAIL_LINES


def test_tail_cut_inside_a_utf8_sequence():
    data = "é".encode() * 10 + b"\n" + (STAMP + "ok ü\n").encode()
    assert read_tail(data[1:], truncated=True).lines == ["ok ü"]
    # No newline to cut at: the broken character goes, the rest stays.
    assert read_tail("ééé".encode()[1:], truncated=True).lines == ["éé"]
    assert read_tail(b"\xa9\xff\xfe ok", truncated=True).lines == ["\ufffd\ufffd ok"]


def test_tail_is_capped_in_lines():
    data = "".join(f"{STAMP}line {n}\n" for n in range(MAX_TAIL_LINES + 500)).encode()
    tail = read_tail(data)
    assert len(tail.lines) == MAX_TAIL_LINES
    assert tail.lines[-1] == f"line {MAX_TAIL_LINES + 499}"
    assert tail.numbers[0] == 501
    assert tail.truncated
    assert clean_log(data, max_lines=3) == [f"line {n}" for n in range(MAX_TAIL_LINES + 497, MAX_TAIL_LINES + 500)]


@settings(max_examples=300, deadline=None, database=None)
@given(st.binary(max_size=3000), st.booleans())
def test_any_bytes_clean_without_error(data, truncated):
    tail = read_tail(data, max_bytes=2048, max_lines=40, truncated=truncated)
    assert len(tail.lines) == len(tail.numbers) <= 40
    assert all(line.strip() and "\n" not in line and "\r" not in line and "\x1b" not in line for line in tail.lines)
    assert tail.numbers == sorted(set(tail.numbers))
