"""Loads every command module so that each registers its kinds."""

from __future__ import annotations


def load_handlers() -> None:
    """Imports the command modules (their import registers the kinds)."""
    from ledger.commands import (  # noqa: F401
        agreement,
        body,
        budget,
        certification,
        correction,
        finding,
        resolution,
    )
