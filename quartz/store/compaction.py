"""Keeping the store file small: every pull and push moves all of it.

Two things make a DuckDB file bigger than its rows. It never gives freed blocks back, and each index
and each table's newest segment takes at least one block, with a new partial block every time a small table
is checkpointed. DuckDB's default block is 256 KiB. Stores use 64 KiB blocks (BLOCK_SIZE), which made
the bench's hot store 9.1 MB instead of 12.3 MB, and it grew by 0.4 MB instead of 1-4 MB over cycles.

    compact_if_needed(path)   # before a push: rewrite a closed file that is sparse or has the old blocks
    compact_file(path)        # rewrite it now (after moving history out)
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SPARSE_SHARE = 0.2  # rewrite a file once this share of its blocks is free
BLOCK_SIZE = 64 * 1024  # bytes; new stores and every rewritten one (DuckDB's default is 256 KiB)


def literal(path: Path) -> str:
    """A path as an SQL string literal (COPY and ATTACH take no parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


def free_share(db) -> float:
    """The share of the open database's blocks that are free (0 for an empty file)."""
    total, free = db.execute("SELECT total_blocks, free_blocks FROM pragma_database_size() "
                             "WHERE database_name = current_database()").fetchone()
    return free / total if total else 0.0


def needs_compaction(db) -> bool:
    """A fifth of the open database's blocks are free, or it still has blocks of another size."""
    block = db.execute("SELECT block_size FROM pragma_database_size() "
                       "WHERE database_name = current_database()").fetchone()[0]
    return block != BLOCK_SIZE or free_share(db) >= SPARSE_SHARE


def compact_if_needed(path: Path) -> tuple[int, int]:
    """Compact a closed store file when `needs_compaction` says so; (bytes before, after)."""
    path = Path(path)
    if not path.exists():
        return 0, 0
    db = duckdb.connect(str(path), read_only=True)
    try:
        needed = needs_compaction(db)
    finally:
        db.close()
    size = path.stat().st_size
    return compact_file(path, min_saving=0.0) if needed else (size, size)


def compact_file(path: Path, *, min_saving: float = 0.1) -> tuple[int, int]:
    """Rewrite a closed store file into a fresh one (64 KiB blocks) and keep it if it is at least
    `min_saving` smaller (0: kept unless larger). Returns (bytes before, bytes after)."""
    path = Path(path)
    before = path.stat().st_size
    fresh = path.with_name(path.stem + ".compact.duckdb")
    fresh.unlink(missing_ok=True)
    db = duckdb.connect()
    try:
        db.execute(f"ATTACH {literal(path)} AS old_store (READ_ONLY)")
        db.execute(f"ATTACH {literal(fresh)} AS fresh_store (BLOCK_SIZE {BLOCK_SIZE})")
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
