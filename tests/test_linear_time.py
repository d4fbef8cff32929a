"""Linear time: the work per new event does not grow with the events a record or a batch has.

No timing: each test counts the Python function calls (sys.setprofile) a step makes on a
small and on a large record or batch. A step that scans the facts, the pending events or
the batch's records makes calls per element, so its count grows with the size; the
counts of a constant-time step are the same at both sizes. (`make bench` measures the
time: 100,000 payments on one line.)
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from ledger.application import LedgerApplication
from ledger.domain.budget_line import BudgetLine
from ledger.importers.bookings import import_bookings
from ledger.importers.mapping import default_mapping
from ledger.importers.trial import trial_run
from ledger.store import application_env

D = date.fromisoformat
SMALL, LARGE = 100, 1000
BODY = "b"


def calls(step: Callable[[], Any]) -> int:
    """The Python and builtin function calls `step` makes."""
    count = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        step()
    finally:
        sys.setprofile(None)
    return count


def busy_line(payments: int) -> BudgetLine:
    """A line with `payments` payments, all booked on the same date (one date: the worst
    case for a look-up by date), their events collected as after a save."""
    line = BudgetLine.open(
        body=BODY,
        year=2018,
        code="01.4953.7187",
        title="T",
        direction="expenditure",
        effective=D("2018-01-01"),
    )
    line.set_appropriation(Decimal("1000000.00"), D("2018-01-01"))
    for i in range(payments):
        line.book_payment(
            amount=Decimal("1.00"), reference=f"P-{i}", text="", effective=D("2018-08-01")
        )
    line.state_at()
    line.collect_events()
    return line


def one_more_of_everything(line: BudgetLine) -> None:
    """What a command file does to a busy line: new facts, repeats, the state after them."""
    line.book_payment(amount=Decimal("2.00"), reference="NEW", text="", effective=D("2018-08-01"))
    line.book_payment(amount=Decimal("1.00"), reference="P-7", text="", effective=D("2018-08-01"))
    line.record_commitment(
        amount=Decimal("3.00"), reference="C-1", text="", effective=D("2018-08-01")
    )
    line.record_commitment(
        amount=Decimal("3.00"), reference="C-1", text="", effective=D("2018-08-01")
    )
    line.receive_funding(amount=Decimal("4.00"), reference="F-1", effective=D("2018-08-02"))
    assert line.has_booking("NEW") and line.state_at().payment_count >= SMALL + 1


def test_a_new_fact_on_a_busy_line_costs_the_same_as_on_a_quiet_one() -> None:
    small, large = busy_line(SMALL), busy_line(LARGE)
    assert calls(lambda: one_more_of_everything(small)) == calls(
        lambda: one_more_of_everything(large)
    )


def test_a_retracted_payment_repeated_costs_the_same_on_a_busy_line() -> None:
    def retract_and_repeat(line: BudgetLine) -> Callable[[], None]:
        line.retract(5, "Storno", D("2018-09-01"))
        line.book_payment(amount=Decimal("1.00"), reference="X", text="", effective=D("2018-09-02"))

        def step() -> None:
            version = line.version
            line.book_payment(
                amount=Decimal("1.00"), reference="P-2", text="", effective=D("2018-08-01")
            )
            assert line.version == version  # settled: nothing appended
            line.book_payment(
                amount=Decimal("1.00"), reference="Y", text="", effective=D("2018-09-03")
            )

        return step

    small = retract_and_repeat(busy_line(SMALL))
    large = retract_and_repeat(busy_line(LARGE))
    assert calls(small) == calls(large)


def test_collecting_a_batch_of_events_costs_the_same_however_many_there_are() -> None:
    def pending(payments: int) -> BudgetLine:
        line = busy_line(0)
        for i in range(payments):
            line.book_payment(
                amount=Decimal("1.00"), reference=f"P-{i}", text="", effective=D("2018-08-01")
            )
        return line

    small, large = pending(SMALL), pending(LARGE)
    assert calls(small.collect_events) == calls(large.collect_events)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LedgerApplication]:
    """A ledger on a fresh SQLite file with one body."""
    application = LedgerApplication(env=application_env(f"sqlite:///{tmp_path / 'l.db'}"))
    application.record([{"record": "body", "body": BODY, "name": "B", "effective": "2018-01-01"}])
    try:
        yield application
    finally:
        application.close()


def budget_rows(count: int) -> list[tuple[int, list[dict[str, Any]]]]:
    """Rows of a budget import: each opens its line and sets its appropriation."""
    common = {"body": BODY, "year": 2018, "effective": "2018-01-01"}
    return [
        (
            i,
            [
                {"record": "budget-line", **common, "line": f"01.{i:04}.0000", "title": f"T{i}"},
                {"record": "appropriation", **common, "line": f"01.{i:04}.0000", "amount": "1.00"},
            ],
        )
        for i in range(count)
    ]


def per_row(total: int, rows: int) -> float:
    return total / rows


def test_a_trial_run_costs_the_same_per_row_however_many_rows_the_batch_has(
    app: LedgerApplication,
) -> None:
    trial_run(app, budget_rows(2))  # imports and first reads out of the way
    small = calls(lambda: trial_run(app, budget_rows(SMALL)))
    large = calls(lambda: trial_run(app, budget_rows(LARGE)))
    # Each row reads its line (absent) from the store: the same calls per row at any size.
    assert per_row(large, LARGE) <= 1.02 * per_row(small, SMALL)


def test_a_bookings_import_costs_the_same_per_row_however_many_bookings_the_line_has(
    app: LedgerApplication, tmp_path: Path
) -> None:
    app.record(
        [
            {
                "record": "budget-line",
                "body": BODY,
                "year": 2018,
                "line": "01.4953.7187",
                "title": "T",
                "effective": "2018-01-01",
            },
            {
                "record": "appropriation",
                "body": BODY,
                "year": 2018,
                "line": "01.4953.7187",
                "amount": "1000000.00",
                "effective": "2018-01-01",
            },
        ]
    )
    mapping = default_mapping("bookings")

    def export(name: str, first: int, count: int) -> Path:
        day = date(2018, 8, 1) + timedelta(days=first % 7)
        rows = [f"{day:%d.%m.%Y};01.4953.7187;{name}-{i};1,00;x" for i in range(count)]
        path = tmp_path / f"{name}.csv"
        path.write_text(
            "Buchungsdatum;HH-Stelle;Belegnummer;Betrag;Buchungstext\n" + "\n".join(rows) + "\n",
            encoding="utf-8",
        )
        return path

    def imported(path: Path) -> Callable[[], None]:
        def run() -> None:
            import_bookings(app, path, body=BODY, year=2018, mapping=mapping)

        return run

    calls(imported(export("warm", 0, 2)))
    small = calls(imported(export("small", 1, SMALL)))
    large = calls(imported(export("large", 2, LARGE)))
    assert per_row(large, LARGE) <= 1.05 * per_row(small, SMALL)
