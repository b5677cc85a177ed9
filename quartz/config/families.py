"""The `families:` table of cascades.yaml: GPU families as a fleet-wide axis.

    families:
      gfx94X-dcgpu:
        aliases: [gfx942, MI300X, mi300_1]     # targets, products, other projects' runner/hardware labels
        coverage: tested                       # or per platform: {linux: tested, windows: no-runner}

Coverage says what a nightly can know before it ends: a family `tested` on a platform waits for its test
results; `build-only` and `no-runner` families are `not_tested` from the start (quartz.rocm.nightly), never a
pass. A project whose job names carry a family (`family_pattern`, a regex with a `family` group) reads it
through `resolve`, so `test (gfx942)` and `test (mi300_1)` both land in the gfx94X-dcgpu column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType

COVERAGE = ("tested", "build-only", "no-runner")
PLATFORMS = ("linux", "windows")

SCHEMA = {
    "type": "object",
    "description": "GPU family -> its aliases and test coverage (the ROCm nightly's rows).",
    "additionalProperties": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "aliases": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 100},
                        "uniqueItems": True,
                        "description": "LLVM targets (gfx942), products (MI300X), runner or hardware labels (mi300_1)"},
            # One word or a word per platform; the words are checked in check() for a one-line message.
            "coverage": {"type": ["string", "object"],
                         "description": "tested, build-only or no-runner; one word or one per platform"},
        },
    },
}
PATTERN_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 300,
                  "description": "regex on job names with a (?P<family>...) group, e.g. 'test \\((?P<family>[^)]+)\\)'"}


@dataclass(frozen=True)
class Family:
    name: str
    aliases: tuple[str, ...] = ()
    coverage: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))  # platform -> word


@dataclass(frozen=True)
class Families:
    by_name: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    _lookup: MappingProxyType = field(default_factory=lambda: MappingProxyType({}), repr=False)

    def __bool__(self) -> bool:
        return bool(self.by_name)

    def resolve(self, label: str) -> str | None:
        """A family name, alias, target, product or runner label (any case) -> the family, or None."""
        return self._lookup.get(str(label).strip().lower())

    def coverage(self, family: str, platform: str, pipeline: str | None = None) -> str | None:
        """'tested', 'build-only', 'no-runner', or None when the table does not say."""
        del pipeline  # coverage is per family and platform; kept in the call so callers need not change
        found = self.by_name.get(family) or self.by_name.get(self.resolve(family) or "")
        return found.coverage.get(platform) if found else None


def check(validator, raw, projects: dict) -> None:
    """What the schema cannot say, each at its file:line: an alias naming two families, a bad family_pattern."""
    owners: dict[str, str] = {}
    for name, entry in (raw.items() if isinstance(raw, dict) else ()):
        validator.check_name(("families", name), name, "family")
        aliases = entry.get("aliases") if isinstance(entry, dict) else None
        for index, alias in enumerate(aliases if isinstance(aliases, list) else []):
            key = str(alias).strip().lower()
            owner = owners.setdefault(key, name)
            if owner != name:
                validator.error(("families", name, "aliases", index),
                                f"alias '{alias}' already names family '{owner}'; an alias names one family")
        owners.setdefault(str(name).lower(), name)
        if isinstance(entry, dict) and "coverage" in entry:
            _check_coverage(validator, ("families", name, "coverage"), entry["coverage"])
    for name, project in projects.items():
        pattern = project.get("family_pattern") if isinstance(project, dict) else None
        if isinstance(pattern, str):
            problem = pattern_problem(pattern)
            if problem:
                validator.error(("projects", name, "family_pattern"), problem)


def check_names_used(validator, raw, cascades: dict) -> None:
    """With a families table, the families a nightly trigger or a stage's `needs_families` names must be its
    family names: the nightly's documents use those, so an alias or a typo would never match and the cascade
    would silently never start (or its stage never run)."""
    table = build(raw) if isinstance(raw, dict) else Families()
    if not table:
        return
    for name, cascade in cascades.items():
        cascade = cascade if isinstance(cascade, dict) else {}
        nightly = (cascade.get("trigger") or {}).get("nightly") if isinstance(cascade.get("trigger"), dict) else None
        named = [(("cascades", name, "trigger", "nightly", "families", i), f)
                 for i, f in enumerate(nightly.get("families") or [] if isinstance(nightly, dict) else [])]
        for stage_name, stage in (cascade.get("stages") or {}).items():
            needs = stage.get("needs_families") if isinstance(stage, dict) else None
            named += [(("cascades", name, "stages", stage_name, "needs_families", i), f)
                      for i, f in enumerate(needs if isinstance(needs, list) else [])]
        for path, family in named:
            if family in table.by_name:
                continue
            owner = table.resolve(family)
            if owner:
                validator.error(path, f"'{family}' is an alias of family '{owner}'; nightlies report by family "
                                      f"name: write '{owner}'")
            else:
                validator.unknown(path, "family", family, table.by_name)


def _check_coverage(validator, path: tuple, cover) -> None:
    words = ", ".join(COVERAGE)
    if isinstance(cover, str):
        if cover not in COVERAGE:
            validator.error(path, f"coverage {cover!r} is not one of: {words}")
        return
    if not isinstance(cover, dict) or not cover:
        validator.error(path, f"coverage is one of {words}, or a mapping platform -> one of them")
        return
    for platform, word in cover.items():
        if platform not in PLATFORMS:
            validator.error(path + (platform,), f"unknown platform '{platform}'; platforms: {', '.join(PLATFORMS)}",
                            key=True)
        elif word not in COVERAGE:
            validator.error(path + (platform,), f"coverage {word!r} is not one of: {words}")


def pattern_problem(pattern: str) -> str | None:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        return f"family_pattern is not a valid regex: {exc}"
    if "family" not in compiled.groupindex:
        return "family_pattern needs a named group (?P<family>...) that captures the family in a job name"
    return None


def build(raw) -> Families:
    families, lookup = {}, {}
    for name, entry in (raw or {}).items():
        entry = entry or {}
        cover = entry.get("coverage")
        per = {p: cover for p in PLATFORMS} if isinstance(cover, str) else dict(cover or {})
        families[name] = Family(name, tuple(entry.get("aliases") or ()), MappingProxyType(per))
        lookup[name.lower()] = name
        for alias in families[name].aliases:
            lookup.setdefault(alias.strip().lower(), name)
    return Families(MappingProxyType(families), MappingProxyType(lookup))


def job_family(pattern: str | None, job_name: str, families: Families) -> str | None:
    """The family a job name carries under a project's family_pattern, resolved through the aliases.

    A label the table does not know is kept as it was written (shown as an unknown family, not dropped)."""
    if not pattern:
        return None
    match = re.search(pattern, job_name or "")
    label = match.group("family") if match else None
    if not label:
        return None
    return families.resolve(label) or label.strip()[:100]
