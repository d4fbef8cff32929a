"""Exports shaped like real municipal ones, generated from a seed: budgets and a bookings journal.

Each generator returns the file's bytes and what the file says (its lines and amounts as
plain data), so that a test compares the ledger against the file's own figures, not against
numbers written into the test. The shapes follow published open-data budgets: a cameral
long file (year, plan/actual, expenditures negative, sum rows per section), an NKF budget
with separate income and expenditure columns, one whose direction is the account class
and whose expenditures are negative, and a bookings journal with a title block, reversals
and a footer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ledger.application import LedgerApplication

BODY = "musterstadt"
YEAR = 2019
ZERO = Decimal("0.00")


@dataclass
class Line:
    """A budget line as the file gives it: code parts, title, direction, plan by year."""

    parts: tuple[str, ...]
    code: str
    title: str
    direction: str
    plan: dict[int, Decimal]
    actual: dict[int, Decimal] = field(default_factory=dict)


def german(amount: Decimal) -> str:
    """1234567.8 as '1.234.567,80', -5 as '-5,00'."""
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount.quantize(Decimal("0.01"))) * 100, 100)
    return f"{sign}{int(whole):,}".replace(",", ".") + f",{int(cents):02d}"


def totals(lines: list[Line], year: int = YEAR) -> dict[str, Decimal]:
    """The file's own income and expenditure totals of `year` (as the ledger stores them)."""
    out = {"income": ZERO, "expenditure": ZERO}
    for line in lines:
        out[line.direction] += line.plan[year]
    return out


def record_body(app: LedgerApplication, pattern: str) -> None:
    """Records the body Musterstadt with this budget-line pattern."""
    app.record(
        [
            {
                "record": "body",
                "body": BODY,
                "name": "Stadt Musterstadt",
                "land": "Thüringen",
                "line_pattern": pattern,
                "effective": "2018-01-01",
            }
        ]
    )


