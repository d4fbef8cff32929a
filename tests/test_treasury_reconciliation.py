"""The treasury's reconciliation: the demo line against its approval, funding and bookings."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ledger.application import LedgerApplication
from ledger.cli import main
from ledger.cli.record import demo_text, load_commands
from ledger.importers.bookings import import_bookings
from ledger.importers.mapping import default_mapping
from ledger.store import application_env
from projections.engine.errors import NotFoundError, QueryError
from projections.models.reconciliation import (
    reconciliation,
    reconciliation_csv,
    reconciliation_table,
)
from projections.queries import ReadModel
from projections.registry import catch_up

BODY = "kyffhaeuserkreis"
LINE = "01.4953.7187"
HEADER = "Buchungsdatum;HH-Stelle;Belegnummer;Betrag;Buchungstext\n"
RATES = (
    HEADER + "15.08.2018;01.4953.7187;AO-4711;5.885,00;1. Rate\n"
    "15.11.2018;01.4953.7187;AO-6102;5.885,00;2. Rate\n"
    "14.12.2018;01.4953.7187;AO-6650;5.885,00;3. Rate\n"
)
EXTRA = HEADER + "20.12.2018;01.4953.7187;AO-6901;450,00;Moderation\n"


class Treasury:
    """Given/when/then for one ledger: record commands, import bookings, reconcile."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        self.url = url
        self.tmp_path = tmp_path
        self.app = LedgerApplication(env=application_env(url))
        self.app.record(load_commands(demo_text(), "demo"))
        self.files = 0

    def record(self, *commands: dict[str, Any]) -> None:
        self.app.record([{"body": BODY, **c} for c in commands])

    def book(self, text: str) -> None:
        self.files += 1
        path = self.tmp_path / f"bookings-{self.files}.csv"
        path.write_text(text, encoding="utf-8")
        import_bookings(self.app, path, body=BODY, year=2018, mapping=default_mapping("bookings"))

    def reconcile(self, **options: Any) -> dict[str, Any]:
        catch_up(self.url)
        rm = ReadModel(self.url)
        try:
            return reconciliation(rm, BODY, options.pop("year", 2018), **options)
        finally:
            rm.close()

    def close(self) -> None:
        self.app.close()


@pytest.fixture
def treasury(tmp_path: Path) -> Iterator[Treasury]:
    """The demo case on a fresh SQLite ledger."""
    given = Treasury(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path)
    yield given
    given.close()


@pytest.fixture
def store_treasury(store_url: str, tmp_path: Path) -> Iterator[Treasury]:
    """The demo case on each storage backend."""
    given = Treasury(store_url, tmp_path)
    yield given
    given.close()


def codes(document: dict[str, Any]) -> list[str]:
    return [d["code"] for d in document["differences"]]


def test_the_demo_line_with_bookings_summing_to_the_approval_reconciles(
    store_treasury: Treasury,
) -> None:
    store_treasury.book(RATES)

    document = store_treasury.reconcile(line=LINE)

    assert document["reconciles"] is True
    assert document["differences"] == []
    (line,) = document["lines"]
    assert line["code"] == LINE
    assert (line["appropriation"], line["available"], line["payments"], line["remaining"]) == (
        None,
        "17655.00",
        "17655.00",
        "0.00",
    )
    (approval,) = line["approvals"]
    assert approval["resolution"] == "2018/6/067"
    assert (approval["resolution_status"], approval["resolution_amount"]) == (
        "adopted",
        "17655.00",
    )
    assert (line["funding_awarded"], line["funding_earmarked"]) == ("17655.00", "17655.00")


def test_one_more_booking_is_a_payment_beyond_available_naming_line_and_excess(
    store_treasury: Treasury,
) -> None:
    store_treasury.book(RATES)
    store_treasury.book(EXTRA)

    document = store_treasury.reconcile(line=LINE)

    assert document["reconciles"] is False
    (difference,) = document["differences"]
    assert difference["code"] == "payments-beyond-available"
    assert (difference["line"], difference["excess"]) == (LINE, "450.00")
    assert LINE in difference["message"]
    assert "450.00 EUR beyond the available 17655.00 EUR" in difference["message"]
    assert document["lines"][0]["remaining"] == "-450.00"


