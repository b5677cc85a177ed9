"""`quartz notify`: the cycle's notify phase on its own (after `quartz advance`, say)."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime

from quartz import config as config_module
from quartz.github.client import client_from_args
from quartz.notify import outbox
from quartz.store import remote as storage


def main(args) -> int:
    config = config_module.load(args.config)
    now = datetime.now(UTC)
    with storage.opened(args.store) as (store, pulled):
        report = outbox.run(config, store, client_from_args(args, store=store), now,
                            f"notify-{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}",
                            before_send=lambda: storage.push_checkpoint(pulled, store))
    print(f"notifications: {report.claimed} new, {report.sent} sent, {report.unknown} unknown, "
          f"{report.failed} refused, {report.digests} digests, {report.replayed} told before")
    for error in report.errors:
        print(f"quartz notify: {error}", file=sys.stderr)
    return 1 if report.errors or report.failed or report.unknown else 0