def _amount(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


TITLES = (
    "Sitzungsgeld",
    "Bürobedarf",
    "Unterhaltung der Grundstücke",
    "Zuschüsse an Vereine",
    "Erstattungen vom Land",
    "Gebühren für Amtshandlungen",
    "Bewirtschaftung – Strom, Heizung",
    "Geräte, Ausstattung (über 800 €)",
    "Mieten und Pachten",
    "Zinsen für Kredite",
)


def cameral_lines(rng: random.Random, count: int) -> list[Line]:
    """Lines of a cameral budget: Unterabschnitt + Gruppierung, 0 and negative appropriations."""
    lines: list[Line] = []
    used: set[str] = set()
    sections = sorted(
        {f"{rng.randint(0, 9)}{rng.randint(0, 99):02d}00" for _ in range(max(2, count // 8))}
    )
    while len(lines) < count:
        ua = rng.choice(sections)
        income = rng.random() < 0.3
        group = rng.randint(1000, 2999) if income else rng.randint(4000, 9899)
        code = f"{ua}.{group:04d}"
        if code in used:
            continue
        used.add(code)
        plan = {y: _amount(rng, 1, 2_500_000) for y in (2018, 2019, 2020)}
        n = len(lines)
        if n % 7 == 3:
            plan[YEAR] = ZERO  # an Ansatz of 0: the line is in the budget, nothing planned
        if income and n % 11 == 0:
            plan[YEAR] = -_amount(rng, 1, 5_000)  # an expected refund: a negative Ansatz
        title = "" if n % 17 == 5 else f"{rng.choice(TITLES)} {n}"
        lines.append(
            Line(
                (ua, f"{group:04d}"),
                code,
                title,
                "income" if income else "expenditure",
                plan,
                {2018: _amount(rng, 0, 2_000_000)},
            )
        )
    lines.sort(key=lambda line: line.code)
    return lines


def thuringian_long_file(lines: list[Line]) -> bytes:
    """A cameral long file (Windows-1252, CRLF): a row per year and plan/actual.

    Expenditures are negative; each Unterabschnitt ends with a sum row (year and type
    filled, code empty) and the file with a grand total.
    """
    out = ["Jahr;Typ;UA;Gruppierung;Bezeichnung;Richtung;Betrag"]
    for year in (2018, 2019, 2020):
        for kind in ("Plan", "Ist") if year == 2018 else ("Plan",):
            section: str | None = None
            total = ZERO
            for line in lines:
                if section is not None and line.parts[0] != section:
                    out.append(f"{year};{kind};;;Summe Unterabschnitt {section};;{german(total)}")
                    total = ZERO
                section = line.parts[0]
                amount = (line.plan if kind == "Plan" else line.actual)[year]
                signed = -amount if line.direction == "expenditure" else amount
                total += signed
                side = "Einnahmen" if line.direction == "income" else "Ausgaben"
                out.append(
                    f"{year};{kind};{line.parts[0]};{line.parts[1]};{line.title};{side};"
                    f"{german(signed)}"
                )
            out.append(f"{year};{kind};;;Summe Unterabschnitt {section};;{german(total)}")
    out.append(";;;;Gesamtsumme;;0,00")
    return ("\r\n".join(out) + "\r\n").encode("cp1252")


THURINGIAN_MAPPING = """\
kind: budget
encoding: cp1252
where: {Jahr: "2019", Typ: Plan}
skip: {Bezeichnung: "^(Summe|Gesamtsumme)"}
code: {columns: [UA, Gruppierung], format: "{0:05}.{1:04}"}
title: Bezeichnung
amount: Betrag
sign: expenditure_negative
direction: {column: Richtung, values: {income: [Einnahmen], expenditure: [Ausgaben]}}
"""


def nkf_lines(rng: random.Random, count: int) -> list[Line]:
    """Lines of an NKF budget: Produkt + Sachkonto (4xxxxx Ertrag, 5xxxxx Aufwand)."""
    lines: list[Line] = []
    used: set[str] = set()
    while len(lines) < count:
        product = f"{rng.randint(1, 17):02d}{rng.randint(1, 9):02d}{rng.randint(1, 5):02d}"
        income = rng.random() < 0.35
        account = f"{4 if income else 5}{rng.randint(0, 99999):05d}"
        code = f"{product}.{account}"
        if code in used:
            continue
        used.add(code)
        n = len(lines)
        plan = {YEAR: _amount(rng, 1, 900_000), 2018: _amount(rng, 1, 900_000)}
        if n % 9 == 2:
            plan[YEAR] = ZERO
        if not income and n % 13 == 4:
            plan[YEAR] = -_amount(rng, 1, 600_000)  # a negative Aufwand (a reversal planned)
        lines.append(
            Line(
                (product, account),
                code,
                f"{rng.choice(TITLES)} {n}",
                "income" if income else "expenditure",
                plan,
            )
        )
    lines.sort(key=lambda line: (line.parts[0], line.direction != "income", line.parts[1]))
    return lines


def nrw_split_file(lines: list[Line]) -> bytes:
    """An NKF Teilergebnisplan (UTF-8 with BOM): Erträge and Aufwendungen in two columns.

    Each product ends with its sums (Produkt and Sachkonto empty).
    """
    out = ["Produkt;Sachkonto;Bezeichnung;Erträge 2019;Aufwendungen 2019;Ansatz 2018"]
    product: str | None = None
    sums = {"income": ZERO, "expenditure": ZERO}
    for line in lines:
        if product is not None and line.parts[0] != product:
            out.extend(_nrw_sums(sums))
            sums = {"income": ZERO, "expenditure": ZERO}
        product = line.parts[0]
        amount = line.plan[YEAR]
        sums[line.direction] += amount
        income, expenditure = (german(amount), "") if line.direction == "income" else ("", "")
        if line.direction == "expenditure":
            expenditure = german(amount)
        out.append(
            f'{line.parts[0]};{line.parts[1]};"{line.title}";{income};{expenditure};'
            f"{german(line.plan[2018])}"
        )
    out.extend(_nrw_sums(sums))
    return ("\n".join(out) + "\n").encode("utf-8-sig")


def _nrw_sums(sums: dict[str, Decimal]) -> list[str]:
    return [
        f";;Summe der ordentlichen Erträge;{german(sums['income'])};;",
        f";;Summe der ordentlichen Aufwendungen;;{german(sums['expenditure'])};",
        f";;Ordentliches Ergebnis;{german(sums['income'] - sums['expenditure'])};;",
    ]


NRW_MAPPING = """\
kind: budget
skip: {Sachkonto: "^$"}
code: {columns: [Produkt, Sachkonto]}
title: Bezeichnung
amount: {income: Erträge 2019, expenditure: Aufwendungen 2019}
"""


def hessian_file(lines: list[Line]) -> bytes:
    """A Hessian-style plan (Windows-1252): the account class is the direction.

    Accounts 5xxxxx are Erträge, 6xxxxx Aufwendungen, written negative; one column per
    year; a footer row of totals has no account.
    """
    out = ["Kostenstelle;Konto;Kontobezeichnung;Plan 2019;Plan 2020"]
    total = ZERO
    for line in lines:
        amount = line.plan[YEAR]
        signed = -amount if line.direction == "expenditure" else amount
        total += signed
        out.append(
            f"{line.parts[0]};{line.parts[1]};{line.title};{german(signed)};{german(signed + 1)}"
        )
    out.append(f";;Gesamtergebnis;{german(total)};")
    return ("\r\n".join(out) + "\r\n").encode("cp1252")


def hessian_lines(rng: random.Random, count: int) -> list[Line]:
    """NKF lines renumbered to the Hessian chart: 5xxxxx income, 6xxxxx expenditure."""
    lines = nkf_lines(rng, count)
    for line in lines:
        account = ("5" if line.direction == "income" else "6") + line.parts[1][1:]
        line.parts = (line.parts[0], account)
        line.code = f"{line.parts[0]}-{account}"
    return lines


HESSIAN_MAPPING = """\
kind: budget
encoding: cp1252
skip: {Konto: "^$"}
code: {columns: [Kostenstelle, Konto], format: "{0}-{1}"}
title: Kontobezeichnung
amount: Plan 2019
sign: expenditure_negative
opposite_sign: turn
direction: {column: Konto, patterns: {income: "^5", expenditure: "^6"}}
"""


@dataclass(frozen=True)
class Booking:
    """A row of a bookings journal."""

    code: str
    booked_on: date
    reference: str
    text: str
    amount: Decimal


def bookings_for(rng: random.Random, lines: list[Line], count: int) -> list[Booking]:
    """Bookings through the year on expenditure lines, with reversals of some of them."""
    spending = [line for line in lines if line.direction == "expenditure"]
    out: list[Booking] = []
    start = date(YEAR, 1, 2)
    for n in range(count):
        line = rng.choice(spending)
        booked_on = start + timedelta(days=rng.randint(0, 360))
        amount = _amount(rng, 1, 20_000)
        out.append(Booking(line.code, booked_on, f"{YEAR}-{n:05d}", "Zahlung", amount))
        if n % 10 == 9:  # a reversal a few days later, under its own voucher number
            reversed_on = min(booked_on + timedelta(days=3), date(YEAR, 12, 31))
            out.append(
                Booking(
                    line.code,
                    reversed_on,
                    f"{YEAR}-S{n:05d}",
                    f"Storno Beleg {YEAR}-{n:05d}",
                    -amount,
                )
            )
    out.sort(key=lambda b: (b.booked_on, b.reference))
    return out


def journal(bookings: list[Booking], first: date, last: date) -> bytes:
    """A bookings journal of [first, last] (Windows-1252, CRLF): title block, footer sum."""
    rows = [b for b in bookings if first <= b.booked_on <= last]
    out = [
        f"Stadt Musterstadt - Buchungsjournal Haushaltsjahr {YEAR}",
        f"Zeitraum: {first:%d.%m.%Y} bis {last:%d.%m.%Y}",
        "",
        "Haushaltsstelle;Buchungsdatum;Belegnummer;Buchungstext;Betrag EUR",
    ]
    out.extend(
        f"{b.code};{b.booked_on:%d.%m.%Y};{b.reference};{b.text};{german(b.amount)}" for b in rows
    )
    out.append(f";;;Summe;{german(sum((b.amount for b in rows), ZERO))}")
    return ("\r\n".join(out) + "\r\n").encode("cp1252")


JOURNAL_MAPPING = """\
kind: bookings
encoding: cp1252
separator: ";"
header_line: 4
skip: {Buchungstext: "^Summe"}
code: Haushaltsstelle
date: Buchungsdatum
reference: Belegnummer
text: Buchungstext
amount: Betrag EUR
"""


def paid(bookings: list[Booking]) -> dict[str, Decimal]:
    """The payments per line the bookings add up to."""
    out: dict[str, Decimal] = {}
    for b in bookings:
        out[b.code] = out.get(b.code, ZERO) + b.amount
    return out


def state_totals(app: LedgerApplication, lines: list[Line]) -> dict[str, Any]:
    """The ledger's appropriation totals by direction, read from each line's record."""
    from ledger.domain.budget_line import BudgetLine

    out = {"income": ZERO, "expenditure": ZERO}
    for line in lines:
        record: BudgetLine = app.repository.get(BudgetLine.id_for(BODY, YEAR, line.code))
        state = record.state_at()
        assert state.direction == line.direction, line.code
        assert state.appropriation is not None, line.code
        out[state.direction] += state.appropriation
    return out
