"""Render the small fixed golden site and compare it with (or refresh) tests/golden/site/.

Refresh after an intended change to the pages:  python tests/refresh_golden.py
(or QUARTZ_REFRESH_GOLDEN=1 pytest tests/test_site_golden.py). Then read the diff.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GOLDEN = Path(__file__).resolve().parent / "golden" / "site"
# plotly.min.js is 4.8 MB of someone else's code: keep its name out of the comparison, not its bytes in git.
_PLOTLY = re.compile(rb"plotly-[0-9a-f]{12}\.min\.js")


def render_golden(directory: Path) -> Path:
    from tests.helpers.site import render_site

    _, store, out, _ = render_site(directory, runs_per_branch=2, jobs_per_run=3)
    store.close()
    for bundle in (out / "assets").glob("plotly-*.min.js"):
        bundle.unlink()
    (out / ".quartz-manifest.json").unlink()
    for path in out.rglob("*"):
        if path.is_file():
            data = _PLOTLY.sub(b"plotly-FINGERPRINT.min.js", path.read_bytes())
            if path.suffix == ".json":  # the site writes compact JSON; indented copies make reviewable diffs
                data = (json.dumps(json.loads(data), indent=1, ensure_ascii=False) + "\n").encode()
            path.write_bytes(data)
    return out


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def refresh() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = render_golden(Path(tmp))
        if GOLDEN.exists():
            shutil.rmtree(GOLDEN)
        shutil.copytree(out, GOLDEN)
    print(f"refreshed {len(snapshot(GOLDEN))} files in {GOLDEN}")
    return 0


if __name__ == "__main__":
    raise SystemExit(refresh())
