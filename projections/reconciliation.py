"""The treasury's reconciliation (Abstimmung) of budget lines against what was approved.

Per fiscal year and line, on as_of and as known at known_at: appropriation (Ansatz),
approvals (über-/außerplanmäßig, each with its resolution), available = appropriation +
approvals, commitments, payments (Ist), remaining = available − payments, funding awarded
and received. Every disagreement is a *difference* with a stable code and a sentence:

- ``payments-beyond-available``: an expenditure line paid more than is available;
- ``payment-without-authorisation``: payments on an expenditure line with neither an
  appropriation nor an approval;
- ``approval-without-resolution``: an approval that names no resolution;
- ``resolution-not-recorded``: the named resolution is not in the ledger on as_of;
- ``resolution-not-adopted``: the resolution is proposed, rejected or revoked on as_of;
- ``approval-before-adoption``: the approval is dated before the resolution's adoption;
- ``resolution-without-financial-effect``: the resolution authorises no expenditure;
- ``resolution-for-another-line``: its financial effect is for another line or year;
- ``approval-differs-from-resolution``: the approvals citing a resolution on the line do
  not add up to its financial effect;
- ``ausserplanmaessig-with-appropriation`` / ``ueberplanmaessig-without-appropriation``:
  the approval's kind does not fit the line's appropriation;
- ``earmarked-funding-unspent``: earmarked funding (zweckgebunden) exceeds the spending on
  its line;
- ``funding-received-beyond-awarded``: more funding received than awarded.

It reads the budget-line and resolution read models in one snapshot. Without
include_private, references to non-public resolutions are redacted as in `budget`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from projections.axes import Axes, axes
from projections.budget import fiscal_year, line_document
from projections.csv_cells import Cell, write_csv
from projections.errors import NotFoundError
from projections.resolutions import public_references, resolution_document

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from projections.store import ReadModel

ZERO = Decimal("0.00")
FAR_FUTURE = date(9999, 12, 31)


@dataclass(frozen=True)
class Authorities:
    """The resolutions the approvals cite, as the query sees them."""

    documents: dict[str, dict[str, Any]]  # on as_of, as known at known_at
    later: frozenset[str]  # recorded, but proposed only after as_of
    public: frozenset[str]  # may be named to the caller

    def name(self, reference: str) -> str:
        """How a message names a resolution."""
        return f"resolution {reference}" if reference in self.public else "a non-public resolution"


def reconciliation(
    rm: ReadModel,
    body: str,
    year: int | str,
    *,
    line: str | None = None,
    as_of: date | str | None = None,
    known_at: datetime | date | str | None = None,
    include_private: bool = False,
) -> dict[str, Any]:
    """The reconciliation of a body's fiscal year (or one line) on as_of, known at known_at."""
    the_year = fiscal_year(year)
    ax = axes(as_of, known_at)
    scope = str(the_year)
    with rm.view() as view:
        view.require_body(body)
        if line is not None and not view.known("budget_line", body, line, scope=scope):
            raise NotFoundError(
                f"no budget line '{line}' in {the_year} of body '{body}' is in the ledger"
            )
        rows = view.rows(
            "budget_line", ax, body=body, scope=scope, keys=[line] if line is not None else None
        )
        lines = sorted(
            (line_document(r, None, include_private=True) for r in rows), key=lambda d: d["code"]
        )
        cited = sorted({a["resolution"] for d in lines for a in d["supplementary"]} - {""})
        documents = {
            r["reference"]: resolution_document(r)
            for r in (view.rows("resolution", ax, body=body, keys=cited) if cited else [])
        }
        ever = {
            r["reference"]
            for r in (
                view.rows("resolution", Axes(FAR_FUTURE, ax.known_at), body=body, keys=cited)
                if cited
                else []
            )
        }
        public = public_references(view, body)
        position = view.position
    shown = {
        ref
        for ref in cited
        if include_private or (ref in public and documents.get(ref, {}).get("public", True))
    }
    authorities = Authorities(documents, frozenset(ever - set(documents)), frozenset(shown))
    reconciled = [reconcile_line(d, the_year, authorities) for d in lines]
    differences = [d for entry in reconciled for d in entry["differences"]]
    return {
        "body": body,
        "year": the_year,
        **ax.header(),
        "position": position,
        "reconciles": not differences,
        "lines": reconciled,
        "differences": differences,
    }


