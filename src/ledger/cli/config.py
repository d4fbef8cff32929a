"""`ledger config`: every LEDGER_* setting with its effective value and doc, secrets masked."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ledger import settings


def rows() -> list[dict[str, str]]:
    """Each setting's name, shown value (masked when secret), source and doc."""
    found = []
    for setting in settings.SETTINGS:
        text = settings.raw(setting)
        found.append(
            {
                "name": setting.name,
                "value": setting.masked(text) if text else settings.shown_default(setting),
                "source": "environment" if text else "default",
                "doc": setting.doc,
            }
        )
    return found


def run_config(args: argparse.Namespace) -> int:
    """Prints the settings as text (one a line) or as a JSON array."""
    # _guarded has validated every setting already: a bad one never gets here.
    shown = rows()
    if args.format == "json":
        print(json.dumps(shown, indent=2))
        return 0
    width = max(len(row["name"]) for row in shown)
    for row in shown:
        default = " (default)" if row["source"] == "default" else ""
        print(f"{row['name']:<{width}}  {row['value']}{default}  # {row['doc']}")
    return 0


def register(commands: Any) -> None:
    """Adds `ledger config`."""
    p = commands.add_parser(
        "config",
        help="print every LEDGER_* setting with its value or default (secrets masked)",
        description="Print every LEDGER_* environment variable the ledger reads: its "
        "effective value (or default) and what it does. Passwords and secrets show as ***.",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(handler=run_config)
