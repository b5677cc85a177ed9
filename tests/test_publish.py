"""Publishing the site: S3 (moto over real HTTP) or a directory; only changes are sent, stale files go."""

from __future__ import annotations

import argparse
import json

import pytest
from botocore.exceptions import ConnectionClosedError

from quartz import publish as publish_module
from quartz.errors import BadInput, QuartzError
from quartz.publish import IMMUTABLE_CACHE, MANIFEST, SHORT_CACHE, publish

SITE = {
    "index.html": "<!doctype html><title>Quartz</title>",
    "projects/rocm.html": "<p>rocm</p>",
    "api/v1/health.json": '{"schema_version": 1}',
    "api/v1/builds/12345678901.json": '{"run_id": 12345678901}',
    "assets/app.3f9c2a1b.js": "console.log('hi')",
    "assets/style.d41d8cd98f.css": "body{}",
    "assets/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
}


def make_site(root, files=SITE):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_s3_publish_sets_types_and_cache_and_second_publish_sends_nothing(s3, tmp_path):
    site = make_site(tmp_path / "site")
    target = f"s3://{s3.bucket}/dash"
    first = publish(site, target)
    assert (first.uploaded, first.unchanged, first.deleted) == (len(SITE), 0, 0)
    assert first.bytes == sum(len(t.encode()) for t in SITE.values())
    assert s3.listing("dash/") == sorted(["dash/" + rel for rel in SITE] + ["dash/" + MANIFEST])

    def head(rel):
        return s3.client.head_object(Bucket=s3.bucket, Key="dash/" + rel)

    expected = {
        "index.html": ("text/html; charset=utf-8", SHORT_CACHE),
        "api/v1/health.json": ("application/json", SHORT_CACHE),
        "api/v1/builds/12345678901.json": ("application/json", SHORT_CACHE),
        "assets/app.3f9c2a1b.js": ("text/javascript; charset=utf-8", IMMUTABLE_CACHE),
        "assets/style.d41d8cd98f.css": ("text/css; charset=utf-8", IMMUTABLE_CACHE),
        "assets/logo.svg": ("image/svg+xml", publish_module.DEFAULT_CACHE),
    }
    for rel, (ctype, cache) in expected.items():
        got = head(rel)
        assert (got["ContentType"], got["CacheControl"]) == (ctype, cache), rel
    assert s3.body("dash/index.html") == SITE["index.html"].encode()

    sent = []
    client = s3.client
    client.meta.events.register("before-send.s3.PutObject", lambda request, **_: sent.append(request.url))
    second = publish(site, target, client=client)
    assert (second.uploaded, second.unchanged, second.deleted, second.bytes) == (0, len(SITE), 0, 0)
    assert sent == []  # not even the manifest


def test_s3_publish_sends_only_changed_and_deletes_stale(s3, tmp_path):
    site = make_site(tmp_path / "site")
    publish(site, f"s3://{s3.bucket}")
    (site / "index.html").write_text("<p>changed</p>", encoding="utf-8")
    (site / "projects/rocm.html").unlink()
    (site / "projects").rmdir()
    (site / "assets/app.3f9c2a1b.js").unlink()
    (site / "assets/app.0badc0ffee.js").write_text("console.log(2)", encoding="utf-8")
    report = publish(site, f"s3://{s3.bucket}/")
    assert (report.uploaded, report.deleted) == (2, 2)
    assert report.unchanged == len(SITE) - 3
    keys = s3.listing()
    assert "projects/rocm.html" not in keys and "assets/app.3f9c2a1b.js" not in keys
    assert "assets/app.0badc0ffee.js" in keys
    assert s3.body("index.html") == b"<p>changed</p>"


def test_s3_publish_never_deletes_what_quartz_did_not_put_there(s3, tmp_path):
    s3.client.put_object(Bucket=s3.bucket, Key="quartz.duckdb", Body=b"the store")
    s3.client.put_object(Bucket=s3.bucket, Key="notes/readme.txt", Body=b"someone's file")
    publish(make_site(tmp_path / "site"), f"s3://{s3.bucket}")
    report = publish(make_site(tmp_path / "small", {"index.html": "<p>only</p>"}), f"s3://{s3.bucket}")
    assert report.deleted == len(SITE) - 1
    assert s3.listing() == sorted(["quartz.duckdb", "notes/readme.txt", "index.html", MANIFEST])


