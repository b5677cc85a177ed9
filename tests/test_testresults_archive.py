"""Artifact zips as untrusted input: every member checked before anything is read, bombs refused not unpacked."""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quartz.testresults import archive
from quartz.testresults.archive import ReportRefused, is_report_name, report_members
from quartz.testresults.junit import read_artifact

REPORT = b'<testsuite name="s"><testcase name="t"/></testsuite>'


def build(members: list[tuple[zipfile.ZipInfo | str, bytes]], method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as zf:
        for info, body in members:
            zf.writestr(info, body)
    return buffer.getvalue()


def info(name: str, mode: int | None = None) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name)
    entry.compress_type = zipfile.ZIP_DEFLATED
    if mode is not None:
        entry.external_attr = mode << 16
        entry.create_system = 3
    return entry


def test_reports_are_returned_and_other_files_left_unread():
    data = build([("shard-1/junit.xml", REPORT), ("shard-1/log.txt", b"x" * 100), ("dir/", b""),
                  (info("shard-2/report.xml", stat.S_IFREG | 0o644), REPORT)])
    members = report_members(data)
    assert [(m.name, m.data) for m in members] == [("shard-1/junit.xml", REPORT), ("shard-2/report.xml", REPORT)]


def test_report_names():
    assert is_report_name("a/b/TEST-com.amd.Foo.xml")
    assert is_report_name("junit.XML")
    assert not is_report_name("a/._junit.xml")
    assert not is_report_name("__MACOSX/a/junit.xml")
    assert not is_report_name("junit.xml.gz")


@pytest.mark.parametrize("name, reason", [
    ("../evil.xml", "escapes the archive"),
    ("reports/../../evil.xml", "escapes the archive"),
    ("..\\evil.xml", "escapes the archive"),
    ("/etc/cron.d/evil.xml", "absolute path"),
    ("C:/Windows/evil.xml", "absolute path"),
    ("\\\\server\\share\\evil.xml", "absolute path"),
])
def test_a_member_outside_the_archive_refuses_it_whole(name, reason):
    data = build([("good.xml", REPORT), (name, REPORT)])
    with pytest.raises(ReportRefused, match=reason):
        report_members(data)


def test_a_symbolic_link_is_refused_even_when_it_is_not_a_report():
    link = info("junit.txt", stat.S_IFLNK | 0o777)
    data = build([("good.xml", REPORT), (link, b"/etc/passwd")])
    with pytest.raises(ReportRefused, match="junit.txt is a symbolic link"):
        report_members(data)


def test_a_device_or_fifo_is_refused():
    data = build([(info("fifo.xml", stat.S_IFIFO | 0o644), b"")])
    with pytest.raises(ReportRefused, match="not a regular file"):
        report_members(data)


def test_an_encrypted_member_is_refused():
    data = bytearray(build([("good.xml", REPORT)]))
    # Set the "encrypted" general-purpose flag in both the local header and the central directory entry.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature) + offset
        flags = struct.unpack_from("<H", data, at)[0]
        struct.pack_into("<H", data, at, flags | 0x1)
    with pytest.raises(ReportRefused, match="is encrypted"):
        report_members(bytes(data))


def test_an_unusual_compression_method_is_refused():
    data = build([("good.xml", REPORT)], method=zipfile.ZIP_BZIP2)
    with pytest.raises(ReportRefused, match="compression method 12"):
        report_members(data)


def test_too_many_members(monkeypatch):
    monkeypatch.setattr(archive, "MAX_MEMBERS", 50)
    data = build([(f"m{n}.txt", b"") for n in range(51)])
    with pytest.raises(ReportRefused, match="more than 50 members"):
        report_members(data)
    assert report_members(build([(f"m{n}.txt", b"") for n in range(50)])) == []


def _bomb(declared: int, real: bytes = b"\0" * (1 << 20)) -> bytes:
    """A one-member zip whose headers declare `declared` bytes, holding the deflated `real`.

    Writing a real 300 MB bomb would take seconds; patching the declared sizes gives the same headers fast.
    """
    data = bytearray(build([("bomb.xml", real)]))
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, declared)
    struct.pack_into("<I", data, central + 24, declared)
    return bytes(data)


