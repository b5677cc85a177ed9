"""`quartz` commands: argument parsing and exit codes only.

Each command's work lives in the module that owns it; this file names the
handler as "module:function" and imports it only when that command runs, so
`quartz validate` never pays for pandas or boto3.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

from quartz import __version__
from quartz.errors import QuartzError

FAILED, BAD_INPUT = 1, 2
BUG_HINT = "this is a bug in Quartz: rerun with --debug (or QUARTZ_DEBUG=1) for the traceback, and report it"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default="cascades.yaml", metavar="FILE",
                        help="fleet definition (default: cascades.yaml here)")
    parser.add_argument("--store", default="quartz.duckdb", metavar="PATH",
                        help="DuckDB store: a local file or s3://bucket/key (default: quartz.duckdb here)")
    parser.add_argument("--debug", action="store_true",
                        help="print the traceback of a failure (also: QUARTZ_DEBUG=1)")


def _github(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--github-url", default=None, metavar="URL",
                        help="GitHub REST API base (default: $GITHUB_API_URL or https://api.github.com)")


def _site(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="site", metavar="DIR", help="where the site is written (default: site/)")


def _target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", default=None, metavar="DEST",
                        help="s3://bucket/prefix or a directory (default: $QUARTZ_PUBLISH_TARGET)")


# name -> (help, handler, extra argument builders)
COMMANDS: dict[str, tuple[str, str, list]] = {}


def command(name: str, help_text: str, handler: str, *extras):
    COMMANDS[name] = (help_text, handler, list(extras))


def _validate_args(p):
    p.add_argument("--annotations", action="store_true",
                   help="also print GitHub Actions ::error annotations (automatic when GITHUB_ACTIONS=true)")


def _schema_args(p):
    p.add_argument("--output", "-o", default="-", metavar="FILE", help="write here instead of stdout")


def _sync_args(p):
    _github(p)
    p.add_argument("--project", action="append", default=None, metavar="NAME", help="only these projects")
    p.add_argument("--backfill-days", type=int, default=None, metavar="N",
                   help="history to fetch on a project's first sync (default: settings.backfill_days)")


def _start_args(p):
    _github(p)
    p.add_argument("cascade", help="cascade name from cascades.yaml")
    p.add_argument("--ref", default=None, help="ref for stages that do not set their own")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="cascade parameter")
    p.add_argument("--trigger-run", type=int, default=None, metavar="RUN_ID",
                   help="upstream run to use as the trigger of a triggered cascade")


def _cancel_args(p):
    _github(p)
    p.add_argument("cascade_run_id")


def _retry_args(p):
    _github(p)
    p.add_argument("cascade_run_id")
    p.add_argument("stage")


def _status_args(p):
    p.add_argument("cascade_run_id", nargs="?", default=None)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _cycle_args(p):
    _github(p)
    _site(p)
    _target(p)
    p.add_argument("--deadline", type=float, default=None, metavar="SECONDS",
                   help="time budget: start no new work after this (default: 80%% of settings.schedule_interval)")
    p.add_argument("--ping", default=None, metavar="EVENT_FILE",
                   help="a quartz-ping repository_dispatch event (GITHUB_EVENT_PATH): sync that run first")


def _demo_args(p):
    _site(p)
    p.add_argument("--days", type=int, default=14, help="simulated days of history (default: 14)")
    p.add_argument("--seed", type=int, default=7)


def _serve_args(p):
    _site(p)
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--host", default="127.0.0.1")


def _bench_args(p):
    p.add_argument("--projects", type=int, default=20)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--runs-per-day", type=int, default=30)
    p.add_argument("--jobs-per-run", type=int, default=25)
    p.add_argument("--quick", action="store_true", help="a small fleet that runs in seconds")
    p.add_argument("--json", default=None, metavar="FILE", help="also write the figures as JSON")
    p.add_argument("--no-fleet-1000", action="store_true",
                   help="skip the 1,000-project steady-state section (several minutes; never run with --quick)")


def _archive_args(p):
    p.add_argument("--hot-days", type=int, default=None, metavar="N",
                   help="keep runs of the last N days in the store (default: settings.hot_days)")
    p.add_argument("--migrate", action="store_true",
                   help="move an existing store's history to the hot/cold layout (once), then compact it")


def _history_args(p):
    p.add_argument("action", choices=["compact"], help="compact: merge each partition's small files into one")


def _ingest_args(p):
    p.add_argument("--payload-json", required=True, metavar="JSON", help="the report, as the workflow input")
    p.add_argument("--fetch-jobs", default="false", choices=["true", "false"])
    _github(p)


command("validate", "check cascades.yaml and report every problem", "quartz.config.validate:main", _validate_args)
command("schema", "write the JSON Schema of cascades.yaml", "quartz.config.validate:schema_main", _schema_args)
command("sync", "bring GitHub Actions runs into the store", "quartz.sync.runs:main", _sync_args)
command("advance", "move cascades forward: dispatch ready stages, time out stuck ones",
        "quartz.cascades.commands:advance_main", _github)
command("notify", "tell Slack and GitHub issues what changed state, exactly once", "quartz.notify.command:main",
        _github)
command("start", "start a cascade run by hand", "quartz.cascades.commands:start_main", _start_args)
command("cancel", "cancel a cascade run", "quartz.cascades.commands:cancel_main", _cancel_args)
command("retry", "dispatch a new attempt of one stage", "quartz.cascades.commands:retry_main", _retry_args)
command("status", "show cascade runs and why each stage is where it is", "quartz.cascades.status:main", _status_args)
command("render", "render the HTML dashboard and JSON API from the store", "quartz.site.render:main", _site)
command("publish", "upload the rendered site to S3 or a directory", "quartz.publish:main", _site, _target)
command("cycle", "pull store, sync, advance, push store, render, publish", "quartz.cycle:main", _cycle_args)
command("demo", "run Quartz on the bundled simulator and leave a site in site/", "quartz.devtools.demo:main",
        _demo_args)
command("serve", "serve the rendered site on localhost", "quartz.devtools.serve:main", _serve_args)
command("bench", "measure sync, advance, render and the store at fleet scale", "quartz.devtools.bench:main",
        _bench_args)
command("archive", "move completed history older than the hot window to Parquet files",
        "quartz.store.history.run:main", _archive_args)
command("history", "maintain the Parquet history (compact)", "quartz.store.history.compact:main", _history_args)
command("ingest", "record a run reported by TheRock's notify_quartz action", "quartz.rocm.ingest:main", _ingest_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quartz",
        description="Quartz: CI/CD health and cascades for the ROCm ecosystem.",
        epilog="Exit codes: 0 ok, 1 failed, 2 bad input or configuration.",
    )
    parser.add_argument("--version", action="version", version=f"quartz {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, handler, extras) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        _common(p)
        for extra in extras:
            extra(p)
        p.set_defaults(handler=handler)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return BAD_INPUT
    debug = args.debug or os.environ.get("QUARTZ_DEBUG", "") not in ("", "0")
    try:
        module_name, function_name = args.handler.split(":")
        handler = getattr(importlib.import_module(module_name), function_name)
        return int(handler(args) or 0)
    except QuartzError as exc:
        print(f"quartz {args.command}: {exc}", file=sys.stderr)
        _traceback(exc, debug)
        return exc.exit_code
    except KeyboardInterrupt:
        print("quartz: interrupted", file=sys.stderr)
        return FAILED
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILED
    except OSError as exc:  # the machine, not Quartz: a path that cannot be written, a full disk
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"quartz {args.command}: {where}{exc.strerror or exc}\n  hint: check the path, its permissions "
              "and the free disk space", file=sys.stderr)
        _traceback(exc, debug)
        return FAILED
    except Exception as exc:  # the one top-level handler: a person gets a line, not a traceback
        text = " ".join(str(exc).split())[:500]
        print(f"quartz {args.command}: unexpected {type(exc).__name__}: {text}\n  hint: {BUG_HINT}",
              file=sys.stderr)
        _traceback(exc, debug)
        return FAILED


def _traceback(exc: BaseException, debug: bool) -> None:
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
