"""Correcting a budget line's appropriation or payment to a negative amount.

The domain takes a negative Ansatz and a reversal (a negative booking), so a correction
of either fact to a negative amount is recorded; other amounts stay unsigned.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger.application import LedgerApplication
from ledger.domain.budget_line import BudgetLine
from ledger.errors import CommandError, RuleViolationError
from ledger.store import application_env

BODY = "bench-correct"
LINE = "01.4953.7187"
WHERE = {"body": BODY, "year": 2018, "line": LINE, "effective": "2018-01-01"}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LedgerApplication]:
    """A body with one line: its appropriation (version 2) and a payment (version 3)."""
    ledger = LedgerApplication(env=application_env(f"sqlite:///{tmp_path / 'l.db'}"))
    ledger.record(
        [
            {"record": "body", "body": BODY, "effective": "2018-01-01", "name": "B"},
            {"record": "budget-line", **WHERE, "title": "Zuschüsse"},
            {"record": "appropriation", **WHERE, "amount": "100.00"},
            {"record": "payment", **WHERE, "amount": "40.00", "reference": "AO-1"},
        ]
    )
    try:
        yield ledger
    finally:
        ledger.close()


def correct(app: LedgerApplication, version: int, amount: Any) -> None:
    where = {k: v for k, v in WHERE.items() if k != "effective"}
    app.record(
        [
            {
                "record": "correction",
                **where,
                "target": "budget-line",
                "version": version,
                "values": {"amount": amount},
                "reason": "sign",
                "effective": "2018-02-01",
            }
        ]
    )


def line(app: LedgerApplication) -> Any:
    record: BudgetLine = app.repository.get(BudgetLine.id_for(BODY, 2018, LINE))
    return record.state_at()


@pytest.mark.parametrize("amount", ["-250.00", "−250,00", -250])
def test_an_appropriation_is_corrected_to_a_negative_amount(
    app: LedgerApplication, amount: Any
) -> None:
    correct(app, 2, amount)
    assert line(app).appropriation == Decimal("-250.00")


def test_a_payment_is_corrected_to_a_reversal(app: LedgerApplication) -> None:
    correct(app, 3, "-40.00")
    assert line(app).payments == Decimal("-40.00")


def test_a_negative_correction_still_names_a_malformed_amount(app: LedgerApplication) -> None:
    with pytest.raises(CommandError) as refused:
        correct(app, 3, "--40.00")
    assert isinstance(refused.value.cause, RuleViolationError)
    assert refused.value.cause.field == "values.amount"
    assert line(app).payments == Decimal("40.00")  # nothing appended


def test_other_amounts_stay_unsigned(app: LedgerApplication) -> None:
    app.record(
        [
            {
                "record": "commitment",
                **WHERE,
                "amount": "10.00",
                "reference": "F-1",
            }
        ]
    )
    with pytest.raises(CommandError, match=r"values\.amount.*≥ 0"):
        correct(app, 4, "-10.00")
