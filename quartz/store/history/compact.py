"""`quartz history compact`: merge each partition's small files into one, and remove orphans.

Order, so a reader never meets a missing file: write the merged file once (a fresh key) → swap the
manifest rows in one transaction → push the store → only then delete the replaced files. A crash before
the deletes leaves orphans, which a later compact removes once they are a day old (a younger unlisted
file may belong to an archive whose push is still on its way).
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from quartz.errors import QuartzError
from quartz.store import remote as storage
from quartz.store.history.archive import literal, publish_file
from quartz.store.history.home import HistoryHome

ORPHAN_AGE_S = 24 * 3600


@dataclass
class CompactReport:
    partitions: int = 0  # partitions merged
    files_merged: int = 0  # files replaced by the merged ones
    to_delete: list[str] = field(default_factory=list)  # replaced files, deleted once the store is pushed
    orphans: list[str] = field(default_factory=list)  # unlisted files old enough to delete

    def summary(self) -> str:
        return (f"history compact: merged {self.files_merged} files into {self.partitions}; "
                f"removed {len(self.orphans)} orphan files")


def compact(store, home: HistoryHome, now: dt.datetime, *, orphan_age_s: float = ORPHAN_AGE_S) -> CompactReport:
    """Merge partitions with more than one file; the caller pushes, then calls `delete_replaced`."""
    groups = defaultdict(list)
    for f in store.query("history/files"):
        groups[(f["table_name"], f["project"], f["month"])].append(f)
    report = CompactReport()
    with tempfile.TemporaryDirectory(prefix="quartz-compact-") as scratch:
        for (table, project, month), files in sorted(groups.items()):
            if len(files) > 1:
                _merge(store, home, Path(scratch), now, table, project, month, files)
                report.partitions += 1
                report.files_merged += len(files)
                report.to_delete += [f["rel_key"] for f in files]
    listed = {f["rel_key"] for f in store.query("history/files")} | set(report.to_delete)
    report.orphans = [key for key, modified in sorted(home.listing().items())
                      if key not in listed and now.timestamp() - modified >= orphan_age_s]
    return report


def _merge(store, home: HistoryHome, scratch: Path, now, table, project, month, files: list[dict]) -> None:
    sources = [str(home.local_copy(f["rel_key"], f["sha256"])) for f in files]
    merged = scratch / f"{len(list(scratch.iterdir()))}.parquet"
    listing = "[" + ", ".join(literal(Path(s)) for s in sources) + "]"
    store.db.execute(f"COPY (SELECT * FROM read_parquet({listing}, hive_partitioning = false, union_by_name = true) "
                     f"ORDER BY run_id) TO {literal(merged)} (FORMAT parquet, COMPRESSION zstd)")
    row = publish_file(store, home, merged, table, project, month, now)
    if row["rows"] != sum(f["rows"] for f in files):
        raise QuartzError(f"history compact: {row['rel_key']} holds {row['rows']} rows, its sources "
                          f"{sum(f['rows'] for f in files)}; the manifest was not changed")
    with store.transaction():
        store.execute("history/file_insert", **row)
        for f in files:
            store.execute("history/file_delete", rel_key=f["rel_key"])


def delete_replaced(home: HistoryHome, report: CompactReport) -> None:
    """After the push: the manifest S3 holds no longer lists these."""
    for key in report.to_delete + report.orphans:
        home.delete(key)


def main(args) -> int:
    from quartz.store.db import Store

    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory(prefix="quartz-compact-") as workdir:
        pulled = storage.pull(args.store, workdir)
        if not pulled.local_path.exists():
            raise QuartzError(f"store {args.store} does not exist")
        home = HistoryHome.of(pulled.location)
        with Store.open(pulled.local_path) as store:
            report = compact(store, home, now)
        if report.partitions:
            storage.push(pulled)
        delete_replaced(home, report)
    print(report.summary(), file=sys.stdout)
    return 0
