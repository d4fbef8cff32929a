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

from projections.engine.axes import Axes, axes
from projections.engine.csv_cells import Cell, write_csv
from projections.models.budget import fiscal_year, line_document, line_rows
from projections.models.resolutions import public_references, resolution_document

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from sqlalchemy import RowMapping

    from projections.engine.store import ReadModel, View

ZERO = Decimal("0.00")
FAR_FUTURE = date(9999, 12, 31)


@dataclass(frozen=True)
class Authorities:
    """The resolutions the approvals cite, as the query sees them."""

    documents: dict[str, dict[str, Any]]  # on as_of, as known at known_at
    later: frozenset[str]  # recorded, but proposed only after as_of
    public: frozenset[str]  # may be named to the caller
    lang: str = "en"  # the language of the messages

    def name(self, reference: str) -> str:
        """How a message names a resolution."""
        if self.lang == "de":
            return (
                f"Beschluss {reference}"
                if reference in self.public
                else "ein nicht öffentlicher Beschluss"
            )
        return f"resolution {reference}" if reference in self.public else "a non-public resolution"

    def say(self, key: str, **fields: Any) -> str:
        """A message in the query's language, amounts written as that language writes them."""
        return say(self.lang, key, **fields)


def reconciliation(
    rm: ReadModel,
    body: str,
    year: int | str,
    *,
    line: str | None = None,
    as_of: date | str | None = None,
    known_at: datetime | date | str | None = None,
    include_private: bool = False,
    lang: str = "en",
) -> dict[str, Any]:
    """The reconciliation of a body's fiscal year (or one line) on as_of, known at known_at;
    difference messages in lang ("en", as the API serves them, or "de")."""
    the_year = fiscal_year(year)
    ax = axes(as_of, known_at)
    with rm.view() as view:
        rows = line_rows(view, body, the_year, ax, line)
        return reconciliation_of(view, body, the_year, ax, rows, include_private, lang)


