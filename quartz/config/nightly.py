"""Cascades that start on one component of a ROCm nightly: `trigger: {nightly: {...}}` in cascades.yaml.

    trigger:
      nightly: {release_type: nightly, platform: linux, pipeline: pytorch, phase: build,
                families: [gfx94X-dcgpu, gfx950-dcgpu], require: all}

The trigger names one leaf (or rollup) of the nightly's status.json tree; quartz/cascades/nightly_trigger.py
watches it. This module holds its schema, its model, its checks (file:line errors) and the templates it
offers (`{{ nightly.<field> }}`); config/load.py, model.py and schema.py only call in here.
"""

from __future__ import annotations

from dataclasses import dataclass

RELEASE_TYPES = ("nightly", "prerelease")
PLATFORMS = ("linux", "windows")
# pipeline -> its phases, as status.json names them (`pipelines.<pipeline>.<phase>`)
PHASES = {"rocm": ("build", "test"), "pytorch": ("build", "test", "test_full"), "jax": ("build", "test"),
          "native_packages": ("rpm", "deb")}
LINUX_ONLY = ("jax", "native_packages")
REQUIRE = ("all", "any")
FAMILY_PATTERN = r"^gfx[0-9A-Za-z]+(-[0-9A-Za-z]+)?$"
# What `{{ nightly.<field> }}` offers a stage's inputs, ref or client_payload.
FIELDS = ("key", "release_type", "build_date", "rocm_version", "run_id", "run_attempt", "platform", "pipeline",
          "phase", "families", "families_json", "html_url")
URL_KINDS = ("tarballs", "wheels", "artifacts", "rpm", "deb")

_families = {"type": "array", "items": {"type": "string", "pattern": FAMILY_PATTERN}, "uniqueItems": True,
             "minItems": 1}

SCHEMA = {
    "type": "object",
    "description": "Start when one leaf (or rollup) of a ROCm nightly's status.json turns green, "
                   "not when the whole nightly ends.",
    "required": ["platform", "pipeline", "phase"],
    "additionalProperties": False,
    "properties": {
        "release_type": {"enum": list(RELEASE_TYPES), "description": "default nightly"},
        "platform": {"enum": list(PLATFORMS)},
        "pipeline": {"enum": list(PHASES)},
        "phase": {"enum": sorted({p for phases in PHASES.values() for p in phases})},
        "families": {**_families, "description": "GPU families the leaf must have passed for (default: the "
                                                 "platform's whole leaf or rollup)"},
        "require": {"enum": list(REQUIRE), "description": "all (default): every family passed; any: at least "
                                                          "one passed once every family is decided"},
    },
}
STAGE_FAMILIES = {**_families, "description": "GPU families this stage needs: it is skipped, with the reason, "
                                              "when none of them passed the nightly trigger"}


@dataclass(frozen=True)
class NightlyTrigger:
    platform: str
    pipeline: str
    phase: str
    release_type: str = "nightly"
    families: tuple[str, ...] = ()  # empty: the platform's leaf (builds) or every family's test leaf
    require: str = "all"

    def describe(self) -> str:
        """`linux pytorch.build (gfx94X-dcgpu, gfx950-dcgpu)`: how pages and reasons name it."""
        where = f"{self.platform} {self.pipeline}.{self.phase}"
        if self.families:
            joined = ", ".join(self.families)
            where += f" ({joined})" if self.require == "all" or len(self.families) == 1 else f" (any of {joined})"
        return f"{self.release_type} {where}"


def build(raw) -> NightlyTrigger | None:
    if not isinstance(raw, dict):
        return None
    return NightlyTrigger(platform=raw["platform"], pipeline=raw["pipeline"], phase=raw["phase"],
                          release_type=raw.get("release_type", "nightly"), families=tuple(raw.get("families") or ()),
                          require=raw.get("require", "all"))


def check(validator, base: tuple, trigger: dict, stages: dict) -> None:
    """Problems the schema cannot see: a phase its pipeline lacks, a Linux-only pipeline on Windows,
    a nightly trigger mixed with a run trigger, and `needs_families` without a nightly trigger."""
    nightly = trigger.get("nightly") if isinstance(trigger, dict) else None
    if isinstance(nightly, dict):
        where = base + ("trigger", "nightly")
        others = [k for k in trigger if k != "nightly"]
        if others:
            validator.error(base + ("trigger", others[0]), f"a nightly trigger stands alone; '{others[0]}' belongs "
                                                           "to a run trigger (write one or the other)", key=True)
        pipeline, phase, platform = nightly.get("pipeline"), nightly.get("phase"), nightly.get("platform")
        if pipeline in PHASES and phase not in PHASES[pipeline] and isinstance(phase, str):
            validator.error(where + ("phase",), f"pipeline {pipeline} has no phase '{phase}'; its phases: "
                                                f"{', '.join(PHASES[pipeline])}")
        if pipeline in LINUX_ONLY and platform == "windows":
            validator.error(where + ("platform",), f"pipeline {pipeline} runs on linux only")
        if nightly.get("require") == "any" and not nightly.get("families"):
            validator.error(where + ("require",), "require: any needs a list of families to choose from")
    for name, stage in stages.items():
        if isinstance(stage, dict) and "needs_families" in stage and not isinstance(nightly, dict):
            validator.error(base + ("stages", name, "needs_families"),
                            "needs_families needs a nightly trigger (trigger: {nightly: {...}}): only it says "
                            "which families passed", key=True)


def template_problem(parts: list[str], has_nightly: bool) -> str | None:
    """Why `{{ nightly.… }}` cannot be filled, or None."""
    if not has_nightly:
        return "nightly.<field> needs a nightly trigger (trigger: {nightly: {...}})"
    if len(parts) == 3 and parts[1] == "urls" and parts[2] in URL_KINDS:
        return None
    if len(parts) == 2 and parts[1] in FIELDS:
        return None
    return (f"write nightly.<field> with field one of {', '.join(FIELDS)}, or nightly.urls.<kind> with kind one "
            f"of {', '.join(URL_KINDS)}")
