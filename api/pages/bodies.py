"""Pages of bodies and certification: start, body, certification, processes, target agreement."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from api.pages import charts, session
from api.pages.compare import compare
from api.pages.fragments import body_rows, measure_rows
from api.pages.frame import frame
from api.pages.params import Axes, link, text, whole
from api.pages.render import answer, page, read_model
from projections import queries

router = APIRouter(include_in_schema=False)


def body_link(body: str) -> str:
    """The path of a body's page."""
    return f"/ui/bodies/{quote(body, safe='')}"


def process_link(body: str, process: str) -> str:
    """The path of a process's page (programme/cycle stay two segments)."""
    return f"{body_link(body)}/processes/{quote(process, safe='/')}"


def years_of(processes: list[dict[str, Any]]) -> list[int]:
    """The years the body's processes span (for the links to budget years and reports)."""
    found: set[int] = set()
    for p in processes:
        days = [p.get(k) for k in ("planned_from", "planned_until", "started_on", "completed_on")]
        years = [int(d[:4]) for d in days if d]
        if years:
            found.update(range(min(years), max(years) + 1))
    return sorted(found)


@router.get("/ui/")
def start(request: Request) -> Response:
    """The start page: the bodies in the ledger."""

    def build() -> Response:
        document = queries.list_bodies(read_model(request))
        context = frame("Körperschaften", document, "/v1/bodies", [])
        return page(
            request,
            "start.html",
            {**context, "document": document, "body_rows": body_rows},
            position=document["position"],
        )

    return answer(request, build)


@router.get("/ui/bodies/{body}")
def body_page(request: Request, body: str) -> Response:
    """A body: committees, processes, the certification timeline, links to everything."""

    def build() -> Response:
        asked = Axes.of(request)
        rm = read_model(request)
        document = queries.get_body(rm, body)
        status = queries.certification(rm, body, as_of=asked.as_of, known_at=asked.known_at)
        as_of = date.fromisoformat(status["as_of"])
        chart = charts.timeline(status["history"], as_of)
        context = frame(
            document["name"],
            status,
            link(f"/v1/bodies/{quote(body, safe='')}"),
            [(document["name"], body_link(body))],
            asked=asked,
            body={"slug": body, "name": document["name"]},
        )
        return page(
            request,
            "body.html",
            {
                **context,
                "document": document,
                "status": status,
                "chart": chart,
                "years": document["budget_years"],
            },
            position=document["position"],
        )

    return answer(request, build)


@router.get("/ui/bodies/{body}/certification")
def certification_page(request: Request, body: str) -> Response:
    """The certification status at a date, the certificate, and the history of processes."""

    def build() -> Response:
        asked = Axes.of(request)
        document = queries.certification(
            read_model(request), body, as_of=asked.as_of, known_at=asked.known_at
        )
        chart = charts.timeline(document["history"], date.fromisoformat(document["as_of"]))
        base = body_link(body)
        context = frame(
            "Zertifizierung",
            document,
            f"/v1/bodies/{quote(body, safe='')}/certification{asked.query()}",
            [(body, base), ("Zertifizierung", f"{base}/certification{asked.query()}")],
            asked=asked,
            body={"slug": body},
        )
        return page(
            request,
            "certification.html",
            {**context, "document": document, "chart": chart},
            position=document["position"],
        )

    return answer(request, build)


@router.get("/ui/bodies/{body}/processes")
def processes_page(request: Request, body: str) -> Response:
    """The body's certification processes."""

    def build() -> Response:
        asked = Axes.of(request)
        document = queries.list_processes(
            read_model(request), body, as_of=asked.as_of, known_at=asked.known_at
        )
        base = body_link(body)
        context = frame(
            "Zertifizierungsprozesse",
            document,
            f"/v1/bodies/{quote(body, safe='')}/processes{asked.query()}",
            [(body, base), ("Prozesse", f"{base}/processes{asked.query()}")],
            asked=asked,
            body={"slug": body},
        )
        return page(
            request,
            "processes.html",
            {**context, "document": document},
            position=document["position"],
        )

    return answer(request, build)


@router.get("/ui/bodies/{body}/processes/{programme}/{cycle}")
def process_page(request: Request, body: str, programme: str, cycle: str) -> Response:
    """One process: kind, dates, certificates, workshops, annual reports."""

    def build() -> Response:
        asked = Axes.of(request)
        process = f"{programme}/{cycle}"
        document = queries.get_process(
            read_model(request),
            body,
            process,
            as_of=asked.as_of,
            known_at=asked.known_at,
            include_private=session.signed_in(request),
        )
        base = body_link(body)
        here = process_link(body, process)
        context = frame(
            f"Prozess {process}",
            document,
            f"/v1/bodies/{quote(body, safe='')}/processes/{quote(process, safe='/')}"
            f"{asked.query()}",
            [(body, base), ("Prozesse", f"{base}/processes{asked.query()}"), (process, here)],
            asked=asked,
            body={"slug": body},
        )
        return page(
            request,
            "process.html",
            {**context, "document": document, "years": years_of([document]), "here_path": here},
            position=document["position"],
        )

    return answer(request, build)


