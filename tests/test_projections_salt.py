"""The read side decodes stored events with the ledger's salted mapper: the events the
projector folds and the audit trail reads carry their fields only, never the salt."""

from __future__ import annotations

import json
from contextlib import closing

from api_support import record_demo

from ledger.store import ChainedEvent, open_recorder
from ledger.store.salt import SALT_KEY, SaltedMapper
from projections.engine.decoding import ledger_mapper
from projections.engine.records import Records
from projections.registry import CATALOG


def test_the_projector_decodes_events_without_their_salt(store_url: str) -> None:
    record_demo(store_url, private=True)
    records = Records(CATALOG)
    assert isinstance(records.mapper, SaltedMapper)
    assert isinstance(ledger_mapper(), SaltedMapper)
    with closing(open_recorder(store_url)) as recorder:
        chained: list[ChainedEvent] = list(recorder.select_chained(1, 10**6))
    assert chained
    for stored in chained:
        assert SALT_KEY in json.loads(stored.state)
        event = records.decode(stored)
        assert SALT_KEY not in vars(event), stored.topic
