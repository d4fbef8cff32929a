"""The bitemporal read models the projector maintains, one per record type."""

from __future__ import annotations

from typing import Any

from projections.agreement import AGREEMENTS, MEASURES
from projections.bitemporal import VersionedModel
from projections.bodies import BODIES, COMMITTEES
from projections.budget import BUDGET_LINES
from projections.certification import PROCESSES
from projections.findings import FINDINGS
from projections.resolutions import RESOLUTIONS

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
