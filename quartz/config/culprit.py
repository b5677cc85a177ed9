"""The `culprit:` key of a cascade (issue 28): what the JSON Schema cannot say, and the immutable model.

A stage can be probed only if its inputs (ref, inputs, client_payload) read some `upstream.<name>.<field>`:
a probe puts an upstream back to its last good value, and a stage that reads none would run the same
inputs every time. `quartz validate` says so at the `culprit:` line.
"""

from __future__ import annotations

from quartz.config import templating
from quartz.config.model import Culprit, parse_duration

DEFAULT = Culprit()


def upstream_names(stage: dict) -> set[str]:
    """The upstream names a raw stage's templates read."""
    fields = {k: stage.get(k) for k in ("ref", "inputs", "client_payload") if k in stage}
    names = set()
    for _, text in templating.strings_in(fields):
        for hole in templating.holes(text):
            parts = hole.split(".")
            if parts[0] == "upstream" and len(parts) == 3:
                names.add(parts[1])
    return names


def check(validator, cascade_name: str, raw, stages: dict) -> None:
    """Report every problem of one cascade's `culprit:` through validator.error (file:line each)."""
    if not isinstance(raw, dict):
        return  # absent, or the wrong shape: the schema pass said so
    base = ("cascades", cascade_name, "culprit")
    for index, name in enumerate(raw.get("stages") or []):
        if name not in stages:
            validator.unknown(base + ("stages", index), "stage", name, stages)
        elif not upstream_names(stages[name] or {}):
            validator.error(base, f"stage '{name}' cannot be probed: its inputs read no upstream field "
                                  "(e.g. {{ upstream.pytorch.run_id }}), so a probe could put nothing back",
                            key=True)


def build(raw) -> Culprit | None:
    if raw is None:
        return None
    raw = raw or {}
    return Culprit(
        stages=tuple(raw.get("stages") or ()),
        max_probes=int(raw.get("max_probes", DEFAULT.max_probes)),
        max_age_s=parse_duration(raw["max_age"]) if "max_age" in raw else DEFAULT.max_age_s,
    )
