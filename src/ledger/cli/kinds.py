"""`ledger kinds`: the command-file vocabulary from the kinds' declarations (docs reference)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ledger.cli.reference import write_generated
from ledger.commands.handlers import load_handlers
from ledger.commands.registry import KINDS


def vocabulary_markdown() -> str:
    """Every record kind with its fields as a Markdown reference."""
    load_handlers()
    out: list[str] = []
    for name in sorted(KINDS):
        kind = KINDS[name]
        out.append(f"#### `record: {name}`\n\n{kind.summary[0].upper()}{kind.summary[1:]}.\n")
        out.append(f"Python: `{kind.cls.__module__}.{kind.cls.__name__}`\n")
        out.append("| field | required | meaning |\n|---|---|---|")
        for field_name, spec in kind.fields.items():
            required = "yes" if spec.required else f"no (default {spec.default!r})"
            if not spec.required and spec.default is None:
                required = "no"
            out.append(f"| `{field_name}` | {required} | {spec.help} |")
        out.append("")
    return "\n".join(out)


BEGIN, END = "<!-- kinds:begin -->", "<!-- kinds:end -->"
#: The page that holds the generated reference, relative to the repository's root.
REFERENCE = "docs/reference/record-kinds.md"


def write_reference(path: Path) -> None:
    """Replaces the text between the kinds markers of a Markdown file with the reference."""
    write_generated(path, (BEGIN, END), vocabulary_markdown())


def run_kinds(args: argparse.Namespace) -> int:
    if args.write:
        write_reference(Path(args.write))
        return 0
    if args.format == "markdown":
        print(vocabulary_markdown())
        return 0
    load_handlers()
    for name in sorted(KINDS):
        kind = KINDS[name]
        print(f"{name:<22} {kind.summary}")
        print(f"{'':<22} fields: {', '.join(kind.fields)}")
    return 0


def register(commands: Any) -> None:
    """Adds `kinds`."""
    p = commands.add_parser("kinds", help="list the record kinds of command files and their fields")
    p.add_argument("--format", choices=("text", "markdown"), default="text")
    p.add_argument(
        "--write",
        metavar="FILE.md",
        help=f"update the reference between the markers of FILE.md (the docs' is {REFERENCE})",
    )
    p.set_defaults(handler=run_kinds)
