"""The tables of one generation of the read model, for the read models it is given.

The engine knows no read model: whoever opens a read side (`projections.registry` for
this ledger's record types) passes its models to a `Catalog`, which builds and keeps the
table objects of each generation of them, and tells the projector which model an event's
record belongs to.

A model that gains a column (resolutions gained `decisions`) leaves the tables an older
version built without it: `missing_columns` names them, so that the projector can refuse
such a generation with "run `ledger rebuild`" instead of failing on its first row (a
rebuild makes new tables with every column, projected from position 0).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import InitVar, dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    inspect,
)

from projections.engine.bitemporal import ROW_ID, VersionedModel


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
    """The read models a read side keeps, and the (cached) tables of each generation.

    `origin` ("module:NAME") is where the catalog can be imported from: a fold worker
    (`projections.engine.worker`, another process) finds its projector's catalog there, since
    the models' functions cannot be sent to it.
    """

    def __init__(self, models: Sequence[VersionedModel[Any]], *, origin: str | None = None) -> None:
        self.models: tuple[VersionedModel[Any], ...] = tuple(models)
        self.origin = origin
        #: The model of each record type, by the topic prefix of its events ("module:Class.").
        self.by_topic_prefix: dict[str, VersionedModel[Any]] = {
            f"{m.aggregate.__module__}:{m.aggregate.__qualname__}.": m for m in self.models
        }
        self._schemas: dict[int, Schema] = {}
        self._lock = threading.Lock()

    def model_of(self, topic: str) -> VersionedModel[Any] | None:
        """The read model of an event's record, by the event's topic (None: no table)."""
        cut = topic.rfind(".")
        return self.by_topic_prefix.get(topic[: cut + 1]) if cut > 0 else None

    def schema(self, generation: int) -> Schema:
        """The (cached) table objects of a generation."""
        with self._lock:
            found = self._schemas.get(generation)
            if found is None:
                found = self._schemas[generation] = Schema(generation, self.models)
            return found


def load_catalog(origin: str) -> Catalog:
    """The catalog importable as `origin` ("module:NAME")."""
    module, _, name = origin.partition(":")
    found = getattr(importlib.import_module(module), name, None)
    if not isinstance(found, Catalog):
        raise LookupError(f"{origin} is not a catalog of read models")
    return found


def missing_columns(conn: Connection, tables: Iterable[Table]) -> list[str]:
    """The columns ("table.column") the models' tables lack in the database: tables an
    older version made (a table that does not exist at all is not reported here)."""
    inspector = inspect(conn)
    missing: list[str] = []
    for table in tables:
        if not inspector.has_table(table.name, schema=table.schema):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name, schema=table.schema)}
        missing.extend(f"{table.name}.{c.name}" for c in table.columns if c.name not in present)
    return missing
