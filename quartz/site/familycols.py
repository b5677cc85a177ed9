"""GPU family columns on a project page: a project whose job names carry a family (`family_pattern` in
cascades.yaml, e.g. `test \\((?P<family>[^)]+)\\)`) gets, per commit, one column per family -- the worst state of
that commit's jobs for the family -- with aliases resolved through the `families:` table (`test (mi300_1)` and
`test (gfx942)` are both gfx94X-dcgpu). A label the table does not know gets a column of its own, marked unknown.
"""

from __future__ import annotations

from quartz.config.families import job_family
from quartz.site.status import worst


def family_grid(hud: dict, project, families) -> dict | None:
    """{families: [{family, known}], commits: [{sha, short, states: [state or None per family]}]}, or None."""
    pattern = getattr(project, "family_pattern", None)
    if not pattern:
        return None
    of_column = [job_family(pattern, col["name"], families) for col in hud["columns"]]
    names = list(dict.fromkeys(f for f in of_column if f))
    if not names:
        return {"families": [], "commits": []}
    commits = []
    for commit in hud["commits"]:
        per: dict[str, list[str]] = {}
        for family, cell in zip(of_column, commit["cells"], strict=False):
            if family and cell:
                per.setdefault(family, []).append(cell["state"])
        commits.append({"sha": commit["sha"], "short": commit["short"],
                        "states": [worst(per[f]) if f in per else None for f in names]})
    return {"families": [{"family": f, "known": families.resolve(f) is not None} for f in names],
            "commits": commits}
