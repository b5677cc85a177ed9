"""A cycle's time budget: the moment after which no new work starts.

A scheduled cycle must end before the next one is due, or the next one queues
behind it. Sync and advance take a Deadline and stop *starting* work (a project,
a page, a dispatch) once it has passed; the GitHub client never sleeps past it
(a retry or rate-limit wait that would is not slept). What is left is picked up
by the next cycle.

The clock is injected (default time.monotonic) so tests count requests or fake
seconds instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from quartz.errors import QuartzError


class DeadlineReached(QuartzError):
    """Work was left for the next cycle because the time budget ran out (normal, not a failure)."""

    exit_code = 0


class Deadline:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic, *, start: float | None = None):
        if seconds <= 0:
            raise ValueError("a deadline needs a positive number of seconds")
        self.clock = clock
        self.start = clock() if start is None else start
        self.budget = float(seconds)

    @property
    def at(self) -> float:
        return self.start + self.budget

    def remaining(self) -> float:
        return self.at - self.clock()

    def passed(self) -> bool:
        return self.remaining() <= 0

    def allows(self, wait: float) -> bool:
        """True when sleeping `wait` seconds now still ends before the deadline."""
        return wait < self.remaining()

    def share(self, fraction: float) -> Deadline:
        """A deadline at `fraction` of this budget, counted from the same start (same clock)."""
        return Deadline(self.budget * fraction, self.clock, start=self.start)

    def check(self, what: str) -> None:
        """Raise DeadlineReached when the deadline has passed, naming the work not started."""
        if self.passed():
            raise DeadlineReached(f"the time budget of {self.budget:.0f} s ran out before {what}")

    def __repr__(self) -> str:
        return f"Deadline({self.budget:.0f} s, {self.remaining():.0f} s left)"
