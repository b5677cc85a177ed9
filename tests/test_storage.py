"""The store file in S3: pulled with its ETag, pushed only over the version pulled (moto over real HTTP)."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError

from quartz.errors import BadInput, QuartzError
from quartz.store import remote as storage
from quartz.store.db import Store
from quartz.store.remote import StoreRaceLost, pull, push, push_checkpoint

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


def add_project(store: Store, name: str) -> None:
    store.execute("sync/projects_upsert", projects=[{"name": name, "repo": f"ROCm/{name}", "category": "core",
                                                     "display_name": name, "default_branch": "main",
                                                     "updated_at": NOW}])


def project_names(path) -> set[str]:
    with Store.open(path) as store:
        return {name for (name,) in store.db.execute("SELECT name FROM projects").fetchall()}


def write_cycle(location: str, workdir, name: str):
    """One cycle's pull and local work, stopped just before its push."""
    pulled = pull(location, workdir)
    with Store.open(pulled.local_path) as store:
        add_project(store, name)
    return pulled


def test_round_trip_first_store_then_update(s3, tmp_path):
    location = f"s3://{s3.bucket}/state/quartz.duckdb"
    first = pull(location, tmp_path / "a")
    assert first.is_s3 and first.etag is None and first.bytes_pulled == 0
    with Store.open(first.local_path) as store:
        add_project(store, "rocm")
    sent = push(first)
    assert sent == s3.client.head_object(Bucket=s3.bucket, Key="state/quartz.duckdb")["ContentLength"]
    assert sent == first.bytes_pushed and first.pushes == 1
    assert sent * 4 < first.local_path.stat().st_size  # gzip: a store file is mostly compressible
    assert s3.store_file("state/quartz.duckdb") == first.local_path.read_bytes()

    second = write_cycle(location, tmp_path / "b", "pytorch")
    assert second.etag == first.etag and second.bytes_pulled == sent
    push(second)
    third = pull(location, tmp_path / "c")
    assert project_names(third.local_path) == {"rocm", "pytorch"}
    assert third.etag == second.etag != first.etag


def test_two_pushers_from_one_etag_one_wins_and_s3_keeps_the_winner(s3, tmp_path):
    location = f"s3://{s3.bucket}/quartz.duckdb"
    seed = write_cycle(location, tmp_path / "seed", "rocm")
    push(seed)
    winner = write_cycle(location, tmp_path / "w", "pytorch")
    loser = write_cycle(location, tmp_path / "l", "vllm")
    assert winner.etag == loser.etag
    push(winner)
    with pytest.raises(StoreRaceLost) as lost:
        push(loser)
    message = str(lost.value)
    assert "another Quartz cycle won" in message and "S3 was left exactly as the winner wrote it" in message
    assert s3.store_file("quartz.duckdb") == winner.local_path.read_bytes()
    assert loser.pushes == 0 and loser.bytes_pushed == 0
    after = pull(location, tmp_path / "after")
    assert project_names(after.local_path) == {"rocm", "pytorch"}
    assert lost.value.exit_code == 1  # `quartz cycle` maps it to a clean exit; one-shot commands fail


def test_first_push_uses_if_none_match(s3, tmp_path):
    location = f"s3://{s3.bucket}/quartz.duckdb"
    one = write_cycle(location, tmp_path / "one", "rocm")
    two = write_cycle(location, tmp_path / "two", "pytorch")
    assert one.etag is None and two.etag is None
    sent = []
    client = boto3.client("s3")
    client.meta.events.register("before-send.s3.PutObject", lambda request, **_: sent.append(dict(request.headers)))
    push(one, client=client)
    assert sent[0].get("If-None-Match") == b"*" and "If-Match" not in sent[0]
    with pytest.raises(StoreRaceLost):
        push(two)
    assert s3.store_file("quartz.duckdb") == one.local_path.read_bytes()


def test_push_that_dies_before_upload_leaves_previous_object(s3, tmp_path):
    location = f"s3://{s3.bucket}/quartz.duckdb"
    seed = write_cycle(location, tmp_path / "seed", "rocm")
    push(seed)
    before = s3.body("quartz.duckdb")
    crashing = write_cycle(location, tmp_path / "crash", "pytorch")
    client = boto3.client("s3")

    def connection_drops(request, **_):
        raise ConnectionClosedError(endpoint_url=request.url)

    client.meta.events.register("before-send.s3.PutObject", connection_drops)
    with pytest.raises(QuartzError, match="cannot push store"):
        push(crashing, client=client)
    assert s3.body("quartz.duckdb") == before
    # The next cycle starts from the intact previous store and finishes the work.
    retry = write_cycle(location, tmp_path / "next", "pytorch")
    assert retry.etag == seed.etag
    push(retry)
    assert project_names(pull(location, tmp_path / "check").local_path) == {"rocm", "pytorch"}