def reconciliation_of(
    view: View,
    body: str,
    the_year: int,
    ax: Axes,
    rows: list[RowMapping],
    include_private: bool,
    lang: str = "en",
    public: set[str] | None = None,
) -> dict[str, Any]:
    """The reconciliation of `budget.line_rows`, read on in the same snapshot (`public`:
    the resolutions an anonymous reader may see, when the caller has read them)."""
    lines = [line_document(r, None, include_private=True) for r in rows]
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
    if public is None and not include_private:
        public = public_references(view, body)
    shown = {
        ref
        for ref in cited
        if include_private
        or (ref in (public or set()) and documents.get(ref, {}).get("public", True))
    }
    authorities = Authorities(documents, frozenset(ever - set(documents)), frozenset(shown), lang)
    reconciled = [reconcile_line(d, the_year, authorities) for d in lines]
    differences = [d for entry in reconciled for d in entry["differences"]]
    return {
        "body": body,
        "year": the_year,
        **ax.header(),
        "position": view.position,
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

    say = authorities.say
    where = {"code": code, "year": year}
    if expenditure and payments > ZERO and not has_appropriation and not approvals:
        differ(
            "payment-without-authorisation",
            say(
                "unauthorised" if appropriation is None else "unauthorised-zero",
                payments=payments,
                appropriation=appropriation,
                **where,
            ),
            payments=str(payments),
        )
    elif expenditure and payments > available:
        excess = payments - available
        differ(
            "payments-beyond-available",
            say("beyond", payments=payments, excess=excess, available=available, **where),
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
            say(
                "unspent",
                earmarked=earmarked,
                payments=payments,
                unspent=earmarked - payments,
                **where,
            ),
            earmarked=str(earmarked),
            payments=str(payments),
            unspent=str(earmarked - payments),
        )
    if received > awarded:
        differ(
            "funding-received-beyond-awarded",
            say(
                "received",
                received=received,
                awarded=awarded,
                excess=received - awarded,
                **where,
            ),
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
    say = authorities.say
    what = say("approval", kind=say(kind), amount=Decimal(amount), code=code, year=year)
    shown_ref = reference if reference in authorities.public else None
    document = authorities.documents.get(reference)
    if not reference:
        differ("approval-without-resolution", say("no-resolution", what=what))
    elif document is None:
        later = reference in authorities.later
        differ(
            "resolution-not-recorded",
            say(
                "proposed-later" if later else "not-recorded",
                what=what,
                name=authorities.name(reference),
            ),
            resolution=shown_ref,
        )
    elif document["status"] != "adopted":
        differ(
            "resolution-not-adopted",
            say(
                "not-adopted",
                what=what,
                name=authorities.name(reference),
                status=say(document["status"]),
            ),
            resolution=shown_ref,
            status=document["status"],
        )
    elif document["decided_on"] and approval["approved_on"] < document["decided_on"]:
        differ(
            "approval-before-adoption",
            say(
                "before-adoption",
                what=what,
                on=approval["approved_on"],
                name=authorities.name(reference),
                adopted=document["decided_on"],
            ),
            resolution=shown_ref,
        )
    if kind == "ausserplanmaessig" and has_appropriation:
        differ(
            "ausserplanmaessig-with-appropriation",
            say("ausserplanmaessig-with", what=what),
        )
    if kind == "ueberplanmaessig" and not has_appropriation:
        differ(
            "ueberplanmaessig-without-appropriation",
            say("ueberplanmaessig-without", what=what),
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
        say = authorities.say
        effect = document["financial_effect"]
        if effect is None:
            differ(
                "resolution-without-financial-effect",
                say("no-effect", total=total, code=code, year=year, name=name),
                resolution=shown_ref,
            )
        elif effect["line"] != code or effect["year"] != year:
            differ(
                "resolution-for-another-line",
                say(
                    "another-line" if shown_ref else "another-line-private",
                    total=total,
                    code=code,
                    year=year,
                    name=name,
                    other=effect["line"],
                    other_year=effect["year"],
                ),
                resolution=shown_ref,
            )
        elif Decimal(effect["amount"]) != total:
            authorised = Decimal(effect["amount"])
            differ(
                "approval-differs-from-resolution",
                say(
                    "differs" if shown_ref else "differs-private",
                    total=total,
                    code=code,
                    year=year,
                    name=name,
                    authorised=authorised,
                ),
                resolution=shown_ref,
                approved=str(total),
                authorised=str(authorised) if shown_ref else None,
            )


def _amount(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


# -- languages ------------------------------------------------------------------------------

LANGUAGES = ("de", "en")
#: Message templates by language; amounts are filled in as the language writes them.
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "unauthorised": "Payments of {payments} EUR are booked on line {code} ({year}), which "
        "has neither an appropriation nor an approval.",
        "unauthorised-zero": "Payments of {payments} EUR are booked on line {code} ({year}), "
        "which has an appropriation of {appropriation} and no approval.",
        "beyond": "Payments on line {code} ({year}) total {payments} EUR, {excess} EUR beyond "
        "the available {available} EUR.",
        "unspent": "Earmarked funding of {earmarked} EUR on line {code} ({year}) is matched by "
        "payments of only {payments} EUR; {unspent} EUR are not spent.",
        "received": "Funding received on line {code} ({year}) ({received} EUR) exceeds the "
        "funding awarded ({awarded} EUR) by {excess} EUR.",
        "approval": "The {kind} approval of {amount} EUR on line {code} ({year})",
        "no-resolution": "{what} names no authorising resolution.",
        "not-recorded": "{what} cites {name}, which is not in the ledger.",
        "proposed-later": "{what} cites {name}, which is proposed only after that date.",
        "not-adopted": "{what} cites {name}, which is {status}.",
        "before-adoption": "{what} is dated {on}, before {name} was adopted on {adopted}.",
        "ausserplanmaessig-with": "{what} is außerplanmäßig, but the line has an appropriation "
        "that year (it would be überplanmäßig).",
        "ueberplanmaessig-without": "{what} is überplanmäßig, but the line has no "
        "appropriation that year (it would be außerplanmäßig).",
        "no-effect": "Approvals of {total} EUR on line {code} ({year}) cite {name}, which has "
        "no financial effect.",
        "another-line": "Approvals of {total} EUR on line {code} ({year}) cite {name}, whose "
        "financial effect is for line {other} ({other_year}).",
        "another-line-private": "Approvals of {total} EUR on line {code} ({year}) cite {name}, "
        "whose financial effect is for another line.",
        "differs": "Approvals on line {code} ({year}) citing {name} total {total} EUR; its "
        "financial effect is {authorised} EUR.",
        "differs-private": "Approvals on line {code} ({year}) citing {name} total {total} EUR, "
        "which differs from its financial effect.",
    },
    "de": {
        "unauthorised": "Auf der Haushaltsstelle {code} ({year}) sind Zahlungen von {payments} "
        "EUR gebucht; sie hat weder einen Ansatz noch eine Genehmigung.",
        "unauthorised-zero": "Auf der Haushaltsstelle {code} ({year}) sind Zahlungen von "
        "{payments} EUR gebucht; sie hat einen Ansatz von {appropriation} und keine "
        "Genehmigung.",
        "beyond": "Die Zahlungen auf der Haushaltsstelle {code} ({year}) betragen {payments} "
        "EUR, {excess} EUR über den verfügbaren {available} EUR.",
        "unspent": "Zweckgebundenen Fördermitteln von {earmarked} EUR auf der Haushaltsstelle "
        "{code} ({year}) stehen nur Zahlungen von {payments} EUR gegenüber; {unspent} EUR sind "
        "nicht verausgabt.",
        "received": "Die eingegangenen Fördermittel auf der Haushaltsstelle {code} ({year}) "
        "({received} EUR) übersteigen die bewilligten ({awarded} EUR) um {excess} EUR.",
        "approval": "Die {kind} Genehmigung von {amount} EUR auf der Haushaltsstelle {code} "
        "({year})",
        "ausserplanmaessig": "außerplanmäßige",
        "ueberplanmaessig": "überplanmäßige",
        "no-resolution": "{what} nennt keinen ermächtigenden Beschluss.",
        "not-recorded": "{what} beruft sich auf {name}, der nicht im Ledger steht.",
        "proposed-later": "{what} beruft sich auf {name}, der erst nach diesem Datum "
        "eingebracht wird.",
        "not-adopted": "{what} beruft sich auf {name}, der {status} ist.",
        "before-adoption": "{what} ist vom {on}, vor der Beschlussfassung über {name} am "
        "{adopted}.",
        "ausserplanmaessig-with": "{what} ist außerplanmäßig, aber die Haushaltsstelle hat in "
        "diesem Jahr einen Ansatz (sie wäre überplanmäßig).",
        "ueberplanmaessig-without": "{what} ist überplanmäßig, aber die Haushaltsstelle hat in "
        "diesem Jahr keinen Ansatz (sie wäre außerplanmäßig).",
        "no-effect": "Genehmigungen von {total} EUR auf der Haushaltsstelle {code} ({year}) "
        "berufen sich auf {name}, der keine finanzielle Auswirkung hat.",
        "another-line": "Genehmigungen von {total} EUR auf der Haushaltsstelle {code} ({year}) "
        "berufen sich auf {name}, dessen finanzielle Auswirkung die Haushaltsstelle {other} "
        "({other_year}) betrifft.",
        "another-line-private": "Genehmigungen von {total} EUR auf der Haushaltsstelle {code} "
        "({year}) berufen sich auf {name}, dessen finanzielle Auswirkung eine andere "
        "Haushaltsstelle betrifft.",
        "differs": "Die Genehmigungen auf der Haushaltsstelle {code} ({year}) mit Bezug auf "
        "{name} betragen {total} EUR; seine finanzielle Auswirkung beträgt {authorised} EUR.",
        "differs-private": "Die Genehmigungen auf der Haushaltsstelle {code} ({year}) mit Bezug "
        "auf {name} betragen {total} EUR und weichen von seiner finanziellen Auswirkung ab.",
        "proposed": "eingebracht",
        "rejected": "abgelehnt",
        "revoked": "aufgehoben",
    },
}
#: The differences' names in German (the codes are the English names).
KINDS_DE = {
    "payments-beyond-available": "Zahlungen über dem Verfügbaren",
    "payment-without-authorisation": "Zahlung ohne Ermächtigung",
    "approval-without-resolution": "Genehmigung ohne Beschluss",
    "resolution-not-recorded": "Beschluss nicht erfasst",
    "resolution-not-adopted": "Beschluss nicht gefasst",
    "approval-before-adoption": "Genehmigung vor Beschlussfassung",
    "resolution-without-financial-effect": "Beschluss ohne finanzielle Auswirkung",
    "resolution-for-another-line": "Beschluss für eine andere Haushaltsstelle",
    "approval-differs-from-resolution": "Genehmigung weicht vom Beschluss ab",
    "ausserplanmaessig-with-appropriation": "Außerplanmäßig trotz Ansatz",
    "ueberplanmaessig-without-appropriation": "Überplanmäßig ohne Ansatz",
    "earmarked-funding-unspent": "Zweckgebundene Fördermittel nicht verausgabt",
    "funding-received-beyond-awarded": "Mehr Fördermittel eingegangen als bewilligt",
}
DIRECTIONS_DE = {"income": "Einnahme", "expenditure": "Ausgabe"}


def german_amount(value: Decimal) -> str:
    """An amount as German text writes it: 17.655,00."""
    return f"{value:,.2f}".translate(str.maketrans(",.", ".,"))


def say(lang: str, key: str, **fields: Any) -> str:
    """The message key in lang (a key without a text is itself), amounts as lang writes them."""
    amounts = german_amount if lang == "de" else str
    shown = {k: amounts(v) if isinstance(v, Decimal) else v for k, v in fields.items()}
    template = TEXTS[lang].get(key)
    return template.format(**shown) if template is not None else key


def kind_name(code: str, lang: str) -> str:
    """A difference's name in lang (English: its code)."""
    return KINDS_DE.get(code, code) if lang == "de" else code


def direction_name(direction: str, lang: str) -> str:
    """Income or expenditure in lang."""
    return DIRECTIONS_DE.get(direction, direction) if lang == "de" else direction


# -- formats --------------------------------------------------------------------------------

#: Table columns: (English heading, German heading, key).
TABLE_COLUMNS = (
    ("Line", "Haushaltsstelle", "code"),
    ("Appropriation", "Ansatz", "appropriation"),
    ("Approvals", "Über-/außerplanm.", "approved"),
    ("Available", "Verfügbar", "available"),
    ("Commitments", "Festlegungen", "commitments"),
    ("Payments", "Ist", "payments"),
    ("Remaining", "Rest", "remaining"),
    ("Funding", "Fördermittel", "funding_awarded"),
    ("Received", "Eingegangen", "funding_received"),
)
#: CSV columns: (German heading, key); English headings in CSV_COLUMNS_EN.
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
CSV_COLUMNS_EN = (
    ("Line", "code"),
    ("Title", "title"),
    ("Direction", "direction"),
    ("Appropriation", "appropriation"),
    ("Approvals", "approved"),
    ("Available", "available"),
    ("Commitments", "commitments"),
    ("Payments", "payments"),
    ("Remaining", "remaining"),
    ("Funding awarded", "funding_awarded"),
    ("Funding received", "funding_received"),
)
#: The CSV columns that are text; the others are amounts, written as numbers.
TEXT_COLUMNS = frozenset({"code", "title", "direction"})
#: The table's and CSV's words, by language.
WORDS = {
    "en": {
        "head": "Reconciliation {body} {year}, as of {as_of}, known at {known_at} "
        "(position {position})",
        "status": "Status",
        "reconciles": "reconciles",
        "difference": "{count} difference",
        "differences": "{count} differences",
        "no-lines": "No budget lines in this year.",
        "heading": "Differences:",
        "all": "Everything reconciles.",
        "reconciled": "Reconciles",
        "yes": "yes",
        "no": "no",
        "list": "Differences",
    },
    "de": {
        "head": "Abstimmung {body} {year}, Stand {as_of}, bekannt am {known_at} "
        "(Position {position})",
        "status": "Status",
        "reconciles": "abgestimmt",
        "difference": "{count} Abweichung",
        "differences": "{count} Abweichungen",
        "no-lines": "Keine Haushaltsstellen in diesem Jahr.",
        "heading": "Abweichungen:",
        "all": "Alles ist abgestimmt.",
        "reconciled": "Abgestimmt",
        "yes": "ja",
        "no": "nein",
        "list": "Abweichungen",
    },
}


def reconciliation_table(document: dict[str, Any], lang: str = "de") -> str:
    """The reconciliation as a plain-text table, then its differences, in lang (the
    document's messages should be in lang too: reconciliation(..., lang=lang))."""
    words = WORDS[lang]
    head = words["head"].format(**document)
    heading = 1 if lang == "de" else 0
    rows = [[column[heading] for column in TABLE_COLUMNS] + [words["status"]]]
    for line in document["lines"]:
        cells = [
            line[key] if key == "code" else _shown(line[key], lang) for *_, key in TABLE_COLUMNS
        ]
        count = len(line["differences"])
        status = (
            words["reconciles"]
            if not count
            else words["difference" if count == 1 else "differences"].format(count=count)
        )
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
        out.append(words["no-lines"])
    if document["differences"]:
        out.append(words["heading"])
        out.extend(
            f"  {d['line']}  {kind_name(d['code'], lang)}: {d['message']}"
            for d in document["differences"]
        )
    else:
        out.append(words["all"])
    return "\n".join(out) + "\n"


def reconciliation_csv(document: dict[str, Any], lang: str = "de") -> str:
    """The reconciliation as CSV for spreadsheets (see projections.engine.csv_cells): UTF-8 with
    BOM, ';', amounts as numbers with a decimal comma, text cells never read as formulas;
    headings, directions and differences in lang."""
    words = WORDS[lang]
    columns = CSV_COLUMNS if lang == "de" else CSV_COLUMNS_EN
    header: list[Cell] = [label for label, _ in columns]
    rows = [[*header, words["reconciled"], words["list"]]]
    for line in document["lines"]:
        cells: list[Cell] = [
            (direction_name(line[key], lang) if key == "direction" else line[key])
            if key in TEXT_COLUMNS
            else _amount(line[key])
            for _, key in columns
        ]
        rows.append(
            [
                *cells,
                words["yes"] if line["reconciles"] else words["no"],
                " | ".join(
                    f"{kind_name(d['code'], lang)}: {d['message']}" for d in line["differences"]
                ),
            ]
        )
    return write_csv(rows)


def _shown(value: str | None, lang: str) -> str:
    """A table cell: an amount as lang writes it, or '-'."""
    if value is None:
        return "-"
    return german_amount(Decimal(value)) if lang == "de" else value
