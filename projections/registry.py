"""The bitemporal read models the projector maintains, one per record type.

The engine (`projections.engine`) knows no read model: this module names the ones of
`projections.models` and hands them to it, as `CATALOG` (their tables per generation, what
the projector writes), `ReadModel` (a reader of them: what queries, the API and the CLI
open), `Projector` and `catch_up` (what keeps them up to date).
"""

from __future__ import annotations

from typing import Any

from projections.engine import projector as engine
from projections.engine.bitemporal import VersionedModel
from projections.engine.records import CACHE_RECORDS
from projections.engine.schema import Catalog
from projections.engine.store import ReadModel as Reader
from projections.models.agreement import AGREEMENTS, MEASURES
from projections.models.bodies import BODIES, COMMITTEES
from projections.models.budget import BUDGET_LINES
from projections.models.certification import PROCESSES
from projections.models.findings import FINDINGS
from projections.models.resolutions import RESOLUTIONS

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

#: The tables of every generation of these models (one cache per process); a fold worker
#: imports it from here.
CATALOG = Catalog(MODELS, origin=f"{__name__}:CATALOG")


class ReadModel(Reader):
    """Opens the read model of this ledger's record types on a URL (default
    LEDGER_DATABASE_URL), thread-safe."""

    def __init__(self, url: str | None = None) -> None:
        super().__init__(url, CATALOG)


class Projector(engine.Projector):
    """Catches the read model of this ledger's record types up with the ledger on a URL
    (default LEDGER_DATABASE_URL); see `projections.engine.projector.Projector`."""

    def __init__(
        self,
        url: str | None = None,
        *,
        batch_size: int = engine.DEFAULT_BATCH,
        workers: int | None = None,
        parallel_backlog: int = engine.PARALLEL_BACKLOG,
        cache_records: int = CACHE_RECORDS,
    ) -> None:
        super().__init__(
            url,
            CATALOG,
            batch_size=batch_size,
            workers=workers,
            parallel_backlog=parallel_backlog,
            cache_records=cache_records,
        )


def catch_up(target: Reader | str | None = None, *, batch_size: int = engine.DEFAULT_BATCH) -> int:
    """Catches the read model of this ledger's record types up with its ledger; returns the
    position (see `projections.engine.projector.catch_up`)."""
    return engine.catch_up(target, CATALOG, batch_size=batch_size)