def test_push_checkpoint_makes_open_store_durable_and_moves_the_etag(s3, tmp_path):
    location = f"s3://{s3.bucket}/quartz.duckdb"
    push(write_cycle(location, tmp_path / "seed", "rocm"))
    pulled = pull(location, tmp_path / "cycle")
    rival = pull(location, tmp_path / "rival")
    store = Store.open(pulled.local_path)
    add_project(store, "pytorch")  # e.g. a dispatch intent
    old_etag = pulled.etag
    push_checkpoint(pulled, store)
    assert pulled.etag != old_etag and pulled.pushes == 1
    # Readable by anyone while this cycle still holds the store open.
    assert project_names(pull(location, tmp_path / "peek").local_path) == {"rocm", "pytorch"}
    add_project(store, "vllm")
    store.close()
    push(pulled)  # the final push is over the checkpoint's ETag
    assert pulled.pushes == 2
    with Store.open(rival.local_path) as other:
        add_project(other, "sglang")
    with pytest.raises(StoreRaceLost):
        push(rival)
    assert project_names(pull(location, tmp_path / "end").local_path) == {"rocm", "pytorch", "vllm"}


def test_checkpoint_refused_inside_a_transaction(s3, tmp_path):
    pulled = pull(f"s3://{s3.bucket}/quartz.duckdb", tmp_path)
    with Store.open(pulled.local_path) as store, store.transaction():
        add_project(store, "rocm")
        with pytest.raises(QuartzError, match="inside a transaction"):
            push_checkpoint(pulled, store)
    assert s3.listing() == []


def test_push_refuses_a_file_with_unsaved_wal(s3, tmp_path):
    pulled = pull(f"s3://{s3.bucket}/quartz.duckdb", tmp_path)
    store = Store.open(pulled.local_path)
    try:
        add_project(store, "rocm")
        with pytest.raises(QuartzError, match="unsaved changes"):
            push(pulled)
    finally:
        store.close()
    push(pulled)
    assert s3.listing() == ["quartz.duckdb"]


def test_conflict_409_is_retried(s3, tmp_path):
    pulled = write_cycle(f"s3://{s3.bucket}/quartz.duckdb", tmp_path, "rocm")
    client = boto3.client("s3")
    conflicts = [2]

    def conflict_twice(request, **_):
        if conflicts[0]:
            conflicts[0] -= 1
            body = (b"<Error><Code>ConditionalRequestConflict</Code>"
                    b"<Message>A conflicting operation occurred</Message></Error>")
            return AWSResponse(request.url, 409, {}, _Raw(body))
        return None

    client.meta.events.register("before-send.s3.PutObject", conflict_twice)
    slept = []
    push(pulled, client=client, sleep=slept.append)
    assert conflicts == [0] and len(slept) == 2
    assert s3.store_file("quartz.duckdb") == pulled.local_path.read_bytes()


def test_retried_request_whose_first_try_landed_counts_as_won(s3, tmp_path):
    location = f"s3://{s3.bucket}/quartz.duckdb"
    push(write_cycle(location, tmp_path / "seed", "rocm"))
    pulled = write_cycle(location, tmp_path / "cycle", "pytorch")
    client = boto3.client("s3")
    forced = []

    def retry_once_after_success(response, attempts, **_):
        # The first PUT landed but its answer was "lost": botocore sends it again, S3 answers 412.
        if not forced:
            forced.append(attempts)
            return 0
        return None

    client.meta.events.register_first("needs-retry.s3.PutObject", retry_once_after_success)
    push(pulled, client=client)
    assert forced and pulled.etag == s3.client.head_object(Bucket=s3.bucket, Key="quartz.duckdb")["ETag"]


def test_pull_drops_a_stale_wal_and_file(s3, tmp_path):
    location = f"s3://{s3.bucket}/quartz.duckdb"
    push(write_cycle(location, tmp_path / "seed", "rocm"))
    work = tmp_path / "work"
    work.mkdir()
    (work / "quartz.duckdb.wal").write_bytes(b"left by a crashed cycle")
    pulled = pull(location, work)
    assert not (work / "quartz.duckdb.wal").exists()
    assert project_names(pulled.local_path) == {"rocm"}


