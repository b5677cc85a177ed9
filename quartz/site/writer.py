"""The one writer for everything a render produces.

It refuses a second write to the same path in one render (two pages fighting
over a file is a bug, not a last-one-wins), leaves files whose bytes did not
change untouched (so publish uploads only what changed), and removes files the
previous render produced that this one did not. Only files listed in the
previous render's manifest are ever removed: anything else in the output
directory (a CNAME, .nojekyll) is left alone.

Fingerprints make re-renders cheap: a caller that can name what a file is made
of (the bytes of its JSON twin, a hash of the rows in an archive page) asks
`keep(path, fingerprint)` first and skips building the file when the previous
render recorded the same fingerprint for it and the file is still there.

A render whose inputs stamp (quartz.site.stamp) equals the previous render's may
`carry_over()` every file it did not build: they are what it would have built.

A manifest marked `"published": true` (restored from the publish target by a
cycle on a runner that keeps no site/) vouches that its files are on the target
as listed: such a file is kept even though it is not on local disk, and publish
leaves the target's copy alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from quartz.site.paths import check_relpath

MANIFEST = ".quartz-manifest.json"
_MANIFEST_VERSION = 2


class DuplicateOutput(RuntimeError):
    """Two parts of one render produced the same file."""


@dataclass
class WriteCounts:
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    bytes: int = 0


def fingerprint(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:32]


class Writer:
    def __init__(self, out_dir: str | Path):
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.counts = WriteCounts()
        self._seen: dict[str, str] = {}  # path → fingerprint ("" when none)
        self._published = False  # the previous manifest's files are on the publish target
        self._previous_stamp = ""
        self._previous = self._read_manifest()
        self.stamp = ""  # this render's inputs stamp, recorded in the manifest

    def _read_manifest(self) -> dict[str, str]:
        try:
            data = json.loads((self.out / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != _MANIFEST_VERSION:
            return {}
        files = data.get("files")
        self._published = data.get("published") is True
        stamp = data.get("stamp")
        self._previous_stamp = stamp if isinstance(stamp, str) else ""
        return files if isinstance(files, dict) else {}

    def can_carry_over(self, stamp: str) -> bool:
        """True when the previous render had these inputs and its files are all still here (or published)."""
        if not stamp or stamp != self._previous_stamp or not self._previous:
            return False
        return self._published or all((self.out / rel).is_file() for rel in self._previous)

    def previous_files(self) -> list[str]:
        """The output paths the previous render produced (its manifest's)."""
        return list(self._previous)

    def carry_over(self) -> int:
        """Count every file of the previous render not produced yet as produced, unchanged; how many."""
        # One walk of what is here, not a stat per listed file: a cycle's site holds only the manifest.
        sizes, carried = _local_sizes(str(self.out)), 0
        for relpath, print_ in self._previous.items():
            if relpath not in self._seen:
                self._claim(relpath, print_)
                self.counts.bytes += sizes.get(relpath, 0)  # a published file is not here: its size is not known
                carried += 1
        self.counts.unchanged += carried
        return carried

    def _claim(self, relpath: str, print_: str) -> str:
        relpath = check_relpath(relpath)
        if relpath in self._seen:
            raise DuplicateOutput(f"{relpath} was written twice in one render")
        self._seen[relpath] = print_
        return relpath

    def keep(self, relpath: str, print_: str) -> bool:
        """True (and the file counts as produced, unchanged) when the last render made it from the same inputs."""
        if not print_ or self._previous.get(relpath) != print_:
            return False
        try:
            size = (self.out / relpath).stat().st_size
        except FileNotFoundError:
            if not self._published:
                return False
            size = 0  # on the publish target, not here
        self._claim(relpath, print_)
        self.counts.unchanged += 1
        self.counts.bytes += size
        return True

    def write(self, relpath: str, content: str | bytes, print_: str = "") -> bool:
        """Write unless the bytes are already there; True when the file changed."""
        relpath = self._claim(relpath, print_)
        data = content.encode("utf-8") if isinstance(content, str) else content
        self.counts.bytes += len(data)
        target = self.out / relpath
        if _same_bytes(target, data):
            self.counts.unchanged += 1
            return False
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
        return True

    def has(self, relpath: str) -> bool:
        return relpath in self._seen

    def finish(self) -> WriteCounts:
        """Remove what the previous render made and this one did not; record this render's files."""
        for relpath in self._previous:
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
        listing = json.dumps({"version": _MANIFEST_VERSION, "stamp": self.stamp,
                              "files": dict(sorted(self._seen.items()))}, separators=(",", ":")).encode()
        manifest = self.out / MANIFEST
        if not _same_bytes(manifest, listing):
            manifest.write_bytes(listing)
        return self.counts


def _local_sizes(root: str) -> dict[str, int]:
    """Size of every regular file under `root`, by '/'-separated relative path (symlinks not followed)."""
    sizes, folders = {}, [("", root)]
    while folders:
        prefix, folder = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append((f"{prefix}{entry.name}/", entry.path))
                elif entry.is_file(follow_symlinks=False):
                    sizes[prefix + entry.name] = entry.stat(follow_symlinks=False).st_size
    return sizes


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
