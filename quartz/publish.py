"""`quartz publish`: copy the rendered site to S3 or a directory, sending only what changed.

Targets:
- `s3://bucket/prefix`: each file gets its Content-Type and a Cache-Control
  (short for HTML and JSON, a year and immutable for fingerprinted assets).
- a directory (e.g. the one GitHub Pages serves): files are copied only when
  their bytes differ.

Both keep a manifest (`.quartz-publish.json`) of what Quartz published there.
Unchanged files are skipped by comparing against it, and only files it lists
are ever deleted, so a target shared with other things (the store object, a
CNAME file, a .git directory) never loses anything Quartz did not put there.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from quartz.errors import BadInput, QuartzError
from quartz.store.remote import S3_ERRORS, error_code

MANIFEST = ".quartz-publish.json"
MANIFEST_VERSION = 1
RENDER_MANIFEST = ".quartz-manifest.json"  # quartz.site.writer.MANIFEST: what the render produced
UPLOAD_THREADS = 16

SHORT_CACHE = "public, max-age=60"  # pages and API files change every cycle
DEFAULT_CACHE = "public, max-age=300"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"  # the name changes when the content does

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".xml": "application/xml",
}
SHORT_CACHE_SUFFIXES = {".html", ".htm", ".json", ".xml", ".txt", ".webmanifest"}
# app.3f9c2a1b.js, plotly-5d41402abc4b2a76.min.js: a content hash of at least 8 hex digits
# with at least one letter, so numeric names such as run ids are not taken for hashes.
_FINGERPRINT = re.compile(r"[.-](?=[0-9a-f]*[a-f])[0-9a-f]{8,64}(\.[A-Za-z0-9]+)+$")


@dataclass
class PublishReport:
    target: str
    uploaded: int = 0
    unchanged: int = 0
    deleted: int = 0
    bytes: int = 0  # bytes sent

    def summary(self) -> str:
        return (f"published to {self.target}: {self.uploaded} uploaded ({size_text(self.bytes)}), "
                f"{self.unchanged} unchanged, {self.deleted} deleted")


def content_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def is_fingerprinted(name: str) -> bool:
    return bool(_FINGERPRINT.search(Path(name).name))


def cache_control(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in SHORT_CACHE_SUFFIXES:
        return SHORT_CACHE
    return IMMUTABLE_CACHE if is_fingerprinted(name) else DEFAULT_CACHE


def publish(site_dir: str | Path, target: str, *, client=None, verify: bool = True) -> PublishReport:
    """Make `target` hold exactly the files of `site_dir` that Quartz produces, touching only what changed.

    For S3, `verify` lists the target and re-sends any file whose object is missing or changed since Quartz
    put it there (someone deleted or edited it by hand). Without it the publish manifest is trusted: the
    cycle skips the listing (one request per 1,000 objects, slow to parse) after a render that carried its
    files over, and verifies after every full render, at least hourly."""
    site = Path(site_dir)
    if not site.is_dir():
        raise BadInput(f"site directory {site} does not exist; run `quartz render` first")
    files = _site_files(site)
    if not files:
        raise BadInput(f"site directory {site} is empty; run `quartz render` first")
    if target.startswith("s3://"):
        return _publish_s3(site, files, target, client, verify)
    return _publish_dir(site, files, Path(target))


def restore_render_manifest(site_dir: str | Path, target: str, *, client=None) -> bool:
    """Put the published render manifest into an empty site dir, marked as vouched for by the target.

    A runner that keeps no site/ can then render only what changed: the render
    skips files whose inputs match the manifest, and publish leaves their copies
    on the target alone. The manifest counts only if the publish that uploaded it
    finished (its publish-manifest entry has the same MD5); else nothing is
    restored and the render is a full one.
    """
    site = Path(site_dir)
    if not target.startswith("s3://") or (site / RENDER_MANIFEST).exists():
        return False
    bucket, prefix = _parse_s3_target(target)
    if client is None:
        import boto3

        client = boto3.client("s3")
    try:
        entry = _read_s3_manifest(client, bucket, prefix + MANIFEST).get(RENDER_MANIFEST)
        if not entry:
            return False
        raw = client.get_object(Bucket=bucket, Key=prefix + RENDER_MANIFEST)["Body"].read()
    except S3_ERRORS as exc:
        if error_code(exc) in ("NoSuchKey", "404"):
            return False
        raise _s3_error(target, bucket, exc) from None
    if hashlib.md5(raw, usedforsecurity=False).hexdigest() != entry[0]:
        return False  # uploaded by a publish that did not finish
    try:
        data = json.loads(raw)
    except ValueError:
        return False
    if not isinstance(data, dict):
        return False
    data["published"] = True
    site.mkdir(parents=True, exist_ok=True)
    (site / RENDER_MANIFEST).write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    return True


def _kept_on_target(site: Path, files: list[str]) -> list[str]:
    """Files the render produced but left on the target (see restore_render_manifest)."""
    try:
        data = json.loads((site / RENDER_MANIFEST).read_text(encoding="utf-8"))
        produced = data["files"] if isinstance(data, dict) and isinstance(data.get("files"), dict) else {}
    except (OSError, ValueError, KeyError):
        return []
    local = set(files)
    return sorted(rel for rel in produced if rel not in local and _safe_relative(rel))


def main(args) -> int:
    target = args.target or os.environ.get("QUARTZ_PUBLISH_TARGET")
    if not target:
        raise BadInput("no publish target: pass --target s3://bucket/prefix or a directory, "
                       "or set QUARTZ_PUBLISH_TARGET")
    report = publish(args.out, target)
    print(report.summary())
    return 0


# ---------------------------------------------------------------- the site


def _site_files(site: Path) -> list[str]:
    """Relative POSIX paths of every regular file, in upload order: assets, then data, then pages.

    Pages go last so a page never points at an asset or JSON file that is not there yet.
    """
    found = []
    for root, dirs, names in os.walk(site):
        dirs[:] = sorted(d for d in dirs if not (Path(root) / d).is_symlink())
        for name in names:
            path = Path(root) / name
            if path.is_symlink() or not path.is_file() or name == MANIFEST:
                continue
            found.append(path.relative_to(site).as_posix())
    return sorted(found, key=lambda rel: (_upload_rank(rel), rel))


def _upload_rank(rel: str) -> int:
    if rel == RENDER_MANIFEST:
        return 3  # last: it vouches for every file before it
    suffix = Path(rel).suffix.lower()
    return 2 if suffix in (".html", ".htm") else 1 if suffix in SHORT_CACHE_SUFFIXES else 0


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def size_text(count: int) -> str:
    return f"{count / 1024 / 1024:.1f} MB" if count >= 1024 * 1024 else f"{count / 1024:.1f} KB"


# ---------------------------------------------------------------- S3


def _publish_s3(site: Path, files: list[str], target: str, client, verify: bool = True) -> PublishReport:
    bucket, prefix = _parse_s3_target(target)
    if client is None:
        import boto3  # imported here so directory targets never pay for it

        client = boto3.client("s3")
    report = PublishReport(target=target)
    try:
        previous = _read_s3_manifest(client, bucket, prefix + MANIFEST)
        # Unverified, the manifest stands in for the listing: each object is as Quartz last put it.
        listed = _list_etags(client, bucket, prefix) if verify else {
            prefix + rel: entry[1] for rel, entry in previous.items() if isinstance(entry, list) and len(entry) == 3}
        entries: dict[str, list[str]] = {}
        todo: list[tuple[int, str, str]] = []
        for rel in files:
            md5 = _md5(site / rel)
            headers = f"{content_type(rel)}|{cache_control(rel)}"
            key = prefix + rel
            if previous.get(rel) == [md5, listed.get(key), headers]:
                entries[rel] = previous[rel]
                report.unchanged += 1
            else:
                todo.append((_upload_rank(rel), rel, md5))
        for rel in _kept_on_target(site, files):
            if rel not in previous or prefix + rel not in listed:
                raise QuartzError(f"{rel} was left out of the render as already published, but {target} "
                                  "does not hold it; delete the site's .quartz-manifest.json there to re-render all")
            entries[rel] = previous[rel]
            report.unchanged += 1
        for rank in sorted({r for r, _, _ in todo}):
            batch = [(rel, md5) for r, rel, md5 in todo if r == rank]
            with ThreadPoolExecutor(max_workers=UPLOAD_THREADS) as pool:
                for rel, entry, sent in pool.map(lambda item: _put(client, bucket, prefix, site, *item), batch):
                    entries[rel] = entry
                    report.uploaded += 1
                    report.bytes += sent
        stale = sorted(prefix + rel for rel in previous if rel not in entries and prefix + rel in listed)
        for start in range(0, len(stale), 1000):  # DeleteObjects takes up to 1,000 keys
            chunk = stale[start:start + 1000]
            answer = client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk],
                                                                  "Quiet": True})
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise QuartzError(f"could not delete {len(answer['Errors'])} stale objects from {target}, "
                                  f"e.g. {first.get('Key')}: {first.get('Code')} {first.get('Message')}")
            report.deleted += len(chunk)
        # Last: until it is written, the old manifest still names anything a failure above left behind.
        if entries != previous:
            body = json.dumps({"schema_version": MANIFEST_VERSION, "files": entries}, sort_keys=True).encode()
            client.put_object(Bucket=bucket, Key=prefix + MANIFEST, Body=body,
                              ContentType="application/json", CacheControl="no-cache")
    except S3_ERRORS as exc:
        raise _s3_error(target, bucket, exc) from None
    return report


def _parse_s3_target(target: str) -> tuple[str, str]:
    bucket, _, prefix = target[len("s3://"):].partition("/")
    if not bucket:
        raise BadInput(f"publish target {target!r} must be s3://bucket or s3://bucket/prefix")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def _put(client, bucket: str, prefix: str, site: Path, rel: str, md5: str) -> tuple[str, list[str], int]:
    body = (site / rel).read_bytes()
    answer = client.put_object(Bucket=bucket, Key=prefix + rel, Body=body,
                               ContentType=content_type(rel), CacheControl=cache_control(rel))
    return rel, [md5, answer["ETag"].strip('"'), f"{content_type(rel)}|{cache_control(rel)}"], len(body)


def _list_etags(client, bucket: str, prefix: str) -> dict[str, str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {obj["Key"]: obj["ETag"].strip('"') for page in pages for obj in page.get("Contents", [])}


def _read_s3_manifest(client, bucket: str, key: str) -> dict[str, list[str]]:
    try:
        raw = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except S3_ERRORS as exc:
        if error_code(exc) in ("NoSuchKey", "404"):
            return {}
        raise
    return _manifest_files(raw)


def _manifest_files(raw: bytes) -> dict:
    """The files a manifest lists; a damaged manifest means 'nothing known', so everything is re-sent."""
    try:
        data = json.loads(raw)
        files = data["files"] if data.get("schema_version") == MANIFEST_VERSION else {}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}
    return files if isinstance(files, dict) else {}


def _s3_error(target: str, bucket: str, exc: Exception) -> QuartzError:
    code = error_code(exc)
    if code == "NoSuchBucket":
        return QuartzError(f"cannot publish to {target}: bucket {bucket!r} does not exist")
    if code in ("AccessDenied", "403"):
        return QuartzError(f"cannot publish to {target}: access denied; the role needs s3:ListBucket, "
                           "s3:GetObject, s3:PutObject and s3:DeleteObject there")
    return QuartzError(f"cannot publish to {target}: {code or type(exc).__name__}: {exc}")


# ---------------------------------------------------------------- a directory


def _publish_dir(site: Path, files: list[str], target: Path) -> PublishReport:
    site_real, target_real = site.resolve(), target.resolve()
    if target_real == site_real or site_real in target_real.parents:
        raise BadInput(f"publish target {target} is inside the site directory {site}; choose another directory")
    report = PublishReport(target=str(target))
    target.mkdir(parents=True, exist_ok=True)
    manifest_path = target / MANIFEST
    previous = _manifest_files(manifest_path.read_bytes()) if manifest_path.exists() else {}
    entries: dict[str, str] = {}
    for rel in files:
        source, dest = site / rel, target / rel
        body = source.read_bytes()
        entries[rel] = hashlib.md5(body, usedforsecurity=False).hexdigest()
        if dest.is_file() and not dest.is_symlink() and dest.stat().st_size == len(body) and dest.read_bytes() == body:
            report.unchanged += 1
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(f".{dest.name}.quartz-part")
        partial.write_bytes(body)
        shutil.copymode(source, partial)
        partial.replace(dest)  # readers see the old file or the new one, never half of one
        report.uploaded += 1
        report.bytes += len(body)
    for rel in _kept_on_target(site, files):
        if rel not in previous or not (target / rel).is_file():
            raise QuartzError(f"{rel} was left out of the render as already published, but {target} does not "
                              "hold it; remove the site's .quartz-manifest.json to re-render all")
        entries[rel] = previous[rel]
        report.unchanged += 1
    for rel in sorted(set(previous) - set(entries)):
        if _safe_relative(rel) and (target / rel).is_file():
            (target / rel).unlink()
            report.deleted += 1
            _remove_empty_parents(target, (target / rel).parent)
    if entries != previous:
        text = json.dumps({"schema_version": MANIFEST_VERSION, "files": entries}, indent=0, sort_keys=True)
        manifest_path.write_text(text + "\n", encoding="utf-8")
    return report


def _safe_relative(rel: str) -> bool:
    """A manifest is data we read back; never let it name a file outside the target."""
    parts = rel.split("/")  # plain strings: a manifest lists thousands of files
    return not rel.startswith("/") and ".." not in parts and any(p not in ("", ".") for p in parts)


def _remove_empty_parents(root: Path, folder: Path) -> None:
    while folder != root and root in folder.parents and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent

