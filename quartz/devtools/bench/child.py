"""One `quartz cycle` in a process of its own, so its peak memory is its own.

    python -m quartz.devtools.bench.child SPEC_JSON   → prints one JSON line with the figures

SPEC_JSON: {mode: cycle|render, config, location, site_dir, target, now,
github_url, token}. `render` pulls the store and renders into site_dir (which
may hold an earlier render: the incremental case) without pushing anything.
S3 settings come from the environment (AWS_ENDPOINT_URL_S3 and friends), as in
the scheduled workflow.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import sys


def run(spec: dict) -> dict:
    figures = render_only(spec) if spec.get("mode") == "render" else cycle(spec)
    # A cycle resets the peak between phases: its peak is the largest phase's (or the peak since start).
    figures["maxrss_bytes"] = max([peak_rss_bytes(), *figures.get("phase_peak_bytes", {}).values()])
    return figures


def peak_rss_bytes() -> int:
    """This process's own peak resident memory.

    VmHWM belongs to the memory map made at exec. ru_maxrss does not do here: a
    child started with vfork/fork inherits the parent's peak as its own.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def render_only(spec: dict) -> dict:
    import tempfile
    import time

    from quartz import config as config_module
    from quartz.site.render import render
    from quartz.store import remote as storage
    from quartz.store.db import Store
    from quartz.store.history.views import attach

    config = config_module.load(spec["config"])
    with tempfile.TemporaryDirectory(prefix="quartz-bench-render-") as scratch:
        pulled = storage.pull(spec["location"], scratch)
        with Store.open(pulled.local_path, read_only=True) as store:
            t = time.perf_counter()
            attach(store, spec["location"])
            report = render(config, store, spec["site_dir"], dt.datetime.fromisoformat(spec["now"]))
            seconds = time.perf_counter() - t
    return {"seconds": seconds, "written": report.written, "unchanged": report.unchanged, "bytes": report.bytes}


def cycle(spec: dict) -> dict:
    from quartz import config as config_module
    from quartz.cycle import run_cycle
    from quartz.github.client import GitHubClient

    config = config_module.load(spec["config"])
    now = dt.datetime.fromisoformat(spec["now"])
    client = GitHubClient(spec["github_url"], spec["token"], sleep=lambda _s: None, clock=lambda: now.timestamp(),
                          write_interval_s=0)
    peaks = PhasePeaks()
    report = run_cycle(config, spec["location"], client, spec["site_dir"], spec["target"], now, on_phase=peaks)
    peaks.close()
    if report.failure is not None:
        raise report.failure
    sync, advance, render, publish = report.sync, report.advance, report.render, report.publish
    return {
        "status": report.status,
        "seconds": report.seconds,
        "requests": report.requests,
        "points": report.points,
        "bytes_pulled": report.bytes_pulled,
        "bytes_pushed": report.bytes_pushed,
        "store_file_bytes": report.store_file_bytes,
        "runs_new": sync.runs_new if sync else 0,
        "runs_updated": sync.runs_updated if sync else 0,
        "jobs": sync.jobs if sync else 0,
        "log_requests": sync.log_requests if sync else 0,  # one per failed job whose line was read
        "failure_lines": sync.failure_lines if sync else 0,
        "dispatched": getattr(advance, "dispatched", 0),
        "cascades_started": getattr(advance, "started", 0),
        "render_written": render.written if render else 0,
        "render_unchanged": render.unchanged if render else 0,
        "site_bytes": render.bytes if render else 0,
        "uploaded": publish.uploaded if publish else 0,
        "phase_peak_bytes": peaks.peaks,
        "history_files": getattr(report.history, "files", 0),
        "history_downloads": getattr(report.history, "downloads", 0),
        "history_bytes_downloaded": getattr(report.history, "bytes_downloaded", 0),
        "archived_runs": report.archive.report.runs if report.archive else 0,
    }


class PhasePeaks:
    """Peak resident memory of each cycle phase: read VmHWM as a phase ends, then reset it.

    Writing 5 to /proc/self/clear_refs resets the peak (Linux 4.0+); where that is
    not allowed the figures are left out and only the whole cycle's peak is given.
    """

    def __init__(self):
        self.peaks: dict[str, int] = {}
        self.current: str | None = None
        self.enabled = True

    def __call__(self, phase: str) -> None:
        self.close()
        self.current = phase

    def close(self) -> None:
        if not self.enabled:
            return
        if self.current is not None:
            self.peaks[self.current] = max(self.peaks.get(self.current, 0), peak_rss_bytes())
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
                refs.write("5")
        except OSError:
            self.enabled = False
            self.peaks.clear()
        self.current = None


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
