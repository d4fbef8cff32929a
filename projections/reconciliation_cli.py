"""`ledger reconcile`: the treasury's reconciliation of budget lines (registered as a plug-in)."""

from __future__ import annotations

from typing import Any


def register(commands: Any) -> None:
    """Adds `ledger reconcile` to the `ledger` parser."""
