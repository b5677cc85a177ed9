"""The store file's home: a local path, or one object in S3 guarded by its ETag.

    pulled = pull("s3://bucket/quartz.duckdb", workdir)   # or a local path
    store = Store.open(pulled.local_path)
    ...
    push_checkpoint(pulled, store)      # before each dispatch POST: the intent is now durable in S3
    ...
    store.close()
    push(pulled)                        # If-Match: the ETag pulled (If-None-Match: * for a first store)

A push that finds the object changed since it was pulled raises `StoreRaceLost`
and leaves S3 exactly as the other cycle wrote it. S3 settings come from
boto3's usual chain and AWS_ENDPOINT_URL_S3, so moto or any S3-compatible
store works without code changes.

The object is the DuckDB file gzip-compressed (metadata `quartz-encoding: gzip`):
a store file is mostly small integers and repeated strings, so a cycle moves
about a quarter of its bytes. An object without that metadata (a store pushed
before compression) is read as it is. To open it by hand:
`aws s3 cp s3://bucket/key - | gunzip > quartz.duckdb`.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from quartz.errors import BadInput, QuartzError
from quartz.store.compaction import compact_if_needed

# What boto3 raises: ClientError for an answer from S3, BotoCoreError for none (network, credentials).
S3_ERRORS = (BotoCoreError, ClientError)

PUSH_ID_KEY = "quartz-push-id"  # object metadata naming the push that wrote it
ENCODING_KEY, GZIP = "quartz-encoding", "gzip"  # object metadata: how the file is compressed
GZIP_LEVEL = 1  # level 6 saves another 3% for twice the time
CHUNK = 1024 * 1024
MAX_SINGLE_PUT = 5 * 1024**3  # S3's limit for one PutObject
CONFLICT_RETRIES = 3  # 409 ConditionalRequestConflict: another conditional write was in flight


class StoreRaceLost(QuartzError):
    """Another cycle pushed the store after this one pulled it; S3 holds the winner's file untouched.

    For `quartz cycle` losing is a clean outcome (catch it, print it, exit 0): the
    next cycle redoes the work and finds any run already dispatched by its
    correlation id. For one-shot commands such as `quartz start` it stays a
    failure (exit 1): what the person asked for was not saved.
    """


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def parse_s3(location: str) -> S3Location | None:
    """`s3://bucket/key` → S3Location; anything else is a local path (None)."""
    if not location.startswith("s3://"):
        return None
    bucket, _, key = location[len("s3://"):].partition("/")
    if not bucket or not key or key.endswith("/"):
        raise BadInput(f"store location {location!r} must be s3://bucket/key naming one object, e.g. "
                       "s3://my-bucket/quartz/quartz.duckdb")
    return S3Location(bucket, key)


@dataclass
class PulledStore:
    """A store file on local disk and, for S3, the version of the object it came from."""

    location: str
    local_path: Path
    s3: S3Location | None
    etag: str | None  # None: a local store, or no object in S3 yet (the first push creates it)
    bytes_pulled: int = 0
    bytes_pushed: int = 0
    pushes: int = 0
    file_bytes_pushed: int = 0  # the DuckDB file's size at the last push (S3 holds it compressed)

    @property
    def is_s3(self) -> bool:
        return self.s3 is not None


def s3_client():
    """A boto3 S3 client from the usual chain; AWS_ENDPOINT_URL_S3 points it at any S3-compatible store."""
    import boto3  # imported here so local-only commands never pay for it

    return boto3.client("s3")


# ---------------------------------------------------------------- the usual shape


@contextlib.contextmanager
def opened(location: str, *, client=None) -> Iterator[tuple[object, PulledStore]]:
    """Pull, open, and on success close and push; on any error close without pushing.

        with opened(args.store) as (store, pulled):
            ... store.execute(...) ...; push_checkpoint(pulled, store) before a POST

    For a local path this is just Store.open; for s3:// the file lives in a
    temporary directory for the duration.
    """
    from quartz.store.db import Store

    with tempfile.TemporaryDirectory(prefix="quartz-store-") as workdir:
        pulled = pull(location, workdir, client=client)
        store = Store.open(pulled.local_path)
        try:
            yield store, pulled
        except BaseException:
            store.close()
            raise
        store.close()
        push(pulled, client=client)


# ---------------------------------------------------------------- pull


def pull(location: str, workdir: str | Path, *, client=None) -> PulledStore:
    """Bring the store file to local disk and remember which version of it we hold."""
    s3 = parse_s3(str(location))
    if s3 is None:
        return PulledStore(location=str(location), local_path=Path(location), s3=None, etag=None)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    local = workdir / (Path(s3.key).name or "quartz.duckdb")
    # A WAL left by an earlier crashed cycle would be replayed into the fresh file: drop it.
    for stale in (local, Path(f"{local}.wal")):
        stale.unlink(missing_ok=True)
    client = client or s3_client()
    partial = local.with_name(local.name + ".part")
    try:
        response = client.get_object(Bucket=s3.bucket, Key=s3.key)
        size = _receive(response, partial)
    except S3_ERRORS as exc:
        partial.unlink(missing_ok=True)
        if error_code(exc) in ("NoSuchKey", "404"):
            return PulledStore(location=str(location), local_path=local, s3=s3, etag=None)
        raise _s3_error("pull", s3, exc) from None
    except zlib.error as exc:
        partial.unlink(missing_ok=True)
        raise QuartzError(f"cannot pull store {s3}: its gzip data is damaged ({exc}); "
                          "restore an earlier version of the object (S3 versioning) or start a new store") from None
    partial.replace(local)
    return PulledStore(location=str(location), local_path=local, s3=s3, etag=response["ETag"], bytes_pulled=size)


def _receive(response, target: Path) -> int:
    """Write the object's body to `target` (gunzipped when it was pushed compressed); the bytes received."""
    compressed = response.get("Metadata", {}).get(ENCODING_KEY) == GZIP
    inflate = zlib.decompressobj(wbits=31) if compressed else None  # 31: the gzip container
    size = 0
    with target.open("wb") as out:
        for chunk in response["Body"].iter_chunks(CHUNK):
            size += len(chunk)
            out.write(inflate.decompress(chunk) if inflate else chunk)
        if inflate:
            out.write(inflate.flush())
            if not inflate.eof:
                raise zlib.error("the object ends before its gzip stream does")
    return size


