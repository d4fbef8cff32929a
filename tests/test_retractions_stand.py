"""Retractions and corrections stand: recording a file again, or importing an export again,
never brings back a fact that was retracted or corrected; a repeat that contradicts the
standing fact, or carries an invalid value, is refused naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from storage import demo_ledger

from ledger.application import LedgerApplication
from ledger.cli import main
from ledger.cli.record import demo_text, record_text
from ledger.domain.budget_line import BudgetLine, BudgetLineState
from ledger.domain.resolution import Resolution
from ledger.errors import CommandError
from ledger.importers.bookings import import_bookings
from ledger.importers.budget import import_budget
from ledger.importers.mapping import default_mapping
from ledger.store import application_env

BODY = "kyffhaeuserkreis"
LINE = "01.4953.7187"
RESOLUTION = "2018/6/067"
PAYMENT = (
    "- {record: payment, body: kyffhaeuserkreis, year: 2018, line: 01.4953.7187, "
    'amount: "5000.00", reference: RT-1, effective: 2018-08-01}\n'
)
VOTE: dict[str, Any] = {
    "record": "vote",
    "body": BODY,
    "resolution": RESOLUTION,
    "committee": "jugendhilfeausschuss",
    "effective": "2018-06-19",
    "yes": 9,
    "no": 0,
    "abstentions": 0,
    "recused": 0,
}
BOOKINGS = (
    "Buchungsdatum;HH-Stelle;Belegnummer;Betrag;Buchungstext\n"
    "15.08.2018;01.4953.7187;AO-4711;5.885,00;1. Rate\n"
    "15.11.2018;01.4953.7187;AO-6102;5.885,00;2. Rate\n"
    "14.12.2018;01.4953.7187;AO-6650;5.885,00;3. Rate\n"
)
BUDGET = "HH-Stelle;Bezeichnung;Ansatz\n01.4953.9001;Neue Stelle;1.000,00\n"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LedgerApplication]:
    """The ledger on a fresh SQLite file with the demo case recorded."""
    yield from demo_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")


@pytest.fixture
def store_app(store_url: str) -> Iterator[LedgerApplication]:
    """The ledger with the demo case on each storage backend."""
    yield from demo_ledger(store_url)


@pytest.fixture
def ledger_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """LEDGER_DATABASE_URL pointing at a fresh SQLite file holding the demo case."""
    path = tmp_path / "ledger.db"
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{path}")
    assert record_text(demo_text(), "demo.yaml")
    return path


def line(app: LedgerApplication, code: str = LINE) -> BudgetLine:
    record: BudgetLine = app.repository.get(BudgetLine.id_for(BODY, 2018, code))
    assert isinstance(record, BudgetLine)
    return record


def line_state(app: LedgerApplication) -> BudgetLineState:
    return line(app).state_at()


def version_of(record: Any, event_class: type, **values: Any) -> int:
    """The version of the one event of `event_class` with these values."""
    (version,) = [
        v
        for v, fact in record.facts.items()
        if type(fact) is event_class and all(getattr(fact, k) == x for k, x in values.items())
    ]
    return int(version)


def fix(kind: str, target: str, version: int, **key: Any) -> dict[str, Any]:
    """A retraction or correction of the event at `version` of a record."""
    return {
        "record": kind,
        "body": BODY,
        "target": target,
        "version": version,
        "reason": "irrtümlich",
        "effective": "2018-12-31",
        **key,
    }


def head(capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["head"]) == 0
    return capsys.readouterr().out.splitlines()[-1]


def refused(app: LedgerApplication, *commands: dict[str, Any]) -> CommandError:
    before = app.recorder.max_notification_id()
    with pytest.raises(CommandError) as error:
        app.record(list(commands))
    assert app.recorder.max_notification_id() == before
    return error.value


# -- recording a file again -------------------------------------------------------------


def test_a_retracted_payment_stays_retracted_when_its_file_is_recorded_again(
    ledger_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pay = tmp_path / "pay.yaml"
    pay.write_text(PAYMENT, encoding="utf-8")
    assert main(["record", str(pay)]) == 0
    app = LedgerApplication(env=application_env(f"sqlite:///{ledger_db}"))
    try:
        version = version_of(line(app), BudgetLine.PaymentBooked, reference="RT-1")
    finally:
        app.close()
    retraction = tmp_path / "rt.yaml"
    retraction.write_text(
        "- {record: retraction, body: kyffhaeuserkreis, target: budget-line, year: 2018, "
        f"line: 01.4953.7187, version: {version}, reason: irrtuemlich, effective: 2018-08-02}}\n",
        encoding="utf-8",
    )
    assert main(["record", str(retraction)]) == 0
    before = head(capsys)

    assert main(["record", str(pay)]) == 0
    assert "nothing new" in capsys.readouterr().out
    assert head(capsys) == before


def test_a_retracted_vote_stays_retracted_when_its_file_is_recorded_again(
    store_app: LedgerApplication,
) -> None:
    resolution: Resolution = store_app.repository.get(Resolution.id_for(BODY, RESOLUTION))
    version = version_of(resolution, Resolution.VoteRecorded, committee="jugendhilfeausschuss")
    store_app.record([fix("retraction", "resolution", version, resolution=RESOLUTION)])

    assert store_app.record([VOTE]) == []
    assert store_app.record(load_demo()) == []
    stored: Resolution = store_app.repository.get(Resolution.id_for(BODY, RESOLUTION))
    state = stored.state_at()
    assert state.votes == ()


def load_demo() -> list[Any]:
    from ledger.cli.record import load_commands

    return load_commands(demo_text(), "demo.yaml")


def test_a_corrected_payment_is_not_booked_again_by_its_first_values(
    app: LedgerApplication,
) -> None:
    payment = {
        "record": "payment",
        "body": BODY,
        "year": 2018,
        "line": LINE,
        "amount": "5000.00",
        "reference": "RT-1",
        "effective": "2018-08-01",
    }
    app.record([payment])
    version = version_of(line(app), BudgetLine.PaymentBooked, reference="RT-1")
    correction = fix("correction", "budget-line", version, year=2018, line=LINE)
    app.record([{**correction, "values": {"amount": "4000.00"}}])
    payments = line_state(app).payments

    assert app.record([payment]) == []  # as first recorded: settled by the correction
    assert app.record([{**payment, "amount": "4000.00"}]) == []  # as it stands
    assert line_state(app).payments == payments
    error = refused(app, {**payment, "amount": "3000.00"})
    assert "field 'amount'" in str(error) and "'RT-1' is already recorded" in str(error)


def test_a_record_created_with_a_corrected_value_repeats_with_either_value(
    app: LedgerApplication,
) -> None:
    opening = {
        "record": "budget-line",
        "body": BODY,
        "year": 2018,
        "line": "01.4953.9001",
        "title": "Tipfehler",
        "effective": "2018-01-01",
    }
    app.record([opening])
    correction = fix("correction", "budget-line", 1, year=2018, line="01.4953.9001")
    app.record([{**correction, "values": {"title": "Richtig"}}])

    assert app.record([opening]) == []
    assert app.record([{**opening, "title": "Richtig"}]) == []
    error = refused(app, {**opening, "title": "Anders"})
    assert "field 'title'" in str(error) and "'Richtig'" in str(error)


# -- contradicting and invalid repeats -------------------------------------------------


def test_a_repeated_vote_with_a_contradicting_outcome_is_refused(app: LedgerApplication) -> None:
    assert app.record([{**VOTE, "outcome": "adopted"}]) == []
    error = refused(app, {**VOTE, "outcome": "rejected"})
    assert "field 'outcome'" in str(error)
    assert "the vote of 'jugendhilfeausschuss' on 2018-06-19 is already recorded" in str(error)


def test_a_repeated_vote_with_other_counts_is_refused_naming_the_count(
    app: LedgerApplication,
) -> None:
    error = refused(app, {**VOTE, "yes": 8, "no": 1})
    assert "field 'yes'" in str(error) and "yes = 9, not 8" in str(error)


def test_a_repeated_vote_with_an_invalid_outcome_is_refused(app: LedgerApplication) -> None:
    error = refused(app, {**VOTE, "outcome": "banana"})
    assert "field 'outcome'" in str(error) and "adopted, rejected" in str(error)


def test_the_cli_exits_2_on_a_contradicting_or_invalid_repeat(
    ledger_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = head(capsys)
    for outcome in ("rejected", "banana"):
        vote = tmp_path / f"{outcome}.yaml"
        vote.write_text(
            "- {record: vote, body: kyffhaeuserkreis, resolution: 2018/6/067, "
            "committee: jugendhilfeausschuss, effective: 2018-06-19, yes: 9, no: 0, "
            f"abstentions: 0, recused: 0, outcome: {outcome}}}\n",
            encoding="utf-8",
        )
        assert main(["record", str(vote)]) == 2
        assert "field 'outcome'" in capsys.readouterr().err
    assert head(capsys) == before


def test_a_repeated_payment_with_another_amount_is_refused_naming_it(
    app: LedgerApplication,
) -> None:
    payment = {
        "record": "payment",
        "body": BODY,
        "year": 2018,
        "line": LINE,
        "amount": "5000.00",
        "reference": "RT-1",
        "effective": "2018-08-01",
    }
    app.record([payment])
    error = refused(app, {**payment, "amount": "5001.00"})
    assert "field 'amount'" in str(error) and "amount = 5000.00, not 5001.00" in str(error)


# -- imports again -------------------------------------------------------------------


def test_a_reimported_export_does_not_rebook_a_reversed_payment(
    store_app: LedgerApplication, tmp_path: Path
) -> None:
    csv = tmp_path / "bookings.csv"
    csv.write_text(BOOKINGS, encoding="utf-8")
    mapping = default_mapping("bookings")
    import_bookings(store_app, csv, body=BODY, year=2018, mapping=mapping)
    version = version_of(line(store_app), BudgetLine.PaymentBooked, reference="AO-6102")
    store_app.record([fix("retraction", "budget-line", version, year=2018, line=LINE)])
    before = store_app.recorder.max_notification_id()

    for dry_run in (True, False):
        report = import_bookings(
            store_app, csv, body=BODY, year=2018, mapping=mapping, dry_run=dry_run
        )
        assert (report.new, report.already_recorded, report.settled, report.bad) == (0, 2, 1, [])
        assert "1 settled by a retraction or correction" in "\n".join(report.summary())
    assert store_app.recorder.max_notification_id() == before
    assert line_state(store_app).payments == Decimal("11770.00")


def test_a_reimported_export_keeps_a_payment_corrected_to_zero(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = tmp_path / "bookings.csv"
    csv.write_text(BOOKINGS, encoding="utf-8")
    mapping = default_mapping("bookings")
    import_bookings(app, csv, body=BODY, year=2018, mapping=mapping)
    version = version_of(line(app), BudgetLine.PaymentBooked, reference="AO-6650")
    correction = fix("correction", "budget-line", version, year=2018, line=LINE)
    app.record([{**correction, "values": {"amount": "0.00"}}])

    report = import_bookings(app, csv, body=BODY, year=2018, mapping=mapping)

    assert (report.new, report.already_recorded, report.settled, report.bad) == (0, 2, 1, [])
    assert report.positions == []
    assert line_state(app).payments == Decimal("11770.00")


def test_the_import_cli_counts_settled_rows(
    ledger_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "bookings.csv"
    csv.write_text(BOOKINGS, encoding="utf-8")
    args = ["import", "bookings", str(csv), "--body", BODY, "--year", "2018"]
    assert main(args) == 0
    app = LedgerApplication(env=application_env(f"sqlite:///{ledger_db}"))
    try:
        version = version_of(line(app), BudgetLine.PaymentBooked, reference="AO-4711")
        app.record([fix("retraction", "budget-line", version, year=2018, line=LINE)])
    finally:
        app.close()
    capsys.readouterr()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "0 bookings to record, 2 already recorded, 1 settled by a retraction" in out
    assert "nothing new" in out


def test_a_reimported_budget_does_not_set_a_retracted_appropriation_again(
    app: LedgerApplication, tmp_path: Path
) -> None:
    csv = tmp_path / "budget.csv"
    csv.write_text(BUDGET, encoding="utf-8")
    mapping = default_mapping("budget")
    import_budget(app, csv, body=BODY, year=2018, mapping=mapping)
    record = line(app, "01.4953.9001")
    version = version_of(record, BudgetLine.AppropriationSet)
    app.record([fix("retraction", "budget-line", version, year=2018, line="01.4953.9001")])
    before = app.recorder.max_notification_id()

    report = import_budget(app, csv, body=BODY, year=2018, mapping=mapping)

    assert (report.new, report.already_recorded, report.settled) == (0, 0, 1)
    assert app.recorder.max_notification_id() == before
    assert line(app, "01.4953.9001").state_at().appropriation is None


def test_a_batch_counts_the_commands_settled_by_a_retraction_or_correction(
    app: LedgerApplication,
) -> None:
    from ledger.commands.batch import Batch
    from ledger.commands.handlers import load_handlers
    from ledger.commands.registry import parse_command

    resolution: Resolution = app.repository.get(Resolution.id_for(BODY, RESOLUTION))
    version = version_of(resolution, Resolution.VoteRecorded, committee="jugendhilfeausschuss")
    app.record([fix("retraction", "resolution", version, resolution=RESOLUTION)])
    load_handlers()
    batch = Batch(app.repository)
    for raw in load_demo():
        parse_command(raw).handle(batch)
    # The retracted vote, and the status update of M6.1.1 that the demo itself corrects.
    assert (batch.settled(), batch.pending()) == (2, [])
