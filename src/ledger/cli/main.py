"""The `ledger` entry point: builds the parser, loads plug-in commands, maps errors to exit codes.

Commands of the read side (`show`, `project`, `serve`, ...) live in the `projections` and
`api` packages and register themselves through the `ledger.cli` entry-point group, so the
imports still point one way (api -> projections -> ledger).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

from ledger.cli.usage import UsageError
from ledger.errors import LedgerError
from ledger.store.base import store_failure
from ledger.store.chain import StoreError

Handler = Callable[[argparse.Namespace], int]

__all__ = ["UsageError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with the core commands and every plug-in's commands."""
    from ledger.cli import chain, config, kinds, log, record, schema, transparency
    from ledger.drafts import cli as draft_cli

    parser = argparse.ArgumentParser(
        prog="ledger",
        description="Hash-chained audit ledger; LEDGER_DATABASE_URL selects the store.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    record.register(commands)
    chain.register(commands)
    transparency.register(commands)
    log.register(commands)
    kinds.register(commands)
    config.register(commands)
    schema.register(commands)
    draft_cli.register(commands)
    for plugin in sorted(entry_points(group="ledger.cli"), key=lambda e: e.name):
        plugin.load()(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command; exit 0 on success, 1 when a check fails (a broken chain, a
    difference found), 2 when the command could not be carried out: bad input, or a store
    that cannot be reached, timed out or failed (one line naming it, never a traceback)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["import"] and args_list[1:2] in (["budget"], ["bookings"]):
        from ledger.cli.treasury import run_import

        return _guarded("import", lambda: run_import(args_list[1:]))
    if args_list[:1] == ["import"] and args_list[1:2] == ["oparl"]:
        from ledger.importers.oparl.cli import main as import_oparl

        return _guarded("import", lambda: import_oparl(args_list[1:]))
    if args_list[:2] == ["import", "events"]:
        # The kind is named; `ledger import FILE.jsonl` (no kind) parses the same way.
        args_list = ["import", *args_list[2:]]
    parser = build_parser()
    args = parser.parse_args(args_list)
    handler: Handler = args.handler
    return _guarded(args.command, lambda: handler(args))


def _guarded(command: str, run: Callable[[], int]) -> int:
    """Runs a command; bad input, and a failure of the store itself, become a one-line
    message and exit code 2 (the one place that maps errors to exit codes). Logging is
    configured first (LEDGER_LOG_FORMAT), then every LEDGER_* setting is validated, so a bad
    setting is refused the same way."""
    from ledger import logs, settings

    try:
        logs.configure(f"ledger {command}")
        # Every LEDGER_* setting is checked before any work, so a bad one stops every
        # command the same way, not only the command that happens to read it.
        settings.validate()
        return run()
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; stop quietly like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (LedgerError, StoreError, OSError, ValueError) as exc:
        message = " ".join(str(exc).split())
        print(f"ledger {command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        failure = store_failure(exc)
        if failure is None:
            raise
        from ledger.store import failure_message

        print(f"ledger {command}: error: {failure_message(failure)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