# ---------------------------------------------------------------- push


def push(pulled: PulledStore, store=None, *, client=None, sleep: Callable[[float], None] = time.sleep) -> int:
    """Upload the store only if S3 still holds the version we pulled; return the bytes sent.

    Pass the open `store` (a quartz Store or duckdb connection) to checkpoint it
    first; otherwise it must already be closed, and it is rewritten without its
    dead weight first when it needs it (quartz.store.compaction). Raises
    StoreRaceLost when another cycle got there first.
    """
    if store is not None:
        checkpoint(store)
    if not pulled.is_s3:
        return 0
    _require_consistent_file(pulled.local_path)
    if store is None:
        compact_if_needed(pulled.local_path)
    file_bytes = pulled.local_path.stat().st_size
    with tempfile.TemporaryDirectory(prefix="quartz-push-") as scratch:
        packed = Path(scratch) / "store.gz"
        with pulled.local_path.open("rb") as src, gzip.open(packed, "wb", compresslevel=GZIP_LEVEL) as out:
            shutil.copyfileobj(src, out, CHUNK)
        sent = _put(pulled, packed, client=client, sleep=sleep)
    pulled.file_bytes_pushed = file_bytes
    return sent


def _put(pulled: PulledStore, packed: Path, *, client, sleep) -> int:
    size = packed.stat().st_size
    if size > MAX_SINGLE_PUT:
        raise QuartzError(f"store {pulled.local_path} is {size / 1024**3:.1f} GiB, over S3's 5 GiB single-upload "
                          "limit; compact it (COPY FROM DATABASE into a fresh file) or prune old history")
    client = client or s3_client()
    push_id = uuid.uuid4().hex
    condition = {"IfMatch": pulled.etag} if pulled.etag else {"IfNoneMatch": "*"}
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            with packed.open("rb") as body:
                response = client.put_object(
                    Bucket=pulled.s3.bucket, Key=pulled.s3.key, Body=body, ContentType="application/gzip",
                    Metadata={PUSH_ID_KEY: push_id, ENCODING_KEY: GZIP}, **condition,
                )
            new_etag = response["ETag"]
            break
        except S3_ERRORS as exc:
            code = error_code(exc)
            if code in ("ConditionalRequestConflict", "409") and attempt < CONFLICT_RETRIES:
                sleep(0.5 * 2**attempt)
                continue
            # NoSuchKey on If-Match: the object we pulled was deleted meanwhile, also a lost race.
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409") or (
                code in ("NoSuchKey", "404") and pulled.etag
            ):
                new_etag = _ours_after_all(client, pulled.s3, push_id)
                if new_etag:  # a retried request whose first try had landed
                    break
                raise _race_lost(pulled) from None
            raise _s3_error("push", pulled.s3, exc) from None
    pulled.etag = new_etag
    pulled.bytes_pushed += size
    pulled.pushes += 1
    return size


