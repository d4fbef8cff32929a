"""Read-model columns hold every amount the write side accepts and every sum of them.

Cents used to be 64-bit integers: one commitment of 92233720368547758.08 EUR (2^63 cents),
or a sum of smaller amounts beyond that, stopped `ledger project`, `show`, `reconcile`
and `rebuild` for good (OverflowError on SQLite, out of range on PostgreSQL).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from api_support import api_client
from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, create_engine, select

from ledger.application import LedgerApplication
from ledger.cli import main
from ledger.cli.record import demo_text, load_commands
from ledger.domain.budget_line import available_and_remaining
from ledger.domain.money import format_amount
from ledger.store import application_env
from ledger.store.url import sqlalchemy_url
from projections.engine.bulk import inserter
from projections.engine.columns import WholeNumber, narrow_columns
from projections.engine.documents import amount, cents

BODY = "kyffhaeuserkreis"
LINE = "01.4953.7187"
#: Whole numbers around and far beyond the 64-bit range, and None.
VALUES = [
    0,
    1,
    -1,
    2**63 - 1,
    -(2**63),
    2**63,
    -(2**63) - 1,
    10**20,
    -(10**20),
    10**25,
    -(10**25),
    None,
]
#: Payments of 10^13 EUR each (the largest single amount the write side accepts): their
#: sum, 10^17 EUR, is 10^19 cents, beyond 2^63 - 1.
PAYMENTS = 10_000
EACH = "10000000000000.00"


def test_whole_numbers_round_trip_exactly(store_url: str) -> None:
    engine = create_engine(sqlalchemy_url(store_url))
    table = Table("amounts", MetaData(), Column("n", Integer), Column("cents", WholeNumber))
    table.metadata.create_all(engine)
    try:
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"n": i, "cents": v} for i, v in enumerate(VALUES)])
            bulk = inserter(conn.dialect, table)  # the projector's way (COPY, executemany)
            rows = [{"n": 100 + i, "cents": v} for i, v in enumerate(VALUES)]
            bulk.execute(conn, bulk.rows(rows))
        with engine.connect() as conn:
            read = conn.execute(select(table.c.n, table.c.cents).order_by(table.c.n)).all()
    finally:
        engine.dispose()
    assert [r[1] for r in read] == VALUES + VALUES
    assert all(type(r[1]) is int for r in read if r[1] is not None)


def test_tables_an_older_version_made_are_found_narrow_on_postgresql(store_url: str) -> None:
    engine = create_engine(sqlalchemy_url(store_url))
    Table("old", MetaData(), Column("cents", BigInteger)).metadata.create_all(engine)
    new = Table("new", MetaData(), Column("cents", WholeNumber))
    new.metadata.create_all(engine)
    old = Table("old", MetaData(), Column("cents", WholeNumber))  # as the model is now
    try:
        with engine.connect() as conn:
            found = narrow_columns(conn, [old, new])
    finally:
        engine.dispose()
    assert found == ([] if store_url.startswith("sqlite") else ["old.cents"])


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        ("92233720368547758.08", 2**63),
        ("0.05", 5),
        ("100000000000000000000000.00", 10**25),
        ("123456789012345678901234567890123.45", 12345678901234567890123456789012345),
    ],
)
def test_cents_and_amounts_are_exact_at_any_size(text: str, whole: int) -> None:
    assert cents(Decimal(text)) == whole
    assert amount(whole) == text
    assert amount(-whole) == "-" + text


@pytest.mark.parametrize(
    ("appropriation", "approved", "payments", "available", "remaining"),
    [
        ("17655.00", "2500.50", "20155.51", "20155.50", "-0.01"),
        (None, "92233720368547758.08", "0.05", "92233720368547758.08", "92233720368547758.03"),
        ("-100.00", "0.00", "0.00", "-100.00", "-100.00"),
    ],
)
def test_available_and_remaining_agree_in_euros_and_in_cents(
    appropriation: str | None, approved: str, payments: str, available: str, remaining: str
) -> None:
    """The domain (in euros) and the budget overview (in cents) compute them in one place."""
    in_euros = available_and_remaining(
        Decimal(appropriation) if appropriation is not None else None,
        Decimal(approved),
        Decimal(payments),
    )
    in_cents = available_and_remaining(
        cents(Decimal(appropriation)) if appropriation is not None else None,
        cents(Decimal(approved)),
        cents(Decimal(payments)),
    )
    assert [format_amount(x) for x in in_euros] == [available, remaining]
    assert [amount(x) for x in in_cents] == [available, remaining]


@pytest.fixture
def paid(store_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The demo plus 10,000 payments of 10^13 EUR on one line (not yet projected)."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", store_url)
    start = date(2018, 6, 20)
    payments = [
        {
            "record": "payment",
            "body": BODY,
            "year": 2018,
            "line": LINE,
            "amount": EACH,
            "reference": f"BIG-{i}",
            "effective": (start + timedelta(days=i * 190 // PAYMENTS)).isoformat(),
        }
        for i in range(PAYMENTS)
    ]
    app = LedgerApplication(env=application_env(store_url))
    try:
        app.record(load_commands(demo_text(), "demo"))
        app.record(load_commands(json.dumps(payments), "payments.json"))
    finally:
        app.close()
    return store_url


def _run(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> str:
    assert main(list(args)) == code, capsys.readouterr().err
    return capsys.readouterr().out


def test_sums_beyond_64_bits_are_projected_shown_reconciled_and_rebuilt(
    paid: str, capsys: pytest.CaptureFixture[str]
) -> None:
    total = Decimal(EACH) * PAYMENTS
    assert cents(total) > 2**63
    _run(capsys, "project")
    show = ("show", "budget", "--body", BODY, "--year", "2018", "--line", LINE, "--format")
    line = json.loads(_run(capsys, *show, "json"))["lines"][0]
    assert line["payments"] == f"{total:.2f}"
    assert line["payment_count"] == PAYMENTS
    assert line["remaining"] == f"{Decimal(line['available']) - total:.2f}"
    assert line["remaining"].startswith("-")

    reconcile = ("reconcile", "--body", BODY, "--year", "2018", "--format")
    document = json.loads(_run(capsys, *reconcile, "json", code=1))
    (entry,) = [e for e in document["lines"] if e["code"] == LINE]
    assert entry["payments"] == f"{total:.2f}"
    excess = [d for d in entry["differences"] if d["code"] == "payments-beyond-available"]
    assert excess and excess[0]["excess"] == f"{total - Decimal(line['available']):.2f}"
    assert f"{total:.2f}".replace(".", ",") in _run(capsys, *reconcile, "csv", code=1)

    _run(capsys, "rebuild")
    assert json.loads(_run(capsys, *show, "json"))["lines"][0] == line
    with api_client(paid) as client:
        answer = client.get(f"/v1/bodies/{BODY}/budget/2018/lines/{LINE}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["lines"][0]["payments"] == f"{total:.2f}"
