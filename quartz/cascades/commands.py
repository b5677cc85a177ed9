"""The cascade commands `quartz advance`, `start`, `cancel` and `retry`: read the arguments, report what was done."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from quartz import config as config_module
from quartz.cascades.admin import cancel, retry, start
from quartz.cascades.advance import advance
from quartz.errors import BadInput
from quartz.github.client import client_from_args
from quartz.site import paths
from quartz.store import remote as storage


def _parse_params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise BadInput(f"--param {pair!r}: write KEY=VALUE")
        params[key.strip()] = value
    return params


def _open(args):

    return storage.opened(args.store)


def _client(args, store):

    return client_from_args(args, store=store)


def advance_main(args) -> int:

    config = config_module.load(args.config)
    with _open(args) as (store, pulled):
        report = advance(config, store, _client(args, store), datetime.now(UTC),
                         before_send=lambda intent: storage.push_checkpoint(pulled, store))
    print(report.summary())
    for error in report.errors:
        print(f"quartz advance: {error}", file=sys.stderr)
    return 1 if report.errors else 0


def start_main(args) -> int:

    config = config_module.load(args.config)
    params = _parse_params(args.param)
    with _open(args) as (store, _):
        cascade_run_id = start(config, store, _client(args, store), args.cascade, datetime.now(UTC), ref=args.ref,
                               params=params, trigger_run=args.trigger_run)
    print(cascade_run_id)
    site = config.settings.site_url.rstrip("/")
    where = f"{site}/" if site else "site/"
    print(f"watch it: quartz status {cascade_run_id}\n"
          f"          {where}{paths.cascade_page(cascade_run_id)}\n"
          f"          {where}{paths.api_cascade(cascade_run_id)}\n"
          "its first stages are dispatched by the next `quartz advance` (or scheduled cycle)", file=sys.stderr)
    return 0


def cancel_main(args) -> int:

    config = config_module.load(args.config)
    with _open(args) as (store, _):
        stages, runs = cancel(config, store, _client(args, store), args.cascade_run_id, datetime.now(UTC))
    print(f"cancelled {args.cascade_run_id}: {stages} open stages, {runs} downstream runs asked to cancel")
    return 0


def retry_main(args) -> int:

    config = config_module.load(args.config)
    with _open(args) as (store, _):
        attempt = retry(config, store, args.cascade_run_id, args.stage, datetime.now(UTC))
    print(f"{args.cascade_run_id} {args.stage}: attempt {attempt} is dispatched by the next `quartz advance`")
    return 0
