"""The `ledger` command line: record, verify, head, export, import, log, demo, and plug-ins."""

from ledger.cli.main import main

__all__ = ["main"]
