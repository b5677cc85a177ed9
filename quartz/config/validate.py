"""`quartz validate` and `quartz schema`."""

from __future__ import annotations

import json
import os
import sys

from quartz import config
from quartz.config.schema import SCHEMA


def main(args) -> int:
    annotate = args.annotations or os.environ.get("GITHUB_ACTIONS") == "true"
    try:
        loaded = config.load(args.config)
    except config.ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
            if annotate:
                print(problem.annotation())
        count = len(exc.problems)
        print(f"{args.config}: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
        return 2
    stages = sum(len(c.stages) for c in loaded.cascades.values())
    print(
        f"{args.config}: ok — {len(loaded.projects)} projects, {len(loaded.releases)} releases, "
        f"{len(loaded.cascades)} cascades, {stages} stages"
    )
    return 0


def schema_main(args) -> int:
    text = json.dumps(SCHEMA, indent=2) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
    return 0
