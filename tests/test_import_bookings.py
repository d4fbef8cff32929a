"""`ledger import bookings`: the treasury's bookings, keyed by booking reference per line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from storage import demo_ledger

from ledger.application import LedgerApplication
from ledger.cli import main
from ledger.domain.budget_line import BudgetLine, BudgetLineState
from ledger.domain.repeats import NEW
from ledger.importers.bookings import LineBook, import_bookings
from ledger.importers.mapping import default_mapping, load_mapping, parse_mapping
from ledger.importers.report import ImportRefusedError

BODY = "kyffhaeuserkreis"
LINE = "01.4953.7187"
EXAMPLES = Path(__file__).parent.parent / "examples" / "treasury"
HEADER = "Buchungsdatum;HH-Stelle;Belegnummer;Betrag;Buchungstext\n"
RATES = (
    HEADER + "15.08.2018;01.4953.7187;AO-4711;5.885,00;1. Rate\n"
    "15.11.2018;01.4953.7187;AO-6102;5.885,00;2. Rate\n"
    "14.12.2018;01.4953.7187;AO-6650;5.885,00;3. Rate\n"
)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LedgerApplication]:
    """The ledger on a fresh SQLite file with the demo case recorded."""
    yield from demo_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")


@pytest.fixture
def store_app(store_url: str) -> Iterator[LedgerApplication]:
    """The ledger with the demo case on each storage backend."""
    yield from demo_ledger(store_url)


def write(tmp_path: Path, text: str, name: str = "bookings.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def demo_line(app: LedgerApplication) -> BudgetLineState:
    record: BudgetLine = app.repository.get(BudgetLine.id_for(BODY, 2018, LINE))
    assert isinstance(record, BudgetLine)
    return record.state_at()


def head(app: LedgerApplication) -> str:
    digest = app.recorder.head()  # type: ignore[attr-defined]
    return str(digest)


def test_bookings_are_recorded_as_payments_on_their_line(
    store_app: LedgerApplication, tmp_path: Path
) -> None:
    report = import_bookings(
        store_app,
        write(tmp_path, RATES),
        body=BODY,
        year=2018,
        mapping=default_mapping("bookings"),
    )
    assert (report.new, report.already_recorded) == (3, 0)
    state = demo_line(store_app)
    assert (state.payments, state.payment_count) == (Decimal("17655.00"), 3)


def test_importing_the_same_bookings_twice_leaves_the_head_unchanged(
    store_app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(tmp_path, RATES)
    import_bookings(store_app, csv, body=BODY, year=2018, mapping=default_mapping("bookings"))
    before = head(store_app)

    report = import_bookings(
        store_app, csv, body=BODY, year=2018, mapping=default_mapping("bookings")
    )

    assert (report.new, report.already_recorded, report.positions) == (0, 3, [])
    assert head(store_app) == before
    assert demo_line(store_app).payments == Decimal("17655.00")


def test_an_overlapping_later_export_adds_only_the_new_bookings(
    app: LedgerApplication, tmp_path: Path
) -> None:
    first, second, third = RATES.splitlines()[1:]
    import_bookings(
        app,
        write(tmp_path, HEADER + f"{first}\n{second}\n"),
        body=BODY,
        year=2018,
        mapping=default_mapping("bookings"),
    )
    report = import_bookings(
        app,
        write(tmp_path, HEADER + f"{second}\n{third}\n"),
        body=BODY,
        year=2018,
        mapping=default_mapping("bookings"),
    )
    assert (report.new, report.already_recorded, len(report.positions)) == (1, 1, 1)
    assert demo_line(app).payment_count == 3


def test_bookings_with_a_mapping_compose_code_and_reference_from_columns(
    app: LedgerApplication,
) -> None:
    mapping = load_mapping(EXAMPLES / "bookings-journal.yaml", "bookings")
    report = import_bookings(
        app, EXAMPLES / "bookings-journal.csv", body=BODY, year=2018, mapping=mapping
    )
    assert report.new == 3
    record: BudgetLine = app.repository.get(BudgetLine.id_for(BODY, 2018, LINE))
    assert isinstance(record, BudgetLine)
    assert record.has_booking("2018-4711/1")
    assert record.state_at(date(2018, 8, 14)).payments == Decimal("0.00")
    assert record.state_at(date(2018, 8, 15)).payments == Decimal("5885.00")


def test_every_bad_booking_is_reported_with_its_line_and_nothing_is_appended(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(
        tmp_path,
        HEADER + "15.08.2018;01.4953.7187;AO-1;5.885,00;gut\n"  # 2: good
        "31.02.2018;01.4953.7187;AO-2;1,00;Datum\n"  # 3: no such date
        "15.08.2018;01.4953.7187;AO-3;1,0,0;Betrag\n"  # 4: amount
        "15.08.2018;01.4953.7187;;1,00;ohne Beleg\n"  # 5: no reference
        "15.08.2018;01.4510.7000;AO-5;1,00;unbekannte Stelle\n"  # 6: unknown line
        "15.08.2018;1-4953-7187;AO-6;1,00;Muster\n"  # 7: pattern
        "15.08.2018;01.4953.7187;AO-7;1,00--;Storno\n",  # 8: two signs
    )
    before = head(app)
    with pytest.raises(ImportRefusedError) as refused:
        import_bookings(app, csv, body=BODY, year=2018, mapping=default_mapping("bookings"))
    lines = refused.value.report.bad_lines()
    assert [line.split(":")[0] for line in lines] == [f"{csv} line {n}" for n in range(3, 9)]
    assert "date (column 'Buchungsdatum'): '31.02.2018' is not a real date" in lines[0]
    assert "amount (column 'Betrag'): '1,0,0' is not an amount" in lines[1]
    assert "reference (column 'Belegnummer'): missing" in lines[2]
    assert "no budget line 01.4510.7000 in 2018 has been recorded" in lines[3]
    assert "does not match the budget-line pattern" in lines[4]
    assert "'1,00--' is not an amount" in lines[5]
    assert head(app) == before


def test_a_booking_on_a_line_without_appropriation_or_approval_is_recorded(
    app: LedgerApplication, tmp_path: Path
) -> None:
    """As `ledger record` records it: `reconcile` is where it shows (see test_treasury_real)."""
    app.record(
        [
            {
                "record": "budget-line",
                "body": BODY,
                "year": 2018,
                "line": "01.4510.7000",
                "title": "Zuschüsse",
                "effective": "2018-01-01",
            }
        ]
    )
    csv = write(tmp_path, HEADER + "15.08.2018;01.4510.7000;AO-1;1,00;x\n")
    report = import_bookings(app, csv, body=BODY, year=2018, mapping=default_mapping("bookings"))
    assert (report.new, report.bad) == (1, [])
    record: BudgetLine = app.repository.get(BudgetLine.id_for(BODY, 2018, "01.4510.7000"))
    assert record.state_at().payments == Decimal("1.00")


def test_a_reference_given_twice_for_a_line_is_refused_naming_both_rows(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(
        tmp_path,
        HEADER + "15.08.2018;01.4953.7187;AO-1;1,00;a\n"
        "16.08.2018;01.4953.7187;AO-2;1,00;b\n"
        "17.08.2018;01.4953.7187;AO-1;2,00;c\n",
    )
    with pytest.raises(ImportRefusedError) as refused:
        import_bookings(app, csv, body=BODY, year=2018, mapping=default_mapping("bookings"))
    lines = refused.value.report.bad_lines()
    assert len(lines) == 2
    assert all("booking AO-1 on line 01.4953.7187 appears on lines 2 and 4" in x for x in lines)


def test_a_recorded_reference_with_another_amount_is_a_bad_row(
    app: LedgerApplication, tmp_path: Path
) -> None:
    import_bookings(
        app, write(tmp_path, RATES), body=BODY, year=2018, mapping=default_mapping("bookings")
    )
    changed = RATES.replace("AO-6650;5.885,00", "AO-6650;5.886,00")
    with pytest.raises(ImportRefusedError) as refused:
        import_bookings(
            app, write(tmp_path, changed), body=BODY, year=2018, mapping=default_mapping("bookings")
        )
    (line,) = refused.value.report.bad_lines()
    assert "line 4: booking AO-6650 is already recorded on line 01.4953.7187 with 5885.00" in line


def test_skip_bad_records_the_good_bookings_and_lists_the_skipped_rows(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(
        tmp_path,
        HEADER + "15.08.2018;01.4953.7187;AO-1;5.885,00;gut\n"
        "15.08.2018;01.4953.7187;AO-2;viel;schlecht\n",
    )
    report = import_bookings(
        app, csv, body=BODY, year=2018, mapping=default_mapping("bookings"), skip_bad=True
    )
    assert report.new == 1
    assert [b.line for b in report.bad] == [3]
    assert demo_line(app).payments == Decimal("5885.00")


def test_a_decimal_comma_in_a_comma_separated_file_must_be_quoted(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(
        tmp_path,
        "Buchungsdatum,HH-Stelle,Belegnummer,Betrag,Buchungstext\n"
        '2018-08-15,01.4953.7187,AO-1,"5885,00",quoted\n'
        "2018-08-16,01.4953.7187,AO-2,5885,00,unquoted\n",
    )
    with pytest.raises(ImportRefusedError) as refused:
        import_bookings(app, csv, body=BODY, year=2018, mapping=default_mapping("bookings"))
    (line,) = refused.value.report.bad_lines()
    assert "line 3: has 6 cells but the header has 5 columns" in line


def test_windows_1252_bookings_with_a_point_decimal_mapping(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = write(
        tmp_path,
        "Datum;Haushaltsstelle;Buchungs-Nr.;Betrag EUR;Verwendungszweck\n"
        "2018-08-15;01.4953.7187;B-1;5,885.00;Gebühr für Prüfung\n",
        encoding="cp1252",
    )
    mapping = parse_mapping({"decimal": "point"}, "bookings", "mapping.yaml")
    report = import_bookings(app, csv, body=BODY, year=2018, mapping=mapping)
    assert "encoding cp1252" in report.reading
    record: BudgetLine = app.repository.get(BudgetLine.id_for(BODY, 2018, LINE))
    assert isinstance(record, BudgetLine)
    (booking,) = [f for f in record.facts.values() if isinstance(f, BudgetLine.PaymentBooked)]
    assert (booking.amount, booking.text) == (Decimal("5885.00"), "Gebühr für Prüfung")


def test_the_cli_imports_bookings_twice_and_head_is_unchanged(
    app: LedgerApplication,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    csv = write(tmp_path, RATES)
    args = ["import", "bookings", str(csv), "--body", BODY, "--year", "2018"]
    assert main(args) == 0
    assert "3 bookings to record, 0 already recorded" in capsys.readouterr().out
    assert main(["head"]) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert "0 bookings to record, 3 already recorded" in capsys.readouterr().out
    assert main(["head"]) == 0
    assert capsys.readouterr().out == first


def test_a_booking_the_ledger_refuses_at_recording_is_a_bad_row(
    app: LedgerApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_bookings(
        app, write(tmp_path, RATES), body=BODY, year=2018, mapping=default_mapping("bookings")
    )
    # Hide the recorded bookings from the import's own check, so that the ledger refuses
    # the repeated reference (its text differs, so it is no mere repetition).
    monkeypatch.setattr(LineBook, "repeat", lambda self, booking: NEW)
    csv = write(
        tmp_path,
        HEADER + "16.12.2018;01.4953.7187;AO-9000;1,00;neu\n"
        "14.12.2018;01.4953.7187;AO-6650;5.885,00;3. Rate (korrigierter Text)\n",
    )
    with pytest.raises(ImportRefusedError) as refused:
        import_bookings(app, csv, body=BODY, year=2018, mapping=default_mapping("bookings"))
    (line,) = refused.value.report.bad_lines()
    assert line.startswith(f"{csv} line 3: field 'text': booking 'AO-6650' is already")
    assert demo_line(app).payment_count == 3

    report = import_bookings(
        app, csv, body=BODY, year=2018, mapping=default_mapping("bookings"), skip_bad=True
    )
    assert (report.new, [b.line for b in report.bad]) == (1, [3])
    assert demo_line(app).payment_count == 4


def test_a_dry_run_reports_and_records_nothing(app: LedgerApplication, tmp_path: Path) -> None:
    before = head(app)
    report = import_bookings(
        app,
        write(tmp_path, RATES),
        body=BODY,
        year=2018,
        mapping=default_mapping("bookings"),
        dry_run=True,
    )
    assert (report.new, report.positions, head(app)) == (3, [], before)
