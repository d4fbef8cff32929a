"""`ledger config`: every LEDGER_* setting with its effective value and doc, secrets masked."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ledger import settings
from ledger.cli.reference import cell, write_generated

#: The settings reference page, relative to the repository's root.
REFERENCE = "docs/reference/settings.md"
MARKERS = ("<!-- settings:begin -->", "<!-- settings:end -->")


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


def reference_markdown() -> str:
    """Every setting with its default, the values it accepts and what it does, as Markdown."""
    out = ["| variable | default | accepts | what |", "|---|---|---|---|"]
    for setting in settings.SETTINGS:
        secret = " Secret: masked by `ledger config`." if setting.secret else ""
        out.append(
            f"| `{setting.name}` | {cell(settings.shown_default(setting) or 'none')} | "
            f"{cell(settings.rule(setting))} | {cell(setting.doc)}.{secret} |"
        )
    return "\n".join(out)


def run_config(args: argparse.Namespace) -> int:
    """Prints the settings as text (one a line) or as a JSON array, or their reference."""
    if args.write:
        write_generated(Path(args.write), MARKERS, reference_markdown())
        return 0
    if args.format == "markdown":
        print(reference_markdown())
        return 0
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
    p.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="text (one a line), json, or markdown: the reference of every setting (text)",
    )
    p.add_argument(
        "--write",
        metavar="FILE.md",
        help=f"update the reference between the markers of FILE.md (the docs' is {REFERENCE})",
    )
    p.set_defaults(handler=run_config)
