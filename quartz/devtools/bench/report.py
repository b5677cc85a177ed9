"""The benchmark's goals and its printed table."""

from __future__ import annotations

from quartz.cycle import PHASES
from quartz.devtools.bench import nightlytrigger
from quartz.devtools.bench.classifier import lines as classifier_lines
from quartz.devtools.bench.culprit import lines as culprit_lines
from quartz.devtools.bench.nightlies import lines as nightly_lines
from quartz.devtools.bench.signal import lines as signal_lines
from quartz.devtools.bench.testreports import lines as test_report_lines

MB = 1_000_000
CYCLES = (("first", "first cycle after bulk load"), ("steady", "steady state, nothing new"),
          ("new_run", "one new run per project"))


def cycle_seconds(cycle: dict) -> float:
    return sum(cycle["seconds"].values())


def per_run(side: dict) -> float | None:
    return side["requests"] / side["runs"] if side["runs"] else None


def peak_memory(figures: dict) -> int:
    cycles = figures["cycles"]
    return max(cycles[name]["maxrss_bytes"] for name in (*dict(CYCLES), "incremental_render"))


def store_bytes_moved(cycle: dict) -> int:
    """What a cycle moves between the runner and S3 for the store: the file both ways and history downloaded."""
    return cycle["bytes_pulled"] + cycle["bytes_pushed"] + cycle.get("history_bytes_downloaded", 0)


def store_file(cycles: dict) -> int:
    """The DuckDB file after the cycles (older figures have only the object, then uncompressed)."""
    return cycles.get("store_file_bytes", cycles["store_bytes"])


def goals(figures: dict) -> list[dict]:
    """Each goal with its measured value and whether it is met."""
    cycles = figures["cycles"]
    backfill_rate = per_run(figures["backfill"]["quartz"])
    rows = [
        ("steady-state cycle: rate-limit points", "0", cycles["steady"]["github_points"],
         cycles["steady"]["github_points"] == 0, "{:d}"),
        ("steady-state cycle: seconds", "< 15", cycle_seconds(cycles["steady"]),
         cycle_seconds(cycles["steady"]) < 15, "{:.1f}"),
        ("backfill: requests per completed run", "≤ 2.05", backfill_rate,
         backfill_rate is not None and backfill_rate <= 2.05, "{:.3f}"),
        ("full render: seconds", "< 60", cycles["first"]["seconds"].get("render", 0.0),
         cycles["first"]["seconds"].get("render", 0.0) < 60, "{:.1f}"),
        ("incremental render after one new run per project: seconds", "< 5",
         cycles["incremental_render"]["seconds"], cycles["incremental_render"]["seconds"] < 5, "{:.1f}"),
        ("store file: MB", "< 150", store_file(cycles) / MB, store_file(cycles) < 150 * MB, "{:.1f}"),
        ("hot store file: MB", "< 15", store_file(cycles) / MB, store_file(cycles) < 15 * MB, "{:.1f}"),
        ("steady-state cycle: store MB moved to and from S3", "< 20", store_bytes_moved(cycles["steady"]) / MB,
         store_bytes_moved(cycles["steady"]) < 20 * MB, "{:.1f}"),
        ("steady-state cycle: seconds (a third of 7.3 s)", "< 2.4", cycle_seconds(cycles["steady"]),
         cycle_seconds(cycles["steady"]) < 2.4, "{:.1f}"),
        ("peak memory of a cycle: MB", "< 2000", peak_memory(figures) / MB, peak_memory(figures) < 2000 * MB,
         "{:.0f}"),
    ]
    if "time_to_signal" in figures:  # Quartz's own time from a ping to the dispatch
        pinged = figures["time_to_signal"]["pings"]["max_s"]
        rows.append(("ping: upstream done → downstream dispatched, Quartz's own time (s)", "< 60", pinged,
                     pinged < 60, "{:.1f}"))
    return [{"goal": goal, "target": target, "value": value, "met": met,
             "shown": "n/a" if value is None else fmt.format(value)} for goal, target, value, met, fmt in rows]


def _ratio(naive: float, ours: float) -> str:
    if ours == 0:
        return "∞" if naive else "–"
    return f"{naive / ours:.1f}×"


def _counts(side: dict | None) -> str:
    return "–" if side is None else f"{side['requests']:,} ({side['points']:,})"


