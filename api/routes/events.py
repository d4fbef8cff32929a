"""/v1/events: the audit trail, every event in position order, paginated."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.deps import BOUNDED, MAX_PARAMETER_LENGTH, TEXT, PrivateDep, ReadModelDep
from api.routes import positioned
from api.schemas import EventPage
from ledger.domain.event_types import event_type_names
from projections import queries

router = APIRouter(prefix="/v1/events", tags=["audit trail"], dependencies=[BOUNDED])

MAX_LIMIT = 1000
MAX_POSITION = 2**63 - 1  # positions are 64-bit integers in both stores


@router.get("", response_model=EventPage, summary="Audit trail")
def events(
    rm: ReadModelDep,
    private: PrivateDep,
    response: Response,
    after: Annotated[
        int, Query(description="Events after this position.", ge=0, le=MAX_POSITION)
    ] = 0,
    limit: Annotated[
        int,
        Query(
            description="At most this many events (a page also stops at about 4 MB: see "
            "`truncated`).",
            ge=1,
            le=MAX_LIMIT,
        ),
    ] = 100,
    body: Annotated[
        str | None,
        Query(
            description="Only this body's events.", pattern=TEXT, max_length=MAX_PARAMETER_LENGTH
        ),
    ] = None,
    type: Annotated[
        str | None,
        Query(
            description="Only events of this type, e.g. VoteRecorded or Measure.StatusUpdated "
            "(an unknown type is refused, naming the known ones).",
            pattern=TEXT,
            max_length=MAX_PARAMETER_LENGTH,
            json_schema_extra={"enum": event_type_names()},
        ),
    ] = None,
) -> dict[str, Any]:
    """Events after a position; the next page starts after `next_after`."""
    document = queries.events(
        rm, after=after, limit=limit, body=body, type=type, include_private=private
    )
    return positioned(response, document)
