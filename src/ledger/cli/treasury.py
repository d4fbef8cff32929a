"""`ledger import budget|bookings`: the treasury's CSV imports (being written; see issue 5)."""

from __future__ import annotations

from ledger.cli.main import UsageError


def run_import(argv: list[str]) -> int:
    """Runs `ledger import budget|bookings ...`."""
    raise UsageError("ledger import budget/bookings is not available yet")
