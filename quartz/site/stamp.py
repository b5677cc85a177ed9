"""One fingerprint of everything a render is made of, so a render whose inputs did not change can skip
building pages it would only rebuild byte for byte.

The stamp covers the templates, assets, config and Quartz version (the environment print), every row of
every store table the site reads (hot tables and the history manifest, hashed inside DuckDB: a few
milliseconds for half a million rows), and the UTC hour. When it matches the previous render's, only the
pages that show the clock are built again (the health grid with its freshness line and ages, and the API
index); every other file is carried over. The hour is in it so time windows (failures of the last 24 hours,
in-flight runs gone stale, the day's trends) move at least hourly while nothing else changes.
"""

from __future__ import annotations

import datetime as dt

from quartz.site.writer import fingerprint
from quartz.store.history import tables

# Tables whose rows change every cycle but never reach a page, or reach only the pages always rebuilt.
NOT_RENDERED = {
    "cycle_log": "read only for the freshness line, which every render writes",
    "sync_state": "sync's watermarks; no page reads them",
    "http_cache": "sync's ETags; no page reads them",
}


def inputs_stamp(store, environment: str, now: dt.datetime) -> str:
    db = store.db
    catalog = tables.catalog(db)
    names = [r[0] for r in db.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' ORDER BY table_name").fetchall() if r[0] not in NOT_RENDERED]
    parts = [environment, now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H")]
    for name in names:
        relation = f'{catalog}.main."{name.replace(chr(34), chr(34) * 2)}"'
        count, total = db.execute(f"SELECT count(*), sum(hash(t)) FROM {relation} t").fetchone()
        parts.append(f"{name}:{count}:{total}")
    return fingerprint(*parts)
