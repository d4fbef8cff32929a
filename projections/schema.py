"""The tables of one generation of the read model, for the read models it is given.

The engine knows no read model: whoever opens a read side (`projections.registry` for
this ledger's record types) passes its models to a `Catalog`, which builds and keeps the
table objects of each generation of them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import InitVar, dataclass, field
from typing import Any

from sqlalchemy import BigInteger, Column, Date, DateTime, Index, Integer, MetaData, String, Table

from projections.bitemporal import ROW_ID, VersionedModel


@dataclass(eq=False)
class Schema:
    """The tables of one generation of the read model: one per model, events, entities."""

    generation: int
    read_models: InitVar[Sequence[VersionedModel[Any]]]
    metadata: MetaData = field(init=False)
    models: dict[str, Table] = field(init=False)
    events: Table = field(init=False)
    entities: Table = field(init=False)

    def __post_init__(self, read_models: Sequence[VersionedModel[Any]]) -> None:
        prefix = f"rm{self.generation}_"
        self.metadata = MetaData()
        self.models = {m.name: m.table(self.metadata, prefix) for m in read_models}
        self.events = Table(
            f"{prefix}event",
            self.metadata,
            Column("position", ROW_ID, primary_key=True, autoincrement=False),
            Column("entity", String(32), nullable=False),
            Column("version", Integer, nullable=False),
            Column("recorded_at", DateTime, nullable=False),
            Column("effective", Date),
            Column("body", String),
            Column("record", String),
            Column("key", String),
            Column("type", String, nullable=False),
            Index(f"{prefix}event_body_position", "body", "position"),
        )
        self.entities = Table(
            f"{prefix}entity",
            self.metadata,
            Column("entity", String(32), primary_key=True),
            Column("model", String, nullable=False),
            Column("body", String, nullable=False),
            Column("scope", String, nullable=False),
            Column("key", String, nullable=False),
            Column("position", BigInteger, nullable=False),
            Index(f"{prefix}entity_scope", "model", "body", "scope", "key"),
        )

    def table(self, model: VersionedModel[Any] | str) -> Table:
        """The table of a read model in this generation."""
        return self.models[model if isinstance(model, str) else model.name]


class Catalog:
    """The read models a read side keeps, and the (cached) tables of each generation."""

    def __init__(self, models: Sequence[VersionedModel[Any]]) -> None:
        self.models: tuple[VersionedModel[Any], ...] = tuple(models)
        self._schemas: dict[int, Schema] = {}
        self._lock = threading.Lock()

    def schema(self, generation: int) -> Schema:
        """The (cached) table objects of a generation."""
        with self._lock:
            found = self._schemas.get(generation)
            if found is None:
                found = self._schemas[generation] = Schema(generation, self.models)
            return found