@router.get("/ui/bodies/{body}/processes/{programme}/{cycle}/target-agreement")
def agreement_page(request: Request, body: str, programme: str, cycle: str) -> Response:
    """The target agreement at a date as known at a time, optionally compared with another."""

    def build() -> Response:
        asked = Axes.of(request)
        versus = Axes.of(request, "vs_")
        process = f"{programme}/{cycle}"
        private = session.signed_in(request)
        rm = read_model(request)
        cache = request.app.state.agreement_cache
        document = queries.agreement(
            rm,
            body,
            process,
            as_of=asked.as_of,
            known_at=asked.known_at,
            include_private=private,
            cache=cache,
        )
        other = None
        comparison = None
        if versus.given:
            # The axis not given for the comparison is the page's own.
            other = queries.agreement(
                rm,
                body,
                process,
                as_of=versus.as_of or date.fromisoformat(document["as_of"]),
                known_at=versus.known_at or (asked.known_at if asked.known_at else None),
                include_private=private,
                cache=cache,
            )
            comparison = compare(other, document)
        base = body_link(body)
        here = f"{process_link(body, process)}/target-agreement"
        context = frame(
            f"Zielvereinbarung {process}",
            document,
            f"/v1/bodies/{quote(body, safe='')}/processes/{quote(process, safe='/')}"
            f"/target-agreement{asked.query()}",
            [
                (body, base),
                ("Prozesse", f"{base}/processes{asked.query()}"),
                (process, process_link(body, process) + asked.query()),
                ("Zielvereinbarung", here + asked.query()),
            ],
            asked=asked,
            body={"slug": body},
        )
        return page(
            request,
            "agreement.html",
            {
                **context,
                "document": document,
                "other": other,
                "comparison": comparison,
                "versus": versus,
                "process": process,
                "here_path": here,
                "form": form_values(asked, versus),
                "history_base": f"{base}/history",
                "measure_row": measure_rows(document["process"], f"{base}/history"),
            },
            position=document["position"],
            partial=True,
        )

    return answer(request, build)


def form_values(asked: Axes, versus: Axes) -> dict[str, str]:
    """The date controls' values: ISO dates, and UTC times as datetime-local takes them."""

    def clock(moment: datetime | None) -> str:
        if moment is None:
            return ""
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")

    return {
        "as_of": asked.as_of.isoformat() if asked.as_of else "",
        "known_at": clock(asked.known_at),
        "vs_as_of": versus.as_of.isoformat() if versus.as_of else "",
        "vs_known_at": clock(versus.known_at),
    }


def report_cells(document: dict[str, Any]) -> list[list[Any]]:
    """The annual report's table cells in column order (a dash for an empty one)."""
    columns = document["columns"]
    return [[row.get(c) or "–" for c in columns] for row in document["rows"]]


@router.get("/ui/bodies/{body}/processes/{programme}/{cycle}/annual-report")
def annual_report_page(request: Request, body: str, programme: str, cycle: str) -> Response:
    """The annual progress table (Jahresbericht) of a year, as of its end."""

    def build() -> Response:
        asked = Axes.of(request)
        this_year = datetime.now(UTC).year
        year = whole(text(request, "year"), "year", low=1900, high=2200, default=this_year)
        process = f"{programme}/{cycle}"
        document = queries.annual_report(
            read_model(request),
            body,
            process,
            year,
            known_at=asked.known_at,
            include_private=session.signed_in(request),
            cache=request.app.state.agreement_cache,
        )
        base = body_link(body)
        known = Axes(None, asked.known_at)
        query = known.query(("year", str(year)))
        context = frame(
            f"Jahresbericht {year} · {process}",
            document,
            f"/v1/bodies/{quote(body, safe='')}/processes/{quote(process, safe='/')}"
            f"/annual-report{query}",
            [
                (body, base),
                ("Prozesse", f"{base}/processes"),
                (process, process_link(body, process)),
                (f"Jahresbericht {year}", f"{process_link(body, process)}/annual-report{query}"),
            ],
            asked=known,
            body={"slug": body},
        )
        return page(
            request,
            "annual_report.html",
            {**context, "document": document, "year": year, "cells": report_cells(document)},
            position=document["position"],
        )

    return answer(request, build)