def test_local_store_needs_no_s3(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")  # would fail if touched
    path = tmp_path / "quartz.duckdb"
    pulled = pull(str(path), tmp_path / "unused")
    assert pulled.local_path == path and not pulled.is_s3 and pulled.etag is None
    store = Store.open(pulled.local_path)
    add_project(store, "rocm")
    assert push_checkpoint(pulled, store) == 0
    store.close()
    assert push(pulled) == 0 and project_names(path) == {"rocm"}


def test_bad_locations_and_missing_bucket(s3, tmp_path):
    for bad in ("s3://bucket-only", "s3://b/dir/", "s3:///key"):
        with pytest.raises(BadInput, match="s3://bucket/key"):
            pull(bad, tmp_path)
    with pytest.raises(QuartzError, match="does not exist"):
        pull("s3://no-such-bucket-here/quartz.duckdb", tmp_path)
    assert storage.parse_s3("quartz.duckdb") is None


class _Raw:
    """The raw stream botocore reads a response body from."""

    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_):
        yield self._body


def test_opened_pushes_on_success_and_not_on_error(s3, tmp_path):
    location = f"s3://{s3.bucket}/quartz.duckdb"
    with storage.opened(location) as (store, pulled):
        add_project(store, "rocm")
    assert pulled.pushes == 1
    with pytest.raises(RuntimeError), storage.opened(location) as (store, _):
        add_project(store, "pytorch")
        raise RuntimeError("crash mid-command")
    assert project_names(pull(location, tmp_path).local_path) == {"rocm"}


def test_a_store_pushed_uncompressed_still_pulls_and_the_next_push_compresses_it(s3, tmp_path):
    """Stores pushed before compression are plain DuckDB files without the encoding metadata."""
    location = f"s3://{s3.bucket}/quartz.duckdb"
    local = tmp_path / "old.duckdb"
    with Store.open(local) as store:
        add_project(store, "rocm")
    s3.client.put_object(Bucket=s3.bucket, Key="quartz.duckdb", Body=local.read_bytes())
    pulled = write_cycle(location, tmp_path / "a", "pytorch")
    assert pulled.bytes_pulled == local.stat().st_size
    push(pulled)
    head = s3.client.head_object(Bucket=s3.bucket, Key="quartz.duckdb")
    assert head["Metadata"][storage.ENCODING_KEY] == "gzip" and head["ContentLength"] < local.stat().st_size
    assert project_names(pull(location, tmp_path / "b").local_path) == {"rocm", "pytorch"}


def test_a_damaged_compressed_store_is_refused_in_one_line(s3, tmp_path):
    location = f"s3://{s3.bucket}/quartz.duckdb"
    push(write_cycle(location, tmp_path / "a", "rocm"))
    cut = s3.body("quartz.duckdb")[:-40]
    s3.client.put_object(Bucket=s3.bucket, Key="quartz.duckdb", Body=cut, Metadata={storage.ENCODING_KEY: "gzip"})
    with pytest.raises(QuartzError, match="gzip data is damaged"):
        pull(location, tmp_path / "b")
    assert not list((tmp_path / "b").iterdir())  # no half-written file left behind


def test_push_rewrites_a_sparse_file_without_its_free_blocks(s3, tmp_path):
    location = f"s3://{s3.bucket}/quartz.duckdb"
    pulled = pull(location, tmp_path / "a")
    with Store.open(pulled.local_path) as store:
        store.db.execute("CREATE TABLE ballast AS SELECT range AS n, md5(range::VARCHAR) AS s FROM range(300000)")
        store.db.execute("CHECKPOINT")
        store.db.execute("DROP TABLE ballast")
        store.db.execute("CHECKPOINT")
    grown = pulled.local_path.stat().st_size
    push(pulled)
    assert pulled.local_path.stat().st_size < grown / 2
    again = pull(location, tmp_path / "b")
    assert again.local_path.stat().st_size == pulled.local_path.stat().st_size
    with Store.open(again.local_path) as store:  # the rewritten file is a whole store
        assert store.db.execute("SELECT count(*) FROM projects").fetchone()[0] == 0


def test_a_store_with_large_blocks_is_rewritten_with_small_ones_on_its_push(s3, tmp_path):
    """Stores made before BLOCK_SIZE have DuckDB's 256 KiB blocks: each index and small table took one."""
    import duckdb

    from quartz.store.compaction import BLOCK_SIZE

    location = f"s3://{s3.bucket}/quartz.duckdb"
    pulled = pull(location, tmp_path / "a")
    duckdb.connect(str(pulled.local_path), config={"default_block_size": str(256 * 1024)}).close()
    with Store.open(pulled.local_path) as store:
        add_project(store, "rocm")
    large = pulled.local_path.stat().st_size
    push(pulled)
    again = pull(location, tmp_path / "b")
    with Store.open(again.local_path, read_only=True) as store:
        assert store.db.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0] == BLOCK_SIZE
    assert again.local_path.stat().st_size < large / 2
    assert project_names(again.local_path) == {"rocm"}
