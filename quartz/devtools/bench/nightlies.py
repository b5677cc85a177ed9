"""The ROCm nightly pages in the bench: 30 nightlies × 29 GPU family rows (16 Linux, 13 Windows).

Synthetic status.json documents shaped like ROCm's real ones (rocm/pytorch/jax builds per platform, a test leaf
per family with 20 python × torch variants for pytorch, rocm tests on the families with runners, native
packages) are turned into cells, streaks and pages by the same code a render runs (quartz.site.nightlies),
into a real site directory through the site's writer: a first render, then one with nothing changed (pages
whose JSON twin did not change are not rebuilt).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from pathlib import Path

LINUX = ("gfx94X-dcgpu", "gfx110X-all", "gfx1151", "gfx120X-all", "gfx90a", "gfx950-dcgpu", "gfx900", "gfx90c",
         "gfx906", "gfx908", "gfx101X-dgpu", "gfx103X-all", "gfx1150", "gfx1152", "gfx1153", "gfx125X-dcgpu")
WINDOWS = tuple(f for f in LINUX if f not in ("gfx94X-dcgpu", "gfx950-dcgpu", "gfx125X-dcgpu"))
RUNNERS = {"linux": LINUX[:4] + ("gfx103X-all", "gfx1150", "gfx1153"), "windows": ("gfx110X-all", "gfx1151",
                                                                                    "gfx120X-all", "gfx103X-all")}
NIGHTLIES = 30
VARIANTS = [(py, ref) for ref in ("release/2.11", "release/2.12", "nightly", "release/2.13")
            for py in ("3.10", "3.11", "3.12", "3.13", "3.14")]
CONFIG = "projects:\n  rocm: {repo: ROCm/rockrel, category: core, workflows: [multi_arch_release.yml]}\n"


def _leaf(status: str, run_id: int, start: str, end: str, variants=None) -> dict:
    leaf = {"status": status, "run_id": run_id, "run_attempt": 1, "started_at": start, "completed_at": end}
    if variants is not None:
        leaf["variants"] = variants
    return leaf


def synthetic_doc(day: dt.date, rng: random.Random) -> dict:
    key = day.strftime("%Y%m%d")
    run = 30_000_000_000 + int(key) % 100_000 * 100
    start, end = f"{day.isoformat()}T00:02:41Z", f"{day.isoformat()}T12:46:16Z"

    def status(p_fail: float) -> str:
        return "failure" if rng.random() < p_fail else "success"

    def variants(p_fail: float) -> list[dict]:
        return [{"py": py, "torch": ref, "status": status(p_fail), "run_id": run + 2, "run_attempt": 1,
                 "started_at": start, "completed_at": end} for py, ref in VARIANTS]

    pipelines: dict = {"rocm": {"build": {}, "test": {}}, "pytorch": {"build": {}, "test": {}},
                       "jax": {"build": {}, "test": {}}}
    for platform, families in (("linux", LINUX), ("windows", WINDOWS)):
        pipelines["rocm"]["build"][platform] = _leaf(status(0.05), run, start, end)
        pipelines["rocm"]["test"][platform] = {f: _leaf(status(0.5), run + 1, start, end) for f in RUNNERS[platform]}
        pipelines["pytorch"]["build"][platform] = _leaf(status(0.3), run + 2, start, end, variants(0.1))
        pipelines["pytorch"]["test"][platform] = {f: _leaf("success", run + 2, start, end, variants(0.3))
                                                  for f in families}
        for leaf in pipelines["pytorch"]["test"][platform].values():
            leaf["status"] = "failure" if any(v["status"] == "failure" for v in leaf["variants"]) else "success"
    pipelines["jax"]["build"]["linux"] = _leaf(status(0.3), run + 3, start, end)
    pipelines["jax"]["test"]["linux"] = {"gfx94X-dcgpu": _leaf(status(0.5), run + 3, start, end)}
    pipelines["native_packages"] = {k: _leaf("success", run, start, end) for k in ("rpm", "deb")}
    urls = {"wheels": "https://rocm.nightlies.amd.com/whl-multi-arch/"}
    return {"schema_version": "2.0", "release_type": "nightly", "rocm_version": f"10.1.0a{key}", "build_date": key,
            "trigger_workflow_run_id": run, "trigger_run_attempt": 1, "created_at": start, "completed_at": end,
            "status_json_last_updated": end,
            "summary": {"overall_status": "failure",
                        "linux": {"status": "failure", "architectures": list(LINUX), "urls": urls},
                        "windows": {"status": "failure", "architectures": list(WINDOWS), "urls": urls}},
            "pipelines": pipelines}


def measure(workdir: Path, *, nightlies: int = NIGHTLIES, say=lambda _text: None) -> dict:
    from quartz.config import loads
    from quartz.site import nightlies as pages
    from quartz.site.render import _Site

    say(f"bench: ROCm nightly pages, {nightlies} nightlies × {len(LINUX) + len(WINDOWS)} family rows")
    rng = random.Random(24)
    first = dt.date(2026, 8, 1)
    docs = [("nightly", d.strftime("%Y%m%d"), synthetic_doc(d, rng))
            for d in (first + dt.timedelta(days=i) for i in range(nightlies))]
    config = loads(CONFIG)
    now = dt.datetime.combine(first + dt.timedelta(days=nightlies), dt.time(), dt.UTC)
    out: dict = {"nightlies": nightlies, "family_rows": len(LINUX) + len(WINDOWS)}
    for label in ("first", "unchanged"):
        t = time.perf_counter()
        state = pages.build_state(docs, config, now)
        model_s = time.perf_counter() - t
        site = _Site(config, workdir / "nightly-site", now)
        pages.publish(site, state)
        counts = site.writer.finish()
        out[label] = {"model_s": model_s, "total_s": time.perf_counter() - t, "written": counts.written,
                      "unchanged": counts.unchanged, "pages": site.pages, "api_files": site.api_files}
    out["cells_per_nightly"] = len(state.nights[-1].cells)
    out["bytes"] = sum(p.stat().st_size for p in (workdir / "nightly-site").rglob("*") if p.is_file())
    return out


def lines(figures: dict) -> list[str]:
    f, u = figures["first"], figures["unchanged"]
    return ["", f"ROCm nightly pages: {figures['nightlies']} nightlies × {figures['family_rows']} family rows "
                f"({figures['cells_per_nightly']} cells a nightly, {figures['bytes'] / 1e6:.1f} MB)",
            "| render | cells + streaks | total | pages | files written | unchanged |", "|---|---|---|---|---|---|",
            f"| first | {f['model_s']:.2f} s | {f['total_s']:.2f} s | {f['pages']} | {f['written']} "
            f"| {f['unchanged']} |",
            f"| nothing changed | {u['model_s']:.2f} s | {u['total_s']:.2f} s | {u['pages']} | {u['written']} "
            f"| {u['unchanged']} |"]
