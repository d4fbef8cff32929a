"""The CLI's error for bad input, in a module of its own so commands need not import main."""

from __future__ import annotations

from ledger.errors import LedgerError


class UsageError(LedgerError):
    """Bad input on the command line or in a file (exit code 2)."""
