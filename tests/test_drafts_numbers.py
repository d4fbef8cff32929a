"""German amounts and dates as documents write them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.drafts.dates import dates_in
from ledger.drafts.numbers import amounts_in


@pytest.mark.parametrize(
    ("text", "value", "currency", "estimate"),
    [
        ("Ausgabe 17.655,00 Euro", "17655.00", "EUR", False),
        ("Gesamtkosten 2.699.185,61 €", "2699185.61", "EUR", False),
        ("Kredit über 10 Mio. Euro", "10000000.00", "EUR", False),
        ("1,5 Mio. €", "1500000.00", "EUR", False),
        ("EUR 1.234,5", "1234.50", "EUR", False),
        ("25.000,- €", "25000.00", "EUR", False),
        ("rund 5 TEUR", "5000.00", "EUR", True),
        ("etwa 800.000 Euro", "800000.00", "EUR", True),
        ("ca. 45.000 €", "45000.00", "EUR", True),
        ("bis zu 3.000 €", "3000.00", "EUR", True),
        ("12.000,00 DM", "12000.00", "DM", False),
    ],
)
def test_amounts(text: str, value: str, currency: str, estimate: bool) -> None:
    (amount,) = amounts_in(text)
    assert (amount.value, amount.currency, amount.estimate) == (Decimal(value), currency, estimate)


@pytest.mark.parametrize(
    "text",
    ["HH-Stelle 01.4953.7187", "Tel. 03632 741-0", "am 19.06.2018", "Seite 3", "2018/6/067"],
)
def test_numbers_without_a_currency_are_no_amounts(text: str) -> None:
    assert amounts_in(text) == []


def test_full_dates_and_a_month_alone() -> None:
    found = dates_in("am 19.06.2018, am 5. Juni 2013, Ende März 2013, endet am 30.06.\n2018")
    assert [f.day for f in found] == [date(2018, 6, 19), date(2013, 6, 5), None, date(2018, 6, 30)]
    assert found[2].text == "März 2013"


def test_impossible_dates_and_two_digit_years_give_no_day() -> None:
    assert [f.day for f in dates_in("31.02.2018 und 19.6.18")] == [None, None]
