"""JSON for files and JSON for inside a <script> element."""

from __future__ import annotations

import json

from markupsafe import Markup


def file_bytes(doc: dict) -> bytes:
    """Stable bytes for an API file: same data, same bytes, so unchanged files are not rewritten."""
    return (json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def script_json(value) -> Markup:
    """JSON safe inside <script type="application/json">: no '</script>', '<!--' or ']]>' can form,
    and U+2028/2029 cannot end a line in older parsers."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return Markup(text)