def test_s3_object_changed_behind_our_back_is_sent_again(s3, tmp_path):
    site = make_site(tmp_path / "site")
    publish(site, f"s3://{s3.bucket}/p")
    s3.client.put_object(Bucket=s3.bucket, Key="p/index.html", Body=b"vandalised")
    report = publish(site, f"s3://{s3.bucket}/p")
    assert report.uploaded == 1
    assert s3.body("p/index.html") == SITE["index.html"].encode()


def test_s3_prefix_does_not_match_a_sibling_prefix(s3, tmp_path):
    s3.client.put_object(Bucket=s3.bucket, Key="dash2/index.html", Body=b"other site")
    publish(make_site(tmp_path / "site"), f"s3://{s3.bucket}/dash")
    assert s3.body("dash2/index.html") == b"other site"


def test_directory_target_syncs_and_keeps_foreign_files(tmp_path):
    site = make_site(tmp_path / "site")
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "CNAME").write_text("quartz.example.org\n")
    first = publish(site, str(pages))
    assert first.uploaded == len(SITE)
    for rel, text in SITE.items():
        assert (pages / rel).read_text(encoding="utf-8") == text
    again = publish(site, str(pages))
    assert (again.uploaded, again.unchanged, again.deleted) == (0, len(SITE), 0)

    (site / "projects/rocm.html").unlink()
    (site / "index.html").write_text("<p>new</p>", encoding="utf-8")
    third = publish(site, str(pages))
    assert (third.uploaded, third.deleted) == (1, 1)
    assert not (pages / "projects").exists()  # emptied folder removed
    assert (pages / "CNAME").read_text() == "quartz.example.org\n"
    assert (pages / "index.html").read_text() == "<p>new</p>"
    assert set(json.loads((pages / MANIFEST).read_text())["files"]) == set(SITE) - {"projects/rocm.html"}


def test_directory_manifest_cannot_reach_outside_the_target(tmp_path):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep")
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / MANIFEST).write_text(json.dumps({"schema_version": 1, "files": {"../precious.txt": "x"}}))
    publish(make_site(tmp_path / "site"), str(pages))
    assert outside.read_text() == "keep"


