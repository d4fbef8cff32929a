"""The API's `ledger` commands (registered through the `ledger.cli` entry point)."""

from __future__ import annotations

from typing import Any


def register(commands: Any) -> None:
    """Adds `ledger serve` to the `ledger` parser."""
