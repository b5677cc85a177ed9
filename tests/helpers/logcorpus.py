"""Real CI logs with a stated failure line, read in place from ../shared/fixtures/logs-*/ (never copied here).

Each such folder holds logs and an expected.json (`files`: name -> {line_number, line}) in the notation of
the PyTorch HUD classifier's fixtures: an optional first line `#=SOURCE=# <url>` that is not part of the log,
the failure line prefixed with `#=MATCH=# ` and its named part wrapped in `‹ ›`. `prepared` gives the log as
GitHub served it and the 1-based number of the stated line in it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# ../shared beside the project root; a git worktree nested deeper finds the same folder further up.
SHARED = next((p / "shared" / "fixtures" for p in ROOT.parents if (p / "shared" / "fixtures").is_dir()),
              ROOT.parent / "shared" / "fixtures")
SOURCE, MATCH = "#=SOURCE=#", "#=MATCH=# "


@dataclass(frozen=True)
class Case:
    source: str  # the folder: one corpus
    name: str
    log: bytes
    line_number: int  # of the stated line, in `log`
    line: str


def sources(root: Path = SHARED) -> list[Path]:
    return sorted(p for p in root.glob("logs-*") if (p / "expected.json").is_file())


def cases(folder: Path) -> list[Case]:
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))["files"]
    return [_case(folder, name, entry) for name, entry in sorted(expected.items())]


def _case(folder: Path, name: str, entry: dict) -> Case:
    lines = (folder / name).read_bytes().decode("utf-8").split("\n")
    number = entry["line_number"]
    if lines and lines[0].startswith(SOURCE):
        lines, number = lines[1:], number - 1
    out = []
    for line in lines:
        if line.startswith(MATCH):
            line = line[len(MATCH):].replace("‹", "").replace("›", "")
        out.append(line)
    return Case(folder.name, name, "\n".join(out).encode("utf-8"), number, entry["line"])


def found(case: Case, rules) -> tuple[bool, object]:
    """Whether find_failure picks the stated line, and its Failure. find_failure numbers lines in the tail
    it read; a log longer than that tail is renumbered from its start."""
    from quartz.failures import MAX_TAIL_BYTES, find_failure

    failure = find_failure(case.log, rules)
    if failure is None:
        return False, None
    skipped = 0
    if len(case.log) > MAX_TAIL_BYTES:
        cut = case.log.find(b"\n", len(case.log) - MAX_TAIL_BYTES)
        skipped = case.log[:cut + 1].count(b"\n") if cut >= 0 else 0
    return failure.line_number + skipped == case.line_number, failure
