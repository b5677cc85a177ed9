"""Run listing as GitHub does it: filters, the `created` search syntax, the result caps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from .model import Run, Workflow
from .world import SimulatorError, World

# With any of these filters GitHub treats the listing as a search: 1,000 results at most.
SEARCH_FILTERS = ("actor", "branch", "check_suite_id", "created", "event", "head_sha", "status")
SEARCH_CAP = 1000
# Unfiltered listings stop at 40,000 results (page beyond it: 422).
UNFILTERED_CAP = 40_000
RUN_STATUSES = frozenset({"queued", "in_progress", "completed", "waiting", "requested", "pending"})
CONCLUSIONS = frozenset({"success", "failure", "neutral", "cancelled", "skipped", "timed_out",
                         "action_required", "stale", "startup_failure"})


def _parse_point(text: str) -> tuple[int, bool]:
    """Epoch seconds of a date or date-time, and whether it was a bare date."""
    text = text.strip()
    if len(text) == 10:
        d = date.fromisoformat(text)
        return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()), True
    # '+' in a query string arrives as a space: "2026-11-01T00:00:00 00:00".
    if len(text) > 19 and text[-6] == " ":
        text = text[:-6] + "+" + text[-5:]
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp()), False


DAY = int(timedelta(days=1).total_seconds())


def parse_created(expr: str) -> tuple[int | None, int | None]:
    """GitHub search syntax for `created` as a half-open range [lo, hi) of epoch seconds."""
    try:
        expr = expr.strip()
        if ".." in expr:
            a, b = expr.split("..", 1)
            lo = None if a.strip() == "*" else _parse_point(a)[0]
            hi = None
            if b.strip() != "*":
                t, is_date = _parse_point(b)
                hi = t + (DAY if is_date else 1)
            return lo, hi
        for op in (">=", "<=", ">", "<"):
            if expr.startswith(op):
                t, is_date = _parse_point(expr[len(op):])
                span = DAY if is_date else 1
                return {">=": (t, None), ">": (t + span, None), "<=": (None, t + span), "<": (None, t)}[op]
        t, is_date = _parse_point(expr)
        return t, t + (DAY if is_date else 1)
    except ValueError as exc:
        raise SimulatorError(422, f"Invalid value for created: {expr!r}") from exc


@dataclass
class Page:
    items: list
    total_count: int
    page: int
    per_page: int
    last_page: int


def page_params(query: Mapping[str, str]) -> tuple[int, int]:
    try:
        per_page = int(query.get("per_page", "30") or 30)
        page = int(query.get("page", "1") or 1)
    except ValueError as exc:
        raise SimulatorError(422, "Invalid pagination parameters") from exc
    return max(1, min(per_page, 100)), max(1, page)


def paginate(items: list, total_count: int, query: Mapping[str, str], reachable: int | None = None) -> Page:
    """Slice one page; `reachable` caps how many results any page can reach."""
    per_page, page = page_params(query)
    reachable = len(items) if reachable is None else min(reachable, len(items))
    start = (page - 1) * per_page
    chunk = items[start:min(start + per_page, reachable)] if start < reachable else []
    last = max(1, -(-reachable // per_page))
    return Page(chunk, total_count, page, per_page, last)


def list_runs(world: World, repo_name: str, workflow: Workflow | None, query: Mapping[str, str]) -> Page:
    """The runs endpoint: filter, newest first, cap as GitHub does, one page."""
    repo = world.repo(repo_name)
    lo = hi = None
    if query.get("created"):
        lo, hi = parse_created(query["created"])
    # Runs whose created_at is still ahead of the clock (a delayed dispatch) do not exist yet.
    visible_hi = world.now_ts + 1
    base = world.runs_in(repo, workflow, lo, visible_hi if hi is None else min(hi, visible_hi))
    preds = _predicates(world, query)
    searching = any(query.get(k) for k in SEARCH_FILTERS)
    per_page, page = page_params(query)
    cap = SEARCH_CAP if searching else UNFILTERED_CAP
    if not searching and (page - 1) * per_page >= UNFILTERED_CAP:
        raise SimulatorError(422, "In order to keep the API fast for everyone, pagination is limited "
                                  "for this resource.")
    if not preds:
        total = len(base)
        # Newest first without materialising the reversed list for big repos.
        start = (page - 1) * per_page
        end = min(start + per_page, min(total, cap))
        chunk = [base[total - 1 - i] for i in range(start, end)] if start < end else []
        last = max(1, -(-min(total, cap) // per_page))
        return Page(chunk, min(total, cap), page, per_page, last)
    matched = [r for r in reversed(base) if all(p(r) for p in preds)]
    return paginate(matched, min(len(matched), cap), query, cap)


def _predicates(world: World, query: Mapping[str, str]) -> list:
    preds = []
    if query.get("branch"):
        b = query["branch"]
        preds.append(lambda r: r.branch == b)
    if query.get("event"):
        e = query["event"]
        preds.append(lambda r: r.event == e)
    if query.get("actor"):
        a = query["actor"]
        preds.append(lambda r: r.actor == a)
    if query.get("head_sha"):
        s = query["head_sha"]
        preds.append(lambda r: r.sha == s)
    if query.get("check_suite_id"):
        cs = query["check_suite_id"]
        preds.append(lambda r: str(check_suite_id(r)) == cs)
    if query.get("status"):
        st = query["status"]
        if st in RUN_STATUSES:
            preds.append(lambda r: world.attempt_status(r.latest) == st)
        elif st in CONCLUSIONS:
            preds.append(lambda r: world.attempt_conclusion(r, r.latest) == st)
        else:
            preds.append(lambda r: False)
    return preds


def check_suite_id(run: Run) -> int:
    return 60_000_000_000 + run.seq
