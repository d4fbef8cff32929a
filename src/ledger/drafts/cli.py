"""The `ledger draft` subcommand's parser; `register` is called with the `ledger` subparsers."""

from __future__ import annotations

import argparse
from typing import Any

from ledger.drafts.output import FORMATS


def run(args: argparse.Namespace) -> int:
    """Runs `ledger draft` with the parsed arguments."""
    # Imported here: every `ledger` command builds this parser, few of them draft.
    from ledger.drafts.run import run_draft

    return run_draft(args.files, args.body, args.format, args.out)


def register(commands: Any) -> None:
    """Adds `ledger draft FILE… --body SLUG [--format yaml|json] [--out FILE]`."""
    p = commands.add_parser(
        "draft",
        help="draft a command file from Beschlussvorlagen or Niederschriften (records nothing)",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help=".txt, .pdf or a scanned image")
    p.add_argument("--body", required=True, help="the body's slug, e.g. kyffhaeuserkreis")
    p.add_argument("--format", choices=FORMATS, default="yaml", help="yaml (default) or json")
    p.add_argument("--out", metavar="FILE", help="write the draft to FILE instead of stdout")
    p.set_defaults(handler=run)
