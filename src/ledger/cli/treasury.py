"""`ledger import budget|bookings FILE.csv`: the treasury's CSV exports into the ledger.

`register` adds both kinds to the subcommands of `ledger import` (see `ledger.cli.imports`).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from ledger.cli.session import ledger_application
from ledger.commands.fields import parse_date
from ledger.errors import LedgerError, RuleViolationError
from ledger.importers.bookings import import_bookings
from ledger.importers.budget import import_budget
from ledger.importers.mapping import Mapping, MappingError, default_mapping, load_mapping
from ledger.importers.report import ImportRefusedError, ImportReport, Stages, plural
from ledger.importers.row_filter import RowFilter, Skip, Where, parse_option

SUBCOMMANDS = ("budget", "bookings")

EPILOG = """\
Bad rows are listed with their line in the file (the header is line 1); without --skip-bad
nothing of the file is recorded and the exit code is 2. The mapping file (YAML) says which
column is what; without it the common German headers are recognised (HH-Stelle or
Einzelplan/Unterabschnitt/Gruppierung, Bezeichnung, Ansatz, Buchungsdatum, Betrag,
Belegnummer, Buchungstext). Rows not selected by `where` (or --where) and rows dropped by a
`skip` rule (or --skip, e.g. sum and footer rows) are counted, not bad. See
examples/treasury/ and the README.
"""


def _year(text: str) -> int:
    # ASCII digits only: isdigit() and int() also take fullwidth and other digits.
    if not (text.isascii() and text.isdigit()) or not 1900 <= int(text) <= 2200:
        raise argparse.ArgumentTypeError(f"must be a fiscal year such as 2018, got '{text}'")
    return int(text)


def _date(text: str) -> date:
    try:
        return parse_date("--effective", text)
    except RuleViolationError as exc:
        raise argparse.ArgumentTypeError(exc.rule) from None


def register(kinds: Any) -> None:
    """Adds `budget` and `bookings` to the kinds of `ledger import`."""
    budget = kinds.add_parser(
        "budget",
        help="record the adopted budget: each line and its appropriation (Ansatz)",
        description="Record the adopted budget of a fiscal year from a CSV export, "
        "all or nothing: for each row a budget line and its appropriation (Ansatz).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bookings = kinds.add_parser(
        "bookings",
        help="record the treasury's bookings (payments, receipts) by booking reference",
        description="Record the bookings (Ist) of a CSV export, all or nothing. The booking "
        "reference is the key: rows already recorded on their line are skipped, so the same "
        "or an overlapping export can be imported again; a booking retracted or corrected in "
        "the ledger is not booked again (counted as settled).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for sub in (budget, bookings):
        sub.add_argument("file", type=Path, help="the CSV export")
        sub.add_argument("--body", required=True, help="the body's slug, e.g. kyffhaeuserkreis")
        sub.add_argument("--year", required=True, type=_year, help="the fiscal year")
        sub.add_argument("--mapping", type=Path, help="the mapping file (YAML)")
        sub.add_argument(
            "--skip-bad",
            action="store_true",
            help="record the good rows and list the bad ones (default: record nothing)",
        )
        sub.add_argument(
            "--dry-run", action="store_true", help="check the file and report; record nothing"
        )
        sub.add_argument(
            "--where",
            action="append",
            default=[],
            metavar="COLUMN=VALUE",
            help="read only rows whose COLUMN is VALUE (repeatable; all must match; "
            "added to the mapping's `where`)",
        )
        sub.add_argument(
            "--skip",
            action="append",
            default=[],
            metavar="COLUMN=REGEX",
            help="skip rows whose COLUMN matches REGEX, e.g. 'Bezeichnung=^Summe' or "
            "'HH-Stelle=^$' (repeatable; added to the mapping's `skip`)",
        )
    budget.add_argument(
        "--effective",
        type=_date,
        help="the date the budget takes effect (default: the mapping's, else 1 January); "
        "a re-import records only the lines and appropriations that changed",
    )
    budget.add_argument(
        "--close-missing",
        action="store_true",
        help="set the appropriation of recorded lines the file lacks to 0.00 from the "
        "effective date (default: report them only)",
    )
    for sub in (budget, bookings):
        sub.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace) -> int:
    """Runs `ledger import budget|bookings ...`; the exit code."""
    label = f"ledger import {args.kind}"
    try:
        report = _run(args)
    except ImportRefusedError as exc:
        for line in exc.report.bad_lines():
            print(line, file=sys.stderr)
        print(f"{label}: error: {exc}", file=sys.stderr)
        return 2
    except (LedgerError, OSError, ValueError) as exc:
        print(f"{label}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    for line in report.summary():
        print(line)
    if report.bad:
        print(f"skipped {plural(len(report.bad_lines()), 'bad row')}:")
        for line in report.bad_lines():
            print(f"  {line}")
    return 0


def _run(args: argparse.Namespace) -> ImportReport:
    mapping: Mapping = (
        load_mapping(args.mapping, args.kind) if args.mapping else default_mapping(args.kind)
    )
    options = row_options(args.where, args.skip)
    if options:
        mapping = replace(mapping, rows=mapping.rows.extended(options))
    # The rows read always show (a bar, or a log line every few seconds); the stage lines
    # only on a terminal, so that a script reading stderr gets the errors alone.
    progress = Stages(f"import {args.kind}", _progress if sys.stderr.isatty() else None)
    app = ledger_application()
    try:
        if args.kind == "budget":
            return import_budget(
                app,
                args.file,
                body=args.body,
                year=args.year,
                mapping=mapping,
                effective=args.effective,
                skip_bad=args.skip_bad,
                dry_run=args.dry_run,
                close_missing=args.close_missing,
                progress=progress,
            )
        return import_bookings(
            app,
            args.file,
            body=args.body,
            year=args.year,
            mapping=mapping,
            skip_bad=args.skip_bad,
            dry_run=args.dry_run,
            progress=progress,
        )
    finally:
        progress.close()
        app.close()


def row_options(where: Sequence[str], skip: Sequence[str]) -> RowFilter:
    """The row filter of --where COLUMN=VALUE and --skip COLUMN=REGEX."""
    entries = [parse_option(text, "--where") for text in where]
    rules = [parse_option(text, "--skip") for text in skip]
    for column, pattern in rules:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise MappingError(
                "command line", f"--skip {column}", f"not a regular expression: {exc}"
            ) from None
    return RowFilter(
        tuple(Where(column, (value,)) for column, value in entries),
        tuple(Skip(column, pattern) for column, pattern in rules),
    )


def _progress(text: str) -> None:
    # Only on a terminal: a script reading stderr gets the errors alone.
    print(f"... {text}", file=sys.stderr, flush=True)
