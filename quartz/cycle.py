"""`quartz cycle`: the scheduled job, one pass of pull → sync → advance → render → push → publish.

The store is pushed *before* the site is published: a cycle that loses the
push race to another cycle publishes nothing, so the public site always comes
from the store that S3 holds.
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

from quartz import publish, storage
from quartz.config import Config
from quartz.errors import QuartzError

PHASES = ("pull", "sync", "advance", "render", "push", "publish")


@dataclass
class CycleReport:
    cycle_id: str
    started_at: dt.datetime
    status: str = "running"  # ok | partial (some project failed to sync)
    phase: str = "pull"
    seconds: dict[str, float] = field(default_factory=dict)
    sync: object = None
    advance: object = None
    render: object = None
    render_restored: bool = False  # the render started from the published manifest
    publish: object = None
    requests: int = 0
    points: int = 0
    bytes_pulled: int = 0
    bytes_pushed: int = 0

    def markdown(self) -> str:
        """The job summary a person reads in the Actions UI."""
        lines = [f"## Quartz cycle `{self.cycle_id}` — {self.status}", "", "| | |", "|---|---|"]
        if self.sync is not None:
            lines.append(f"| runs seen (new / updated) | {self.sync.runs_new} / {self.sync.runs_updated} |")
        if self.advance is not None:
            lines.append(f"| stages dispatched | {self.advance.dispatched} |")
            lines.append(f"| cascades started / finished | {self.advance.started} / {self.advance.cascades_finished} |")
        lines.append(f"| GitHub requests (rate-limit points) | {self.requests} ({self.points}) |")
        lines.append(f"| store pulled / pushed | {publish.size_text(self.bytes_pulled)} / "
                     f"{publish.size_text(self.bytes_pushed)} |")
        if self.publish is not None:
            lines.append(f"| site files uploaded / unchanged / deleted | {self.publish.uploaded} / "
                         f"{self.publish.unchanged} / {self.publish.deleted} |")
        timings = ", ".join(f"{name} {secs:.1f}s" for name, secs in self.seconds.items())
        lines += ["", f"Phases: {timings}", ""]
        lines += [part.markdown() for part in (self.sync, self.advance) if part is not None]
        return "\n".join(lines)


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
              on_phase: Callable[[str], None] | None = None) -> CycleReport:
    """One whole cycle. `clock` gives the time at each phase (default: `now` throughout);
    `render=False` skips the site (the demo renders once, after its last cycle)."""
    from quartz import dispatch, site
    from quartz import sync as sync_module
    from quartz.store import Store

    clock = clock or (lambda: now)
    report = CycleReport(cycle_id=f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}", started_at=now)
    timer = _Timer(report, on_phase)
    before = client.stats.snapshot()
    with tempfile.TemporaryDirectory(prefix="quartz-cycle-") as scratch:
        with timer.phase("pull"):
            pulled = storage.pull(location, workdir or scratch, client=s3)
            report.bytes_pulled = pulled.bytes_pulled
        store = Store.open(pulled.local_path)
        try:
            client.use_store(store)
            store.execute("cycle_log_start", cycle_id=report.cycle_id, started_at=now)
            with timer.phase("sync"):
                report.sync = sync_module.sync(config, store, client, clock())
            with timer.phase("advance"):
                report.advance = dispatch.advance(
                    config, store, client, clock(),
                    before_send=lambda _intent: storage.push_checkpoint(pulled, store, client=s3),
                )
            used = client.stats.since(before)
            report.requests, report.points = used.requests, used.points
            report.status = "ok" if report.sync.ok else "partial"
            store.execute(
                "cycle_log_finish", cycle_id=report.cycle_id, finished_at=clock(), status=report.status,
                phase="advance", requests=report.requests, rate_points=report.points,
                runs_seen=report.sync.runs_new + report.sync.runs_updated,
                stages_dispatched=report.advance.dispatched,
                cascades_finished=report.advance.cascades_finished, error=None,
            )
            # Logged before rendering, so the site's freshness line counts this cycle's data.
            if render:
                with timer.phase("render"):
                    if target:  # a runner that keeps no site/ renders only what changed since the last publish
                        report.render_restored = publish.restore_render_manifest(site_dir, target, client=s3)
                    report.render = site.render(config, store, site_dir, clock())
        except BaseException:
            store.close()
            raise
        store.close()
        with timer.phase("push"):
            storage.push(pulled, client=s3)
            report.bytes_pushed = pulled.bytes_pushed
    if target and render:
        with timer.phase("publish"):
            report.publish = publish.publish(site_dir, target, client=s3)
    return report


def main(args) -> int:
    from quartz import config as config_module
    from quartz.github import client_from_args

    config = config_module.load(args.config)
    client = client_from_args(args)
    target = args.target or os.environ.get("QUARTZ_PUBLISH_TARGET")
    started = dt.datetime.now(dt.UTC)
    try:
        report = run_cycle(config, args.store, client, args.out, target, started,
                           clock=lambda: dt.datetime.now(dt.UTC))
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
    if report.sync is not None:
        print(report.sync.summary())
    return 0 if report.status == "ok" else 1


def _write_summary(text: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(text + "\n")

