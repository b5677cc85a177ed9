"""Which line of a failed job's log says why it failed: rules in tiers, the first line of the best tier.

Built on what PyTorch HUD's log classifier (regular expressions with priorities) and Treeherder (strip the
noise, cap what is read) do, with one change of model: a rule says what KIND of line it finds, a tier, and
the tier decides before the priority does. From best to last resort:

    cause > annotation (GitHub's ##[error]) > test failure > generic error > consequence

- A line is matched without the prefixes other CI systems put before a tool's text (logs.strip_prefix:
  Jenkins and Taskcluster timestamps, mozharness levels, indentation) and without the `##[error]` marker;
  a rule may still match the marked text (gha-error does).
- A line takes the tier of the first rule that matches it, tried cause, consequence, annotation, test,
  error (priority order within each): "The process '/usr/bin/git' failed with exit code 128" stays a
  consequence though GitHub annotated it, "RuntimeError: test_x 1/1 failed!" though it is an exception.
- The failure line is in the best tier present, then from the highest priority, then the first in the
  scanned tail: the first error is the cause, later ones echo it (summaries, teardown steps that run after
  a failure). Python's chained exceptions are read the other way, as Python reports them: an exception
  followed by "The above exception was the direct cause…"/"During handling of the above exception…" gives
  way to the exception after it.
- Runner boilerplate ("Process completed with exit code 1.") is skipped even if a rule would match it.

Bounded work, whatever the log: only the last MAX_SCAN_LINES lines are scanned, each cut to MAX_MATCH_CHARS
before matching, and load_rules refuses patterns that nest unbounded quantifiers (`(a+)+`), the shape
that backtracks exponentially; what remains is at worst quadratic in a capped line.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources

import yaml

from quartz.text import cap

from .gate import required_literals
from .key import failure_key, key_id
from .logs import ANNOTATION, is_boilerplate, read_tail, strip_prefix

RULES_FILE = "rules.yaml"
MAX_SCAN_LINES = 2_000
MAX_MATCH_CHARS = 1_000
CONTEXT_LINES = 5
AFTER_LINES = 3
# What a Failure keeps of its line and of each context line.
LINE_CHARS = 1_000
CONTEXT_CHARS = 500

MAX_PATTERN_CHARS = 2_000
MAX_PRIORITY = 10_000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_FIELDS = {"name", "pattern", "priority", "flags", "tier"}
# The tiers, best first (TIERS.index is a tier's rank), and the order a line tries them in.
TIERS = ("cause", "annotation", "test", "error", "consequence")
MATCH_ORDER = ("cause", "consequence", "annotation", "test", "error")
DEFAULT_TIER = "cause"  # a fleet's rule without a tier names a cause, as most fleet rules do
# A GitHub Actions step starts with its `##[group]Run …` title (the marker is cleaned away).
_STEP_START = ("Run ", "Post Run ")
_CHAINED = ("The above exception was the direct cause of the following exception",
            "During handling of the above exception, another exception occurred")
_FLAGS = {"ignorecase": re.IGNORECASE}


class RuleError(ValueError):
    """A rule that cannot be used; names the rule (or its position) so validation can point at it."""

    def __init__(self, message: str, *, name: str | None, index: int, origin: str):
        self.name, self.index, self.origin, self.reason = name, index, origin, message
        what = f"rule {name!r}" if name else f"rule #{index + 1}"
        super().__init__(f"{origin}: {what}: {message}")


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    priority: int
    builtin: bool = True
    tier: str = DEFAULT_TIER
    gate: tuple[str, ...] = ()  # literals every match contains (gate.py), lower-cased for ignorecase
    gate_lower: bool = False


@dataclass(frozen=True)
class Failure:
    """The line that says why a job failed.

    `line_number` is 1-based: in the lines given to classify, or, from find_failure, in the log text
    that was read. `context` holds up to CONTEXT_LINES lines before it, `after` up to AFTER_LINES after.
    """

    line: str
    line_number: int
    context: tuple[str, ...]
    rule: str
    key: str
    after: tuple[str, ...] = field(default=())

    @property
    def key_id(self) -> str:
        return key_id(self.key)

    def as_dict(self) -> dict:
        return {"line": self.line, "line_number": self.line_number, "context": list(self.context),
                "after": list(self.after), "rule": self.rule, "key": self.key}


def load_rules(extra: Iterable[Mapping] | None = None, *, origin: str = "extra rules") -> list[Rule]:
    """The shipped rules plus a fleet's `extra` ones (dicts of name, pattern, priority, tier, flags).

    An extra rule named like a shipped one replaces it (keeping its tier unless it gives one). Returned in
    the order a line tries them (MATCH_ORDER by tier, highest priority first within one; stable). Raises
    RuleError naming the rule for anything unusable.
    """
    rules = list(_shipped_rules())
    position = {rule.name: n for n, rule in enumerate(rules)}
    seen: set[str] = set()
    for index, raw in enumerate(extra or ()):
        name = raw.get("name") if isinstance(raw, Mapping) else None
        shipped = rules[position[name]] if isinstance(name, str) and name in position else None
        rule = parse_rule(raw, index=index, origin=origin, builtin=False,
                          default_tier=shipped.tier if shipped else DEFAULT_TIER)
        if rule.name in seen:
            raise RuleError("is defined twice", name=rule.name, index=index, origin=origin)
        seen.add(rule.name)
        if rule.name in position:
            rules[position[rule.name]] = rule
        else:
            position[rule.name] = len(rules)
            rules.append(rule)
    return sorted(rules, key=_try_order)


def _try_order(rule: Rule) -> tuple[int, int]:
    return MATCH_ORDER.index(rule.tier), -rule.priority


@functools.cache
def _shipped_rules() -> tuple[Rule, ...]:
    text = resources.files(__package__).joinpath(RULES_FILE).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    origin = f"quartz/failures/{RULES_FILE}"
    rules = [parse_rule(raw, index=n, origin=origin) for n, raw in enumerate(data["rules"])]
    names = [r.name for r in rules]
    for n, name in enumerate(names):
        if name in names[:n]:
            raise RuleError("is defined twice", name=name, index=n, origin=origin)
    return tuple(rules)


def parse_rule(raw: object, *, index: int, origin: str, builtin: bool = True,
               default_tier: str = DEFAULT_TIER) -> Rule:
    """One rule from its dict form, checked: a usable name, a compiling and safe pattern, a priority, a
    tier (default_tier when it has none)."""
    name = raw.get("name") if isinstance(raw, Mapping) else None
    name = name if isinstance(name, str) else None

    def fail(message: str) -> RuleError:
        return RuleError(message, name=name, index=index, origin=origin)

    if not isinstance(raw, Mapping):
        raise fail(f"must be a mapping with name, pattern and priority, not {type(raw).__name__}")
    unknown = sorted(set(map(str, raw)) - _FIELDS)
    if unknown:
        raise fail(f"unknown field(s) {', '.join(unknown)} (allowed: flags, name, pattern, priority, tier)")
    if name is None or not _NAME.match(name):
        raise fail("needs a name: letters, digits, '-', '_' or '.', at most 64 characters")
    pattern = raw.get("pattern")
    if not isinstance(pattern, str) or not pattern:
        raise fail("needs a pattern (a non-empty string)")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise fail(f"pattern is longer than {MAX_PATTERN_CHARS} characters")
    priority = raw.get("priority")
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= MAX_PRIORITY:
        raise fail(f"needs a priority: an integer from 0 to {MAX_PRIORITY}")
    tier = raw.get("tier", default_tier)
    if tier not in TIERS:
        raise fail(f"tier must be one of: {', '.join(TIERS)}")
    flags = 0
    names = raw.get("flags") or []
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(f, str) and f.lower() in _FLAGS for f in names):
        raise fail(f"flags must be a list of: {', '.join(sorted(_FLAGS))}")
    for flag in names:
        flags |= _FLAGS[flag.lower()]
    try:
        compiled = re.compile(pattern, flags)
    except re.error as exc:
        where = f" at position {exc.pos}" if exc.pos is not None else ""
        raise fail(f"pattern does not compile: {exc.msg}{where}") from None
    nested = nested_quantifier(pattern, flags)
    if nested:
        raise fail(f"pattern nests unbounded quantifiers ({nested}), which can backtrack catastrophically")
    return Rule(name, compiled, priority, builtin, tier, required_literals(pattern, flags),
                bool(flags & re.IGNORECASE))


def classify(lines: Sequence[str], rules: Sequence[Rule] | None = None) -> Failure | None:
    """The failure line of cleaned log lines (see the module's docstring for how it is chosen)."""
    ordered = sorted(load_rules() if rules is None else rules, key=_try_order)
    if not ordered or not lines:
        return None
    stop = max(0, len(lines) - MAX_SCAN_LINES)
    best: tuple[tuple[int, int, int], Rule, int, re.Match[str], str] | None = None
    step = 0
    for index in range(stop, len(lines)):
        line = lines[index]
        if isinstance(line, str) and line.startswith(_STEP_START):
            step += 1
        found = _match_line(line, ordered)
        if found is None:
            continue
        rule, match, text = found
        rank = TIERS.index(rule.tier) if not _chained(lines, index) else len(TIERS)
        # Best tier, then priority, then the first step that has one, then the last such line in it.
        score = (rank, -rule.priority, step)
        if best is None or score <= best[0]:
            best = (score, rule, index, match, text)
    if best is None:
        return None
    _, rule, index, match, text = best
    return Failure(line=cap(lines[index].strip(), LINE_CHARS), line_number=index + 1,
                   context=_around(lines, max(stop, index - CONTEXT_LINES), index),
                   rule=rule.name, key=failure_key(rule.name, _key_text(match, text)),
                   after=_around(lines, index + 1, min(len(lines), index + 1 + AFTER_LINES)))


def _match_line(line: object, ordered: Sequence[Rule]) -> tuple[Rule, re.Match[str], str] | None:
    """The first rule (in try order) that matches the line's text, with its match and that text."""
    if not isinstance(line, str) or not line.strip():
        return None
    line = line[:MAX_MATCH_CHARS]
    if is_boilerplate(line):
        return None
    text, annotated = strip_prefix(line)
    if not text or is_boilerplate(text):
        return None
    marked = ANNOTATION + text if annotated else None
    haystack = marked or text  # holds the text: one look for a rule's literals covers both
    lowered = None
    for rule in ordered:
        if rule.gate:  # a plain loop: this runs for every rule on every line
            hay = haystack
            if rule.gate_lower:
                hay = lowered = haystack.lower() if lowered is None else lowered
            for literal in rule.gate:
                if literal in hay:
                    break
            else:
                continue
        match = rule.pattern.search(text) or (marked and rule.pattern.search(marked))
        if match:
            return rule, match, text
    return None


def _chained(lines: Sequence[str], index: int) -> bool:
    """Whether the line is followed (within 3 lines) by Python's note that another exception came of it."""
    following = lines[index + 1:index + 4]
    return any(isinstance(line, str) and line.strip().startswith(_CHAINED) for line in following)


def find_failure(data: bytes | str, rules: Sequence[Rule] | None = None) -> Failure | None:
    """The failure line of a raw job log (its capped tail), numbered as a line of the text read."""
    tail = read_tail(data)
    failure = classify(tail.lines, rules)
    if failure is None:
        return None
    return Failure(failure.line, tail.numbers[failure.line_number - 1], failure.context, failure.rule,
                   failure.key, failure.after)


def _key_text(match: re.Match[str], text: str) -> str:
    """The part of the line that goes into the key: the `key` group (or `key2`, … for a pattern with
    alternatives) that took part in the match (an empty group: nothing but the rule's name), else the
    line's text without its prefixes."""
    for name in match.re.groupindex:
        if name.startswith("key") and match.group(name) is not None:
            return match.group(name)
    return text


def _around(lines: Sequence[str], start: int, end: int) -> tuple[str, ...]:
    out = []
    for line in lines[start:end]:
        if isinstance(line, str) and line.strip() and not is_boilerplate(line[:MAX_MATCH_CHARS]):
            out.append(cap(line.rstrip(), CONTEXT_CHARS))
    return tuple(out)


# --- catastrophic backtracking: the common shapes --------------------------------------------------------

try:  # Python 3.11+ (sre_parse is its deprecated alias)
    from re import _parser as _sre  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse as _sre  # type: ignore[no-redef]

_REPEATS = {_sre.MAX_REPEAT, _sre.MIN_REPEAT}
_ZERO_WIDTH = {_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT}
# A bounded repeat this large backtracks like an unbounded one.
_UNBOUNDED_FROM = 64


def nested_quantifier(pattern: str, flags: int = 0) -> str | None:
    """A description of the first unbounded repeat whose body can split one input over its iterations in
    many ways (`(a+)+`, `(\\w+\\s*)*`, `(a*)*`, `(x+x+)+`, `(a|a?)+`, `(x|y+)+`), or None.

    A heuristic: it finds the shapes that blow up in practice, not every pattern that can (overlapping
    alternatives like `(a|ab)+` pass), and it refuses some safe ones (`(\\w+\\s+)*`: write `(\\w+\\s)*`
    or `[\\w\\s]*`); the line caps bound the rest. Never raises.
    """
    try:
        tree = _sre.parse(pattern, flags)
    except Exception:  # noqa: BLE001 - compile() already reported real errors; unknown internals: no opinion
        return None
    try:
        return _find_nested(list(tree))
    except Exception:  # noqa: BLE001
        return None


def _unbounded(op, av) -> bool:
    return op in _REPEATS and (av[1] == _sre.MAXREPEAT or av[1] >= _UNBOUNDED_FROM)


def _find_nested(items: list) -> str | None:
    for op, av in items:
        if _unbounded(op, av) and _star_of_star(list(av[2])):
            return "a repeated group whose iterations can split the same text in many ways"
        for child in _children(op, av):
            found = _find_nested(child)
            if found:
                return found
    return None


def _children(op, av) -> list[list]:
    if op in _REPEATS:
        return [list(av[2])]
    if op == _sre.SUBPATTERN:
        return [list(av[-1])]
    if op == _sre.BRANCH:
        return [list(alt) for alt in av[1]]
    if op in (_sre.ASSERT, _sre.ASSERT_NOT):
        return [list(av[1])]
    if op == getattr(_sre, "ATOMIC_GROUP", object()):
        return [list(av)]
    return []


def _mandatory(items: list) -> tuple[list, bool]:
    """The items of a sequence that must match something (groups flattened), and whether an optional
    unbounded repeat was skipped."""
    required, optional_unbounded = [], False
    for op, av in items:
        if op == _sre.SUBPATTERN:
            inner, opt = _mandatory(list(av[-1]))
            required += inner
            optional_unbounded |= opt
        elif op in _REPEATS and av[0] == 0:
            optional_unbounded |= _unbounded(op, av)
        elif op in _ZERO_WIDTH:
            continue
        else:
            required.append((op, av))
    return required, optional_unbounded


def _star_of_star(body: list) -> bool:
    """Whether the body of an unbounded repeat lets one input split over iterations in many ways: it can
    match the empty string, or all it requires is repeats, one of them unbounded (`a+`, `x+x+`,
    `\\w+\\s*`), or it is an alternation with such a branch."""
    required, _ = _mandatory(body)
    if not required:
        return True
    if len(required) == 1 and required[0][0] == _sre.BRANCH:
        return any(_star_of_star(list(alt)) for alt in required[0][1][1])
    return all(op in _REPEATS for op, _ in required) and any(_unbounded(op, av) for op, av in required)
