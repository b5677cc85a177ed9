"""The Jinja2 environment: finds templates/ both in a checkout and in an installed package.

`templates/` sits at the top of the repository. pyproject.toml ships it inside
the package as `quartz/_templates` (a symlink in the checkout, real files in a
wheel), so `pip install .` finds it there; a checkout finds either.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from quartz.site import charts, dag, paths, status
from quartz.site.jsonout import script_json


def templates_dir() -> Path:
    packaged = Path(str(resources.files("quartz").joinpath("_templates")))
    if (packaged / "base.html").is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if (checkout / "base.html").is_file():
        return checkout
    raise FileNotFoundError(f"Quartz's HTML templates are missing: looked in {packaged} and {checkout}; "
                            "reinstall Quartz (pip install .) from a complete checkout")


def duration(seconds) -> str:
    if seconds is None:
        return "–"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {sec:02d}s" if minutes < 10 else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    return f"{hours // 24}d {hours % 24}h"


def ago(seconds) -> str:
    if seconds is None:
        return "never"
    seconds = int(seconds)
    if seconds < 90:
        return "just now"
    if seconds < 5400:
        return f"{round(seconds / 60)} min ago"
    if seconds < 48 * 3600:
        return f"{round(seconds / 3600)} h ago"
    return f"{round(seconds / 86400)} d ago"


def when(iso_text) -> str:
    """'2026-11-29T12:05:00Z' → '2026-11-29 12:05 UTC' (absolute: pages stay byte-identical between renders)."""
    if not iso_text:
        return "–"
    return iso_text[:10] + " " + iso_text[11:16] + " UTC"


def hhmm(iso_text) -> str:
    return iso_text[11:16] + " UTC" if iso_text else "–"


def size(n) -> str:
    if n is None:
        return "–"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def worst_first(items, attribute: str) -> list:
    """Sort ascending by `attribute`, items without a value last (a project with no runs yet has none)."""
    return sorted(items, key=lambda item: (item[attribute] is None, item[attribute] or 0))


def hud_cells(cells, columns, root: str) -> Markup:
    """One HUD row's job cells, each as the template wrote it before: a cell with a job on a line of its
    own, an empty cell bare. A project page has 1,250 cells; as template code they took most of its
    render time (about ten template outputs each)."""
    out = []
    for cell, column in zip(cells, columns, strict=True):
        if not cell:
            out.append('<td class="h"></td>')
            continue
        s = status.state(cell["state"])
        href = root + cell["html"] if cell["html"] else cell["html_url"]
        out.append(f'      <td class="h st-{escape(s.key)}"><a href="{escape(href)}" '
                   f'title="{escape(s.word)} · {escape(duration(cell["duration_s"]))}" '
                   f'aria-label="{escape(column["name"])}: {escape(s.word)}">{escape(s.icon)}</a></td>\n')
    return Markup("".join(out))


def make_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=jinja2.select_autoescape(["html", "svg", "xml"], default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(duration=duration, ago=ago, when=when, hhmm=hhmm, size=size, script_json=script_json,
                       slug=paths.slug, release_page=paths.release_page,
                       worst_first=worst_first)
    env.globals.update(state=status.state, hud_cells=hud_cells, dag_layout=dag.layout,
                       branch_charts=charts.branch_charts, trend_charts=charts.trend_charts)
    return env