def test_bad_targets_and_sites(tmp_path, monkeypatch):
    site = make_site(tmp_path / "site")
    with pytest.raises(BadInput, match="inside the site directory"):
        publish(site, str(site / "out"))
    with pytest.raises(BadInput, match="quartz render"):
        publish(tmp_path / "missing", str(tmp_path / "pages"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput, match="empty"):
        publish(tmp_path / "empty", str(tmp_path / "pages"))
    with pytest.raises(BadInput, match="s3://bucket"):
        publish(site, "s3:///prefix")
    monkeypatch.delenv("QUARTZ_PUBLISH_TARGET", raising=False)
    args = argparse.Namespace(config="cascades.yaml", store="quartz.duckdb", out=str(site), target=None)
    with pytest.raises(BadInput, match="QUARTZ_PUBLISH_TARGET"):
        publish_module.main(args)


def test_cli_takes_the_target_from_the_environment(tmp_path, monkeypatch, capsys):
    site = make_site(tmp_path / "site")
    monkeypatch.setenv("QUARTZ_PUBLISH_TARGET", str(tmp_path / "pages"))
    args = argparse.Namespace(config="cascades.yaml", store="quartz.duckdb", out=str(site), target=None)
    assert publish_module.main(args) == 0
    assert f"{len(SITE)} uploaded" in capsys.readouterr().out
    assert (tmp_path / "pages/index.html").exists()


@pytest.mark.parametrize(("name", "fingerprinted"), [
    ("app.3f9c2a1b.js", True), ("plotly-5d41402abc4b2a76.min.js", True), ("12345678901.json", False),
    ("run-1234567890.css", False), ("style.css", False), ("logo.abc.svg", False),
])
def test_fingerprint_detection(name, fingerprinted):
    assert publish_module.is_fingerprinted(name) is fingerprinted


def test_s3_publish_interrupted_before_deleting_finishes_the_job_next_time(s3, tmp_path):
    site = make_site(tmp_path / "site")
    publish(site, f"s3://{s3.bucket}")
    (site / "projects/rocm.html").unlink()
    client = s3.client
    client.meta.events.register("before-send.s3.DeleteObjects", _connection_drops)
    with pytest.raises(QuartzError, match="cannot publish"):
        publish(site, f"s3://{s3.bucket}", client=client)
    client.meta.events.unregister("before-send.s3.DeleteObjects", _connection_drops)
    assert "projects/rocm.html" in s3.listing()
    report = publish(site, f"s3://{s3.bucket}", client=client)
    assert report.deleted == 1 and "projects/rocm.html" not in s3.listing()


def _connection_drops(request, **_):
    raise ConnectionClosedError(endpoint_url=request.url)


def _render_manifest(site, files):
    body = {"version": 2, "files": {rel: "fp" for rel in files}}
    (site / publish_module.RENDER_MANIFEST).write_text(json.dumps(body), encoding="utf-8")


def test_render_manifest_is_restored_only_when_its_publish_finished(s3, tmp_path):
    from quartz.site import writer

    assert publish_module.RENDER_MANIFEST == writer.MANIFEST
    site = make_site(tmp_path / "site")
    _render_manifest(site, SITE)
    target = f"s3://{s3.bucket}/dash"
    publish(site, target)
    assert publish_module._site_files(site)[-1] == publish_module.RENDER_MANIFEST  # uploaded last
    fresh = tmp_path / "fresh"
    assert publish_module.restore_render_manifest(fresh, target)
    restored = json.loads((fresh / publish_module.RENDER_MANIFEST).read_text())
    assert restored["published"] is True and set(restored["files"]) == set(SITE)
    # A render manifest on the target that the publish manifest does not vouch for is ignored.
    s3.client.put_object(Bucket=s3.bucket, Key="dash/" + publish_module.RENDER_MANIFEST, Body=b"{}")
    assert not publish_module.restore_render_manifest(tmp_path / "other", target)


def test_files_kept_on_the_target_stay_and_missing_ones_are_an_error(s3, tmp_path):
    target = f"s3://{s3.bucket}/dash"
    publish(make_site(tmp_path / "site"), target)
    partial = make_site(tmp_path / "partial", {"index.html": "<p>new</p>"})
    _render_manifest(partial, SITE)
    report = publish(partial, target)
    assert report.deleted == 0 and report.uploaded == 2  # index.html and the render manifest
    assert s3.body("dash/projects/rocm.html") == SITE["projects/rocm.html"].encode()
    gap = make_site(tmp_path / "gap", {"index.html": "<p>x</p>"})
    _render_manifest(gap, ["index.html", "projects/never-published.html"])
    with pytest.raises(QuartzError, match="does not hold it"):
        publish(gap, target)


@pytest.mark.parametrize("verify", [True, False])
def test_s3_publish_without_listing_trusts_its_manifest_and_a_verified_one_repairs(s3, tmp_path, verify):
    site = make_site(tmp_path / "site")
    publish(site, f"s3://{s3.bucket}/p")
    s3.client.delete_object(Bucket=s3.bucket, Key="p/index.html")  # by hand, behind Quartz's back
    (site / "projects/rocm.html").unlink()
    (site / "projects").rmdir()
    requests = []
    s3.client.meta.events.register("before-send.s3.ListObjectsV2", lambda request, **_: requests.append(request))
    report = publish(site, f"s3://{s3.bucket}/p", client=s3.client, verify=verify)
    assert bool(requests) == verify
    assert report.deleted == 1 and "p/projects/rocm.html" not in s3.listing("p/")
    assert ("p/index.html" in s3.listing("p/")) == verify  # only a verified publish sees the deletion
    assert publish(site, f"s3://{s3.bucket}/p").uploaded == (0 if verify else 1)
