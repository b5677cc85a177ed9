"""Keeping the store file small: DuckDB never gives freed blocks back, so a file that has seen many
updates and deletes carries dead weight that every pull and push would move.

    compact_if_sparse(path)   # before a push: rewrite the closed file when a fifth of it is free blocks
    compact_file(path)        # rewrite it now (after moving history out)
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SPARSE_SHARE = 0.2  # rewrite a file once this share of its blocks is free


def literal(path: Path) -> str:
    """A path as an SQL string literal (COPY and ATTACH take no parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


def free_share(db) -> float:
    """The share of the open database's blocks that are free (0 for an empty file)."""
    total, free = db.execute("SELECT total_blocks, free_blocks FROM pragma_database_size() "
                             "WHERE database_name = current_database()").fetchone()
    return free / total if total else 0.0


def compact_if_sparse(path: Path, share: float = SPARSE_SHARE) -> tuple[int, int]:
    """Compact a closed store file when at least `share` of its blocks are free; (bytes before, after)."""
    path = Path(path)
    if not path.exists():
        return 0, 0
    db = duckdb.connect(str(path), read_only=True)
    try:
        sparse = free_share(db) >= share
    finally:
        db.close()
    size = path.stat().st_size
    return compact_file(path) if sparse else (size, size)


def compact_file(path: Path, *, min_saving: float = 0.1) -> tuple[int, int]:
    """Rewrite a closed store file into a fresh one and keep it if it is at least `min_saving` smaller.
    Returns (bytes before, bytes after)."""
    path = Path(path)
    before = path.stat().st_size
    fresh = path.with_name(path.stem + ".compact.duckdb")
    fresh.unlink(missing_ok=True)
    db = duckdb.connect()
    try:
        db.execute(f"ATTACH {literal(path)} AS old_store (READ_ONLY)")
        db.execute(f"ATTACH {literal(fresh)} AS fresh_store")
        db.execute("COPY FROM DATABASE old_store TO fresh_store")
        db.execute("DETACH old_store")
        db.execute("DETACH fresh_store")
    finally:
        db.close()
    after = fresh.stat().st_size
    if after <= before * (1 - min_saving):
        fresh.replace(path)
        return before, after
    fresh.unlink()
    return before, before
