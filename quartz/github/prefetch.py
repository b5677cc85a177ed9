"""Many conditional GETs at once: a steady-state cycle's first-page polls for a large fleet.

    prefetch(client, urls)                       # before sync's per-workflow loop
    client.get(url, conditional=True)            # answered from the prefetched reply (same ETag sent)

A 304 costs no primary rate-limit point, so 1,000 projects cost ~0 points per cycle; what bounds them is
GitHub's secondary limits: at most 100 requests in flight and 900 points a minute (a GET is one point;
304s are counted too, to be safe). At most `per_minute` requests start in any minute, paced on the
calling thread with the client's clock and sleep (the sync's other requests are not counted here); they
run on a bounded pool, each worker with its own PyGithub connection. A failed prefetch is simply not
kept: the sequential get() asks again and reports it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from quartz.errors import QuartzError

MAX_IN_FLIGHT = 100  # GitHub's secondary limit on concurrent requests
WORKERS = 32  # enough to hide latency; well under the limit
POINTS_PER_MINUTE = 900  # GitHub's secondary limit per minute (GET = 1 point)
URLS_PER_WORKER = 4  # a small fleet gets a few threads: each costs a client and a connection


class Pace:
    """At most `per_minute` starts in any 60 s: a burst up to the limit goes at once, the rest waits its turn."""

    def __init__(self, per_minute: int, clock, sleep):
        self.per_minute = per_minute
        self.clock, self.sleep = clock, sleep
        self.started: deque[float] = deque()

    def wait(self) -> None:
        if len(self.started) >= self.per_minute:
            ready_at = self.started.popleft() + 60.0
            now = self.clock()
            if ready_at > now:
                self.sleep(ready_at - now)
        self.started.append(self.clock())


def prefetch(client, urls: Sequence[str], *, workers: int = WORKERS, per_minute: int = POINTS_PER_MINUTE) -> int:
    """Send the conditional GETs of `urls` concurrently and keep each reply for the client's next get(url)."""
    client.drop_prefetched()  # replies left by an earlier sync that stopped early are stale
    if len(urls) < 2:
        return 0
    client.load_etags(urls)  # every ETag in one query; get() then finds each in memory
    plans = [(url, client.request_headers(url, conditional=True)) for url in urls]  # the store: this thread only
    local = threading.local()
    pace = Pace(per_minute, client.clock, client.sleep)

    def fetch(plan):
        url, headers = plan
        if not hasattr(local, "requester"):
            local.requester = client.new_reader().requester
        try:
            return url, headers, client.send(url, headers, requester=local.requester)
        except QuartzError:
            return url, headers, None

    kept = 0
    streak, last_down = client.down_streak, client.last_down  # a failed prefetch is asked again, counted then
    workers = max(1, min(workers, MAX_IN_FLIGHT, len(plans) // URLS_PER_WORKER))  # each thread opens a connection
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="prefetch") as pool:
        futures = []
        for plan in plans:
            pace.wait()
            futures.append(pool.submit(fetch, plan))
        for future in futures:
            url, headers, answer = future.result()
            if answer is not None:
                client.keep_prefetched(url, headers.get("If-None-Match"), answer)
                kept += 1
    client.down_streak, client.last_down = streak, last_down
    return kept
