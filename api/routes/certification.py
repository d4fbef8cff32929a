"""/v1/bodies/{body}/certification: the certification status at a date, and its history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.deps import BOUNDED, AsOfDep, BodyPath, KnownAtDep, PrivateDep, ReadModelDep
from api.routes import positioned
from api.schemas import Certification
from projections import queries

router = APIRouter(
    prefix="/v1/bodies/{body}/certification", tags=["certification"], dependencies=[BOUNDED]
)


@router.get("", response_model=Certification, summary="Certification status")
def certification(
    body: BodyPath,
    rm: ReadModelDep,
    private: PrivateDep,
    as_of: AsOfDep,
    known_at: KnownAtDep,
    response: Response,
) -> dict[str, Any]:
    """certified (with the certificate), in (re)certification, lapsed, or never certified."""
    document = queries.certification(rm, body, as_of=as_of, known_at=known_at)
    return positioned(response, document)
