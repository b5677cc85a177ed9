"""Where every page and API file lives, and safe names for untrusted path parts.

Branch names hold slashes and anything else git allows; cascade run ids come
from the store. None of them may choose where a file lands, so each becomes
one safe path segment: names made only of [A-Za-z0-9._-] (not starting with a
dot, at most 80 characters) are kept as they are; any other name becomes its
safe characters plus an 8-character hash of the original, e.g.
``release/7.10`` → ``release-7.10-1b5e0c43``. The rule never depends on
other names, so a slug is the same in every render.
"""

from __future__ import annotations

import hashlib
import posixpath
import re

_SAFE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,79}$")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9._-]+")


def slug(name: str) -> str:
    """One safe, stable path segment for an untrusted name."""
    name = str(name)
    if _SAFE.match(name) and ".." not in name:
        return name
    readable = _UNSAFE_RUN.sub("-", name).replace("..", ".").strip(".-")[:60] or "x"
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{readable}-{digest}"


def check_relpath(path: str) -> str:
    """A path inside the output dir: relative, '/'-separated, no '..' or empty parts."""
    parts = path.split("/")
    if not path or path.startswith("/") or "\\" in path or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"refusing output path {path!r}: must stay inside the output directory")
    return path


def relative(from_page: str, to_path: str) -> str:
    """The relative link from one output file to another (both relative to the site root)."""
    start = posixpath.dirname(from_page) or "."
    return posixpath.relpath(to_path, start)


def root_of(page: str) -> str:
    """'../../' for a page two directories deep: the prefix that reaches the site root."""
    return "../" * page.count("/")


# ---------------------------------------------------------------- the site's map

def project_page(project: str, branch: str | None = None) -> str:
    if branch is None:
        return f"projects/{slug(project)}.html"
    return f"projects/{slug(project)}/{slug(branch)}.html"


def build_page(run_id: int) -> str:
    return f"builds/{int(run_id)}.html"


def cascade_page(cascade_run_id: str) -> str:
    return f"cascades/{slug(cascade_run_id)}.html"


def release_page(release: str) -> str:
    return f"releases/{slug(release)}.html"


def badge_base(project: str, branch: str) -> str:
    return f"badges/{slug(project)}/{slug(branch)}"


API = "api/v1"


def api_project(project: str) -> str:
    return f"{API}/projects/{slug(project)}.json"


def api_project_builds(project: str, page: int = 1) -> str:
    suffix = "" if page == 1 else f"-{page}"
    return f"{API}/projects/{slug(project)}/builds{suffix}.json"


def api_build(run_id: int) -> str:
    return f"{API}/builds/{int(run_id)}.json"


def api_cascades(page: int = 1) -> str:
    suffix = "" if page == 1 else f"-{page}"
    return f"{API}/cascades{suffix}.json"


def api_cascade(cascade_run_id: str) -> str:
    return f"{API}/cascades/{slug(cascade_run_id)}.json"


def api_release(release: str) -> str:
    return f"{API}/releases/{slug(release)}/status.json"


def api_tests_flaky() -> str:
    return f"{API}/tests/flaky.json"


def api_project_tests(project: str) -> str:
    return f"{API}/projects/{slug(project)}/tests.json"


TESTS_PAGE = "tests.html"


def schema_path(name: str) -> str:
    return f"{API}/schemas/{name}.schema.json"


NOTIFICATIONS_PAGE = "notifications.html"


def api_notifications() -> str:
    return f"{API}/notifications.json"
