"""A GitHub Actions job log's tail, cleaned down to the lines a person would read.

`GET /repos/{o}/{r}/actions/jobs/{id}/logs` gives plain text: every line starts with an ISO timestamp
(`2026-12-02T18:41:58.1234567Z `), tools colour their output with ANSI escapes, progress bars overwrite
themselves with carriage returns, the runner brackets steps with `##[group]`/`##[endgroup]` and ends a
failed step with "Process completed with exit code 1.". Only the end of a log says why a job failed, so
at most MAX_TAIL_BYTES of it are read and at most MAX_TAIL_LINES cleaned lines kept.

Everything here is pure: bytes in, lines out, nothing raised for any input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TAIL_BYTES = 512 * 1024
MAX_TAIL_LINES = 2_000
# A cleaned line longer than this is cut (a minified blob or a progress bar with no newline in it).
MAX_LINE_CHARS = 4_000

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z ?")
# CSI (colours, cursor moves), OSC (titles, hyperlinks; ended by BEL or ST), and the two-byte escapes.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")
# Control characters that are left after the escapes are gone (tab stays).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Runner markers that are noise in themselves; `##[group]Title` keeps its title (it names the step).
_DROP_MARKERS = ("##[endgroup]", "##[debug]")
_KEEP_TEXT_MARKERS = ("##[group]", "[command]", "##[command]")
# Lines the runner writes for every job, failed or not: never a reason for a failure.
_BOILERPLATE = re.compile(
    r"^(?:"
    r"(?:##\[error\]|Error: )?Process completed with exit code -?\d+\.?"
    r"|Post job cleanup\."
    r"|Cleaning up orphan processes"
    r"|Terminate orphan process: pid \(\d+\) \(.*\)"
    r"|Evaluate and set job outputs"
    r"|Set output '.*'"
    r"|Complete job name: .*"
    r"|Complete job"
    r"|Job completed"
    r")\s*$"
)


# What other CI systems put before a tool's own text (the rules match the text, wherever it starts):
# Jenkins' `19:15:58 ` or timestamper's `[2026-05-01T19:15:58.123Z] `, Taskcluster's `[task 2026-…Z] `,
# mozharness' `19:15:58     INFO - `, a plain ISO timestamp, a kernel's `[   12.345678] `, and indentation.
_PREFIX = re.compile(
    r"(?:\[(?:[a-z][\w-]{0,20} )?\d{4}-\d{2}-\d{2}[T ][\d:.,]+(?:Z|[+-]\d{2}:?\d{2})?\]"
    r"|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?(?=\s)"
    r"|\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,6})?(?:\s+(?:INFO|WARNING|ERROR|CRITICAL|FATAL|DEBUG) -)?(?=\s)"
    r"|\[\s*\d+\.\d+\]"
    r"|ha:////[A-Za-z0-9+/=]+"  # a Jenkins console note, once the escape codes that hid it are cleaned away
    r")\s*"
)
ANNOTATION = "##[error]"


def strip_prefix(line: str) -> tuple[str, bool]:
    """The text of a log line without another CI system's timestamps and tags or indentation, and whether
    it was a GitHub `##[error]` annotation (the marker is removed from the text)."""
    text = line.lstrip()
    for _ in range(3):  # `[task …] 19:15:58     INFO - ` is two prefixes
        match = _PREFIX.match(text)
        if not match:
            break
        text = text[match.end():]
    annotated = text.startswith(ANNOTATION)
    if annotated:
        text = text[len(ANNOTATION):]
    return text.lstrip(), annotated


@dataclass(frozen=True)
class LogTail:
    """Cleaned lines and, for each, its 1-based line number in the text that was read.

    `truncated` says the log was longer than what was read: line numbers then count from the cut,
    not from the start of the job's log.
    """

    lines: list[str]
    numbers: list[int]
    truncated: bool


def is_boilerplate(line: str) -> bool:
    """The runner's own bookkeeping ("Process completed with exit code 1.", …)."""
    return _BOILERPLATE.match(line.strip()) is not None


def clean_line(raw: str) -> str | None:
    """One raw log line as a person would read it, or None for a line that says nothing."""
    line = _TIMESTAMP.sub("", raw.rstrip("\r\n").lstrip("\ufeff"), count=1)
    line = _ANSI.sub("", line)
    if "\r" in line:
        # A progress bar redraws itself after a carriage return: the terminal shows the last drawing.
        parts = [p for p in line.split("\r") if p.strip()]
        line = parts[-1] if parts else ""
    line = _CONTROL.sub("", line).rstrip()
    if not line.strip():
        return None
    if line.startswith(_DROP_MARKERS):
        return None
    for marker in _KEEP_TEXT_MARKERS:
        if line.startswith(marker):
            line = line[len(marker):]
            break
    if not line.strip() or is_boilerplate(line):
        return None
    return line[:MAX_LINE_CHARS]


def read_tail(data: bytes | str, *, max_bytes: int = MAX_TAIL_BYTES, max_lines: int = MAX_TAIL_LINES,
              truncated: bool = False) -> LogTail:
    """The cleaned last lines of a job log.

    `data` may be the whole log or a tail the caller already cut (then say `truncated=True`, e.g. after
    a ranged download): either way its first line is dropped as partial when the log was cut, and a
    cut inside a UTF-8 sequence decodes without error.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if len(data) > max_bytes:
        data = data[-max_bytes:]
        truncated = True
    if truncated:
        # The first line starts somewhere in the middle: drop it, unless it is all there is (then drop
        # only the continuation bytes of a cut character).
        newline = data.find(b"\n")
        whole = 0 <= newline < len(data) - 1
        data = data[newline + 1:] if whole else data.lstrip(bytes(range(0x80, 0xC0)))
    text = data.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines: list[str] = []
    numbers: list[int] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = clean_line(raw)
        if line is not None:
            lines.append(line)
            numbers.append(number)
    if len(lines) > max_lines:
        lines, numbers, truncated = lines[-max_lines:], numbers[-max_lines:], True
    return LogTail(lines, numbers, truncated)


def clean_log(data: bytes | str, *, max_bytes: int = MAX_TAIL_BYTES, max_lines: int = MAX_TAIL_LINES) -> list[str]:
    """The cleaned last lines of a job log (see read_tail)."""
    return read_tail(data, max_bytes=max_bytes, max_lines=max_lines).lines
