"""Faults injected on demand: each fires on the Nth matching request, `times` times.

A fault matches a request when its method (if given) is equal and its regex is
found in the path (or in path?query). Kinds:

- error:      answer `status` (5xx) without doing the work; with after=True, do the
              work first (e.g. a dispatch that creates its run, then answers 502).
- hang:       hold the answer `seconds` (longer than the client's timeout); with
              apply=True the work is done first, so the effect is visible at once.
- drop:       a dispatch answered as accepted (204, or 200 with an id) that never
              creates a run.
- secondary:  a secondary rate limit answer (403 or 429 with retry-after).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass


@dataclass
class Fault:
    kind: str
    pattern: re.Pattern[str]
    method: str | None
    nth: int = 1
    times: int | None = 1
    status: int = 502
    seconds: float = 30.0
    apply: bool = False  # hang: do the work before hanging
    after: bool = False  # error: do the work before failing
    retry_after: int = 60
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, path: str, full: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        return bool(self.pattern.search(path) or self.pattern.search(full))

    def take(self) -> bool:
        """Count one matching call; True when this call is one the fault fires on."""
        self.seen += 1
        last = None if self.times is None else self.nth + self.times - 1
        if self.seen >= self.nth and (last is None or self.seen <= last):
            self.fired += 1
            return True
        return False


_DISPATCH = r"/dispatches$"


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def _add(self, fault: Fault) -> Fault:
        if fault.nth < 1:
            raise ValueError("nth counts from 1")
        with self._lock:
            self._faults.append(fault)
        return fault

    @staticmethod
    def _pattern(path: str) -> re.Pattern[str]:
        return re.compile(path)

    def error(self, path: str = ".*", method: str | None = None, status: int = 502, nth: int = 1,
              times: int | None = 1, after: bool = False) -> Fault:
        return self._add(Fault("error", self._pattern(path), method, nth, times, status=status, after=after))

    def hang(self, path: str = ".*", method: str | None = None, seconds: float = 30.0, apply: bool = False,
             nth: int = 1, times: int | None = 1) -> Fault:
        return self._add(Fault("hang", self._pattern(path), method, nth, times, seconds=seconds, apply=apply))

    def drop_dispatch(self, path: str = _DISPATCH, nth: int = 1, times: int | None = 1) -> Fault:
        return self._add(Fault("drop", self._pattern(path), "POST", nth, times))

    def dispatch_then_error(self, path: str = _DISPATCH, status: int = 502, nth: int = 1,
                            times: int | None = 1) -> Fault:
        return self.error(path, "POST", status=status, nth=nth, times=times, after=True)

    def secondary_limit(self, path: str = ".*", method: str | None = None, status: int = 403,
                        retry_after: int = 60, nth: int = 1, times: int | None = 1) -> Fault:
        if status not in (403, 429):
            raise ValueError("secondary limits answer 403 or 429")
        return self._add(Fault("secondary", self._pattern(path), method, nth, times, status=status,
                               retry_after=retry_after))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pick(self, method: str, path: str, full: str) -> Fault | None:
        """Count this request against every matching fault; return the first that fires."""
        chosen = None
        with self._lock:
            for f in self._faults:
                if f.matches(method, path, full) and f.take() and chosen is None:
                    chosen = f
        return chosen
