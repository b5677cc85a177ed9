"""The static dashboard and JSON API, rendered from the store.

    from quartz.site import render
    report = render(config, store, "site", now)   # RenderReport(pages, written, unchanged, ...)

CLI: `quartz render --config cascades.yaml --store quartz.duckdb --out site`.
"""

from __future__ import annotations

import datetime as dt
import sys

from quartz.site.render import RenderReport, render

__all__ = ["RenderReport", "main", "render"]


def main(args) -> int:
    from quartz import config as config_mod
    from quartz import storage

    config = config_mod.load(args.config)
    with storage.read_only(args.store) as store:  # an s3:// store is pulled to a temporary file, never pushed
        report = render(config, store, args.out, dt.datetime.now(dt.UTC))
    print(f"rendered {report.pages} pages and {report.api_files} API files into {args.out}: "
          f"{report.written} written, {report.unchanged} unchanged, {report.removed} removed "
          f"({report.bytes / 1e6:.1f} MB)", file=sys.stdout)
    return 0
