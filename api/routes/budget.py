"""/v1/bodies/{body}/budget: the treasury's budget overview per fiscal year and line."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from api.deps import (
    BOUNDED,
    MAX_PARAMETER_LENGTH,
    TEXT,
    AsOfDep,
    BodyPath,
    KnownAtDep,
    PrivateDep,
    ReadModelDep,
    YearPath,
)
from api.routes import positioned
from api.schemas import Budget
from projections import queries

router = APIRouter(prefix="/v1/bodies/{body}/budget", tags=["budget"], dependencies=[BOUNDED])

LinePath = Annotated[
    str,
    Path(
        description="The budget line (Haushaltsstelle).",
        pattern=TEXT,
        max_length=MAX_PARAMETER_LENGTH,
        examples=["01.4953.7187"],
    ),
]


@router.get("/{year}", response_model=Budget, summary="Budget overview of a fiscal year")
def budget(
    body: BodyPath,
    year: YearPath,
    rm: ReadModelDep,
    private: PrivateDep,
    as_of: AsOfDep,
    known_at: KnownAtDep,
    response: Response,
) -> dict[str, Any]:
    """Every line: appropriation, über-/außerplanmäßig approvals, funding, payments, remaining."""
    document = queries.budget(
        rm, body, year, as_of=as_of, known_at=known_at, include_private=private
    )
    return positioned(response, document)


@router.get("/{year}/lines/{code:path}", response_model=Budget, summary="One budget line")
def budget_line(
    body: BodyPath,
    year: YearPath,
    code: LinePath,
    rm: ReadModelDep,
    private: PrivateDep,
    as_of: AsOfDep,
    known_at: KnownAtDep,
    response: Response,
) -> dict[str, Any]:
    """One line of the overview (the same document, with that line only)."""
    document = queries.budget(
        rm, body, year, line=code, as_of=as_of, known_at=known_at, include_private=private
    )
    return positioned(response, document)
