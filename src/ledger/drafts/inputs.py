"""What the readers of source documents share: their error and the least text a page has."""

from __future__ import annotations

from ledger.errors import LedgerError

# A page whose text layer has fewer visible characters than this is taken for a scan.
MIN_TEXT_PER_PAGE = 40


class DraftInputError(LedgerError):
    """A source document cannot be read (the CLI exits 2)."""
