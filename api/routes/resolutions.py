"""/v1/bodies/{body}/resolutions: resolutions (Beschlüsse) and their votes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from api.deps import (
    BOUNDED,
    MAX_PARAMETER_LENGTH,
    TEXT,
    AsOfDep,
    BodyPath,
    IsoDate,
    KnownAtDep,
    PrivateDep,
    ReadModelDep,
)
from api.routes import positioned
from api.schemas import Resolution, ResolutionList
from projections import queries
from projections.engine.errors import NotFoundError
from projections.models.visibility import anonymous_records
from projections.queries import ReadModel

router = APIRouter(
    prefix="/v1/bodies/{body}/resolutions", tags=["resolutions"], dependencies=[BOUNDED]
)

CommitteeQuery = Annotated[
    str | None,
    Query(
        description="Only this committee's (slug) resolutions.",
        pattern=TEXT,
        max_length=MAX_PARAMETER_LENGTH,
    ),
]
FromQuery = Annotated[
    IsoDate | None, Query(alias="from", description="Only resolutions voted on or after this date.")
]
ToQuery = Annotated[
    IsoDate | None, Query(alias="to", description="Only resolutions voted on or before this date.")
]


@router.get("", response_model=ResolutionList, summary="Resolutions")
def list_resolutions(
    body: BodyPath,
    rm: ReadModelDep,
    private: PrivateDep,
    as_of: AsOfDep,
    known_at: KnownAtDep,
    response: Response,
    committee: CommitteeQuery = None,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
) -> dict[str, Any]:
    """Resolutions with their status; anonymous requests see the public ones only."""
    document = queries.list_resolutions(
        rm,
        body,
        committee=committee,
        date_from=date_from,
        date_to=date_to,
        as_of=as_of,
        known_at=known_at,
        include_private=private,
    )
    return positioned(response, document)


@router.get(
    "/{reference:path}",
    response_model=Resolution,
    response_model_exclude_unset=True,
    summary="One resolution",
)
def get_resolution(
    body: BodyPath,
    reference: Annotated[
        str,
        Path(
            description="The reference (Vorlagennummer), slashes included.",
            pattern=TEXT,
            max_length=MAX_PARAMETER_LENGTH,
            examples=["2018/6/067"],
        ),
    ],
    rm: ReadModelDep,
    private: PrivateDep,
    as_of: AsOfDep,
    known_at: KnownAtDep,
    response: Response,
) -> dict[str, Any]:
    """A resolution with its items, financial effect and votes."""
    # One view decides and reads (projections.models.resolutions.get_resolution): an anonymous
    # reader gets the resolution only if anonymous_records shows it and it is public at
    # the axes; a non-public and an unknown reference run the same statements.
    document = queries.get_resolution(
        rm, body, reference, as_of=as_of, known_at=known_at, include_private=private
    )
    if not private and known_at is not None and not document["exists"]:
        # "exists": false means before its proposal's date, as a token holder gets it; a
        # resolution not yet recorded at known_at is 404 for a token holder, so it must be
        # for everyone (the anonymous view does not ask). The reference is one anonymous
        # readers see, so whether it was recorded by then is public (the audit trail).
        queries.get_resolution(
            rm, body, reference, as_of=as_of, known_at=known_at, include_private=True
        )
    return positioned(response, document)


def not_found(body: str, reference: str) -> NotFoundError:
    """The one 404 of a resolution an anonymous reader does not get, known or not."""
    return NotFoundError(f"no resolution '{reference}' of body '{body}' is in the ledger")


def require_shown(rm: ReadModel, body: str, reference: str) -> None:
    """Refuses, as not found, a resolution an anonymous reader may not see.

    The API route no longer calls this (queries.get_resolution decides in its own view);
    it is kept for the /ui resolution page until that page does the same. The decision is
    projections.models.visibility.anonymous_records, as on every route; a non-public resolution and
    an unknown reference take the same path (no timing oracle) and read the same.
    """
    with rm.view() as view:
        view.require_body(body)
        shown = anonymous_records(view, "resolution", body=body, keys=[reference])
    if reference not in shown.values():
        raise not_found(body, reference)
