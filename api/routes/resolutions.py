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
    # the axes; a non-public and an unknown reference run the same statements, and one
    # not yet recorded at known_at is not found for everyone.
    document = queries.get_resolution(
        rm, body, reference, as_of=as_of, known_at=known_at, include_private=private
    )
    return positioned(response, document)
