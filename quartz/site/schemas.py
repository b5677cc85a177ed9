"""The JSON Schemas of the API files, shipped in quartz/site/schemas/ and published beside the JSON."""

from __future__ import annotations

import functools
import json
from importlib import resources

from quartz.site import paths

SUFFIX = ".schema.json"


@functools.cache
def all_schemas() -> dict[str, bytes]:
    root = resources.files("quartz.site").joinpath("schemas")
    return {e.name[: -len(SUFFIX)]: e.read_bytes() for e in root.iterdir() if e.name.endswith(SUFFIX)}


def schema(name: str) -> dict:
    return json.loads(all_schemas()[name])


def publish(writer) -> None:
    for name, data in sorted(all_schemas().items()):
        writer.write(paths.schema_path(name), data)
