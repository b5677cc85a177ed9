"""An artifact zip read as untrusted input: every member is checked before a single byte is unpacked.

Artifacts come from anyone who can open a pull request. The whole archive is refused (ReportRefused, with a
reason a person can read on the build page) when any member escapes the archive, is a link, is encrypted, uses
an unusual compression method, or when the archive declares or actually expands to more than the caps below.
Nothing is written to disk: members are read into memory, in chunks, counting what really comes out.
"""

from __future__ import annotations

import io
import stat
import zipfile
import zlib
from dataclasses import dataclass

# A test-report artifact is downloaded whole; anything larger is not a set of reports.
MAX_ARCHIVE_BYTES = 100 * 1024 * 1024
# A report artifact holds a handful of files (one per shard/job); ten thousand is something else, or an attack.
MAX_MEMBERS = 10_000
# All members together, as declared: a 50,000-case report is ~15 MB, so 200 MB leaves room for many shards.
MAX_TOTAL_BYTES = 200 * 1024 * 1024
# One member, as declared: the largest single report we are willing to hold in memory and parse.
MAX_MEMBER_BYTES = 64 * 1024 * 1024
# Expanded/compressed: XML deflates 5-50x (very repetitive reports ~100x); a zip bomb deflates ~1000x.
MAX_RATIO = 200
# The ratio is only judged above this size: tiny members compress oddly and cannot hurt.
RATIO_FLOOR_BYTES = 1024 * 1024
# Read in chunks so a member that lies about its size is stopped after at most one chunk too many.
CHUNK_BYTES = 64 * 1024

# Compression methods we read; others (bzip2, lzma, deflate64...) do not appear in GitHub's artifact zips.
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}


class ReportRefused(Exception):
    """An archive or report that is not read, with the reason (shown to people as is)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Member:
    """One file read from an archive: its (checked) name and its bytes."""

    name: str
    data: bytes


def is_report_name(name: str) -> bool:
    """Whether a member looks like a JUnit report: an .xml file, not macOS metadata."""
    base = name.rsplit("/", 1)[-1]
    return (base.lower().endswith(".xml") and not base.startswith("._")
            and not name.startswith("__MACOSX/"))


def _mb(n: int) -> str:
    return f"{n // (1024 * 1024)} MB"


def _shown(name: str) -> str:
    """A member name fit for a reason: printable, short."""
    clean = "".join(c if c.isprintable() else "?" for c in name)
    return clean if len(clean) <= 120 else clean[:119] + "…"


def check_member(info: zipfile.ZipInfo) -> None:
    """Refuse one member on its header alone: path, link, encryption, method, declared size and ratio."""
    name = info.filename
    shown = _shown(name)
    normal = name.replace("\\", "/")
    if not name or "\x00" in name:
        raise ReportRefused(f"zip member {shown!r} has an invalid name")
    if normal.startswith("/") or (len(normal) > 1 and normal[1] == ":"):
        raise ReportRefused(f"zip member {shown} is an absolute path")
    if ".." in normal.split("/"):
        raise ReportRefused(f"zip member {shown} escapes the archive")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise ReportRefused(f"zip member {shown} is a symbolic link")
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # zips may carry no file type
        raise ReportRefused(f"zip member {shown} is not a regular file")
    if info.flag_bits & 0x1:
        raise ReportRefused(f"zip member {shown} is encrypted")
    if info.compress_type not in _METHODS:
        raise ReportRefused(f"zip member {shown} uses compression method {info.compress_type}")
    if info.file_size > MAX_MEMBER_BYTES:
        raise ReportRefused(f"zip member {shown} expands to more than {_mb(MAX_MEMBER_BYTES)}")
    if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise ReportRefused(f"zip member {shown} expands more than {MAX_RATIO} times (a zip bomb?)")


def _open(data: bytes) -> zipfile.ZipFile:
    if len(data) > MAX_ARCHIVE_BYTES:
        raise ReportRefused(f"archive is larger than {_mb(MAX_ARCHIVE_BYTES)}")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError,
            NotImplementedError, UnicodeError) as exc:
        raise ReportRefused(f"not a readable zip archive ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return _shown(text[0]) if text else type(exc).__name__


def check_archive(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """Check every member's header; return the members, all of them acceptable."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ReportRefused(f"archive has more than {MAX_MEMBERS} members")
    total = 0
    for info in infos:
        check_member(info)
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise ReportRefused(f"archive expands to more than {_mb(MAX_TOTAL_BYTES)}")
    return infos


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """A member's bytes, never more than it declared, nor than the member cap, nor than what is left of the total."""
    limit = min(info.file_size, MAX_MEMBER_BYTES, budget)
    chunks: list[bytes] = []
    got = 0
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(CHUNK_BYTES)
            if not chunk:
                break
            got += len(chunk)
            if got > limit:
                if got > info.file_size:
                    raise ReportRefused(f"zip member {_shown(info.filename)} holds more than it declares")
                raise ReportRefused(f"archive expands to more than {_mb(MAX_TOTAL_BYTES)}")
            chunks.append(chunk)
    if got != info.file_size:
        raise ReportRefused(f"zip member {_shown(info.filename)} holds less than it declares")
    return b"".join(chunks)


def report_members(data: bytes, wanted=is_report_name) -> list[Member]:
    """The members of an artifact zip that look like reports, read only once every member has been checked.

    Raises ReportRefused with a human-readable reason for an archive that is not read at all.
    """
    archive = _open(data)
    with archive:
        try:
            infos = check_archive(archive)
            budget = MAX_TOTAL_BYTES
            members = []
            for info in infos:
                if info.is_dir() or not wanted(info.filename.replace("\\", "/")):
                    continue
                body = _read(archive, info, budget)
                budget -= len(body)
                members.append(Member(info.filename.replace("\\", "/"), body))
            return members
        except ReportRefused:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, ValueError, EOFError, OSError,
                NotImplementedError, RuntimeError, UnicodeError) as exc:
            # A corrupt stream, a bad CRC, an overlapping member: all mean the archive is not read.
            raise ReportRefused(f"not a readable zip archive ({_first_line(exc)})") from None
