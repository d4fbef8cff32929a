"""`ledger schema`: the JSON Schema of command files, for editors and other tools."""

from __future__ import annotations

import argparse
import json
from typing import Any


def run_schema(args: argparse.Namespace) -> int:
    """Prints the JSON Schema (draft 2020-12) of a command file."""
    from ledger.commands.schema import command_file_schema

    print(json.dumps(command_file_schema(), indent=args.indent, ensure_ascii=False))
    return 0


def register(commands: Any) -> None:
    """Adds `schema`."""
    p = commands.add_parser(
        "schema",
        help="print the JSON Schema (draft 2020-12) of command files",
        description="Prints the JSON Schema of a command file, generated from the record "
        "kinds. Point an editor at it with a first line such as "
        "`# yaml-language-server: $schema=ledger-commands.schema.json`.",
    )
    p.add_argument("--indent", type=int, default=2, help="spaces per level (default 2)")
    p.set_defaults(handler=run_schema)
