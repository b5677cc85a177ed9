"""Archiving a store where it lives: pull, move history, compact the file, push.

    result = archive_pulled(pulled, now, hot_days)   # the cycle, after its push (then it pushes again)
    quartz archive [--migrate] [--hot-days N]        # the same as a command
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from dataclasses import dataclass, field

from quartz.errors import QuartzError
from quartz.store import remote as storage
from quartz.store.compaction import compact_file
from quartz.store.history.archive import ArchiveReport, archive
from quartz.store.history.home import HistoryHome

CYCLE_BATCH_DAYS = 7  # the cycle archives once the oldest hot candidate is a week past the window


class AlreadyMigrated(QuartzError):
    exit_code = 2


@dataclass
class ArchiveResult:
    report: ArchiveReport = field(default_factory=ArchiveReport)
    bytes_before: int = 0
    bytes_after: int = 0

    @property
    def changed(self) -> bool:
        return self.report.runs > 0 or self.bytes_after != self.bytes_before

    def summary(self) -> str:
        text = self.report.summary()
        if self.bytes_after != self.bytes_before:
            text += f"; store compacted {self.bytes_before / 1e6:.1f} MB → {self.bytes_after / 1e6:.1f} MB"
        return text


def archive_pulled(pulled, now: dt.datetime, hot_days: int, *, batch_days: int = 0, migrate: bool = False,
                   client=None, cache_dir=None) -> ArchiveResult:
    """Archive the store file `pulled` holds (closed; the caller pushes when `changed`)."""
    from quartz.store.db import Store

    home = HistoryHome.of(pulled.location, client=client, cache_dir=cache_dir)
    before = pulled.local_path.stat().st_size
    with Store.open(pulled.local_path) as store:
        if migrate:
            _refuse_second_migration(store, pulled.location)
            record = _migration_record(now, before)
        else:
            record = None
        report = archive(store, home, now, hot_days, batch_days=batch_days, on_commit=record)
        if migrate and not report.runs:
            record(store, report)
    result = ArchiveResult(report=report, bytes_before=before, bytes_after=before)
    if report.runs or migrate:  # deleting the moved rows freed most of the file (a sparse one is compacted at push)
        result.bytes_before, result.bytes_after = compact_file(pulled.local_path)
    return result


def _refuse_second_migration(store, location: str) -> None:
    done = store.query_one("history/migrated")
    if done is not None:
        raise AlreadyMigrated(f"store {location} was migrated to the hot/cold layout on "
                              f"{done['migrated_at']:%Y-%m-%d %H:%M} UTC ({done['runs_moved']:,} runs moved); "
                              "`quartz archive` without --migrate moves what has aged since")


def _migration_record(now: dt.datetime, bytes_before: int):
    def record(store, report: ArchiveReport) -> None:
        store.execute("history/migration_insert", migrated_at=now, runs_moved=report.runs, bytes_before=bytes_before)
    return record


def main(args) -> int:
    from quartz import config as config_module

    config = config_module.load(args.config)
    hot_days = args.hot_days if args.hot_days is not None else config.settings.hot_days
    if hot_days < 1:
        raise QuartzError("--hot-days must be at least 1")
    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory(prefix="quartz-archive-") as workdir:
        pulled = storage.pull(args.store, workdir)
        if not pulled.local_path.exists():
            raise QuartzError(f"store {args.store} does not exist; run `quartz sync` or `quartz cycle` first")
        result = archive_pulled(pulled, now, hot_days, migrate=args.migrate)
        if result.changed:
            storage.push(pulled)
    print(result.summary(), file=sys.stdout)
    return 0
