"""/v1/bodies/{body}/findings: the auditor's findings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.deps import (
    BOUNDED,
    MAX_PARAMETER_LENGTH,
    TEXT,
    AsOfDep,
    BodyPath,
    KnownAtDep,
    PrivateDep,
    ReadModelDep,
)
from api.routes import positioned
from api.schemas import FindingList
from projections import queries

router = APIRouter(prefix="/v1/bodies/{body}/findings", tags=["findings"], dependencies=[BOUNDED])

ProcessQuery = Annotated[
    str | None,
    Query(
        description="Only this process (programme/cycle, e.g. audit-fgk/2018).",
        pattern=TEXT,
        max_length=MAX_PARAMETER_LENGTH,
    ),
]


@router.get("", response_model=FindingList, summary="Auditor findings")
def findings(
    body: BodyPath,
    rm: ReadModelDep,
    private: PrivateDep,
    as_of: AsOfDep,
    known_at: KnownAtDep,
    response: Response,
    process: ProcessQuery = None,
) -> dict[str, Any]:
    """Findings with their answers; anonymous requests see the published ones only."""
    document = queries.findings(
        rm, body, process=process, as_of=as_of, known_at=known_at, include_private=private
    )
    return positioned(response, document)
