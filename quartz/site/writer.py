"""The one writer for everything a render produces.

It refuses a second write to the same path in one render (two pages fighting
over a file is a bug, not a last-one-wins), leaves files whose bytes did not
change untouched (so publish uploads only what changed), and removes files the
previous render produced that this one did not. Only files listed in the
previous render's manifest are ever removed: anything else in the output
directory (a CNAME, .nojekyll) is left alone.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from quartz.site.paths import check_relpath

MANIFEST = ".quartz-manifest.json"


class DuplicateOutput(RuntimeError):
    """Two parts of one render produced the same file."""


@dataclass
class WriteCounts:
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    bytes: int = 0
    paths: list[str] = field(default_factory=list)


class Writer:
    def __init__(self, out_dir: str | Path):
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.counts = WriteCounts()
        self._seen: set[str] = set()

    def write(self, relpath: str, content: str | bytes) -> None:
        relpath = check_relpath(relpath)
        if relpath in self._seen:
            raise DuplicateOutput(f"{relpath} was written twice in one render")
        self._seen.add(relpath)
        data = content.encode("utf-8") if isinstance(content, str) else content
        self.counts.bytes += len(data)
        self.counts.paths.append(relpath)
        target = self.out / relpath
        if _same_bytes(target, data):
            self.counts.unchanged += 1
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader (or a publish running alongside) never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.counts.written += 1

    def has(self, relpath: str) -> bool:
        return relpath in self._seen

    def finish(self) -> WriteCounts:
        """Remove what the previous render made and this one did not; record this render's files."""
        manifest = self.out / MANIFEST
        previous: list[str] = []
        if manifest.exists():
            try:
                previous = json.loads(manifest.read_text(encoding="utf-8")).get("files", [])
            except (ValueError, AttributeError):
                previous = []
        for relpath in previous:
            if relpath in self._seen:
                continue
            try:
                check_relpath(relpath)
            except ValueError:
                continue
            target = self.out / relpath
            if target.is_file():
                target.unlink()
                self.counts.removed += 1
                _prune_empty_dirs(target.parent, self.out)
        listing = json.dumps({"files": sorted(self._seen)}, indent=0).encode()
        if not _same_bytes(manifest, listing):
            manifest.write_bytes(listing)
        return self.counts


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except FileNotFoundError:
        return False


def _prune_empty_dirs(directory: Path, stop: Path) -> None:
    while directory != stop and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent
