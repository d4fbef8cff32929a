"""/v1/bodies/{body}/budget/{year}/reconciliation: the treasury's reconciliation of a year."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import Field

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
from api.schemas import Amount, AsOfDocument, Document
from projections.models.reconciliation import reconciliation as reconcile

router = APIRouter(prefix="/v1/bodies/{body}/budget", tags=["budget"], dependencies=[BOUNDED])


class Difference(Document):
    """A difference found by the reconciliation: a stable code and a sentence."""

    code: str = Field(
        description="payments-beyond-available | payment-without-authorisation | "
        "approval-without-resolution | resolution-not-recorded | resolution-not-adopted | "
        "approval-before-adoption | resolution-without-financial-effect | "
        "resolution-for-another-line | approval-differs-from-resolution | "
        "ausserplanmaessig-with-appropriation | ueberplanmaessig-without-appropriation | "
        "earmarked-funding-unspent | funding-received-beyond-awarded",
        examples=["payments-beyond-available"],
    )
    line: str = Field(description="The budget line (Haushaltsstelle).")
    message: str


class ReconciledLine(Document):
    """One budget line's amounts and differences."""

    code: str
    title: str
    direction: str = Field(description="expenditure | income")
    appropriation: Amount | None = Field(description="Ansatz; null when none was set.")
    approvals: list[dict[str, Any]] = Field(
        description="über-/außerplanmäßig approvals, each with its resolution (null when "
        "not public), the resolution's status and financial effect."
    )
    available: Amount = Field(description="appropriation + approvals")
    commitments: Amount
    payments: Amount
    remaining: Amount = Field(description="available − payments")
    funding_awarded: Amount
    funding_earmarked: Amount
    funding_received: Amount
    reconciles: bool
    differences: list[Difference]


class Reconciliation(AsOfDocument):
    """The reconciliation of a fiscal year: every line and every difference."""

    year: int
    reconciles: bool = Field(description="true when no line shows a difference")
    lines: list[ReconciledLine]
    differences: list[Difference]


LineQuery = Annotated[
    str | None,
    Query(
        description="Only this budget line (Haushaltsstelle).",
        pattern=TEXT,
        max_length=MAX_PARAMETER_LENGTH,
        examples=["01.4953.7187"],
    ),
]


@router.get(
    "/{year}/reconciliation",
    response_model=Reconciliation,
    summary="Reconciliation of a fiscal year (Abstimmung)",
)
def reconciliation(
    body: BodyPath,
    year: YearPath,
    rm: ReadModelDep,
    private: PrivateDep,
    as_of: AsOfDep,
    known_at: KnownAtDep,
    response: Response,
    line: LineQuery = None,
) -> dict[str, Any]:
    """Per line: appropriation, approvals and their resolutions, payments, funding, differences."""
    document = reconcile(
        rm, body, year, line=line, as_of=as_of, known_at=known_at, include_private=private
    )
    return positioned(response, document)
