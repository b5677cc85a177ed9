"""The small fixed site, byte for byte. Refresh with `python tests/refresh_golden.py` and review the diff."""

from __future__ import annotations

import difflib
import os

from tests.refresh_golden import GOLDEN, refresh, render_golden, snapshot


def test_rendered_site_matches_the_golden_copy(tmp_path):
    if os.environ.get("QUARTZ_REFRESH_GOLDEN") == "1":
        refresh()
    got = snapshot(render_golden(tmp_path))
    want = snapshot(GOLDEN)
    assert sorted(got) == sorted(want), "files differ; run `python tests/refresh_golden.py` if intended"
    for name in want:
        if got[name] != want[name]:
            diff = "\n".join(difflib.unified_diff(
                want[name].decode(errors="replace").splitlines(), got[name].decode(errors="replace").splitlines(),
                f"golden/{name}", f"rendered/{name}", lineterm="", n=1))
            raise AssertionError(f"{name} differs from the golden copy "
                                 f"(python tests/refresh_golden.py if intended):\n{diff[:3000]}")
