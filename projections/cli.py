"""The read side's `ledger` commands (registered through the `ledger.cli` entry point)."""

from __future__ import annotations

from typing import Any


def register(commands: Any) -> None:
    """Adds the read side's commands to the `ledger` parser."""
