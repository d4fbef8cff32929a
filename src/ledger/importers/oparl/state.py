"""The sync state of OParl sources: the last successful sync and what each object became.

Kept in two small tables beside the ledger's events, in the same database:

- ``oparl_sync``: per source (the OParl Body id and the ledger body it is imported into),
  the start of the last successful run (the next run asks for `modified_since` it) and the
  URL it was read from;
- ``oparl_object``: per source and OParl id, what it was imported as (a proposal, a vote or
  decision with its committee and date, a committee, the body), as JSON. A deleted object
  carries nothing but its id, so its retraction is found here.

They are operational state, not part of the chain: nothing in them is evidence, `ledger
verify` does not read them, and losing them costs one full import (which appends nothing
the ledger holds already) and the retraction of objects deleted meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Engine, MetaData, String, Table, Text, create_engine, delete, select

from ledger.store.url import sqlalchemy_url

METADATA = MetaData()
SYNC = Table(
    "oparl_sync",
    METADATA,
    Column("source", Text, primary_key=True),
    Column("body", String(200), primary_key=True),
    Column("url", Text, nullable=False),
    Column("synced_from", String(40), nullable=False),
)
OBJECTS = Table(
    "oparl_object",
    METADATA,
    Column("source", Text, primary_key=True),
    Column("body", String(200), primary_key=True),
    Column("oparl_id", Text, primary_key=True),
    Column("entry", Text, nullable=False),
)
# Rows per INSERT statement when the entries are written.
CHUNK = 1000


class SyncState:
    """The sync state in the ledger's database (tables created on first use)."""

    def __init__(self, url: str | None = None) -> None:
        self.engine: Engine = create_engine(sqlalchemy_url(url))
        self._created = False

    def _tables(self) -> None:
        if not self._created:
            METADATA.create_all(self.engine, checkfirst=True)
            self._created = True

    def last_sync(self, source: str, body: str) -> str | None:
        """The start of the last successful run of this source into this body (ISO), if any."""
        self._tables()
        with self.engine.connect() as conn:
            found = conn.execute(
                select(SYNC.c.synced_from).where(SYNC.c.source == source, SYNC.c.body == body)
            ).scalar()
        return str(found) if found is not None else None

    def entries(self, source: str, body: str) -> dict[str, dict[str, Any]]:
        """OParl id -> what an earlier run imported it as."""
        self._tables()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(OBJECTS.c.oparl_id, OBJECTS.c.entry).where(
                    OBJECTS.c.source == source, OBJECTS.c.body == body
                )
            )
            return {row.oparl_id: json.loads(row.entry) for row in rows}

    def save(
        self,
        source: str,
        body: str,
        url: str,
        started: datetime,
        entries: dict[str, dict[str, Any]],
        dropped: Iterable[str],
    ) -> None:
        """Notes a successful run: its start, the entries it imported, the ones retracted."""
        self._tables()
        changed = sorted(set(entries) | set(dropped))
        where = (OBJECTS.c.source == source, OBJECTS.c.body == body)
        with self.engine.begin() as conn:
            for start in range(0, len(changed), CHUNK):
                chunk = changed[start : start + CHUNK]
                conn.execute(delete(OBJECTS).where(*where, OBJECTS.c.oparl_id.in_(chunk)))
            rows = [
                {"source": source, "body": body, "oparl_id": k, "entry": json.dumps(v)}
                for k, v in sorted(entries.items())
            ]
            for start in range(0, len(rows), CHUNK):
                conn.execute(OBJECTS.insert(), rows[start : start + CHUNK])
            conn.execute(delete(SYNC).where(SYNC.c.source == source, SYNC.c.body == body))
            conn.execute(
                SYNC.insert(),
                {"source": source, "body": body, "url": url, "synced_from": started.isoformat()},
            )

    def close(self) -> None:
        """Closes the connections."""
        self.engine.dispose()
