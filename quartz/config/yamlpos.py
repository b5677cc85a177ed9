"""Load YAML into plain Python values while remembering where every value sits.

PyYAML's safe loader keeps the last of two duplicate keys silently and forgets
line numbers; validation needs both, so we walk the composed node tree ourselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

Path = tuple  # a key path such as ("cascades", "nightly", "stages", "vllm")


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class Located:
    """The loaded value plus a position for every key path, and loader problems found on the way."""

    value: object
    positions: dict = field(default_factory=dict)  # Path -> Position of the value
    key_positions: dict = field(default_factory=dict)  # Path -> Position of the key itself
    problems: list = field(default_factory=list)  # (Position, Path, message)

    def where(self, path: Path, *, key: bool = False) -> Position:
        """Best known position for a path: the exact one, else its nearest ancestor's."""
        table = self.key_positions if key else self.positions
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.positions:
                return self.positions[probe]
            probe = probe[:-1]
        return self.positions.get((), Position(1, 1))


class YamlSyntaxError(Exception):
    def __init__(self, position: Position, message: str):
        super().__init__(message)
        self.position = position
        self.message = message


def _pos(mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def load(text: str) -> Located:
    """Parse text; raise YamlSyntaxError for text that is not YAML at all."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _pos(mark) if mark else Position(1, 1)
        detail = exc.problem or str(exc)
        if "\t" in text and "tab" in detail.lower() or _tab_at(text, where):
            detail = "tab character used for indentation; YAML allows spaces only"
        raise YamlSyntaxError(where, f"invalid YAML: {detail}") from None
    except yaml.YAMLError as exc:  # non-marked errors, e.g. bad encoding
        raise YamlSyntaxError(Position(1, 1), f"invalid YAML: {exc}") from None
    located = Located(value=None)
    if node is None:
        return located
    located.value = _build(node, (), located)
    return located


def _tab_at(text: str, where: Position) -> bool:
    lines = text.splitlines()
    if 0 < where.line <= len(lines):
        return "\t" in lines[where.line - 1]
    return False


def _build(node, path: Path, located: Located):
    located.positions[path] = _pos(node.start_mark)
    if isinstance(node, yaml.MappingNode):
        result: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                located.problems.append(
                    (_pos(key_node.start_mark), path, "YAML merge keys (<<) are not supported; write keys out")
                )
                continue
            key = yaml.SafeLoader.construct_object(yaml.SafeLoader(""), key_node)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                located.problems.append((_pos(key_node.start_mark), path, "keys must be plain strings"))
                continue
            key = str(key)
            child = path + (key,)
            if key in result:
                first = located.key_positions[child]
                located.problems.append(
                    (
                        _pos(key_node.start_mark),
                        child,
                        f"duplicate key '{key}' (first defined at line {first.line}); "
                        "YAML would silently keep only the last one",
                    )
                )
                continue
            located.key_positions[child] = _pos(key_node.start_mark)
            result[key] = _build(value_node, child, located)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (index,), located) for index, item in enumerate(node.value)]
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node)
    except yaml.YAMLError as exc:
        located.problems.append((_pos(node.start_mark), path, f"bad value: {exc}"))
        return None
