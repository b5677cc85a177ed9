"""Fixtures for every test: a real S3 endpoint, moto's standalone server over HTTP.

Shared builders (fleets on the simulator, stores, sites, TheRock reports) live in `tests/helpers/`.

    def test_x(s3):            # s3.client is a boto3 client, s3.bucket a fresh empty bucket
        ...

The environment points boto3 at the server (AWS_ENDPOINT_URL_S3, dummy
credentials, region), so code under test builds its own client the usual way.
"""

from __future__ import annotations

import gzip
import itertools
from dataclasses import dataclass

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.helpers.notify import WEBHOOK_ENV, Receiver

_buckets = itertools.count(1)


@pytest.fixture(scope="module")
def moto_server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class S3:
    endpoint: str
    client: object
    bucket: str

    def body(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def store_file(self, key: str) -> bytes:
        """The DuckDB file a store object holds (pushed gzip-compressed)."""
        return gzip.decompress(self.body(key))

    def listing(self, prefix: str = "") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))


@pytest.fixture
def s3(moto_server, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    client = boto3.client("s3")
    bucket = f"quartz-test-{next(_buckets)}"
    client.create_bucket(Bucket=bucket)
    return S3(moto_server, client, bucket)


@pytest.fixture
def receiver(monkeypatch):
    """A real incoming-webhook endpoint on localhost, its URL in the environment variable the test fleets name."""
    made = Receiver()
    monkeypatch.setenv(WEBHOOK_ENV, made.url)
    yield made
    made.stop()
