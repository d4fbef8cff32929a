"""`ledger reconcile`: the treasury's reconciliation of budget lines (registered as a plug-in)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from projections.models.reconciliation import (
    LANGUAGES,
    reconciliation,
    reconciliation_csv,
    reconciliation_table,
)
from projections.registry import ReadModel, catch_up

FORMATS = ("table", "csv", "json")


def run_reconcile(args: argparse.Namespace) -> int:
    """Prints the reconciliation; exit 0 when everything reconciles, 1 when lines differ."""
    if not args.no_catch_up:
        catch_up()
    rm = ReadModel()
    try:
        document = reconciliation(
            rm,
            args.body,
            args.year,
            line=args.line,
            as_of=args.as_of,
            known_at=args.known_at,
            include_private=True,
            # the JSON is the API's document: its messages stay English
            lang="en" if args.format == "json" else args.lang,
        )
    finally:
        rm.close()
    if args.format == "json":
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    elif args.format == "csv":
        sys.stdout.write(reconciliation_csv(document, args.lang))
    else:
        sys.stdout.write(reconciliation_table(document, args.lang))
    return 0 if document["reconciles"] else 1


def register(commands: Any) -> None:
    """Adds `ledger reconcile` to the `ledger` parser."""
    p = commands.add_parser(
        "reconcile",
        help="reconcile budget lines: approvals, resolutions, funding, payments (exit 1 on "
        "differences)",
        description="The treasury's reconciliation (Abstimmung) of a fiscal year's budget lines: "
        "appropriation, über-/außerplanmäßig approvals and their resolutions, available, "
        "commitments, payments, remaining, funding awarded and received, and every difference. "
        "Exit code 0 when everything reconciles, 1 when there are differences, 2 on bad input.",
    )
    p.add_argument("--body", required=True, help="the body's slug, e.g. kyffhaeuserkreis")
    p.add_argument("--year", required=True, help="the fiscal year (Haushaltsjahr)")
    p.add_argument("--line", help="one budget line (Haushaltsstelle), e.g. 01.4953.7187")
    p.add_argument("--as-of", help="valid date YYYY-MM-DD, inclusive (default: today)")
    p.add_argument(
        "--known-at",
        help="transaction time: ISO datetime, or a date = end of day UTC (default: now)",
    )
    p.add_argument("--format", choices=FORMATS, default="table", help="output (default: table)")
    p.add_argument(
        "--lang",
        choices=LANGUAGES,
        default="de",
        help="language of the table and CSV: headings, values, differences (default: de; "
        "the JSON is always the API's document)",
    )
    p.add_argument(
        "--no-catch-up",
        action="store_true",
        help="read the read model as it is (default: catch it up with the ledger first)",
    )
    p.set_defaults(handler=run_reconcile)
