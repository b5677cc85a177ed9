"""Plotly figure specs (data only) built from page documents.

Pages embed a spec as JSON and one shared script draws it with the site's
single copy of plotly.min.js. Plotly reads a few HTML tags inside trace names,
so names are entity-escaped first and show literally.
"""

from __future__ import annotations

import html

_LAYOUT = {"margin": {"l": 48, "r": 12, "t": 8, "b": 36}, "height": 260, "hovermode": "x unified",
           "legend": {"orientation": "h", "y": -0.25}, "xaxis": {"type": "date"}}


def _name(text: str) -> str:
    return html.escape(str(text), quote=True)


def _layout(y_title: str, **extra) -> dict:
    return {**_LAYOUT, "yaxis": {"title": {"text": y_title}, "rangemode": "tozero", **extra}}


def branch_charts(branch: dict) -> list[dict]:
    t = branch["trend"]
    minutes = [None if s is None else round(s / 60, 1) for s in t["median_seconds"]]
    return [
        {"id": "success", "label": "Daily success rate (%) over 30 days",
         "data": [{"type": "bar", "x": t["days"], "y": t["success_rate"], "name": "success %",
                   "marker": {"color": "#2ea44f"}}],
         "layout": _layout("success %", range=[0, 100])},
        {"id": "duration", "label": "Median duration of passing runs (minutes) over 30 days",
         "data": [{"type": "scatter", "mode": "lines+markers", "x": t["days"], "y": minutes,
                   "name": "median minutes", "connectgaps": True}],
         "layout": _layout("minutes")},
    ]


def trend_charts(doc: dict) -> list[dict]:
    days = doc["days"]
    success = [{"type": "scatter", "mode": "lines", "x": days, "y": p["success_rate"], "name": _name(p["project"]),
                "connectgaps": True} for p in doc["projects"]]
    duration = [{"type": "scatter", "mode": "lines", "x": days, "name": _name(p["project"]), "connectgaps": True,
                 "y": [None if s is None else round(s / 60, 1) for s in p["median_seconds"]]} for p in doc["projects"]]
    queue = [{"type": "scatter", "mode": "lines", "x": days, "name": _name(p["project"]), "connectgaps": True,
              "y": [None if s is None else round(s / 60, 1) for s in p["queue_median_s"]]} for p in doc["projects"]]
    lead = [{"type": "scatter", "mode": "markers+lines", "name": _name(c["cascade"]),
             "x": [pt["finished_at"] for pt in c["points"]],
             "y": [round(pt["lead_time_s"] / 3600, 2) for pt in c["points"]]} for c in doc["cascade_lead_times"]]
    return [
        {"id": "success", "label": "Daily success rate per project (%)", "data": success,
         "layout": _layout("success %", range=[0, 105])},
        {"id": "duration", "label": "Slowest daily median run duration per project (minutes)", "data": duration,
         "layout": _layout("minutes")},
        {"id": "queue", "label": "Median job queue time per project (minutes)", "data": queue,
         "layout": _layout("minutes")},
        {"id": "lead", "label": "Cascade lead time, upstream done → last stage done (hours)", "data": lead,
         "layout": _layout("hours")},
    ]
