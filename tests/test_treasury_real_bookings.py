"""Bookings journals shaped like real exports: title block, footer, reversals, overlapping
exports, Ansatz-0 lines, retractions by hand (files generated in treasury_real_support)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from treasury_real_support import (
    BODY,
    JOURNAL_MAPPING,
    THURINGIAN_MAPPING,
    YEAR,
    Booking,
    Line,
    bookings_for,
    cameral_lines,
    journal,
    paid,
    record_body,
    thuringian_long_file,
)

from ledger.application import LedgerApplication
from ledger.cli import main
from ledger.domain.budget_line import BudgetLine, BudgetLineState
from ledger.errors import CommandError
from ledger.importers.bookings import import_bookings
from ledger.importers.budget import import_budget
from ledger.importers.mapping import Mapping, parse_mapping
from ledger.importers.report import ImportRefusedError, ImportReport
from ledger.store import application_env
from ledger.yaml_files import load_yaml
from projections.models.reconciliation import reconciliation
from projections.queries import ReadModel
from projections.registry import catch_up

ZERO = Decimal("0.00")


@dataclass
class Town:
    """Musterstadt with its budget imported, and the bookings of its year."""

    url: str
    app: LedgerApplication
    lines: list[Line]
    bookings: list[Booking]
    tmp_path: Path

    def journal(self, first: date, last: date, name: str) -> Path:
        path = self.tmp_path / name
        path.write_bytes(journal(self.bookings, first, last))
        return path

    def book(self, path: Path, text: str = JOURNAL_MAPPING, **options: Any) -> ImportReport:
        return import_bookings(
            self.app, path, body=BODY, year=YEAR, mapping=mapping(text), **options
        )

    def line(self, code: str) -> BudgetLine:
        record: BudgetLine = self.app.repository.get(BudgetLine.id_for(BODY, YEAR, code))
        assert isinstance(record, BudgetLine)
        return record

    def state(self, code: str) -> BudgetLineState:
        return self.line(code).state_at()

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def reconcile(self) -> dict[str, Any]:
        catch_up(self.url)
        rm = ReadModel(self.url)
        try:
            return reconciliation(rm, BODY, YEAR, as_of=date(YEAR, 12, 31))
        finally:
            rm.close()


def mapping(text: str, kind: str = "bookings") -> Mapping:
    return parse_mapping(load_yaml(text), kind, "mapping.yaml")


def town_on(url: str, tmp_path: Path, count: int = 60, bookings: int = 150) -> Iterator[Town]:
    app = LedgerApplication(env=application_env(url))
    rng = random.Random(21)
    lines = cameral_lines(rng, count)
    budget = tmp_path / "haushalt.csv"
    budget.write_bytes(thuringian_long_file(lines))
    try:
        record_body(app, r"^\d{5}\.\d{4}$")
        import_budget(
            app, budget, body=BODY, year=YEAR, mapping=mapping(THURINGIAN_MAPPING, "budget")
        )
        booked = bookings_for(rng, lines, bookings)
        zero = next(x for x in lines if x.direction == "expenditure" and x.plan[YEAR] == 0)
        booked.append(
            Booking(zero.code, date(YEAR, 4, 1), f"{YEAR}-Z0001", "Ersatz", Decimal("99.90"))
        )
        booked.sort(key=lambda b: (b.booked_on, b.reference))
        yield Town(url, app, lines, booked, tmp_path)
    finally:
        app.close()


@pytest.fixture
def town(tmp_path: Path) -> Iterator[Town]:
    """Musterstadt on a fresh SQLite file."""
    yield from town_on(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path)


@pytest.fixture
def store_town(store_url: str, tmp_path: Path) -> Iterator[Town]:
    """Musterstadt on each storage backend."""
    yield from town_on(store_url, tmp_path)


def payments(town: Town) -> dict[str, Decimal]:
    codes = {b.code for b in town.bookings}
    return {code: town.state(code).payments for code in codes}


YEAR_START, YEAR_END = date(YEAR, 1, 1), date(YEAR, 12, 31)


def test_a_journal_with_title_footer_reversals_and_an_ansatz_0_line_imports_without_skip_bad(
    store_town: Town,
) -> None:
    path = store_town.journal(YEAR_START, YEAR_END, "journal.csv")
    report = store_town.book(path)
    assert report.bad == []
    assert report.new == len(store_town.bookings)
    assert report.skipped == {"Buchungstext matches '^Summe'": [len(store_town.bookings) + 5]}
    assert any(b.amount < 0 for b in store_town.bookings)
    assert payments(store_town) == paid(store_town.bookings)

    before = store_town.head()
    again = store_town.book(path)
    assert store_town.head() == before
    assert (again.new, again.already_recorded) == (0, len(store_town.bookings))


def test_overlapping_exports_add_each_booking_once(store_town: Town) -> None:
    first = store_town.journal(YEAR_START, date(YEAR, 6, 30), "h1.csv")
    second = store_town.journal(date(YEAR, 4, 1), YEAR_END, "h2.csv")
    store_town.book(first)
    report = store_town.book(second)
    overlap = [
        b for b in store_town.bookings if date(YEAR, 4, 1) <= b.booked_on <= date(YEAR, 6, 30)
    ]
    assert report.already_recorded == len(overlap)
    assert payments(store_town) == paid(store_town.bookings)
    before = store_town.head()
    store_town.book(first)
    store_town.book(second)
    assert store_town.head() == before


def test_a_reversal_row_lowers_its_lines_payments_under_its_own_reference(town: Town) -> None:
    path = town.tmp_path / "storno.csv"
    code = next(x.code for x in town.lines if x.direction == "expenditure")
    path.write_bytes(
        journal(
            [
                Booking(code, date(YEAR, 3, 15), "B-1", "Zahlung", Decimal("1200.00")),
                Booking(code, date(YEAR, 3, 20), "B-2", "Zahlung", Decimal("300.00")),
                Booking(code, date(YEAR, 3, 25), "B-3", "Storno Beleg B-2", Decimal("-300.00")),
            ],
            YEAR_START,
            YEAR_END,
        )
    )
    town.book(path)
    state = town.state(code)
    assert (state.payments, state.payment_count) == (Decimal("1200.00"), 3)
    reversal = town.line(code).booking("B-3")
    assert reversal is not None and reversal.amount == Decimal("-300.00")


def test_a_payment_retracted_by_hand_is_not_booked_again_by_the_next_import(
    store_town: Town,
) -> None:
    path = store_town.journal(YEAR_START, YEAR_END, "journal.csv")
    store_town.book(path)
    target = store_town.bookings[0]
    reversal = next(b for b in store_town.bookings if b.amount < 0)
    for booking in (target, reversal):
        record = store_town.line(booking.code)
        version = next(
            v
            for v, fact in record.facts.items()
            if isinstance(fact, BudgetLine.PaymentBooked) and fact.reference == booking.reference
        )
        store_town.app.record(
            [
                {
                    "record": "retraction",
                    "body": BODY,
                    "target": "budget-line",
                    "year": YEAR,
                    "line": booking.code,
                    "version": version,
                    "reason": f"Beleg {booking.reference} irrtümlich",
                    "effective": "2019-12-31",
                }
            ]
        )
    before = store_town.head()

    report = store_town.book(path)

    assert store_town.head() == before
    assert report.settled == 2
    assert report.bad == []
    expected = paid([b for b in store_town.bookings if b not in (target, reversal)])
    assert all(
        store_town.state(c).payments == expected.get(c, ZERO) for c in {target.code, reversal.code}
    )


def test_reconcile_flags_the_booking_on_the_ansatz_0_line_as_record_and_import_agree(
    tmp_path: Path,
) -> None:
    for town in town_on(f"sqlite:///{tmp_path / 'r.db'}", tmp_path, bookings=0):
        zero = [x for x in town.lines if x.direction == "expenditure" and x.plan[YEAR] == 0]
        assert len(zero) >= 2
        town.book(town.journal(YEAR_START, YEAR_END, "j.csv"))
        # The same rule for `ledger record`: a payment on another Ansatz-0 line is recorded.
        town.app.record(
            [
                {
                    "record": "payment",
                    "body": BODY,
                    "year": YEAR,
                    "line": zero[1].code,
                    "amount": "10,00",
                    "reference": "R-1",
                    "effective": "2019-05-02",
                }
            ]
        )
        document = town.reconcile()
        flagged = {
            d["line"]
            for d in document["differences"]
            if d["code"] == "payment-without-authorisation"
        }
        booked_zero = {b.code for b in town.bookings if b.code in {z.code for z in zero}}
        assert flagged == booked_zero | {zero[1].code}


def test_ledger_record_books_a_reversal_and_refuses_a_malformed_negative_amount(
    town: Town,
) -> None:
    code = next(x.code for x in town.lines if x.direction == "expenditure")
    command = {
        "record": "payment",
        "body": BODY,
        "year": YEAR,
        "line": code,
        "effective": "2019-06-01",
    }
    town.app.record([{**command, "amount": "500,00", "reference": "P-1"}])
    town.app.record([{**command, "amount": "-500,00", "reference": "S-1", "text": "Storno P-1"}])
    assert town.state(code).payments == ZERO
    with pytest.raises(CommandError) as refused:
        town.app.record([{**command, "amount": "--5,00", "reference": "S-2"}])
    assert "field 'amount'" in str(refused.value)


def test_a_journal_writing_payments_as_negative_numbers_is_turned_by_sign(town: Town) -> None:
    code = next(x.code for x in town.lines if x.direction == "expenditure")
    income = next(x.code for x in town.lines if x.direction == "income")
    path = town.tmp_path / "negativ.csv"
    path.write_bytes(
        journal(
            [
                Booking(code, date(YEAR, 3, 15), "B-1", "Zahlung", Decimal("-1200.00")),
                Booking(code, date(YEAR, 3, 25), "B-2", "Rückzahlung", Decimal("200.00")),
                Booking(income, date(YEAR, 3, 25), "E-1", "Gebühr", Decimal("50.00")),
            ],
            YEAR_START,
            YEAR_END,
        )
    )
    town.book(path, JOURNAL_MAPPING + "sign: expenditure_negative\n")
    assert town.state(code).payments == Decimal("1000.00")
    assert town.state(income).payments == Decimal("50.00")


def test_separate_receipt_and_payment_columns_must_match_the_lines_direction(town: Town) -> None:
    code = next(x.code for x in town.lines if x.direction == "expenditure")
    income = next(x.code for x in town.lines if x.direction == "income")
    path = town.tmp_path / "split.csv"
    path.write_text(
        "HHSt;Datum;Beleg;Einnahme;Ausgabe\n"
        f"{code};02.01.2019;A-1;;150,00\n"
        f"{income};03.01.2019;E-1;75,50;\n"
        f"{income};04.01.2019;E-2;;20,00\n",
        encoding="utf-8",
    )
    text = (
        "kind: bookings\ncode: HHSt\ndate: Datum\nreference: Beleg\n"
        "amount: {income: Einnahme, expenditure: Ausgabe}\n"
    )
    with pytest.raises(ImportRefusedError) as refused:
        town.book(path, text)
    (line,) = refused.value.report.bad_lines()
    assert "line 4: amount.expenditure (column 'Ausgabe'): holds the amount, but the line's" in line
    report = town.book(path, text, skip_bad=True)
    assert report.new == 2
    assert (town.state(code).payments, town.state(income).payments) == (
        Decimal("150.00"),
        Decimal("75.50"),
    )


def test_a_year_column_refuses_rows_of_another_year_and_where_selects_one(town: Town) -> None:
    code = next(x.code for x in town.lines if x.direction == "expenditure")
    path = town.tmp_path / "jahre.csv"
    path.write_text(
        "Haushaltsjahr;HHSt;Datum;Beleg;Betrag\n"
        f"2018;{code};28.12.2018;A-0;9,00\n"
        f"2019;{code};02.01.2019;A-1;150,00\n",
        encoding="utf-8",
    )
    text = "kind: bookings\ncode: HHSt\ndate: Datum\nreference: Beleg\nyear: Haushaltsjahr\n"
    with pytest.raises(ImportRefusedError) as refused:
        town.book(path, text)
    (line,) = refused.value.report.bad_lines()
    assert "line 2: year (column 'Haushaltsjahr'): the row is of 2018" in line
    report = town.book(path, text + 'where: {Haushaltsjahr: "2019"}\n')
    assert (report.new, report.not_selected, report.bad) == (1, 1, [])


def test_a_booking_dated_outside_the_fiscal_year_is_recorded_and_noted(town: Town) -> None:
    code = next(x.code for x in town.lines if x.direction == "expenditure")
    path = town.tmp_path / "auslauf.csv"
    path.write_bytes(
        journal(
            [
                Booking(code, date(YEAR, 12, 30), "B-1", "Zahlung", Decimal("10.00")),
                Booking(code, date(YEAR + 1, 1, 10), "B-2", "Auslaufperiode", Decimal("20.00")),
            ],
            YEAR_START,
            date(YEAR + 1, 1, 31),
        )
    )
    report = town.book(path)
    assert report.new == 2
    assert (
        f"1 booking dated outside {YEAR} (line 6): recorded in the fiscal year {YEAR}"
        in report.notes
    )


def test_a_long_import_tells_its_stages(town: Town) -> None:
    said: list[str] = []
    town.book(town.journal(YEAR_START, YEAR_END, "j.csv"), progress=said.append)
    count = len(town.bookings)
    assert said == [
        f"checking {count} bookings against the ledger",
        f"recording {count} bookings",
    ]


def test_the_cli_imports_the_journal_twice_and_reports_skipped_footer_rows(
    store_town: Town,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", store_town.url)
    path = store_town.journal(YEAR_START, YEAR_END, "journal.csv")
    mapped = store_town.tmp_path / "journal.yaml"
    mapped.write_text(JOURNAL_MAPPING, encoding="utf-8")
    args = ["import", "bookings", str(path), "--body", BODY, "--year", str(YEAR)]
    assert main([*args, "--mapping", str(mapped)]) == 0
    out = capsys.readouterr().out
    count = len(store_town.bookings)
    assert f"{count} bookings to record, 0 already recorded, 1 skipped by rule" in out
    assert f"skipped by rule (Buchungstext matches '^Summe'): 1 row (line {count + 5})" in out
    assert main([*args, "--mapping", str(mapped)]) == 0
    assert "nothing new: the ledger is unchanged" in capsys.readouterr().out


def test_an_unquoted_code_keeps_its_zeros_and_a_json_number_is_refused_naming_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    app = LedgerApplication(env=application_env(url))
    record_body(app, r"^\d{5}\.\d{4}$")
    app.close()
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    # YAML: a number with a point stays the text it was written as (ledger.yaml_files).
    path = tmp_path / "line.yaml"
    path.write_text(
        f"- {{record: budget-line, body: {BODY}, year: {YEAR}, line: 01000.4000, "
        "title: Sitzungsgeld, effective: 2019-01-01}\n",
        encoding="utf-8",
    )
    assert main(["record", str(path)]) == 0
    assert main(["log", "--format", "json"]) == 0
    assert "01000.4000" in capsys.readouterr().out
    # JSON has no such choice: its number 1000.4 has lost the zeros, and is refused.
    path = tmp_path / "line.json"
    path.write_text(
        f'[{{"record": "budget-line", "body": "{BODY}", "year": {YEAR}, "line": 1000.4,'
        ' "title": "Sitzungsgeld", "effective": "2019-01-01"}]',
        encoding="utf-8",
    )
    assert main(["record", str(path)]) == 2
    err = capsys.readouterr().err
    assert "field 'line': 1000.4 was read as a number" in err
    assert "write the code in quotes" in err