def table(figures: dict) -> str:
    """The bench's figures as Markdown: requests, cycle phases, sizes and renders, test reports, goals."""
    sizes = figures["sizes"]
    lines = [f"Quartz bench: {sizes['projects']} projects × {sizes['days']} days × {sizes['runs_per_day']} runs/day "
             f"× {sizes['jobs_per_run']} jobs/run = {figures['runs']:,} runs, {figures['jobs']:,} jobs", ""]
    lines += _requests(figures) + _phases(figures["cycles"]) + _sizes(figures)
    if "test_reports" in figures:
        lines += test_report_lines(figures["test_reports"])
    if "nightlies" in figures:
        lines += nightly_lines(figures["nightlies"])
    if "time_to_signal" in figures:
        lines += signal_lines(figures["time_to_signal"])
    if "classifier" in figures:
        lines += classifier_lines(figures["classifier"])
    if "nightly_trigger" in figures:
        lines += nightlytrigger.lines(figures["nightly_trigger"])
    if "fleet_1000" in figures:
        lines += _fleet_1000(figures["fleet_1000"])
    if "culprit" in figures:
        lines += culprit_lines(figures["culprit"])
    lines += ["", "Goals", "| goal | target | measured | |", "|---|---|---|---|"]
    for g in figures["goals"]:
        lines.append(f"| {g['goal']} | {g['target']} | {g['shown']} | {'✓' if g['met'] else '✗'} |")
    return "\n".join(lines)


def _requests(figures: dict) -> list[str]:
    backfill, cycles = figures["backfill"], figures["cycles"]
    lines = ["GitHub requests (rate-limit points), counted by the simulator",
             "| | Quartz | naive PyGithub | naive / Quartz (points) |", "|---|---|---|---|"]
    ours, naive = backfill["quartz"], backfill["naive"]
    scope = (f"{backfill['projects_measured']} of {backfill['projects']} projects, {ours['runs']:,} runs, "
             "extrapolated per run" if backfill["extrapolated"] else f"all {ours['runs']:,} runs")
    ours_rate, naive_rate = per_run(ours), per_run(naive)
    lines.append(f"| backfill ({scope}) | {_counts(ours)} | {_counts(naive)} | "
                 f"{_ratio(naive['points'], ours['points'])} |")
    if ours_rate is not None and naive_rate is not None:
        lines.append(f"| backfill per completed run | {ours_rate:.3f} | {naive_rate:.3f} | "
                     f"{_ratio(naive_rate, ours_rate)} |")
        if backfill["extrapolated"]:
            lines.append(f"| backfill, whole fleet (extrapolated) | ~{ours_rate * figures['runs']:,.0f} | "
                         f"~{naive_rate * figures['runs']:,.0f} | |")
    logs = [f"backfill {ours.get('log_requests', 0)}"]
    logs += [f"{label} {cycles[k].get('log_requests', 0)}" for k, label in CYCLES]
    lines.append(f"| of these, job logs (one per failed job) | {', '.join(logs)} | – | |")
    for key, label in CYCLES:
        c = cycles[key]
        mine = {"requests": c["github_requests"], "points": c["github_points"]}
        other = c.get("naive")
        ratio = _ratio(other["points"], mine["points"]) if other else "–"
        lines.append(f"| cycle: {label} | {_counts(mine)} | {_counts(other)} | {ratio} |")
    return lines


def _phases(cycles: dict) -> list[str]:
    lines = ["", "Cycle phases: seconds · peak memory (each cycle renders into an empty site/, as the scheduled "
             "workflow does, from the second on starting from the published render manifest; "
             "S3 is moto's server on 127.0.0.1)",
             "| phase | " + " | ".join(label for _, label in CYCLES) + " |", "|---" * (len(CYCLES) + 1) + "|"]
    for phase in (*PHASES, "archive"):
        lines.append(f"| {phase} | " + " | ".join(_phase(cycles[k], phase) for k, _ in CYCLES) + " |")
    lines.append("| **total** | " + " | ".join(f"{cycle_seconds(cycles[k]):.1f}" for k, _ in CYCLES) + " |")
    samples = cycles["steady"].get("samples_seconds")
    if samples:
        lines.append("| steady-state samples (s), median shown | | "
                     + ", ".join(f"{x:.1f}" for x in samples) + " | |")
    lines.append("| peak memory (MB) | " + " | ".join(f"{cycles[k]['maxrss_bytes'] / MB:.0f}" for k, _ in CYCLES)
                 + " |")
    lines.append("| store pulled / pushed (MB) | " + " | ".join(
        f"{cycles[k]['bytes_pulled'] / MB:.1f} / {cycles[k]['bytes_pushed'] / MB:.1f}" for k, _ in CYCLES) + " |")
    lines.append("| history files read · downloaded (MB) | " + " | ".join(
        f"{cycles[k].get('history_files', 0)} · {cycles[k].get('history_downloads', 0)} "
        f"({cycles[k].get('history_bytes_downloaded', 0) / MB:.1f})" for k, _ in CYCLES) + " |")
    lines.append("| store bytes moved (MB) | " + " | ".join(
        f"{store_bytes_moved(cycles[k]) / MB:.1f}" for k, _ in CYCLES) + " |")
    return lines