def test_bookings_imported_after_an_earlier_reconciliation_are_reconciled(
    treasury: Treasury,
) -> None:
    assert codes(treasury.reconcile()) == ["earmarked-funding-unspent"]
    treasury.book(RATES)
    assert codes(treasury.reconcile()) == []
    treasury.book(EXTRA)
    assert codes(treasury.reconcile()) == ["payments-beyond-available"]


def test_without_bookings_the_earmarked_funding_is_unspent(treasury: Treasury) -> None:
    document = treasury.reconcile()
    assert codes(document) == ["earmarked-funding-unspent"]
    assert document["differences"][0]["unspent"] == "17655.00"


def test_as_of_and_known_at_move_the_reconciliation_in_both_times(treasury: Treasury) -> None:
    treasury.book(RATES)
    before_extra = datetime.now(UTC)
    treasury.book(EXTRA)

    assert codes(treasury.reconcile()) == ["payments-beyond-available"]
    assert codes(treasury.reconcile(known_at=before_extra)) == []
    assert codes(treasury.reconcile(as_of="2018-12-19")) == []
    assert codes(treasury.reconcile(as_of="2018-11-30")) == ["earmarked-funding-unspent"]
    document = treasury.reconcile(as_of="2018-06-18")
    assert document["lines"] == []
    assert document["reconciles"] is True


def test_a_payment_on_a_line_without_appropriation_or_approval_is_a_difference(
    treasury: Treasury,
) -> None:
    common = {"year": 2018, "line": "01.4510.7000", "effective": "2018-03-01"}
    treasury.record(
        {"record": "budget-line", **common, "title": "Zuschüsse"},
        {"record": "payment", **common, "amount": "99.00", "reference": "AO-1"},
    )
    document = treasury.reconcile(line="01.4510.7000")
    assert codes(document) == ["payment-without-authorisation"]
    assert "Payments of 99.00 EUR" in document["differences"][0]["message"]


def test_a_payment_on_an_ansatz_0_line_says_the_line_has_an_appropriation_of_0(
    treasury: Treasury,
) -> None:
    common = {"year": 2018, "line": "01.4510.7001", "effective": "2018-03-01"}
    treasury.record(
        {"record": "budget-line", **common, "title": "Zuschüsse"},
        {"record": "appropriation", **common, "amount": "0.00"},
        {"record": "payment", **common, "amount": "1234.50", "reference": "AO-0"},
    )
    english = treasury.reconcile(line="01.4510.7001")["differences"]
    assert [d["code"] for d in english] == ["payment-without-authorisation"]
    assert english[0]["message"] == (
        "Payments of 1234.50 EUR are booked on line 01.4510.7001 (2018), which has an "
        "appropriation of 0.00 and no approval."
    )
    german = treasury.reconcile(line="01.4510.7001", lang="de")["differences"]
    assert german[0]["message"] == (
        "Auf der Haushaltsstelle 01.4510.7001 (2018) sind Zahlungen von 1.234,50 EUR gebucht; "
        "sie hat einen Ansatz von 0,00 und keine Genehmigung."
    )
    table = reconciliation_table(treasury.reconcile(line="01.4510.7001", lang="de"))
    assert "01.4510.7001  Zahlung ohne Ermächtigung: Auf der Haushaltsstelle" in table
    rows = list(
        csv.reader(
            io.StringIO(
                reconciliation_csv(treasury.reconcile(line="01.4510.7001", lang="de")).lstrip(
                    "\ufeff"
                )
            ),
            delimiter=";",
        )
    )
    cells = dict(zip(rows[0], rows[1], strict=True))
    assert cells["Art"] == "Ausgabe" and cells["Abgestimmt"] == "nein"
    assert cells["Abweichungen"].startswith("Zahlung ohne Ermächtigung: Auf der")


