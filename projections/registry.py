"""The bitemporal read models the projector maintains, one per record type.

The engine (`projections.store`, `projections.schema`) knows no read model: this module
names them and hands them to it, as `CATALOG` (their tables per generation, what the
projector writes) and `ReadModel` (a reader of them: what queries, the API and the CLI
open).

A model that gains a column (resolutions gained `decisions`) leaves the tables an older
version built without it: `missing_columns` names them, so that the projector can refuse
such a generation with "run `ledger rebuild`" instead of failing on its first row (a
rebuild makes new tables with every column, projected from position 0).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, inspect

from projections.agreement import AGREEMENTS, MEASURES
from projections.bitemporal import VersionedModel
from projections.bodies import BODIES, COMMITTEES
from projections.budget import BUDGET_LINES
from projections.certification import PROCESSES
from projections.findings import FINDINGS
from projections.resolutions import RESOLUTIONS
from projections.schema import Catalog
from projections.store import ReadModel as Reader

MODELS: tuple[VersionedModel[Any], ...] = (
    BODIES,
    COMMITTEES,
    RESOLUTIONS,
    BUDGET_LINES,
    PROCESSES,
    AGREEMENTS,
    MEASURES,
    FINDINGS,
)

#: The model of each record type, by the topic prefix of its events ("module:Class.").
BY_TOPIC_PREFIX: dict[str, VersionedModel[Any]] = {
    f"{m.aggregate.__module__}:{m.aggregate.__qualname__}.": m for m in MODELS
}

#: The tables of every generation of these models (one cache per process).
CATALOG = Catalog(MODELS)


class ReadModel(Reader):
    """Opens the read model of this ledger's record types on a URL (default
    LEDGER_DATABASE_URL), thread-safe."""

    def __init__(self, url: str | None = None) -> None:
        super().__init__(url, CATALOG)


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
