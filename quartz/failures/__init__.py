"""Why a job failed: the failure line of its log, and a key that groups the same failure across the fleet.

Pure and self-contained (no store, no network): `read_tail`/`clean_log` turn a job log's bytes into clean
lines, `load_rules` gives the shipped rules (rules.yaml) plus a fleet's, `classify` picks the line,
`failure_key` normalises it into a grouping key. `find_failure` does all of it for one raw log.
"""

from .classify import (
    MAX_MATCH_CHARS,
    MAX_SCAN_LINES,
    Failure,
    Rule,
    RuleError,
    classify,
    find_failure,
    load_rules,
    parse_rule,
)
from .key import KEY_MAX_CHARS, failure_key, key_id, normalise
from .logs import (
    MAX_TAIL_BYTES,
    MAX_TAIL_LINES,
    LogTail,
    clean_line,
    clean_log,
    is_boilerplate,
    read_tail,
    strip_prefix,
)

__all__ = [
    "KEY_MAX_CHARS",
    "MAX_MATCH_CHARS",
    "MAX_SCAN_LINES",
    "MAX_TAIL_BYTES",
    "MAX_TAIL_LINES",
    "Failure",
    "LogTail",
    "Rule",
    "RuleError",
    "classify",
    "clean_line",
    "clean_log",
    "failure_key",
    "find_failure",
    "is_boilerplate",
    "key_id",
    "load_rules",
    "normalise",
    "parse_rule",
    "read_tail",
    "strip_prefix",
]