def test_approvals_are_checked_against_their_resolutions(treasury: Treasury) -> None:
    def line(code: str) -> dict[str, Any]:
        return {"year": 2018, "line": code, "effective": "2018-02-01"}

    def approval(code: str, resolution: str, amount: str, effective: str) -> dict[str, Any]:
        return {
            "record": "supplementary",
            **line(code),
            "kind": "ausserplanmaessig",
            "amount": amount,
            "resolution": resolution,
            "effective": effective,
        }

    def proposal(reference: str, **effect: Any) -> dict[str, Any]:
        return {
            "record": "proposal",
            "resolution": reference,
            "committee": "jugendhilfeausschuss",
            "title": f"Vorlage {reference}",
            "submitter": "Landrätin",
            "items": ["Beschluss"],
            "public": True,
            "effective": "2018-03-01",
            **effect,
        }

    def vote(reference: str) -> dict[str, Any]:
        return {
            "record": "vote",
            "resolution": reference,
            "committee": "jugendhilfeausschuss",
            "effective": "2018-03-06",
            "yes": 8,
            "no": 1,
            "abstentions": 0,
            "recused": 0,
        }

    codes_ = ["01.4510.7001", "01.4510.7002", "01.4510.7003", "01.4510.7004", "01.4510.7005"]
    treasury.record(
        *({"record": "budget-line", **line(c), "title": f"Stelle {c}"} for c in codes_),
        proposal("2018/3/001", amount="1.000,00", year=2018, line="01.4510.7001"),
        vote("2018/3/001"),
        proposal("2018/3/002", amount="1.000,00", year=2018, line="01.4510.7002"),
        proposal("2018/3/003"),
        vote("2018/3/003"),
        approval("01.4510.7001", "2018/3/001", "1200.00", "2018-03-06"),
        approval("01.4510.7002", "2018/3/002", "1000.00", "2018-03-06"),
        approval("01.4510.7003", "2018/9/999", "500.00", "2018-03-06"),
        approval("01.4510.7004", "2018/3/003", "500.00", "2018-03-06"),
        approval("01.4510.7005", "2018/3/001", "1000.00", "2018-03-05"),
    )
    by_line = {
        entry["code"]: [d["code"] for d in entry["differences"]]
        for entry in treasury.reconcile()["lines"]
    }
    assert by_line["01.4510.7001"] == ["approval-differs-from-resolution"]
    assert by_line["01.4510.7002"] == ["resolution-not-adopted"]
    assert by_line["01.4510.7003"] == ["resolution-not-recorded"]
    assert by_line["01.4510.7004"] == ["resolution-without-financial-effect"]
    assert by_line["01.4510.7005"] == ["approval-before-adoption", "resolution-for-another-line"]
    messages = {d["code"]: d["message"] for d in treasury.reconcile()["differences"]}
    assert messages["approval-differs-from-resolution"] == (
        "Approvals on line 01.4510.7001 (2018) citing resolution 2018/3/001 total 1200.00 EUR; "
        "its financial effect is 1000.00 EUR."
    )
    assert "which is proposed" in messages["resolution-not-adopted"]


def test_an_appropriation_beside_an_ausserplanmaessige_approval_is_a_difference(
    treasury: Treasury,
) -> None:
    # The domain refuses such an appropriation, but a correction of a zero appropriation
    # (corrections re-check only the amount itself) can still bring one about.
    treasury.record(
        {
            "record": "appropriation",
            "year": 2018,
            "line": LINE,
            "amount": "0.00",
            "effective": "2018-06-19",
        }
    )
    treasury.record(
        {
            "record": "correction",
            "target": "budget-line",
            "year": 2018,
            "line": LINE,
            "version": 5,
            "values": {"amount": "1000.00"},
            "reason": "Ansatz falsch übernommen",
            "effective": "2018-07-01",
        }
    )
    assert "ausserplanmaessig-with-appropriation" in codes(treasury.reconcile(line=LINE))


def test_an_ueberplanmaessige_approval_whose_appropriation_is_retracted_is_a_difference(
    treasury: Treasury,
) -> None:
    common = {"year": 2018, "line": "01.4510.7000"}
    treasury.record(
        {"record": "budget-line", **common, "title": "Zuschüsse", "effective": "2018-01-01"},
        {"record": "appropriation", **common, "amount": "1000.00", "effective": "2018-01-01"},
        {
            "record": "supplementary",
            **common,
            "kind": "ueberplanmaessig",
            "amount": "17655.00",
            "resolution": "2018/6/067",
            "effective": "2018-06-19",
        },
        {
            "record": "retraction",
            "target": "budget-line",
            **common,
            "version": 2,
            "reason": "Ansatz irrtümlich erfasst",
            "effective": "2018-07-01",
        },
    )
    found = codes(treasury.reconcile(line="01.4510.7000"))
    assert "ueberplanmaessig-without-appropriation" in found
    assert "resolution-for-another-line" in found


