"""A cheap test before a rule's regular expression: the literal text every match must contain.

Most log lines match no rule, and a pattern with top-level alternatives or no literal start makes Python's
`re` try it at every position of the line. `required_literals` reads a pattern's parse tree for a set of
literals of which any match contains at least one (a run of three or more plain characters in a part of
the pattern that must match); `str.__contains__` rules a line out far faster than a search. A pattern
that has no such literals gets no gate and is always searched. Never wrong, only sometimes absent: a
gate is built only from parts the pattern cannot skip.
"""

from __future__ import annotations

import re

try:  # Python 3.11+ (sre_parse is its deprecated alias)
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _sre  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _sre  # type: ignore[no-redef]

MIN_LITERAL = 3


def required_literals(pattern: str, flags: int = 0) -> tuple[str, ...]:
    """Literals of which every match of `pattern` contains one (lower-cased when it ignores case), or ()."""
    try:
        tree = _sre.parse(pattern, flags)
        found = _of_sequence(list(tree))
    except Exception:  # noqa: BLE001 - an unknown parse shape: no gate, the pattern is always searched
        return ()
    if not found:
        return ()
    return tuple(sorted({f.lower() for f in found} if flags & re.IGNORECASE else set(found)))


def _of_sequence(items: list) -> list[str] | None:
    run, best = [], ""
    for op, av in items:
        if op == _c.LITERAL:
            run.append(chr(av))
            continue
        best = max(best, "".join(run), key=len)
        run = []
    best = max(best, "".join(run), key=len)
    if len(best) >= MIN_LITERAL:
        return [best]
    for op, av in items:  # no literal run long enough: a mandatory group or alternation may have them
        found = None
        if op == _c.SUBPATTERN:
            found = _of_sequence(list(av[-1]))
        elif op == _c.BRANCH:
            found = _of_branches(av[1])
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
            found = _of_sequence(list(av[2]))
        if found:
            return found
    return None


def _of_branches(branches) -> list[str] | None:
    found: list[str] = []
    for branch in branches:
        part = _of_sequence(list(branch))
        if not part:
            return None
        found += part
    return found
