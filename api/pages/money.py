"""Pages of the treasury and the committees: budget year, budget line, resolutions, findings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final
from urllib.parse import quote

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.pages import charts, session
from api.pages.bodies import body_link
from api.pages.frame import frame
from api.pages.params import Axes, PageError, link, text, year_value
from api.pages.render import answer, page, read_model
from projections import queries

router = APIRouter(include_in_schema=False)

#: The reconciliation's difference codes in German.
DIFFERENCES: Final = {
    "payments-beyond-available": "Zahlungen übersteigen die verfügbaren Mittel",
    "payment-without-authorisation": "Zahlung ohne Ermächtigung (weder Ansatz noch Bewilligung)",
    "approval-without-resolution": "Bewilligung ohne Beschluss",
    "resolution-not-recorded": "Der genannte Beschluss ist nicht im Ledger",
    "resolution-not-adopted": "Der genannte Beschluss ist nicht angenommen",
    "approval-before-adoption": "Bewilligung vor dem Beschluss",
    "resolution-without-financial-effect": "Beschluss ohne finanzielle Auswirkung",
    "resolution-for-another-line": "Der Beschluss betrifft eine andere Haushaltsstelle",
    "approval-differs-from-resolution": "Bewilligter Betrag weicht vom Beschluss ab",
    "ausserplanmaessig-with-appropriation": "Außerplanmäßige Bewilligung trotz Ansatz",
    "ueberplanmaessig-without-appropriation": "Überplanmäßige Bewilligung ohne Ansatz",
    "earmarked-funding-unspent": "Zweckgebundene Fördermittel nicht verausgabt",
    "funding-received-beyond-awarded": "Mehr Fördermittel eingegangen als bewilligt",
}
DIRECTIONS: Final = ("expenditure", "income")
TOTALLED: Final = ("appropriation", "approved", "available", "payments", "remaining")


def difference_text(code: str) -> str:
    """A reconciliation difference in German."""
    return DIFFERENCES.get(code, code)


def totals(lines: list[dict[str, Any]]) -> dict[str, dict[str, Decimal]]:
    """Per direction, the sums of the amount columns."""
    sums: dict[str, dict[str, Decimal]] = {}
    for line in lines:
        into = sums.setdefault(line["direction"], {name: Decimal(0) for name in TOTALLED})
        for name in TOTALLED:
            into[name] += Decimal(line.get(name) or 0)
    return sums


def budget_link(body: str, year: int) -> str:
    """The path of a budget year's page."""
    return f"{body_link(body)}/budget/{year}"


@router.get("/ui/bodies/{body}/budget")
def budget_year_form(request: Request, body: str) -> Response:
    """The year form of a body's page: on to that year's budget."""

    def build() -> Response:
        year = year_value(text(request, "year") or "")
        return RedirectResponse(budget_link(body, year), status_code=303)

    return answer(request, build)


@router.get("/ui/bodies/{body}/budget/{year}")
def budget_page(request: Request, body: str, year: str) -> Response:
    """The budget year: every line with direction, Ansatz, approvals, payments, remaining."""

    def build() -> Response:
        asked = Axes.of(request)
        the_year = year_value(year)
        direction = text(request, "direction")
        if direction is not None and direction not in DIRECTIONS:
            raise PageError(422, "„direction“ muss „expenditure“ (Ausgabe) oder „income“ sein.")
        private = session.signed_in(request)
        document, checked = queries.budget_with_reconciliation(
            read_model(request),
            body,
            the_year,
            as_of=asked.as_of,
            known_at=asked.known_at,
            include_private=private,
        )
        lines = [
            line
            for line in document["lines"]
            if direction is None or line["direction"] == direction
        ]
        differences: dict[str, list[str]] = {}
        for d in checked["differences"]:
            differences.setdefault(d["line"], []).append(difference_text(d["code"]))
        base = body_link(body)
        context = frame(
            f"Haushalt {the_year}",
            document,
            f"/v1/bodies/{quote(body, safe='')}/budget/{the_year}{asked.query()}",
            [(body, base), (f"Haushalt {the_year}", budget_link(body, the_year) + asked.query())],
            asked=asked,
            body={"slug": body},
        )
        return page(
            request,
            "budget.html",
            {
                **context,
                "document": document,
                "lines": lines,
                "totals": totals(lines),
                "differences": differences,
                "direction": direction,
                "form_keep": [("direction", direction)] if direction else [],
                "year": the_year,
                "year_path": budget_link(body, the_year),
            },
            position=document["position"],
        )

    return answer(request, build)


@router.get("/ui/bodies/{body}/budget/{year}/lines/{code}")
def budget_line_page(request: Request, body: str, year: str, code: str) -> Response:
    """One budget line: approvals with their resolutions, funding, payments, differences."""

    def build() -> Response:
        asked = Axes.of(request)
        the_year = year_value(year)
        private = session.signed_in(request)
        document, checked = queries.budget_with_reconciliation(
            read_model(request),
            body,
            the_year,
            line=code,
            as_of=asked.as_of,
            known_at=asked.known_at,
            include_private=private,
        )
        base = body_link(body)
        line_path = f"{budget_link(body, the_year)}/lines/{quote(code, safe='')}"
        context = frame(
            f"Haushaltsstelle {code}",
            document,
            f"/v1/bodies/{quote(body, safe='')}/budget/{the_year}/lines/{quote(code, safe='')}"
            f"{asked.query()}",
            [
                (body, base),
                (f"Haushalt {the_year}", budget_link(body, the_year) + asked.query()),
                (code, line_path + asked.query()),
            ],
            asked=asked,
            body={"slug": body},
        )
        history = link(f"{base}/history/budget_line", ("scope", str(the_year)), ("key", code))
        return page(
            request,
            "budget_line.html",
            {
                **context,
                "document": document,
                "line": document["lines"][0] if document["lines"] else None,
                "differences": [difference_text(d["code"]) for d in checked["differences"]],
                "year": the_year,
                "history": history,
            },
            position=document["position"],
        )

    return answer(request, build)


