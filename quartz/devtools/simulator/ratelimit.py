"""The primary rate limit: a budget per token per hour of *world* time, plus the log of
requests that tests count."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from .world import World

WINDOW_S = 3600


@dataclass
class Budget:
    limit: int
    used: int = 0
    reset: int = 0  # epoch seconds (world clock)


class RateLimiter:
    def __init__(self, world: World, limit: int):
        self.world = world
        self.limit = limit
        self._budgets: dict[str, Budget] = {}
        self._lock = threading.Lock()

    def _budget(self, key: str) -> Budget:
        b = self._budgets.get(key)
        now = self.world.now_ts
        if b is None:
            b = self._budgets[key] = Budget(self.limit, 0, now + WINDOW_S)
        elif now >= b.reset:  # the window passed on the world clock: a fresh budget
            b.used = 0
            b.reset = now + WINDOW_S
        return b

    def snapshot(self, key: str) -> Budget:
        with self._lock:
            b = self._budget(key)
            return Budget(b.limit, b.used, b.reset)

    def exhausted(self, key: str) -> bool:
        with self._lock:
            b = self._budget(key)
            return b.used >= b.limit

    def charge(self, key: str, points: int = 1) -> None:
        with self._lock:
            self._budget(key).used += points

    def set_remaining(self, key: str, remaining: int) -> None:
        with self._lock:
            b = self._budget(key)
            b.used = max(0, b.limit - remaining)


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # path and query as sent
    status: int
    cost: int  # primary rate-limit points charged


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.records: list[RequestRecord] = []

    def add(self, rec: RequestRecord) -> None:
        with self._lock:
            self.records.append(rec)

    def count(self, method: str | None = None, path: str | None = None, status: int | None = None,
              costly: bool | None = None) -> int:
        pat = re.compile(path) if path else None
        with self._lock:
            recs = list(self.records)
        return sum(
            1 for r in recs
            if (method is None or r.method == method.upper())
            and (pat is None or pat.search(r.path))
            and (status is None or r.status == status)
            and (costly is None or bool(r.cost) == costly)
        )

    @property
    def points(self) -> int:
        with self._lock:
            return sum(r.cost for r in self.records)

    def clear(self) -> None:
        with self._lock:
            self.records.clear()