def reconcile_line(line: dict[str, Any], year: int, authorities: Authorities) -> dict[str, Any]:
    """One line's amounts and differences, from its budget-overview document."""
    code = line["code"]
    appropriation = _amount(line["appropriation"])
    has_appropriation = appropriation is not None and appropriation > ZERO
    available = _amount(line["available"]) or ZERO
    payments = _amount(line["payments"]) or ZERO
    expenditure = line["direction"] == "expenditure"
    approvals = line["supplementary"]
    differences: list[dict[str, Any]] = []

    def differ(kind: str, message: str, **extra: Any) -> None:
        differences.append({"code": kind, "line": code, "message": message, **extra})

    where = f"line {code} ({year})"
    if expenditure and payments > ZERO and not has_appropriation and not approvals:
        differ(
            "payment-without-authorisation",
            f"Payments of {payments} EUR are booked on {where}, which has neither an "
            f"appropriation nor an approval.",
            payments=str(payments),
        )
    elif expenditure and payments > available:
        excess = payments - available
        differ(
            "payments-beyond-available",
            f"Payments on {where} total {payments} EUR, {excess} EUR beyond the available "
            f"{available} EUR.",
            available=str(available),
            payments=str(payments),
            excess=str(excess),
        )
    shown_approvals = [
        _approval_differences(a, code, year, has_appropriation, authorities, differ)
        for a in approvals
    ]
    _resolution_sums(approvals, code, year, authorities, differ)
    earmarked = sum(
        (Decimal(f["amount"]) for f in line["funding"] if f.get("earmarked")), start=ZERO
    )
    awarded = _amount(line["funding_awarded"]) or ZERO
    received = _amount(line["funding_received"]) or ZERO
    if expenditure and earmarked > payments:
        differ(
            "earmarked-funding-unspent",
            f"Earmarked funding of {earmarked} EUR on {where} is matched by payments of only "
            f"{payments} EUR; {earmarked - payments} EUR are not spent.",
            earmarked=str(earmarked),
            payments=str(payments),
            unspent=str(earmarked - payments),
        )
    if received > awarded:
        differ(
            "funding-received-beyond-awarded",
            f"Funding received on {where} ({received} EUR) exceeds the funding awarded "
            f"({awarded} EUR) by {received - awarded} EUR.",
            awarded=str(awarded),
            received=str(received),
        )
    return {
        "code": code,
        "title": line["title"],
        "direction": line["direction"],
        "appropriation": line["appropriation"],
        "approvals": shown_approvals,
        "approved": line["approved"],
        "available": line["available"],
        "commitments": line["commitments"],
        "payments": line["payments"],
        "payment_count": line["payment_count"],
        "remaining": line["remaining"],
        "funding": line["funding"],
        "funding_awarded": line["funding_awarded"],
        "funding_earmarked": str(earmarked),
        "funding_received": line["funding_received"],
        "reconciles": not differences,
        "differences": differences,
    }


def _approval_differences(
    approval: dict[str, Any],
    code: str,
    year: int,
    has_appropriation: bool,
    authorities: Authorities,
    differ: Callable[..., None],
) -> dict[str, Any]:
    """Checks one approval against its resolution and the line; returns it as shown."""
    reference = approval["resolution"] or ""
    amount = approval["amount"]
    kind = approval["kind"]
    what = f"The {kind} approval of {amount} EUR on line {code} ({year})"
    shown_ref = reference if reference in authorities.public else None
    document = authorities.documents.get(reference)
    if not reference:
        differ("approval-without-resolution", f"{what} names no authorising resolution.")
    elif document is None:
        later = reference in authorities.later
        differ(
            "resolution-not-recorded",
            f"{what} cites {authorities.name(reference)}, which "
            + ("is proposed only after that date." if later else "is not in the ledger."),
            resolution=shown_ref,
        )
    elif document["status"] != "adopted":
        differ(
            "resolution-not-adopted",
            f"{what} cites {authorities.name(reference)}, which is {document['status']}.",
            resolution=shown_ref,
            status=document["status"],
        )
    elif document["decided_on"] and approval["approved_on"] < document["decided_on"]:
        differ(
            "approval-before-adoption",
            f"{what} is dated {approval['approved_on']}, before {authorities.name(reference)} "
            f"was adopted on {document['decided_on']}.",
            resolution=shown_ref,
        )
    if kind == "ausserplanmaessig" and has_appropriation:
        differ(
            "ausserplanmaessig-with-appropriation",
            f"{what} is außerplanmäßig, but the line has an appropriation that year "
            f"(it would be überplanmäßig).",
        )
    if kind == "ueberplanmaessig" and not has_appropriation:
        differ(
            "ueberplanmaessig-without-appropriation",
            f"{what} is überplanmäßig, but the line has no appropriation that year "
            f"(it would be außerplanmäßig).",
        )
    effect = document["financial_effect"] if document else None
    return {
        **approval,
        "resolution": shown_ref,
        "resolution_status": document["status"] if document and shown_ref else None,
        "resolution_amount": effect["amount"] if effect and shown_ref else None,
    }


