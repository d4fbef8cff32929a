"""`ledger import KIND ...`: one parser with a subcommand per kind, each with its own --help.

The kinds: `events` (a JSON Lines export of `ledger export`), `budget` and `bookings` (the
treasury's CSV exports) and `oparl` (a council information system). The old form
`ledger import FILE.jsonl` names no kind; `with_kind` turns it into `import events FILE`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.cli import chain, treasury
from ledger.importers.oparl import cli as oparl_cli

KINDS = ("events", "budget", "bookings", "oparl")

DESCRIPTION = (
    "Import events, the treasury's budget or bookings, or an OParl source. "
    "`ledger import KIND --help` describes each kind."
)


def register(commands: Any) -> None:
    """Adds `import` and its kinds."""
    parser = commands.add_parser(
        "import",
        help="import events, budget, bookings or oparl data (`ledger import KIND --help`)",
        description=DESCRIPTION,
    )
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    events = kinds.add_parser(
        "events",
        help="a JSON Lines export of `ledger export`; events already present are skipped",
        description="Append the events of a JSON Lines export of `ledger export`, all or "
        "nothing; the file's chain is verified first, events already present are skipped, so "
        "an export can be imported again. `ledger import FILE.jsonl` (no kind) still works.",
    )
    events.add_argument("file", help="a JSON Lines export of `ledger export`")
    events.set_defaults(handler=chain.run_import)
    treasury.register(kinds)
    oparl_cli.register(kinds)


def with_kind(argv: Sequence[str]) -> tuple[list[str], str | None]:
    """`import FILE ...` as `import events FILE ...` with the hint to print once it has run
    (a failure's stderr stays its one error line); any other command line unchanged."""
    args = list(argv)
    names_a_file = len(args) > 1 and args[1] not in KINDS and not args[1].startswith("-")
    if args[:1] == ["import"] and names_a_file:
        hint = f"ledger import: hint: name the kind: ledger import events {args[1]}"
        return ["import", "events", *args[1:]], hint
    return args, None


def names_a_kind(argv: Sequence[str]) -> bool:
    """Whether the command line is `import KIND ...`."""
    return list(argv[:1]) == ["import"] and len(argv) > 1 and argv[1] in KINDS
