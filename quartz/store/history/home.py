"""Where history files live: a `history/` folder beside a local store, or the `history/` prefix beside the
store's key in S3. Files are written once (S3: `If-None-Match: *`; local: exclusive create) and never changed.

    home = HistoryHome.of("s3://bucket/state/quartz.duckdb")   # s3://bucket/state/history/
    home.put_new(local_file, "runs/project=vllm/month=2026-01/<uuid>.parquet")
    path = home.local_copy(rel_key, sha256)                    # downloaded once into the cache
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from quartz.errors import QuartzError
from quartz.store import remote

ROOT = "history"
CACHE_ENV = "QUARTZ_HISTORY_CACHE"  # where downloaded partitions are kept between cycles


class HistoryFileExists(QuartzError):
    """A history key already holds a file: keys are fresh uuids, so this is never overwritten."""


@dataclass
class HistoryHome:
    location: str  # the store's location, as given
    local_root: Path | None = None  # a local store: the history folder itself
    bucket: str | None = None
    prefix: str = ""  # s3: "<store key's folder>/history/"
    cache_dir: Path | None = None
    client: object = None
    downloads: int = field(default=0)  # files fetched from S3 by this home (the cache missed)
    bytes_downloaded: int = field(default=0)

    @classmethod
    def of(cls, location: str, *, client=None, cache_dir: str | Path | None = None) -> HistoryHome:
        s3 = remote.parse_s3(str(location))
        if s3 is None:
            return cls(location=str(location), local_root=Path(location).resolve().parent / ROOT)
        folder = s3.key.rsplit("/", 1)[0] + "/" if "/" in s3.key else ""
        cache = Path(cache_dir or os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "quartz" / ROOT)
        return cls(location=str(location), bucket=s3.bucket, prefix=f"{folder}{ROOT}/",
                   cache_dir=cache / s3.bucket / folder, client=client)

    @property
    def is_s3(self) -> bool:
        return self.bucket is not None

    def url(self, rel_key: str = "") -> str:
        """Where a file (or the whole tree) is, for people and for other engines."""
        if self.is_s3:
            return f"s3://{self.bucket}/{self.prefix}{rel_key}"
        return str(self.local_root / rel_key)

    @property
    def _cache_root(self) -> str:
        return os.path.join(self.cache_dir, ROOT)

    def _s3(self):
        if self.client is None:
            self.client = remote.s3_client()
        return self.client

    # ------------------------------------------------------------ writing

    def put_new(self, source: Path, rel_key: str) -> None:
        """Write `source` at `rel_key`, refusing to replace anything already there."""
        if not self.is_s3:
            target = self.local_root / rel_key
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with source.open("rb") as src, open(target, "xb") as out:
                    shutil.copyfileobj(src, out)
                    out.flush()
                    os.fsync(out.fileno())
            except FileExistsError:
                raise HistoryFileExists(f"history file {target} already exists; it is never overwritten") from None
            return
        try:
            with source.open("rb") as body:
                self._s3().put_object(Bucket=self.bucket, Key=self.prefix + rel_key, Body=body, IfNoneMatch="*",
                                      ContentType="application/vnd.apache.parquet")
        except remote.S3_ERRORS as exc:
            if remote.error_code(exc) in ("PreconditionFailed", "412"):
                raise HistoryFileExists(f"history file {self.url(rel_key)} already exists") from None
            raise QuartzError(f"cannot write history file {self.url(rel_key)}: {remote.error_code(exc)}: {exc}") \
                from None
        self._keep_in_cache(source, rel_key)

    def _keep_in_cache(self, source: Path, rel_key: str) -> None:
        """The writer has the bytes already: seed the cache so the next read does not download them."""
        target = self.cache_dir / ROOT / rel_key
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".part")
            shutil.copyfile(source, partial)
            partial.replace(target)

    def delete(self, rel_key: str) -> None:
        if not self.is_s3:
            (self.local_root / rel_key).unlink(missing_ok=True)
            return
        try:
            self._s3().delete_object(Bucket=self.bucket, Key=self.prefix + rel_key)
        except remote.S3_ERRORS as exc:
            raise QuartzError(f"cannot delete history file {self.url(rel_key)}: {remote.error_code(exc)}") from None
        (self.cache_dir / ROOT / rel_key).unlink(missing_ok=True)

    def listing(self) -> dict[str, float]:
        """rel_key → last-modified time (epoch seconds) of every file under the history root."""
        if not self.is_s3:
            if not self.local_root.is_dir():
                return {}
            return {p.relative_to(self.local_root).as_posix(): p.stat().st_mtime
                    for p in self.local_root.rglob("*.parquet")}
        pages = self._s3().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        return {obj["Key"][len(self.prefix):]: obj["LastModified"].timestamp()
                for page in pages for obj in page.get("Contents", [])}

    # ------------------------------------------------------------ reading

    def local_copy(self, rel_key: str, sha256: str) -> Path:
        """A local path holding the file: in place for a local store; for S3 the cache, downloaded if missing."""
        if not self.is_s3:
            path = self.local_root / rel_key
            if not path.exists():
                raise QuartzError(f"history file {path} listed in the store's manifest is missing")
            return path
        cached = os.path.join(self._cache_root, rel_key)  # a string: a render looks up ~1,000 files
        if os.path.exists(cached):
            return Path(cached)
        target = self.cache_dir / ROOT / rel_key
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        try:  # one GET per file (download_file would add a HEAD)
            body = self._s3().get_object(Bucket=self.bucket, Key=self.prefix + rel_key)["Body"]
            with partial.open("wb") as out:
                for chunk in body.iter_chunks(remote.CHUNK):
                    out.write(chunk)
        except remote.S3_ERRORS as exc:
            partial.unlink(missing_ok=True)
            raise QuartzError(f"cannot download history file {self.url(rel_key)}: {remote.error_code(exc)}") \
                from None
        if file_sha256(partial) != sha256:
            partial.unlink(missing_ok=True)
            raise QuartzError(f"history file {self.url(rel_key)} does not match its manifest checksum")
        self.downloads += 1
        self.bytes_downloaded += partial.stat().st_size
        partial.replace(target)
        return target


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        for chunk in iter(lambda: src.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()