def push_checkpoint(pulled: PulledStore, store, *, client=None, sleep: Callable[[float], None] = time.sleep) -> int:
    """Make the store's current contents durable in S3 mid-cycle and hold the new ETag.

    The dispatcher calls this after recording a dispatch intent and before the
    POST: if it raises StoreRaceLost, another cycle owns the store and the POST
    must not be sent. A local store is checkpointed to disk only.
    """
    return push(pulled, store, client=client, sleep=sleep)


def checkpoint(store) -> None:
    """Fold DuckDB's WAL into the file so the file alone holds every committed row."""
    if getattr(store, "_in_transaction", False):
        raise QuartzError("cannot checkpoint the store inside a transaction: the open transaction's rows "
                          "would not be in the uploaded file; commit first")
    connection = getattr(store, "db", store)
    connection.execute("CHECKPOINT")


def _require_consistent_file(path: Path) -> None:
    if not path.exists():
        raise QuartzError(f"store file {path} is missing; nothing to push")
    wal = Path(f"{path}.wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise QuartzError(f"store {path} has unsaved changes in {wal.name}; pass the open store to push() "
                          "or close it first so the uploaded file holds every committed row")


def _ours_after_all(client, s3: S3Location, push_id: str) -> str | None:
    """After a 412, the ETag of the object if it is the one this push wrote, else None."""
    try:
        head = client.head_object(Bucket=s3.bucket, Key=s3.key)
    except ClientError as exc:
        if error_code(exc) in ("NoSuchKey", "404"):
            return None
        raise _s3_error("check", s3, exc) from None
    except BotoCoreError as exc:  # a network or credentials failure is not a lost race
        raise _s3_error("check", s3, exc) from None
    return head["ETag"] if head.get("Metadata", {}).get(PUSH_ID_KEY) == push_id else None


def _race_lost(pulled: PulledStore) -> StoreRaceLost:
    held = f"ETag {pulled.etag}" if pulled.etag else "no object (a first store)"
    return StoreRaceLost(
        f"another Quartz cycle won the race for {pulled.s3}: it was pushed after this cycle pulled it "
        f"({held}). This cycle's changes were not saved and S3 was left exactly as the winner wrote it; "
        "the next cycle redoes this work."
    )


def error_code(exc: Exception) -> str:
    """The S3 error code of a botocore error (or its HTTP status when there is none)."""
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    return code or str(response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def _s3_error(action: str, s3: S3Location, exc: Exception) -> QuartzError:
    code = error_code(exc)
    if code == "NoSuchBucket":
        return QuartzError(f"cannot {action} store {s3}: bucket {s3.bucket!r} does not exist; create it or fix --store")
    if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"):
        return QuartzError(f"cannot {action} store {s3}: access denied ({code}); check the AWS role or credentials "
                           "and that they allow s3:GetObject and s3:PutObject on it")
    if type(exc).__name__ in ("NoCredentialsError", "PartialCredentialsError"):
        return QuartzError(f"cannot {action} store {s3}: no AWS credentials found (environment, profile or role)")
    if type(exc).__name__ in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"):
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or "AWS"
        return QuartzError(f"cannot {action} store {s3}: S3 endpoint {endpoint} unreachable ({exc})")
    return QuartzError(f"cannot {action} store {s3}: {code or type(exc).__name__}: {exc}")

