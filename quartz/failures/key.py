"""The grouping key of a failure line: the same failure in two projects, branches or runs, one key.

A key is the rule's name and the line's text with what varies between runs replaced:

- URLs keep their scheme and host (pypi.org and huggingface.co fail differently), lose path and query;
- UUIDs, ISO timestamps, dates and clock times, IPv4 addresses become `<uuid>`, `<time>`, `<date>`, `<ip>`;
- paths become their last component: absolute paths (`/__w/pytorch/pytorch/aten/…/Loss.hip` and
  `/src/aten/…/Loss.hip` are the same file in two checkouts), `~/…`, `./…`, `../…`, Windows paths, and
  relative paths that end in a file name with an extension (`test/test_ops.py`); Python's temporary names
  (`tmpk2j3_x9q`) become `tmp<x>`;
- hex: `0x…` becomes `0x<hex>`, and runs of 7 or more hex digits that mix digits and letters (shas,
  addresses, build ids) become `<hex>`;
- numbers that stand alone (not glued to a letter or an underscore) become `<n>`, keeping a unit suffix
  (`12.3s` → `<n>s`, `2.00 GiB` → `<n> GiB`).

Kept on purpose: GPU architecture names (`gfx942`, `gfx90a`, `gfx1100`) — a failure on MI300 only is not
the failure on MI355 only, and the person on call needs to see which; so are other identifiers with digits
glued to letters (`E501`, `sm_90`, `cp311`, `test_op_03`), which name things rather than count them.

The key is capped at KEY_MAX_CHARS so it reads in a table cell; key_id gives a short stable hash for URLs
and file names.
"""

from __future__ import annotations

import hashlib
import re

from quartz.text import cap

KEY_MAX_CHARS = 160

_URL = re.compile(r"\b([a-z][a-z0-9+.-]{1,15})://([^/\s'\"()<>\]]+)[^\s'\"()<>\]]*")
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_DATETIME = re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?(?!\d)")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_CLOCK = re.compile(r"(?<![\w:.])\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?![\w:])")
_IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\w.])")
_WINDOWS_PATH = re.compile(r"\b[A-Za-z]:\\(?:[^\\\s:*?\"'<>|()]+\\)*([^\\\s:*?\"'<>|()]*)")
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~\\-])(?:~|\.{1,2})?/(?:[\w.+@%~-]+/)*([\w.+@%~-]+)")
_RELATIVE_FILE = re.compile(r"(?<![\w.:/~\\-])(?:[\w.+@%~-]+/)+([\w+@%~-]+\.[A-Za-z][\w]{0,7})(?![\w/])")
_TMP_NAME = re.compile(r"\btmp[a-z0-9_]{6,12}\b")
_HEX_PREFIXED = re.compile(r"\b0[xX][0-9a-fA-F]+\b")
_HEX_RUN = re.compile(r"(?<![\w<])(?=[0-9a-fA-F]*[0-9])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{7,}(?![\w>])")
_NUMBER = re.compile(r"(?<![\w.<])\d+(?:\.\d+)*(ms|us|ns|s|sec|min|h|[kKMGT]i?B)?(?!\w|\.\d)")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """`text` with run-specific details replaced (see the module's docstring); whitespace collapsed."""
    text = _SPACE.sub(" ", text).strip()
    text = _URL.sub(lambda m: f"{m.group(1).lower()}://{m.group(2).lower()}/…", text)
    text = _UUID.sub("<uuid>", text)
    text = _DATETIME.sub("<time>", text)
    text = _DATE.sub("<date>", text)
    text = _CLOCK.sub("<time>", text)
    text = _IPV4.sub("<ip>", text)
    text = _WINDOWS_PATH.sub(lambda m: m.group(1) or "<path>", text)
    text = _ABSOLUTE_PATH.sub(_basename, text)
    text = _RELATIVE_FILE.sub(lambda m: m.group(1), text)
    text = _TMP_NAME.sub("tmp<x>", text)
    text = _HEX_PREFIXED.sub("0x<hex>", text)
    text = _HEX_RUN.sub("<hex>", text)
    text = _NUMBER.sub(lambda m: "<n>" + (m.group(1) or ""), text)
    return text


def _basename(m: re.Match) -> str:
    # "/" alone (or "~/") names no file: keep a placeholder rather than an empty string.
    return m.group(1) or "<path>"


def failure_key(rule: str, text: str) -> str:
    """`rule: normalised text`, or just the rule's name when the text is empty; at most KEY_MAX_CHARS."""
    body = normalise(text)
    return cap(f"{rule}: {body}" if body else rule, KEY_MAX_CHARS)


def key_id(key: str) -> str:
    """A short stable id for a key (16 hex digits), for URLs and file names."""
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