def test_a_zip_bomb_is_refused_on_its_headers_before_anything_is_read(monkeypatch):
    bomb = _bomb(300 * 1024 * 1024)
    opened = []
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: opened.append(a) or pytest.fail("read"))
    with pytest.raises(ReportRefused, match="expands to more than 64 MB"):
        report_members(bomb)
    assert opened == []


def test_a_real_bomb_of_zeros_is_refused_on_its_ratio():
    # 20 MB of zeros deflate to ~20 KB: a ratio near 1000, far beyond what any report reaches.
    data = build([("zeros.xml", b"\0" * (20 * 1024 * 1024))])
    assert len(data) < 100_000
    with pytest.raises(ReportRefused, match="expands more than 200 times"):
        report_members(data)


def test_many_members_adding_up_past_the_total_are_refused(monkeypatch):
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 1024 * 1024)
    data = build([(f"part{n}.xml", b"<a/>" * 30_000) for n in range(10)])  # 120 KB each, declared
    with pytest.raises(ReportRefused, match="expands to more than 1 MB"):
        report_members(data)


def test_a_member_that_declares_less_than_it_holds_is_stopped_while_reading():
    # Declares 1,000 bytes, holds 1 MB: the reader stops at the declared size and the CRC gives it away.
    data = _bomb(1000)
    with pytest.raises(ReportRefused, match="Bad CRC-32 for file 'bomb.xml'"):
        report_members(data)


def test_the_reader_counts_actual_bytes_not_declared_ones(monkeypatch):
    # Even if the zip library returned more than declared, the count of what came out stops it.
    data = build([("small.xml", REPORT)])

    class Liar(io.RawIOBase):
        def __init__(self):
            self.left = 10 * archive.CHUNK_BYTES

        def readable(self):
            return True

        def read(self, n=-1):
            n = min(n, self.left)
            self.left -= n
            return b"\0" * n

    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, *a, **k: Liar())
    with pytest.raises(ReportRefused, match="holds more than it declares"):
        report_members(data)


def test_a_member_that_declares_more_than_it_holds_is_refused():
    data = bytearray(build([("r.xml", REPORT)], method=zipfile.ZIP_STORED))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        struct.pack_into("<I", data, data.index(signature) + offset, len(REPORT) + 10)
    with pytest.raises(ReportRefused, match="r.xml holds less than it declares"):
        report_members(bytes(data))


def test_a_corrupt_deflate_stream_is_refused():
    data = bytearray(build([("r.xml", REPORT * 100)]))
    start = data.index(b"r.xml") + len("r.xml")
    data[start:start + 20] = b"\xff" * 20
    with pytest.raises(ReportRefused, match="not a readable zip archive"):
        report_members(bytes(data))


def test_an_oversized_archive_is_refused_before_opening(monkeypatch):
    monkeypatch.setattr(archive, "MAX_ARCHIVE_BYTES", 100)
    with pytest.raises(ReportRefused, match="archive is larger than"):
        report_members(build([("r.xml", REPORT * 10)]))


def test_an_empty_zip_has_no_reports():
    assert report_members(b"PK\x05\x06" + b"\0" * 18) == []


@pytest.mark.parametrize("data", [b"", b"not a zip", b"PK\x05\x06" + b"\0" * 10, zlib.compress(REPORT)])
def test_what_is_not_a_zip_is_refused(data):
    with pytest.raises(ReportRefused, match="not a readable zip archive"):
        report_members(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_are_never_anything_but_refused_or_read(data):
    try:
        read_artifact(data)
    except ReportRefused as exc:
        assert exc.reason


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_a_valid_zip_with_random_corruption_is_refused_or_read(draw):
    data = bytearray(build([("a/junit.xml", REPORT), ("b/junit.xml", REPORT * 3)]))
    for _ in range(draw.draw(st.integers(1, 8))):
        at = draw.draw(st.integers(0, len(data) - 1))
        data[at] = draw.draw(st.integers(0, 255))
    try:
        reports, refused = read_artifact(bytes(data))
    except ReportRefused as exc:
        assert exc.reason
    else:
        assert len(reports) + len(refused) <= 2
