"""Progress for long phases: a bar on a terminal, plain lines in CI logs, nothing in tests.

    progress = Progress.auto("sync")        # picks the style from the environment
    progress.start(total=20)
    progress.step("pytorch", "12 new runs")
    progress.finish("20 projects")
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

_BAR_WIDTH = 28
_NOTE_CAP = 60


class Progress:
    """Plain lines: one per step (GitHub Actions logs, pipes, files)."""

    def __init__(self, label: str, stream: TextIO | None = None):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.total = 0
        self.done = 0

    @staticmethod
    def auto(label: str, stream: TextIO | None = None) -> Progress:
        stream = stream if stream is not None else sys.stderr
        in_actions = os.environ.get("GITHUB_ACTIONS") == "true"
        if not in_actions and getattr(stream, "isatty", lambda: False)():
            return BarProgress(label, stream)
        return Progress(label, stream)

    def start(self, total: int) -> None:
        self.total = total
        self.done = 0

    def step(self, item: str, note: str = "") -> None:
        self.done += 1
        self._write(f"{self.label}: [{self.done}/{self.total}] {item}{': ' + note[:_NOTE_CAP] if note else ''}\n")

    def finish(self, summary: str = "") -> None:
        if summary:
            self._write(f"{self.label}: {summary}\n")

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


class BarProgress(Progress):
    """One line redrawn in place on a terminal."""

    def step(self, item: str, note: str = "") -> None:
        self.done += 1
        filled = _BAR_WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (_BAR_WIDTH - filled)
        self._write(f"\r\x1b[2K{self.label} [{bar}] {self.done}/{self.total} {item[:_NOTE_CAP]}")

    def finish(self, summary: str = "") -> None:
        self._write("\r\x1b[2K" + (f"{self.label}: {summary}\n" if summary else ""))