def test_funding_received_beyond_awarded_is_a_difference(treasury: Treasury) -> None:
    treasury.book(RATES)
    treasury.record(
        {
            "record": "funding-received",
            "year": 2018,
            "line": LINE,
            "amount": "18000.00",
            "reference": "LVA-2018-77",
            "effective": "2018-09-01",
        }
    )
    document = treasury.reconcile(line=LINE)
    assert codes(document) == ["funding-received-beyond-awarded"]
    assert "by 345.00 EUR" in document["differences"][0]["message"]


def test_an_income_line_is_not_overspent_by_its_receipts(treasury: Treasury) -> None:
    common = {"year": 2018, "line": "01.4510.1710", "effective": "2018-01-01"}
    treasury.record(
        {"record": "budget-line", **common, "title": "Zuweisungen", "direction": "income"},
        {"record": "appropriation", **common, "amount": "100.00"},
        {"record": "payment", **common, "amount": "150.00", "reference": "E-1"},
    )
    assert treasury.reconcile(line="01.4510.1710")["reconciles"] is True


def test_anonymous_callers_do_not_see_non_public_resolutions(treasury: Treasury) -> None:
    common = {"year": 2018, "line": "01.4510.7000", "effective": "2018-03-06"}
    treasury.record(
        {
            "record": "proposal",
            "resolution": "2018/3/010",
            "committee": "jugendhilfeausschuss",
            "title": "Nichtöffentliche Vorlage",
            "submitter": "Landrätin",
            "items": ["Beschluss"],
            "public": False,
            "amount": "900.00",
            "year": 2018,
            "line": "01.4510.7000",
            "effective": "2018-03-01",
        },
        {"record": "budget-line", **common, "title": "Zuschüsse"},
        {
            "record": "supplementary",
            **common,
            "kind": "ausserplanmaessig",
            "amount": "1000.00",
            "resolution": "2018/3/010",
        },
    )
    private = treasury.reconcile(line="01.4510.7000", include_private=True)
    anonymous = treasury.reconcile(line="01.4510.7000")
    assert (
        codes(private)
        == codes(anonymous)
        == [
            "resolution-not-adopted",
            "approval-differs-from-resolution",
        ]
    )
    assert private["lines"][0]["approvals"][0]["resolution"] == "2018/3/010"
    assert anonymous["lines"][0]["approvals"][0]["resolution"] is None
    assert "2018/3/010" not in json.dumps(anonymous)
    assert "900.00" not in json.dumps(anonymous)
    assert "a non-public resolution" in anonymous["differences"][0]["message"]


def test_unknown_line_body_and_bad_parameters_are_refused(treasury: Treasury) -> None:
    with pytest.raises(NotFoundError, match=r"no budget line '01\.0000\.0000' in 2018"):
        treasury.reconcile(line="01.0000.0000")
    with pytest.raises(NotFoundError, match="no body 'nirgendwo'"):
        catch_up(treasury.url)
        rm = ReadModel(treasury.url)
        try:
            reconciliation(rm, "nirgendwo", 2018)
        finally:
            rm.close()
    with pytest.raises(QueryError) as refused:
        treasury.reconcile(year="18")
    assert refused.value.parameter == "year"
    with pytest.raises(QueryError) as refused:
        treasury.reconcile(as_of="2018-02-30")
    assert refused.value.parameter == "as_of"


# -- the command line ---------------------------------------------------------------------


