"""The tiny template language of cascades.yaml: `{{ path.to.value }}` and nothing else.

No expressions, filters or loops: a stage input is a string with holes, and each
hole names a value that validation can check before anything is dispatched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

HOLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")

# Values an upstream stage (or the trigger run) offers to its dependants.
UPSTREAM_FIELDS = (
    "run_id", "run_number", "run_attempt", "head_sha", "head_branch", "html_url",
    "conclusion", "artifacts_url", "artifact_names", "workflow", "repo",
)
CASCADE_FIELDS = ("id", "name", "ref", "started_at")
STAGE_FIELDS = ("correlation_id", "name", "attempt")


class TemplateError(ValueError):
    pass


def holes(text: str) -> list[str]:
    """Every path named in a template string, in order."""
    return [match.group(1) for match in HOLE.finditer(str(text))]


def render(text: str, context: Mapping) -> str:
    """Fill every hole from a nested mapping; a missing value is an error, never an empty string."""

    def fill(match: re.Match) -> str:
        path = match.group(1)
        value: object = context
        for part in path.split("."):
            if isinstance(value, Mapping) and part in value:
                value = value[part]
            else:
                raise TemplateError(f"template value '{path}' is not available")
        if value is None:
            raise TemplateError(f"template value '{path}' has no value yet")
        return str(value)

    return HOLE.sub(fill, str(text))


def render_tree(value, context: Mapping):
    """Render every string inside nested dicts and lists."""
    if isinstance(value, str):
        return render(value, context)
    if isinstance(value, Mapping):
        return {key: render_tree(item, context) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [render_tree(item, context) for item in value]
    return value


def strings_in(value, path: tuple = ()):
    """Yield (path, string) for every string inside nested dicts and lists."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from strings_in(item, path + (key,))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from strings_in(item, path + (index,))
