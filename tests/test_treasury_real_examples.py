"""The 2019 samples in examples/treasury/ import with their mappings to the files' own totals."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.application import LedgerApplication
from ledger.cli.record import load_commands
from ledger.domain.budget_line import BudgetLine
from ledger.importers.bookings import import_bookings
from ledger.importers.budget import import_budget
from ledger.importers.mapping import load_mapping
from ledger.store import application_env

EXAMPLES = Path(__file__).parent.parent / "examples" / "treasury"
YEAR = 2019


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LedgerApplication]:
    """The sample bodies of 2019 on a fresh SQLite file."""
    application = LedgerApplication(env=application_env(f"sqlite:///{tmp_path / 'l.db'}"))
    text = (EXAMPLES / "bodies-2019.yaml").read_text(encoding="utf-8")
    application.record(load_commands(text, "bodies-2019.yaml"))
    yield application
    application.close()


def number(text: str) -> Decimal:
    return Decimal(text.replace(".", "").replace(",", "."))


def rows(name: str, encoding: str, skip: int = 0) -> list[dict[str, str]]:
    text = (EXAMPLES / name).read_bytes().decode(encoding)
    return list(csv.DictReader(io.StringIO("\n".join(text.splitlines()[skip:])), delimiter=";"))


def file_totals(name: str) -> dict[str, dict[str, Decimal]]:
    """code -> amount by direction, as the file itself gives them (read here independently)."""
    out: dict[str, dict[str, Decimal]] = {"income": {}, "expenditure": {}}
    if name.startswith("haushalt"):
        for r in rows(name, "cp1252"):
            if (r["Jahr"], r["Typ"]) == ("2019", "Plan") and r["UA"]:
                side = "income" if r["Richtung"] == "Einnahmen" else "expenditure"
                sign = 1 if side == "income" else -1
                out[side][f"{r['UA']}.{r['Gruppierung']}"] = sign * number(r["Betrag"])
    elif name.startswith("teilergebnisplan"):
        for r in rows(name, "utf-8-sig"):
            if r["Sachkonto"]:
                side = "income" if r["Erträge 2019"] else "expenditure"
                amount = r["Erträge 2019"] or r["Aufwendungen 2019"]
                out[side][f"{r['Produkt']}.{r['Sachkonto']}"] = number(amount)
    else:
        for r in rows(name, "cp1252"):
            if r["Konto"]:
                side = "income" if r["Konto"].startswith("5") else "expenditure"
                sign = 1 if side == "income" else -1
                out[side][f"{r['Kostenstelle']}-{r['Konto']}"] = sign * number(r["Plan 2019"])
    return out


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("haushalt-2019-kameral-lang", "musterstadt"),
        ("teilergebnisplan-2019-nkf", "nkfstadt"),
        ("plan-2019-hessen", "hessenstadt"),
    ],
)
def test_each_sample_budget_imports_to_the_files_own_amounts(
    app: LedgerApplication, name: str, body: str
) -> None:
    mapping = load_mapping(EXAMPLES / f"{name}.yaml", "budget")
    report = import_budget(app, EXAMPLES / f"{name}.csv", body=body, year=YEAR, mapping=mapping)
    assert report.bad == []
    for direction, amounts in file_totals(f"{name}.csv").items():
        for code, amount in amounts.items():
            record: BudgetLine = app.repository.get(BudgetLine.id_for(body, YEAR, code))
            assert isinstance(record, BudgetLine)
            state = record.state_at()
            assert (state.direction, state.appropriation) == (direction, amount), code


def test_the_sample_journal_books_its_reversal_and_the_ansatz_0_line(
    app: LedgerApplication,
) -> None:
    budget = "haushalt-2019-kameral-lang"
    import_budget(
        app,
        EXAMPLES / f"{budget}.csv",
        body="musterstadt",
        year=YEAR,
        mapping=load_mapping(EXAMPLES / f"{budget}.yaml", "budget"),
    )
    mapping = load_mapping(EXAMPLES / "buchungsjournal-2019.yaml", "bookings")
    path = EXAMPLES / "buchungsjournal-2019.csv"
    report = import_bookings(app, path, body="musterstadt", year=YEAR, mapping=mapping)
    journal = [
        r for r in rows("buchungsjournal-2019.csv", "cp1252", skip=3) if r["Haushaltsstelle"]
    ]
    assert (report.new, report.bad) == (len(journal), [])
    paid: dict[str, Decimal] = {}
    for r in journal:
        paid[r["Haushaltsstelle"]] = paid.get(r["Haushaltsstelle"], Decimal(0)) + number(
            r["Betrag EUR"]
        )
    for code, amount in paid.items():
        record: BudgetLine = app.repository.get(BudgetLine.id_for("musterstadt", YEAR, code))
        assert isinstance(record, BudgetLine)
        assert record.state_at().payments == amount, code
