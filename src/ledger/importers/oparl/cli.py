"""`ledger import oparl URL --body SLUG [...]`: the command line of the OParl import.

`register(subparsers)` adds `oparl` to an argparse subparsers action (the kinds of `ledger
import`, see `ledger.cli.imports`).
"""

from __future__ import annotations

import argparse
from typing import Any

from ledger.importers.oparl.client import Settings
from ledger.importers.oparl.run import run_import

EPILOG = """\
URL is an OParl 1.1 System or Body (http or https), or file:///path of a folder of OParl JSON.
The first run reads everything; later runs read what changed since the last successful run
(or since --since). Bad objects are listed with their URL and reason; without --skip-bad
nothing of the run is recorded and the exit code is 2. A second run appends nothing.
"""


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 10_000 or value != value:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 10000, got '{text}'")
    return value


def _tries(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) > 20:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 20, got '{text}'")
    return int(text)


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Adds `oparl` (its arguments and handler) to an argparse subparsers action."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "oparl",
        help="import a council information system's OParl 1.1 data",
        description="Record the bodies, committees, papers (as proposals) and decisions of "
        "an OParl 1.1 source in the ledger.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("url", help="the OParl System or Body URL, or file:///folder")
    parser.add_argument("--body", required=True, help="the ledger body's slug")
    parser.add_argument("--oparl-body", help="the OParl Body id, when the System has several")
    parser.add_argument("--since", help="read what changed since this date or date-time")
    parser.add_argument("--dry-run", action="store_true", help="report; record nothing")
    parser.add_argument(
        "--skip-bad",
        action="store_true",
        help="record the good objects and list the bad ones (default: record nothing)",
    )
    parser.add_argument(
        "--rate", type=_positive, default=10.0, help="requests per second (0: no limit; 10)"
    )
    parser.add_argument(
        "--timeout", type=_positive, default=30.0, help="seconds to wait for an answer (30)"
    )
    parser.add_argument("--retries", type=_tries, default=3, help="tries again per request (3)")
    parser.set_defaults(handler=handle)
    return parser


def handle(args: argparse.Namespace) -> int:
    """Runs the import the parsed arguments describe; the exit code."""
    settings = Settings(timeout=args.timeout or 30.0, retries=args.retries, rate=args.rate)
    return run_import(
        args.url,
        args.body,
        args.oparl_body,
        args.since,
        args.dry_run,
        args.skip_bad,
        settings=settings,
    )
