"""ROCm's real nightly documents and reports, read from the shared fixtures folder (never copied here).

They live in `../shared/fixtures/rocm-quartz/` beside the project root; QUARTZ_SHARED_FIXTURES names another
`fixtures/` folder (a worktree checked out elsewhere). Tests that need them skip, saying why, when absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
_BASE = Path(os.environ.get("QUARTZ_SHARED_FIXTURES") or REPO.parent / "shared" / "fixtures")
ROCM = _BASE / "rocm-quartz"
STATUS = ROCM / "status"
PAYLOADS = ROCM / "payloads"
MISSING = f"ROCm's real documents are not here: {ROCM} is absent (set QUARTZ_SHARED_FIXTURES)"

needs_rocm = pytest.mark.skipif(not ROCM.is_dir(), reason=MISSING)


def payload_files() -> list[Path]:
    return sorted(PAYLOADS.glob("*.json")) if PAYLOADS.is_dir() else []


def status_files() -> list[Path]:
    return sorted(STATUS.glob("*.json")) if STATUS.is_dir() else []
