"""Decoding the ledger's stored events, as the projector folds them and the trail shows them."""

from __future__ import annotations

from eventsourcing.persistence import JSONTranscoder

from ledger.application import LedgerApplication
from ledger.store.salt import SaltedMapper


def ledger_mapper() -> SaltedMapper:
    """Decodes stored events exactly as the ledger application encodes them.

    The ledger's own mapper, so decoding drops each event's salt: the events the projector
    folds and the trail shows carry their fields only, never the salt in their __dict__.
    """
    transcoder = JSONTranscoder()
    # register_transcodings only touches its argument; calling it on a bare instance keeps
    # the read side in step with the write side's transcodings without opening a store.
    LedgerApplication.register_transcodings(object.__new__(LedgerApplication), transcoder)
    return SaltedMapper(transcoder=transcoder)