@pytest.fixture
def cli(treasury: Treasury, monkeypatch: pytest.MonkeyPatch) -> Treasury:
    """The demo ledger as LEDGER_DATABASE_URL for `ledger` commands."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", treasury.url)
    return treasury


def test_ledger_reconcile_exits_0_when_the_demo_line_reconciles_and_1_beyond_it(
    cli: Treasury, capsys: pytest.CaptureFixture[str]
) -> None:
    bookings = cli.tmp_path / "rates.csv"
    bookings.write_text(RATES, encoding="utf-8")
    extra = cli.tmp_path / "extra.csv"
    extra.write_text(EXTRA, encoding="utf-8")
    reconcile = ["reconcile", "--body", BODY, "--year", "2018", "--line", LINE]
    assert main(["import", "bookings", str(bookings), "--body", BODY, "--year", "2018"]) == 0
    assert main(["import", "bookings", str(extra), "--body", BODY, "--year", "2018"]) == 0
    capsys.readouterr()

    assert main([*reconcile, "--as-of", "2018-12-19", "--lang", "en"]) == 0
    assert "Everything reconciles." in capsys.readouterr().out
    assert main([*reconcile, "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert f"{LINE}  payments-beyond-available:" in out
    assert "450.00 EUR beyond the available 17655.00 EUR" in out
    assert main(reconcile) == 1  # German by default: headings, amounts, differences
    out = capsys.readouterr().out
    assert out.startswith(f"Abstimmung {BODY} 2018, Stand ")
    assert "Haushaltsstelle" in out and "18.105,00" in out and "1 Abweichung" in out
    assert f"{LINE}  Zahlungen über dem Verfügbaren: Die Zahlungen auf der Haushaltsstelle" in out
    assert "450,00 EUR über den verfügbaren 17.655,00 EUR" in out


def test_ledger_reconcile_writes_json_and_csv(
    cli: Treasury, capsys: pytest.CaptureFixture[str]
) -> None:
    reconcile = ["reconcile", "--body", BODY, "--year", "2018"]
    assert main([*reconcile, "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["lines"][0]["code"] == LINE
    assert document["reconciles"] is False
    assert main([*reconcile, "--format", "csv", "--no-catch-up"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("\ufeffHaushaltsstelle;Bezeichnung;Art;Ansatz;")
    header, row = csv.reader(io.StringIO(out.lstrip("\ufeff")), delimiter=";")
    assert row[:2] == [
        LINE,
        "Landesprogramm Familie (Unterabschnitt 4953, außerplanmäßig angelegt)",
    ]
    assert dict(zip(header, row, strict=True))["Verfügbar"] == "17655,00"
    assert dict(zip(header, row, strict=True))["Art"] == "Ausgabe"
    assert row[-2:] == [
        "nein",
        "Zweckgebundene Fördermittel nicht verausgabt: Zweckgebundenen Fördermitteln von "
        "17.655,00 EUR auf der Haushaltsstelle 01.4953.7187 (2018) stehen nur Zahlungen von "
        "0,00 EUR gegenüber; 17.655,00 EUR sind nicht verausgabt.",
    ]
    assert main([*reconcile, "--format", "csv", "--no-catch-up", "--lang", "en"]) == 1
    out = capsys.readouterr().out
    header, row = csv.reader(io.StringIO(out.lstrip("\ufeff")), delimiter=";")
    cells = dict(zip(header, row, strict=True))
    assert cells["Line"] == LINE and cells["Direction"] == "expenditure"
    assert cells["Available"] == "17655,00"  # numbers as every CSV of the ledger writes them
    assert row[-2:] == [
        "no",
        "earmarked-funding-unspent: Earmarked funding of 17655.00 EUR on line 01.4953.7187 "
        "(2018) is matched by payments of only 0.00 EUR; 17655.00 EUR are not spent.",
    ]
    assert main([*reconcile, "--format", "json", "--lang", "de", "--no-catch-up"]) == 1
    again = json.loads(capsys.readouterr().out)
    assert again["differences"] == document["differences"]  # the API's document, unchanged


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--line", "01.0000.0000"], "no budget line '01.0000.0000'"),
        (["--as-of", "2018-13-01"], "parameter 'as_of'"),
        (["--known-at", "gestern"], "parameter 'known_at'"),
        (["--year", "18"], "parameter 'year'"),
    ],
)
def test_ledger_reconcile_exits_2_on_bad_input(
    cli: Treasury, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["reconcile", "--body", BODY, "--year", "2018", *args]) == 2
    assert message in capsys.readouterr().err


def test_ledger_reconcile_refuses_an_unknown_format(
    cli: Treasury, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exiting:
        main(["reconcile", "--body", BODY, "--year", "2018", "--format", "xlsx"])
    assert exiting.value.code == 2
    assert "invalid choice: 'xlsx'" in capsys.readouterr().err
