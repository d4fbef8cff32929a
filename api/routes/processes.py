"""/v1/bodies/{body}/processes: certification processes, their target agreement and annual report.

A process is named "programme/cycle" (audit-fgk/2018); the two parts are two path segments.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from api.deps import (
    BOUNDED,
    MAX_PARAMETER_LENGTH,
    MAX_YEAR,
    MIN_YEAR,
    TEXT,
    AsOfDep,
    BodyPath,
    KnownAtDep,
    PrivateDep,
    ReadModelDep,
)
from api.routes import POSITION_HEADER, json_response, positioned
from api.schemas import AnnualReport, Process, ProcessList, TargetAgreement
from projections import queries

router = APIRouter(prefix="/v1/bodies/{body}/processes", tags=["processes"], dependencies=[BOUNDED])

ProgrammePath = Annotated[
    str,
    Path(
        description="The programme.",
        pattern=TEXT,
        max_length=MAX_PARAMETER_LENGTH,
        examples=["audit-fgk"],
    ),
]
CyclePath = Annotated[
    str,
    Path(
        description="The cycle.", pattern=TEXT, max_length=MAX_PARAMETER_LENGTH, examples=["2018"]
    ),
]
ReportYear = Annotated[
    int, Query(description="The report year.", ge=MIN_YEAR, le=MAX_YEAR, examples=[2019])
]
ReportFormat = Annotated[
    Literal["json", "csv"],
    Query(alias="format", description="json, or csv (UTF-8 with BOM, ';'-separated, for Excel)."),
]


@router.get("", response_model=ProcessList, summary="Certification processes")
def list_processes(
    body: BodyPath,
    rm: ReadModelDep,
    private: PrivateDep,
    as_of: AsOfDep,
    known_at: KnownAtDep,
    response: Response,
) -> dict[str, Any]:
    """The body's certification and recertification processes."""
    return positioned(response, queries.list_processes(rm, body, as_of=as_of, known_at=known_at))


@router.get(
    "/{programme}/{cycle}",
    response_model=Process,
    response_model_exclude_unset=True,
    summary="One process",
)
def get_process(
    body: BodyPath,
    programme: ProgrammePath,
    cycle: CyclePath,
    rm: ReadModelDep,
    private: PrivateDep,
    as_of: AsOfDep,
    known_at: KnownAtDep,
    response: Response,
) -> dict[str, Any]:
    """One process: kind, dates, certificates, workshops, annual reports."""
    process = f"{programme}/{cycle}"
    document = queries.get_process(
        rm, body, process, as_of=as_of, known_at=known_at, include_private=private
    )
    return positioned(response, document)


@router.get(
    "/{programme}/{cycle}/target-agreement",
    response_model=TargetAgreement,
    summary="Target agreement (Zielvereinbarung)",
)
def target_agreement(
    body: BodyPath,
    programme: ProgrammePath,
    cycle: CyclePath,
    rm: ReadModelDep,
    private: PrivateDep,
    as_of: AsOfDep,
    known_at: KnownAtDep,
    request: Request,
) -> Response:
    """Fields of action, goals and measures at the date, with the findings on each."""
    process = f"{programme}/{cycle}"
    text, position = queries.agreement_json(
        rm,
        body,
        process,
        as_of=as_of,
        known_at=known_at,
        include_private=private,
        cache=request.app.state.agreement_cache,
    )
    return json_response(text, position)


@router.get(
    "/{programme}/{cycle}/annual-report",
    response_model=AnnualReport,
    summary="Annual progress report (Jahresbericht)",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def annual_report(
    body: BodyPath,
    programme: ProgrammePath,
    cycle: CyclePath,
    year: ReportYear,
    rm: ReadModelDep,
    private: PrivateDep,
    known_at: KnownAtDep,
    response: Response,
    report_format: ReportFormat = "json",
) -> Any:
    """The annual table (Handlungsfeld, Ziel, Maßnahme, ...) as of the end of the year."""
    process = f"{programme}/{cycle}"
    if report_format == "csv":
        position = rm.position()
        text = queries.annual_report_csv(
            rm, body, process, year, known_at=known_at, include_private=private
        )
        filename = f"{body}-{programme}-{cycle}-{year}.csv".replace('"', "")
        return Response(
            content=text.encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={
                POSITION_HEADER: str(position),
                "Content-Disposition": f'attachment; filename="{filename}"',
            },
        )
    document = queries.annual_report(
        rm, body, process, year, known_at=known_at, include_private=private
    )
    return positioned(response, document)
