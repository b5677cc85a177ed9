"""`quartz cycle`: the scheduled job, one pass of pull → sync → advance → push → render → publish.

The store is durable before anything optional runs: it is pushed right after
advance (and, for every dispatch, before the POST), so a render or publish that
fails costs the cycle nothing it synced. Such a cycle exits 1 naming the phase;
it records the failure in the store (one more push) so the next render can say
the dashboard was behind, and the next cycle renders again. A cycle that loses
the push race publishes nothing, so the public site always comes from the store
that S3 holds.

A cycle has a time budget (`--deadline`, default 80% of settings.schedule_interval)
so it ends before the next one is due: sync starts no new project, page or
request after SYNC_SHARE of it, advance no new cascade run or dispatch after
ADVANCE_SHARE, and the rest is for push, render and publish. What is left is
said in the summary and done by the next cycle (exit 0: a long backfill simply
spans cycles). GitHub unreachable, or rejecting the token, stops the sync after
a few projects; the cycle then pushes what it had and fails naming the cause.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from quartz import publish
from quartz.config import Config
from quartz.deadline import Deadline
from quartz.errors import BadInput, QuartzError
from quartz.store import remote as storage

PHASES = ("pull", "sync", "advance", "notify", "push", "render", "publish")
DEFAULT_BUDGET_SHARE = 0.8  # of settings.schedule_interval: the job's start-up and slack take the rest
SYNC_SHARE, ADVANCE_SHARE = 0.7, 0.85  # of the budget, counted from the cycle's start


@dataclass
class CycleReport:
    cycle_id: str
    started_at: dt.datetime
    status: str = "running"  # ok | partial (some project failed to sync) | failed (a phase failed)
    phase: str = "pull"
    seconds: dict[str, float] = field(default_factory=dict)
    sync: object = None
    advance: object = None
    notify: object = None
    render: object = None
    history: object = None  # history files the render read (quartz.store.history.views.Attached)
    archive: object = None  # history moved to Parquet after the push (quartz.store.history.run.ArchiveResult)
    render_restored: bool = False  # the render started from the published manifest
    publish: object = None
    ping: object = None  # the ping that started this cycle (quartz.sync.ping.PingReport), if one did
    requests: int = 0
    points: int = 0
    bytes_pulled: int = 0
    bytes_pushed: int = 0
    store_file_bytes: int = 0  # the DuckDB file as last pushed (S3 holds it gzip-compressed)
    failure: PhaseFailed | None = None  # the phase that failed after the store was made durable
    last_rendered: dt.datetime | None = None  # data time of the newest render known good, when this one failed

    def markdown(self) -> str:
        """The job summary a person reads in the Actions UI."""
        lines = [f"## Quartz cycle `{self.cycle_id}` — {self.status}", ""]
        if self.failure is not None:
            lines += [f"**{self.failure.phase} failed:** {self.failure.why}", "",
                      "The store was pushed first, so nothing this cycle synced is lost; the next cycle "
                      f"renders again. The site still shows {self._last_rendered_text()}.", ""]
        lines += ["| | |", "|---|---|"]
        if self.sync is not None:
            lines.append(f"| runs seen (new / updated) | {self.sync.runs_new} / {self.sync.runs_updated} |")
        if self.advance is not None:
            lines.append(f"| stages dispatched | {self.advance.dispatched} |")
            lines.append(f"| cascades started / finished | {self.advance.started} / {self.advance.cascades_finished} |")
        lines.append(f"| GitHub requests (rate-limit points) | {self.requests} ({self.points}) |")
        lines.append(f"| store pulled / pushed (gzip) | {publish.size_text(self.bytes_pulled)} / "
                     f"{publish.size_text(self.bytes_pushed)} |")
        lines.append(f"| store file | {publish.size_text(self.store_file_bytes)} |")
        if self.archive is not None and self.archive.changed:
            lines.append(f"| history | {self.archive.summary()} |")
        if self.publish is not None:
            lines.append(f"| site files uploaded / unchanged / deleted | {self.publish.uploaded} / "
                         f"{self.publish.unchanged} / {self.publish.deleted} |")
        timings = ", ".join(f"{name} {secs:.1f}s" for name, secs in self.seconds.items())
        lines += ["", f"Phases: {timings}", ""]
        if self.left_for_next():
            lines += [f"**Left for the next cycle** (the time budget ran out; this is normal for a long "
                      f"backfill): {'; '.join(self.left_for_next())}", ""]
        parts = (self.ping, self.sync, self.advance, self.notify)
        lines += [part.markdown() for part in parts if part is not None]
        return "\n".join(lines)

    def left_for_next(self) -> list[str]:
        """What the time budget made this cycle leave for the next one, in words; empty when nothing."""
        left = []
        if self.sync is not None and self.sync.deferred and self.sync.skipped:
            left.append(f"sync of {', '.join(self.sync.skipped)}")
        if self.advance is not None and self.advance.left:
            left.append(f"{self.advance.left} cascade runs to advance")
        if self.advance is not None and self.advance.dispatches_left:
            left.append(f"{self.advance.dispatches_left} dispatches")
        return left

    def _last_rendered_text(self) -> str:
        if self.last_rendered is None:
            return "whatever its last successful render left (no earlier render is known)"
        return f"data as of {self.last_rendered:%Y-%m-%d %H:%M} UTC, its last successful render"


class PhaseFailed(QuartzError):
    """A phase of the cycle failed; what the store held by then was pushed."""

    def __init__(self, phase: str, why: str):
        after_push = phase in ("render", "publish")
        kept = "the store was pushed first" if after_push else "what it had committed was pushed"
        super().__init__(f"{phase} failed: {why} ({kept}; the next cycle tries again)")
        self.phase, self.why = phase, why


class _Timer:
    """Times each phase and tells `on_phase` when one begins (progress lines, tests that stop a cycle)."""

    def __init__(self, report: CycleReport, on_phase: Callable[[str], None] | None):
        self.report = report
        self.on_phase = on_phase

    @contextlib.contextmanager
    def phase(self, name: str):
        self.report.phase = name
        if self.on_phase:
            self.on_phase(name)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.report.seconds[name] = time.perf_counter() - t0


def run_cycle(config: Config, location: str, client, site_dir: str | Path, target: str | None,
              now: dt.datetime, *, workdir: str | Path | None = None,
              clock: Callable[[], dt.datetime] | None = None, s3=None, render: bool = True,
              on_phase: Callable[[str], None] | None = None, deadline: Deadline | None = None,
              ping=None) -> CycleReport:
    """One whole cycle. `clock` gives the time at each phase (default: `now` throughout);
    `render=False` skips the site (the demo renders once, after its last cycle); `ping` (a
    quartz.sync.ping.PingReport) makes it sync the pinged run and advance before the regular sync.

    A render or publish failure does not raise: it is in `report.failure`, after the store was pushed."""
    clock = clock or (lambda: now)
    report = CycleReport(cycle_id=f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}", started_at=now, ping=ping)
    timer = _Timer(report, on_phase)
    with tempfile.TemporaryDirectory(prefix="quartz-cycle-") as scratch:
        with timer.phase("pull"):
            if s3 is None and (storage.parse_s3(location) or (target or "").startswith("s3://")):
                s3 = storage.s3_client()  # one for every S3 call of the cycle: each new client costs ~30 ms
            pulled = storage.pull(location, workdir or scratch, client=s3)
            report.bytes_pulled = pulled.bytes_pulled
        try:
            _sync_and_advance(config, pulled, client, report, timer, clock, s3, deadline)
        except storage.StoreRaceLost:
            raise  # another cycle owns the store now: push nothing
        except Exception as exc:  # what was committed is consistent: keep it, then say which phase failed
            failed = PhaseFailed(report.phase, describe(exc))
            with timer.phase("push"):
                storage.push(pulled, client=s3)
            raise failed from exc
        with timer.phase("push"):
            storage.push(pulled, client=s3)
        _archive(config, pulled, report, timer, clock, s3)
        if render:
            _render_and_publish(config, site_dir, target, report, timer, clock, s3, pulled)
        report.bytes_pushed = pulled.bytes_pushed
        report.store_file_bytes = pulled.file_bytes_pushed
    return report


def _sync_and_advance(config, pulled, client, report: CycleReport, timer: _Timer, clock, s3,
                      deadline: Deadline | None = None) -> None:
    """The phases that change the store. An unexpected error still leaves what was committed, to be pushed."""
    from quartz.notify import outbox
    from quartz.store.db import Store
    from quartz.sync import runs as sync_module

    before = client.stats.snapshot()
    store = Store.open(pulled.local_path)
    try:
        client.use_store(store)
        store.execute("cycle/log_start", cycle_id=report.cycle_id, started_at=report.started_at)
        advance = _advance_step(config, store, client, clock, pulled, s3, deadline)
        first = None
        if report.ping is not None and report.ping.ping is not None:
            with timer.phase("ping"):  # the pinged run first, then what it unblocks, then the rest
                from quartz.sync.ping import sync_pinged
                sync_pinged(report.ping, store, client, clock(), sync_module.trigger_matchers(config))
                first = advance()
        with timer.phase("sync"):
            report.sync = sync_module.sync(config, store, client, clock(),
                                           deadline=deadline and deadline.share(SYNC_SHARE))
        if report.sync.fatal is not None:
            raise report.sync.fatal  # GitHub down or the token rejected: advance would fail the same way
        with timer.phase("advance"):
            from quartz.sync.ping import merge_advance
            report.advance = merge_advance(first, advance())
        with timer.phase("notify"):  # after advance, so a cascade it finished is told this cycle
            report.notify = outbox.run(config, store, client, clock(), report.cycle_id,
                                       before_send=lambda: storage.push_checkpoint(pulled, store, client=s3))
        used = client.stats.since(before)
        report.requests, report.points = used.requests, used.points
        report.status = "ok" if report.sync.ok else "partial"
        # Logged before the push, so the store in S3 and the site's freshness line count this cycle's data.
        _log_finish(store, report, clock(), None)
    except storage.StoreRaceLost:
        raise
    except Exception as exc:
        _log_finish(store, report, clock(), f"{report.phase}: {describe(exc)}"[:2000])
        raise
    finally:
        store.close()


def _advance_step(config, store, client, clock, pulled, s3, deadline: Deadline | None):
    from quartz.cascades import advance as dispatch

    return lambda: dispatch.advance(
        config, store, client, clock(),
        before_send=lambda _intent: storage.push_checkpoint(pulled, store, client=s3),
        deadline=deadline and deadline.share(ADVANCE_SHARE))


def _log_finish(store, report: CycleReport, finished_at: dt.datetime, error: str | None) -> None:
    sync, advance = report.sync, report.advance
    store.execute(
        "cycle/log_finish", cycle_id=report.cycle_id, finished_at=finished_at,
        status="failed" if error else report.status, phase=report.phase,
        requests=report.requests, rate_points=report.points,
        runs_seen=(sync.runs_new + sync.runs_updated) if sync else 0,
        stages_dispatched=advance.dispatched if advance else 0,
        cascades_finished=advance.cascades_finished if advance else 0, error=error,
    )


def _archive(config, pulled, report: CycleReport, timer: _Timer, clock, s3) -> None:
    """Move aged history to Parquet (about once a week) and push again. Optional: the sync is already pushed."""
    from quartz.store.history.run import CYCLE_BATCH_DAYS, archive_pulled

    try:
        with timer.phase("archive"):
            report.archive = archive_pulled(pulled, clock(), config.settings.hot_days,
                                            batch_days=CYCLE_BATCH_DAYS, client=s3)
            if report.archive.changed:
                storage.push(pulled, client=s3)
    except Exception as exc:  # files written without a pushed manifest are orphans: never read, cleaned later
        print(f"quartz cycle: archive skipped: {describe(exc)}", file=sys.stderr)


def _render_and_publish(config, site_dir, target, report: CycleReport, timer: _Timer, clock, s3, pulled) -> None:
    from quartz.site.render import render
    from quartz.store.db import Store
    from quartz.store.history.views import attach as attach_history

    try:
        with timer.phase("render"):
            if target:  # a runner that keeps no site/ renders only what changed since the last publish
                report.render_restored = publish.restore_render_manifest(site_dir, target, client=s3)
            with Store.open(pulled.local_path, read_only=True) as store:
                report.history = attach_history(store, pulled.location, client=s3)
                report.render = render(config, store, site_dir, clock())
        if target:
            with timer.phase("publish"):
                # After a render that carried its files over, trust the publish manifest (no listing).
                report.publish = publish.publish(site_dir, target, client=s3, verify=not report.render.carried)
    except Exception as exc:  # any bug or outage here must not cost the cycle its sync: it is already pushed
        report.failure = PhaseFailed(report.phase, describe(exc))
        report.failure.__cause__ = exc  # for --debug
        report.status = "failed"
        _record_render_failure(pulled, report, s3)


def _record_render_failure(pulled, report: CycleReport, s3) -> None:
    """Say in the store that this cycle's render failed (one more push), so the next render shows it."""
    from quartz.store.db import Store

    try:
        with Store.open(pulled.local_path) as store:
            store.execute("cycle/render_failed", cycle_id=report.cycle_id,
                          error=f"{report.failure.phase}: {report.failure.why}"[:2000])
            report.last_rendered = store.query("cycle/last_rendered", cycle_id=report.cycle_id)[0]["finished_at"]
        storage.push(pulled, client=s3)
    except QuartzError as exc:  # the failure is still reported; only the note in the store is lost
        print(f"quartz cycle: could not record the {report.failure.phase} failure in the store: {exc}",
              file=sys.stderr)


