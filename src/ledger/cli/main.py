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

from ledger.errors import LedgerError, UsageError
from ledger.store.base import store_failure
from ledger.store.chain import StoreError

Handler = Callable[[argparse.Namespace], int]

__all__ = ["UsageError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with the core commands and every plug-in's commands."""
    from ledger.cli import (
        chain,
        config,
        imports,
        kinds,
        log,
        record,
        reference,
        schema,
        transparency,
    )
    from ledger.drafts import cli as draft_cli

    parser = argparse.ArgumentParser(
        prog="ledger",
        description="Hash-chained audit ledger; LEDGER_DATABASE_URL selects the store.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    record.register(commands)
    chain.register(commands)
    imports.register(commands)
    transparency.register(commands)
    log.register(commands)
    kinds.register(commands)
    config.register(commands)
    schema.register(commands)
    draft_cli.register(commands)
    for plugin in sorted(entry_points(group="ledger.cli"), key=lambda e: e.name):
        plugin.load()(commands)
    reference.register(commands, parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command; exit 0 on success, 1 when a check fails (a broken chain, a
    difference found), 2 when the command could not be carried out: bad input, or a store
    that cannot be reached, timed out or failed (one line naming it, never a traceback)."""
    from ledger.cli import imports

    args_list, hint = imports.with_kind(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:
        # `ledger import KIND` returns its parse errors and --help (2, 0) as the kinds'
        # own parsers did; scripts and tests call main() for them.
        if not imports.names_a_kind(args_list):
            raise
        return exc.code if isinstance(exc.code, int) else 2
    handler: Handler = args.handler
    code = _guarded(args.command, lambda: handler(args))
    if hint and code == 0:
        print(hint, file=sys.stderr)
    return code


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
