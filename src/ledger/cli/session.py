"""Opens the ledger application on the configured store."""

from __future__ import annotations

from ledger.application import LedgerApplication
from ledger.store.url import application_env, database_url


def ledger_application(url: str | None = None) -> LedgerApplication:
    """The ledger application on `url` (default: LEDGER_DATABASE_URL)."""
    return LedgerApplication(env=application_env(url or database_url()))
