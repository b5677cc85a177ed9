"""What a cascade run started by a nightly's leaf carries, as the engine reads it. Pure; no store.

The start (quartz/cascades/nightly_trigger.py) stores the nightly's fields in the cascade run's
`upstream` under NIGHTLY; templates read them as `{{ nightly.<field> }}`, and a stage that names
`needs_families` is skipped when none of them passed.
"""

from __future__ import annotations

from collections.abc import Mapping

NIGHTLY = "nightly"  # the key of the nightly's fields in a cascade run's upstream


def nightly_fields(upstream: Mapping) -> dict:
    """`{{ nightly.* }}`: the fields stored when the cascade run started (empty for other cascade runs)."""
    fields = upstream.get(NIGHTLY)
    return dict(fields) if isinstance(fields, Mapping) and "key" in fields else {}


def unmet(needs: tuple[str, ...], upstream: Mapping) -> str | None:
    """Why a stage that needs these families cannot run (none of them passed), or None when it can."""
    if not needs:
        return None
    fields = nightly_fields(upstream)
    if not fields:
        return None  # a run trigger or a manual start: no nightly to ask
    passed = [f for f in str(fields.get("families") or "").split(",") if f]
    if any(f in passed for f in needs):
        return None
    what = f"{fields.get('platform')} {fields.get('pipeline')}.{fields.get('phase')}"
    return (f"skipped: needs {' or '.join(needs)}, which had not passed {what} in {fields.get('release_type')} "
            f"{fields.get('key')} when the cascade started (passed: {', '.join(passed) or 'none'})")