def decided_on(resolution: dict[str, Any]) -> str | None:
    """The date a resolution was decided on, None when no vote or decision stated an outcome.

    Then its status is "proposed", and the read model gives the proposal's date as
    `decided_on` (its list is sorted and filtered by it); a page does not show that date
    as a decision.
    """
    return None if resolution.get("status") == "proposed" else resolution.get("decided_on")


@router.get("/ui/bodies/{body}/resolutions")
def resolutions_page(request: Request, body: str) -> Response:
    """The resolutions (Beschlüsse) with their status; anonymous readers see the public ones."""

    def build() -> Response:
        asked = Axes.of(request)
        document = queries.list_resolutions(
            read_model(request),
            body,
            as_of=asked.as_of,
            known_at=asked.known_at,
            include_private=session.signed_in(request),
            with_tallies=False,
        )
        base = body_link(body)
        context = frame(
            "Beschlüsse",
            document,
            f"/v1/bodies/{quote(body, safe='')}/resolutions{asked.query()}",
            [(body, base), ("Beschlüsse", f"{base}/resolutions{asked.query()}")],
            asked=asked,
            body={"slug": body},
        )
        resolutions = [{**r, "decided_on": decided_on(r)} for r in document["resolutions"]]
        return page(
            request,
            "resolutions.html",
            {**context, "document": document, "resolutions": resolutions},
            position=document["position"],
        )

    return answer(request, build)


@router.get("/ui/bodies/{body}/resolutions/{reference:path}")
def resolution_page(request: Request, body: str, reference: str) -> Response:
    """A resolution: items, financial effect, votes and decisions as bar charts (a count a
    decision does not state as "unbekannt"), its status."""

    def build() -> Response:
        asked = Axes.of(request)
        # The API's rule (projections.models.resolutions.get_resolution), in one snapshot
        # with the committees the votes name.
        document, listed = queries.resolution_with_committees(
            read_model(request),
            body,
            reference,
            as_of=asked.as_of,
            known_at=asked.known_at,
            include_private=session.signed_in(request),
        )
        committees = {c["committee"]: c for c in listed}
        tallies = sorted(
            [
                {
                    **v,
                    "kind": kind,
                    "chart": charts.vote_bars(v, committees.get(v["committee"], {}).get("seats")),
                    "counts_text": charts.counts_text(v),
                    "states_counts": charts.states_counts(v),
                    "committee_name": committees.get(v["committee"], {}).get(
                        "name", v["committee"]
                    ),
                }
                for kind, name in (("vote", "votes"), ("decision", "decisions"))
                for v in document.get(name, [])
            ],
            key=lambda t: str(t.get("meeting_date") or ""),
        )
        base = body_link(body)
        path = f"{base}/resolutions/{quote(reference, safe='/')}"
        context = frame(
            f"Beschluss {reference}",
            document,
            f"/v1/bodies/{quote(body, safe='')}/resolutions/{quote(reference, safe='/')}"
            f"{asked.query()}",
            [
                (body, base),
                ("Beschlüsse", f"{base}/resolutions{asked.query()}"),
                (reference, path + asked.query()),
            ],
            asked=asked,
            body={"slug": body},
        )
        effect = document.get("financial_effect") or {}
        line_path = (
            f"{budget_link(body, int(effect['year']))}/lines/{quote(str(effect['line']), safe='')}"
            if effect.get("year") and effect.get("line")
            else None
        )
        history = link(f"{base}/history/resolution", ("key", reference))
        return page(
            request,
            "resolution.html",
            {
                **context,
                "document": document,
                "tallies": tallies,
                "committee_name": committees.get(document.get("committee") or "", {}).get(
                    "name", document.get("committee")
                ),
                "line_path": line_path,
                "history": history,
                "decided_on": decided_on(document),
            },
            position=document["position"],
        )

    return answer(request, build)


@router.get("/ui/bodies/{body}/findings")
def findings_page(request: Request, body: str) -> Response:
    """The auditor's findings with their answers; anonymous readers see the published ones."""

    def build() -> Response:
        asked = Axes.of(request)
        process = text(request, "process")
        document = queries.findings(
            read_model(request),
            body,
            process=process,
            as_of=asked.as_of,
            known_at=asked.known_at,
            include_private=session.signed_in(request),
        )
        base = body_link(body)
        extra = [("process", process)] if process else []
        context = frame(
            "Feststellungen",
            document,
            f"/v1/bodies/{quote(body, safe='')}/findings{asked.query(*extra)}",
            [(body, base), ("Feststellungen", f"{base}/findings{asked.query(*extra)}")],
            asked=asked,
            body={"slug": body},
        )
        return page(
            request,
            "findings.html",
            {**context, "document": document, "history_base": f"{base}/history/finding"},
            position=document["position"],
        )

    return answer(request, build)
