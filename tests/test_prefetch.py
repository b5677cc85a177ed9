"""A steady-state sync polls every workflow's first page at once: a bounded pool, within the secondary limits."""

from __future__ import annotations

import pytest

from quartz.devtools.simulator import SimulatorServer
from quartz.github.prefetch import Pace, prefetch
from quartz.store.db import Store
from quartz.sync import runs as sync
from tests.helpers.sync import START, TOKEN, fleet_config, fleet_world, make_client


@pytest.fixture
def synced(tmp_path):
    world = fleet_world(history_days=2)
    server = SimulatorServer(world, token=TOKEN).start()
    store = Store.open(tmp_path / "store.duckdb")
    client = make_client(server, store)
    config = fleet_config()
    assert sync.sync(config, store, client, START).ok
    yield config, store, client, server
    store.close()
    server.stop()


def _first_pages(config, client) -> list[str]:
    return [client.absolute(f"/repos/{p.repo}/actions/workflows/{w}/runs", {"per_page": sync.PER_PAGE})
            for p in config.projects.values() for w in p.workflows]


def test_prefetched_first_pages_are_used_once_and_never_sent_again(synced):
    config, _store, client, server = synced
    urls = _first_pages(config, client)
    server.reset_counters()
    assert prefetch(client, urls, workers=3) == len(urls)
    assert server.request_count() == len(urls) and server.points_used == 0  # all 304s
    for url in urls:
        assert client.get(url, conditional=True).not_modified
    assert server.request_count() == len(urls)  # answered from the prefetch
    client.get(urls[0], conditional=True)
    assert server.request_count() == len(urls) + 1  # a reply serves one get only


def test_a_steady_state_sync_costs_one_free_request_per_workflow_and_keeps_no_reply(synced):
    config, store, client, server = synced
    server.reset_counters()
    report = sync.sync(config, store, client, START)
    assert report.ok and (report.requests, report.points, report.not_modified) == (4, 0, 4)
    assert server.request_count() == 4
    assert client._prefetched == {}


def test_pace_lets_a_minute_of_requests_through_then_waits_its_turn():
    now, waits = [1000.0], []

    def sleep(seconds):
        waits.append(seconds)
        now[0] += seconds

    pace = Pace(3, lambda: now[0], sleep)
    for _ in range(3):
        pace.wait()
        now[0] += 1
    assert waits == []
    pace.wait()
    assert waits == [57.0]  # the first started at 1000, so the fourth may start at 1060


def test_etags_read_ahead_follow_every_write_and_are_dropped_when_the_sync_ends(synced):
    config, store, client, server = synced
    urls = _first_pages(config, client)
    client.load_etags(urls)
    stored = store.query_one("sync/http_cache_get", url=urls[0])["etag"]
    assert client.request_headers(urls[0], conditional=True)["If-None-Match"] == stored
    client.cache.put(urls[0], 'W/"newer"', None, START)  # a write replaces what was read ahead
    assert client.request_headers(urls[0], conditional=True)["If-None-Match"] == 'W/"newer"'
    client.forget(urls[1])
    assert "If-None-Match" not in client.request_headers(urls[1], conditional=True)
    store.db.execute("UPDATE http_cache SET etag = 'W/\"by hand\"' WHERE url = ?", [urls[2]])
    client.drop_prefetched()  # as sync does when it ends: the next reads go to the store
    assert client.request_headers(urls[2], conditional=True)["If-None-Match"] == 'W/"by hand"'
    server.reset_counters()
    assert sync.sync(config, store, client, START).ok  # a later sync reads ahead again, and is right
    assert server.request_count(path="runs") == len(urls)