def _resolution_sums(
    approvals: list[dict[str, Any]],
    code: str,
    year: int,
    authorities: Authorities,
    differ: Callable[..., None],
) -> None:
    """The approvals citing one resolution on a line must add up to its financial effect."""
    totals: dict[str, Decimal] = {}
    for approval in approvals:
        if approval["resolution"]:
            totals[approval["resolution"]] = totals.get(approval["resolution"], ZERO) + Decimal(
                approval["amount"]
            )
    for reference, total in totals.items():
        document = authorities.documents.get(reference)
        if document is None:
            continue
        shown_ref = reference if reference in authorities.public else None
        name = authorities.name(reference)
        effect = document["financial_effect"]
        if effect is None:
            differ(
                "resolution-without-financial-effect",
                f"Approvals of {total} EUR on line {code} ({year}) cite {name}, which has no "
                f"financial effect.",
                resolution=shown_ref,
            )
        elif effect["line"] != code or effect["year"] != year:
            differ(
                "resolution-for-another-line",
                f"Approvals of {total} EUR on line {code} ({year}) cite {name}, whose financial "
                f"effect is for "
                + (f"line {effect['line']} ({effect['year']})." if shown_ref else "another line."),
                resolution=shown_ref,
            )
        elif Decimal(effect["amount"]) != total:
            authorised = Decimal(effect["amount"])
            differ(
                "approval-differs-from-resolution",
                f"Approvals on line {code} ({year}) citing {name} total {total} EUR"
                + (
                    f"; its financial effect is {authorised} EUR."
                    if shown_ref
                    else ", which differs from its financial effect."
                ),
                resolution=shown_ref,
                approved=str(total),
                authorised=str(authorised) if shown_ref else None,
            )


def _amount(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


# -- formats --------------------------------------------------------------------------------

TABLE_COLUMNS = (
    ("Line", "code"),
    ("Appropriation", "appropriation"),
    ("Approvals", "approved"),
    ("Available", "available"),
    ("Commitments", "commitments"),
    ("Payments", "payments"),
    ("Remaining", "remaining"),
    ("Funding", "funding_awarded"),
    ("Received", "funding_received"),
)
CSV_COLUMNS = (
    ("Haushaltsstelle", "code"),
    ("Bezeichnung", "title"),
    ("Art", "direction"),
    ("Ansatz", "appropriation"),
    ("Über-/außerplanmäßig", "approved"),
    ("Verfügbar", "available"),
    ("Festlegungen", "commitments"),
    ("Ist", "payments"),
    ("Rest", "remaining"),
    ("Fördermittel bewilligt", "funding_awarded"),
    ("Fördermittel eingegangen", "funding_received"),
)
#: The CSV columns that are text; the others are amounts, written as numbers.
TEXT_COLUMNS = frozenset({"code", "title", "direction"})


def reconciliation_table(document: dict[str, Any]) -> str:
    """The reconciliation as a plain-text table, then its differences."""
    head = (
        f"Reconciliation {document['body']} {document['year']}, as of {document['as_of']}, "
        f"known at {document['known_at']} (position {document['position']})"
    )
    rows = [[label for label, _ in TABLE_COLUMNS] + ["Status"]]
    for line in document["lines"]:
        cells = [line[key] if line[key] is not None else "-" for _, key in TABLE_COLUMNS]
        count = len(line["differences"])
        status = "reconciles" if not count else f"{count} difference{'s' if count > 1 else ''}"
        rows.append([*cells, status])
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    out = [head, ""]
    for row in rows:
        cells = [
            str(c).ljust(w) if i in (0, len(row) - 1) else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
    out.append("")
    if not document["lines"]:
        out.append("No budget lines in this year.")
    if document["differences"]:
        out.append("Differences:")
        out.extend(f"  {d['line']}  {d['code']}: {d['message']}" for d in document["differences"])
    else:
        out.append("Everything reconciles.")
    return "\n".join(out) + "\n"


def reconciliation_csv(document: dict[str, Any]) -> str:
    """The reconciliation as CSV for spreadsheets (see projections.csv_cells): UTF-8 with
    BOM, ';', amounts as numbers with a decimal comma, text cells never read as formulas."""
    header: list[Cell] = [label for label, _ in CSV_COLUMNS]
    rows = [[*header, "Abgestimmt", "Abweichungen"]]
    for line in document["lines"]:
        cells: list[Cell] = [
            line[key] if key in TEXT_COLUMNS else _amount(line[key]) for _, key in CSV_COLUMNS
        ]
        rows.append(
            [
                *cells,
                "ja" if line["reconciles"] else "nein",
                " | ".join(f"{d['code']}: {d['message']}" for d in line["differences"]),
            ]
        )
    return write_csv(rows)