def describe(exc: BaseException) -> str:
    """One line for a person: a QuartzError's own message, else the exception's type and text."""
    if isinstance(exc, QuartzError):
        return str(exc)
    text = " ".join(str(exc).split())[:500]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def main(args) -> int:
    from quartz import config as config_module
    from quartz.github.client import client_from_args

    config = config_module.load(args.config)
    client = client_from_args(args)
    target = args.target or os.environ.get("QUARTZ_PUBLISH_TARGET")
    started = dt.datetime.now(dt.UTC)
    deadline = cycle_deadline(config, getattr(args, "deadline", None))
    from quartz.sync import ping as ping_module

    ping = ping_module.read(getattr(args, "ping", None), config)
    try:
        report = run_cycle(config, args.store, client, args.out, target, started,
                           clock=lambda: dt.datetime.now(dt.UTC), deadline=deadline, ping=ping)
    except storage.StoreRaceLost as exc:
        # Another cycle pushed first: its store stands, and the next cycle redoes this one's work.
        print(f"quartz cycle: {exc}", file=sys.stderr)
        _write_summary(f"## Quartz cycle — lost the race\n\n{exc}\n")
        return 0
    except QuartzError as exc:
        _write_summary(f"## Quartz cycle — failed\n\n{exc}\n")
        raise
    text = report.markdown()
    _write_summary(text)
    print(f"quartz cycle {report.cycle_id}: {report.status}; "
          + ", ".join(f"{k} {v:.1f}s" for k, v in report.seconds.items()))
    if report.ping is not None:
        print(report.ping.note)
    if report.sync is not None:
        print(report.sync.summary())
    if report.left_for_next():
        print(f"quartz cycle: the time budget of {deadline.budget:.0f} s ran out; left for the next cycle "
              f"(normal for a long backfill): {'; '.join(report.left_for_next())}")
    if report.failure is not None:
        raise report.failure  # the CLI prints it as one line (the traceback only with --debug)
    if report.status == "partial":  # the last lines say why: each project that failed, or what stopped the sync
        for name, why in report.sync.failures:
            print(f"quartz cycle: sync of {name} failed: {' '.join(why.split())[:500]}", file=sys.stderr)
        if report.sync.stopped:
            print(f"quartz cycle: sync stopped early: {report.sync.stopped}", file=sys.stderr)
    return 0 if report.status == "ok" else 1


def cycle_deadline(config: Config, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> Deadline:
    """--deadline SECONDS, else DEFAULT_BUDGET_SHARE of the schedule interval, from now."""
    if seconds is None:
        seconds = DEFAULT_BUDGET_SHARE * config.settings.schedule_interval_s
    if seconds <= 0:
        raise BadInput(f"--deadline must be a positive number of seconds, got {seconds:g}")
    return Deadline(seconds, clock)


def _write_summary(text: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(text + "\n")