def _sizes(figures: dict) -> list[str]:
    cycles = figures["cycles"]
    bulk = figures["bulk"]
    migration = bulk.get("migration", {})
    inc = cycles["incremental_render"]
    return ["", "Sizes and renders", "| | |", "|---|---|",
            f"| full render (first cycle, empty site/) | {cycles['first']['seconds'].get('render', 0):.1f} s |",
            f"| incremental render after one new run per project (over the first cycle's site) | "
            f"{inc['seconds']:.1f} s, {inc['written']:,} files written, {inc['unchanged']:,} unchanged, "
            f"{inc['maxrss_bytes'] / MB:.0f} MB peak |",
            f"| store file (after the cycles) · its object in S3 (gzip) | {store_file(cycles) / MB:.1f} MB · "
            f"{cycles['store_bytes'] / MB:.1f} MB |",
            f"| store file (bulk-loaded, {bulk['runs']:,} runs, {bulk['jobs']:,} jobs) | "
            f"{bulk['store_bytes'] / MB:.1f} MB |",
            f"| migration to hot/cold (`quartz archive --migrate`) | {migration.get('runs_moved', 0):,} runs "
            f"into {migration.get('files', 0):,} Parquet files ({migration.get('history_bytes', 0) / MB:.1f} MB) "
            f"in {migration.get('seconds', 0):.1f} s; store {bulk['store_bytes'] / MB:.1f} → "
            f"{migration.get('store_bytes_after', 0) / MB:.1f} MB |",
            f"| site ({cycles['site_files']:,} files) | {cycles['site_bytes'] / MB:.1f} MB |",
            f"| index.html | {cycles['index_bytes'] / 1000:.1f} KB |",
            f"| bench process peak memory (simulator + generation) | "
            f"{figures['bench_process_maxrss_bytes'] / MB:.0f} MB |",
            f"| bench wall time | {figures['seconds']['total']:.0f} s |"]


def _phase(cycle: dict, phase: str) -> str:
    seconds = cycle["seconds"].get(phase)
    if seconds is None:
        return "–"
    peak = cycle.get("phase_peak_bytes", {}).get(phase)
    return f"{seconds:.2f} s" + (f" · {peak / MB:,.0f} MB" if peak else "")


def _fleet_1000(f: dict) -> list[str]:
    phases = ", ".join(f"{name} {secs:.1f} s" for name, secs in f["phase_seconds"].items())
    return ["", f"1,000 projects on one runner (`fleet_1000`: {f['projects']:,} projects, {f['runs']:,} runs, "
            f"{f['jobs']:,} jobs)", "| | |", "|---|---|",
            f"| steady-state cycle: GitHub requests (rate-limit points) | {f['requests']:,} ({f['points']:,}) |",
            f"| steady-state cycle: seconds | {f['seconds']:.1f} ({phases}) |",
            f"| the same requests at GitHub's 900 points a minute | {f['minutes_at_secondary_limit']:.1f} min |",
            f"| listing | {f['listing']} |",
            f"| first cycle (no ETags cached yet) | {f['first_cycle_requests']:,} requests, "
            f"{f['first_cycle_seconds']:.1f} s |",
            f"| store file · object in S3 (gzip) · moved by the steady cycle | "
            f"{f.get('store_file_bytes', 0) / MB:.1f} MB · {f['store_bytes'] / MB:.1f} MB · "
            f"{f['store_bytes_moved'] / MB:.1f} MB |",
            f"| peak memory of the steady cycle | {f['maxrss_bytes'] / MB:.0f} MB |"]
