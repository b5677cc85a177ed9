"""Small helpers shared by the page contexts: times, caps on untrusted text, links."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from quartz import text as _text
from quartz.site import paths

SCHEMA_VERSION = 1
TITLE_CAP = 200  # characters of a run title, job name or message kept; GitHub text has no useful upper bound
MESSAGE_CAP = 300


def iso(ts: dt.datetime | None) -> str | None:
    if ts is None:
        return None
    if ts.utcoffset():
        ts = ts.astimezone(dt.UTC)
    return ts.isoformat()[:19] + "Z"  # isoformat is several times faster than strftime, and this runs 200k times


def seconds_between(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds()))


def newest(*stamps) -> dt.datetime | None:
    found = [s for s in stamps if s is not None]
    return max(found) if found else None


def cap(text, limit: int = TITLE_CAP) -> str | None:
    """Untrusted text, cut to a size a page can hold."""
    return _text.cap(text, limit)


def first_line(text, limit: int = TITLE_CAP) -> str | None:
    if text is None:
        return None
    return cap(str(text).strip().splitlines()[0] if str(text).strip() else "", limit)


def loads(value, default):
    """A JSON column as Python; DuckDB hands JSON back as text."""
    if value is None:
        return default
    if isinstance(value, (dict, list)):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return default


def short_sha(sha: str | None) -> str | None:
    return sha[:7] if sha else None


@dataclass
class SiteMap:
    """Which pages this render produces, so links point only at pages that exist."""

    builds: set[int] = field(default_factory=set)
    cascades: set[str] = field(default_factory=set)

    def build_html(self, run_id) -> str | None:
        return paths.build_page(run_id) if run_id is not None and int(run_id) in self.builds else None

    def build_api(self, run_id) -> str | None:
        return _api_rel(paths.api_build(run_id)) if run_id is not None and int(run_id) in self.builds else None

    def cascade_html(self, cascade_run_id) -> str | None:
        return paths.cascade_page(cascade_run_id) if cascade_run_id in self.cascades else None

    def cascade_api(self, cascade_run_id) -> str | None:
        return _api_rel(paths.api_cascade(cascade_run_id)) if cascade_run_id in self.cascades else None


def _api_rel(path: str) -> str:
    """API links inside JSON are relative to api/v1/."""
    return path[len(paths.API) + 1:]


api_rel = _api_rel


def doc(kind: str, generated_at: dt.datetime | None, now: dt.datetime, **body) -> dict:
    """The envelope every JSON file shares. generated_at is when the newest data in it was recorded
    (a file with no data: the start of the render's UTC hour), so a file whose data did not change keeps
    its bytes, and a render that carries files over (quartz.site.stamp) builds them byte for byte."""
    hour = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return {"schema_version": SCHEMA_VERSION, "kind": kind, "generated_at": iso(generated_at or hour), **body}


def paginate_blocks(items_oldest_first: list, block: int) -> tuple[list, list[list]]:
    """Split into (head, archive blocks). Archive blocks are fixed runs of `block` items counted from the
    oldest, so a full block never changes when new items arrive; the head holds the rest (newest)."""
    full = len(items_oldest_first) // block
    if full <= 1:
        return items_oldest_first, []
    archived = (full - 1) * block
    blocks = [items_oldest_first[i: i + block] for i in range(0, archived, block)]
    return items_oldest_first[archived:], blocks
