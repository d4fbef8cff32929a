"""The read side's `ledger` commands: project, rebuild, show and report.

Registered through the `ledger.cli` entry point. `show` and `report` catch the read model
up with the ledger before answering, and show everything (non-public resolutions and
unpublished findings included): they are the operator's tools.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from ledger import logs
from ledger.errors import UsageError
from ledger.progress import Progress
from ledger.store.checkpoints import CheckpointSchedule
from projections import rendering
from projections.engine.projector import DEFAULT_BATCH, Follower
from projections.models.annual_report import annual_report, annual_report_csv
from projections.queries import (
    ReadModel,
    agreement,
    budget,
    certification,
    findings,
    list_resolutions,
)
from projections.registry import Projector

SHOWN = ("certification", "agreement", "budget", "resolutions", "findings")


def _batch_size(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number ≥ 1, got '{text}'")
    return int(text)


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"must be [HOST:]PORT with a port 1-65535, got '{text}'")
    return (host.strip("[]") or "127.0.0.1", int(port))


def _interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got '{text}'")
    return value


log = logging.getLogger("ledger.project")


def _progress(
    projector: Projector, what: str, start: int, head: int
) -> AbstractContextManager[object]:
    """Shows the progress of a catch-up from `start` to `head` through `projector.on_commit`,
    if it has more than one batch to go (a short one is over before anyone looks)."""
    if head - start <= projector.batch_size:
        projector.on_commit = None
        return nullcontext()
    progress = Progress(what, head - start, unit="positions")
    projector.on_commit = lambda position: progress.reach(position - start)
    return progress


def _catch_up(projector: Projector) -> int:
    """Catches up, showing the progress of a long catch-up."""
    start, head = projector.positions()
    with _progress(projector, "project", start, head):
        return projector.catch_up()


def run_project(args: argparse.Namespace) -> int:
    """`ledger project [--follow]`: catch up (and keep following); prints the position.

    Without --follow any failure ends the command (exit 2). With it, only a store that
    cannot be reached at the start does: afterwards the follower outlives restarts of the
    store and events it cannot project, retrying with backoff (see `Follower`).
    """
    logs.configure("ledger project")
    if args.metrics and not args.follow:
        raise UsageError("--metrics needs --follow (a catch-up alone ends at once)")
    with Projector(batch_size=args.batch_size) as projector:
        if not args.follow:
            print(f"position {_catch_up(projector)}", flush=True)
            return 0
        if args.metrics:
            from projections.engine import metrics

            metrics.serve(args.metrics, projector.url, projector.catalog)
        follower = Follower(
            lambda: _catch_up(projector), log.warning, reconnect=projector.reconnect
        )
        # With LEDGER_SIGNING_KEY_FILE set, the follower also signs checkpoints of the tree
        # (every LEDGER_CHECKPOINT_INTERVAL seconds, when it has grown).
        schedule = CheckpointSchedule.from_env(projector.url, log_line=log.warning)
        shown: object = None
        try:
            while True:
                wait = follower.step()
                if wait is None and follower.result != shown:
                    shown = follower.result
                    print(f"position {shown}", flush=True)
                if wait is None and schedule is not None:
                    schedule.step()
                time.sleep(args.interval if wait is None else wait)
        finally:
            if schedule is not None:
                schedule.close()


def run_rebuild(args: argparse.Namespace) -> int:
    """`ledger rebuild`: project everything into a new generation and swap it in."""
    logs.configure("ledger rebuild")
    with Projector(batch_size=args.batch_size) as projector:
        generation = projector.start_rebuild()
        _, head = projector.positions(generation)
        with _progress(projector, "rebuild", 0, head):
            projector.catch_up(generation=generation)
        position = projector.swap(generation)
    print(f"generation {generation} swapped in at position {position}")
    return 0


def _need(args: argparse.Namespace, name: str, what: str) -> Any:
    value = getattr(args, name)
    if value is None:
        raise UsageError(f"--{name} is required for `ledger show {what}`")
    return value


def _show(args: argparse.Namespace, rm: ReadModel) -> dict[str, Any]:
    when: dict[str, Any] = {"as_of": args.as_of, "known_at": args.known_at}
    what = args.what
    if what == "certification":
        return certification(rm, args.body, **when)
    if what == "agreement":
        process = _need(args, "process", what)
        return agreement(rm, args.body, process, include_private=True, **when)
    if what == "budget":
        year = _need(args, "year", what)
        return budget(rm, args.body, year, line=args.line, include_private=True, **when)
    if what == "resolutions":
        return list_resolutions(rm, args.body, include_private=True, **when)
    return findings(rm, args.body, process=args.process, include_private=True, **when)


RENDER: dict[str, Callable[[dict[str, Any]], str]] = {
    "certification": rendering.certification,
    "agreement": rendering.agreement,
    "budget": rendering.budget,
    "resolutions": rendering.resolutions,
    "findings": rendering.findings,
}


def run_show(args: argparse.Namespace) -> int:
    """`ledger show WHAT --body B ...`: one document, as a table or as JSON."""
    with Projector() as projector:
        projector.catch_up()
    rm = ReadModel()
    try:
        document = _show(args, rm)
    finally:
        rm.close()
    if args.format == "json":
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        print(RENDER[args.what](document))
    return 0


def run_report_annual(args: argparse.Namespace) -> int:
    """`ledger report annual`: the annual progress table as CSV (BOM, ';') or JSON."""
    with Projector() as projector:
        projector.catch_up()
    rm = ReadModel()
    try:
        if args.format == "csv":
            text = annual_report_csv(
                rm, args.body, args.process, args.year, known_at=args.known_at, include_private=True
            )
        else:
            document = annual_report(
                rm, args.body, args.process, args.year, known_at=args.known_at, include_private=True
            )
            text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    finally:
        rm.close()
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            out.write(text)
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
    return 0


def _axes_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as-of", dest="as_of", metavar="DATE", help="valid date YYYY-MM-DD (default: today)"
    )
    p.add_argument(
        "--known-at",
        dest="known_at",
        metavar="TIME",
        help="as known at this time (ISO; a date means the end of that day UTC; default: now)",
    )


def register(commands: Any) -> None:
    """Adds the read side's commands to the `ledger` parser."""
    p = commands.add_parser("project", help="catch the read model up with the ledger")
    p.add_argument("--follow", action="store_true", help="keep following new events")
    p.add_argument(
        "--interval", type=_interval, default=1.0, help="seconds between polls (default 1)"
    )
    p.add_argument(
        "--batch-size",
        type=_batch_size,
        default=DEFAULT_BATCH,
        help=f"events per transaction (default {DEFAULT_BATCH})",
    )
    p.add_argument(
        "--metrics",
        metavar="[HOST:]PORT",
        type=_address,
        help="with --follow: serve Prometheus metrics on HOST:PORT (HOST default 127.0.0.1)",
    )
    p.set_defaults(handler=run_project)

    p = commands.add_parser("rebuild", help="rebuild the read model from position 0 and swap it in")
    p.add_argument("--batch-size", type=_batch_size, default=DEFAULT_BATCH)
    p.set_defaults(handler=run_rebuild)

    p = commands.add_parser(
        "show", help="a projection as of a date, as known at a time (table or JSON)"
    )
    p.add_argument("what", choices=SHOWN)
    p.add_argument("--body", required=True, help="the body (slug)")
    p.add_argument("--process", help="the process, e.g. audit-fgk/2015 (agreement, findings)")
    p.add_argument("--year", help="the fiscal year (budget)")
    p.add_argument("--line", help="one budget line, e.g. 01.4953.7187 (budget)")
    _axes_options(p)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(handler=run_show)

    p = commands.add_parser("report", help="reports: `report annual` (Jahresbericht)")
    reports = p.add_subparsers(dest="report", required=True, metavar="REPORT")
    r = reports.add_parser("annual", help="the annual progress table as of 31.12. of a year")
    r.add_argument("--body", required=True)
    r.add_argument("--process", required=True, help="e.g. audit-fgk/2015")
    r.add_argument("--year", required=True)
    r.add_argument("--known-at", dest="known_at", metavar="TIME")
    r.add_argument("--format", choices=("csv", "json"), default="csv")
    r.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    r.set_defaults(handler=run_report_annual)
