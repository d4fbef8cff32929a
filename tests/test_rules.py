"""Bad input is refused with the field and the rule named, and nothing is appended (DESIGN.md)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from storage import demo_ledger

from ledger.application import LedgerApplication
from ledger.cli.record import demo_text, load_commands
from ledger.domain.budget_line import BudgetLine
from ledger.errors import CommandError
from ledger.store import application_env

BODY = "kyffhaeuserkreis"
JHA = "jugendhilfeausschuss"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LedgerApplication]:
    """A ledger on a fresh SQLite file with the demo case recorded."""
    yield from demo_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")


def position(app: LedgerApplication) -> int:
    return app.recorder.max_notification_id() or 0


def refused(app: LedgerApplication, *commands: dict[str, Any]) -> CommandError:
    """Records the commands, expects a refusal, and checks that nothing was appended."""
    before = position(app)
    with pytest.raises(CommandError) as caught:
        app.record(list(commands))
    assert position(app) == before
    return caught.value


def vote(**changes: Any) -> dict[str, Any]:
    command = {
        "record": "vote",
        "body": BODY,
        "resolution": "2018/6/067",
        "committee": JHA,
        "effective": "2018-09-04",
        "yes": 9,
        "no": 0,
        "abstentions": 0,
        "recused": 0,
    }
    command.update(changes)
    return command


def line_command(record: str, /, **changes: Any) -> dict[str, Any]:
    command: dict[str, Any] = {
        "record": record,
        "body": BODY,
        "year": 2019,
        "effective": "2019-01-01",
    }
    command.update(changes)
    return command


def open_line(code: str = "01.4953.7187") -> dict[str, Any]:
    return line_command("budget-line", line=code, title="Landesprogramm Familie")


def measure_update(**changes: Any) -> dict[str, Any]:
    command = {
        "record": "measure-update",
        "body": BODY,
        "process": "audit-fgk/2015",
        "measure": "M3.1.1",
        "status": "in_progress",
        "progress": 80,
        "effective": "2018-09-30",
    }
    command.update(changes)
    return command


# -- votes ---------------------------------------------------------------------------------


def test_vote_with_more_votes_than_seats_is_refused(app: LedgerApplication) -> None:
    error = refused(app, vote(yes=10, no=3, abstentions=2, recused=1))
    assert "'yes'" in str(error)
    assert "16 exceeds the committee's 15 voting seats" in str(error)


def test_vote_is_checked_against_the_seats_on_the_meeting_date(app: LedgerApplication) -> None:
    app.record(
        [{"record": "seats", "body": BODY, "committee": JHA, "seats": 9, "effective": "2019-01-01"}]
    )
    app.record([vote(effective="2018-12-01", yes=12)])  # 15 seats then
    error = refused(app, vote(effective="2019-02-01", yes=10))
    assert "exceeds the committee's 9 voting seats" in str(error)


def test_negative_vote_count_is_refused(app: LedgerApplication) -> None:
    error = refused(app, vote(no=-1))
    assert "field 'no'" in str(error) and "whole number ≥ 0" in str(error)


def test_fractional_vote_count_is_refused(app: LedgerApplication) -> None:
    error = refused(app, vote(abstentions=1.5))
    assert "field 'abstentions'" in str(error) and "whole number" in str(error)


def test_outcome_that_contradicts_the_majority_rule_is_refused(app: LedgerApplication) -> None:
    error = refused(app, vote(yes=3, no=5, outcome="adopted"))
    assert "field 'outcome'" in str(error) and "simple majority rule" in str(error)


def test_vote_outcome_follows_the_majority_rule_when_not_given(app: LedgerApplication) -> None:
    app.record([vote(yes=4, no=5)])
    event = app.recorder.select_notifications(position(app), 1)[0]
    assert b'"outcome":"rejected"' in event.state


def test_vote_of_an_unknown_committee_is_refused(app: LedgerApplication) -> None:
    error = refused(app, vote(committee="kreistag"))
    assert "field 'committee'" in str(error) and "no committee 'kreistag'" in str(error)


# -- money ---------------------------------------------------------------------------------


def test_amount_as_float_is_refused(app: LedgerApplication) -> None:
    error = refused(
        app, open_line(), line_command("appropriation", line="01.4953.7187", amount=1.5)
    )
    assert "field 'amount'" in str(error) and "never as floating-point" in str(error)


def test_negative_amount_is_refused(app: LedgerApplication) -> None:
    error = refused(
        app,
        open_line(),
        line_command("commitment", line="01.4953.7187", amount="-5,00", reference="C-1"),
    )
    assert "field 'amount'" in str(error) and "≥ 0" in str(error)


def test_amount_with_three_decimals_is_refused(app: LedgerApplication) -> None:
    error = refused(
        app, open_line(), line_command("appropriation", line="01.4953.7187", amount="10.005")
    )
    assert "field 'amount'" in str(error)


def test_ambiguous_thousands_notation_is_refused(app: LedgerApplication) -> None:
    error = refused(
        app, open_line(), line_command("appropriation", line="01.4953.7187", amount="17.655")
    )
    assert "field 'amount'" in str(error) and "ambiguous" in str(error)


@pytest.mark.parametrize("written", ["17.655,00", "17655.00", "17655", "17655,00"])
def test_german_and_plain_notation_give_the_same_amount(
    app: LedgerApplication, written: str
) -> None:
    app.record([open_line(), line_command("appropriation", line="01.4953.7187", amount=written)])
    line: BudgetLine = app.repository.get(BudgetLine.id_for(BODY, 2019, "01.4953.7187"))
    assert line.state_at().appropriation == Decimal("17655.00")


# -- budget lines --------------------------------------------------------------------------


def test_line_code_that_breaks_the_body_pattern_is_refused(app: LedgerApplication) -> None:
    error = refused(app, open_line("1.4953.7187"))
    assert "field 'line'" in str(error) and "does not match the budget-line pattern" in str(error)


def test_ausserplanmaessig_approval_on_a_line_with_appropriation_is_refused(
    app: LedgerApplication,
) -> None:
    error = refused(
        app,
        open_line(),
        line_command("appropriation", line="01.4953.7187", amount="1000.00"),
        line_command(
            "supplementary",
            line="01.4953.7187",
            kind="ausserplanmaessig",
            amount="200.00",
            resolution="2018/6/067",
            effective="2019-03-01",
        ),
    )
    assert "field 'kind'" in str(error) and "no appropriation that year" in str(error)


def test_ueberplanmaessig_approval_on_a_line_without_appropriation_is_refused(
    app: LedgerApplication,
) -> None:
    error = refused(
        app,
        open_line(),
        line_command(
            "supplementary",
            line="01.4953.7187",
            kind="ueberplanmaessig",
            amount="200.00",
            resolution="2018/6/067",
        ),
    )
    assert "field 'kind'" in str(error) and "this line has none" in str(error)


def test_payment_on_an_unopened_line_is_refused(app: LedgerApplication) -> None:
    error = refused(
        app, line_command("payment", line="01.4953.7188", amount="5.00", reference="B-1")
    )
    assert "field 'line'" in str(error) and "01.4953.7188 in 2019" in str(error)


# -- dates ---------------------------------------------------------------------------------


def test_date_that_does_not_exist_is_refused(app: LedgerApplication) -> None:
    error = refused(app, vote(effective="2018-02-30"))
    assert "field 'effective'" in str(error) and "not a real date" in str(error)


def test_german_date_notation_is_accepted(app: LedgerApplication) -> None:
    assert app.record([vote(effective="04.09.2018")])


def test_certificate_valid_until_before_valid_from_is_refused(app: LedgerApplication) -> None:
    error = refused(
        app,
        {
            "record": "certificate",
            "body": BODY,
            "process": "audit-fgk/2018",
            "valid_from": "2020-10-27",
            "valid_until": "2019-10-26",
            "effective": "2020-10-27",
        },
    )
    assert "field 'valid_until'" in str(error) and "before valid_from" in str(error)


# -- target agreement and findings ---------------------------------------------------------


def test_measure_of_a_goal_that_does_not_exist_is_refused(app: LedgerApplication) -> None:
    error = refused(
        app,
        {
            "record": "measure",
            "body": BODY,
            "process": "audit-fgk/2015",
            "measure": "M9.9.9",
            "goal": "Z9.9",
            "title": "Eine Maßnahme ohne Ziel",
            "effective": "2016-01-01",
        },
    )
    assert "field 'goal'" in str(error) and "'Z9.9' does not exist" in str(error)


def test_goal_in_a_field_of_action_that_is_not_defined_is_refused(tmp_path: Path) -> None:
    app = LedgerApplication(env=application_env(f"sqlite:///{tmp_path / 'x.db'}"))
    commands = [c for c in load_commands(demo_text(), "demo") if c.get("field") != "wohnumfeld"]
    app.record(commands)
    error = refused(
        app,
        {
            "record": "goal",
            "body": BODY,
            "process": "audit-fgk/2015",
            "goal": "Z5.1",
            "field": "wohnumfeld",
            "title": "Wohnortnahe Spielplätze",
            "effective": "2016-01-01",
        },
    )
    app.close()
    assert "field 'field'" in str(error) and "'wohnumfeld' is not defined" in str(error)


def test_finding_on_a_subject_that_does_not_exist_is_refused(app: LedgerApplication) -> None:
    error = refused(
        app,
        {
            "record": "finding",
            "body": BODY,
            "process": "audit-fgk/2015",
            "finding": 3,
            "subject": "measure:M7.7.7",
            "kind": "observation",
            "text": "Zu dieser Maßnahme fehlt der Bericht.",
            "effective": "2018-04-01",
        },
    )
    assert "field 'subject'" in str(error) and "M7.7.7" in str(error)


def test_dropped_measure_takes_no_status_update(app: LedgerApplication) -> None:
    app.record(
        [
            {
                "record": "measure-dropped",
                "body": BODY,
                "process": "audit-fgk/2015",
                "measure": "M3.1.1",
                "reason": "Keine Träger gefunden",
                "effective": "2018-08-01",
            }
        ]
    )
    error = refused(app, measure_update())
    assert "field 'measure'" in str(error) and "dropped measure takes no update" in str(error)


def test_progress_above_hundred_percent_is_refused(app: LedgerApplication) -> None:
    error = refused(app, measure_update(progress=120))
    assert "field 'progress'" in str(error) and "0..100" in str(error)


# -- unknown input -------------------------------------------------------------------------


def test_unknown_field_is_an_error_not_ignored(app: LedgerApplication) -> None:
    error = refused(app, vote(yes_votes=9))
    assert "field 'yes_votes'" in str(error) and "unknown field" in str(error)


def test_unknown_record_kind_is_an_error(app: LedgerApplication) -> None:
    error = refused(app, {"record": "verdict", "body": BODY, "effective": "2018-01-01"})
    assert "field 'record'" in str(error) and "unknown record kind 'verdict'" in str(error)


def test_missing_effective_date_is_not_defaulted(app: LedgerApplication) -> None:
    command = vote()
    del command["effective"]
    error = refused(app, command)
    assert "field 'effective'" in str(error) and "is required" in str(error)


# -- batches, idempotency, corrections -----------------------------------------------------


def test_batch_is_all_or_nothing(app: LedgerApplication) -> None:
    error = refused(app, vote(), measure_update(), vote(effective="2018-02-30"))
    assert error.index == 3
    assert str(error).startswith("command 3 (vote)")


def test_recording_the_same_document_twice_changes_nothing(app: LedgerApplication) -> None:
    before = position(app)
    assert app.record(load_commands(demo_text(), "demo.yaml")) == []
    assert position(app) == before


def test_same_key_with_other_values_is_refused(app: LedgerApplication) -> None:
    error = refused(
        app,
        {
            "record": "committee",
            "body": BODY,
            "committee": JHA,
            "name": "Jugendhilfeausschuss",
            "seats": 21,
            "effective": "2013-01-24",
        },
    )
    assert "field 'seats'" in str(error) and "record a correction" in str(error)


def test_correction_of_an_event_that_does_not_exist_is_refused(app: LedgerApplication) -> None:
    error = refused(
        app,
        {
            "record": "correction",
            "body": BODY,
            "target": "measure",
            "process": "audit-fgk/2015",
            "measure": "M6.1.1",
            "version": 42,
            "values": {"status": "completed"},
            "reason": "Tippfehler",
            "effective": "2019-01-01",
        },
    )
    assert "field 'version'" in str(error)


def test_correction_to_an_unknown_status_is_refused(app: LedgerApplication) -> None:
    error = refused(
        app,
        {
            "record": "correction",
            "body": BODY,
            "target": "measure",
            "process": "audit-fgk/2015",
            "measure": "M6.1.1",
            "version": 2,
            "values": {"status": "finished"},
            "reason": "Tippfehler",
            "effective": "2019-01-01",
        },
    )
    assert "field 'status'" in str(error) and "must be one of" in str(error)


def test_correction_of_a_vote_beyond_the_seats_is_refused(app: LedgerApplication) -> None:
    error = refused(
        app,
        {
            "record": "correction",
            "body": BODY,
            "target": "resolution",
            "resolution": "2018/6/067",
            "version": 2,
            "values": {"yes": 16},
            "reason": "Zählfehler",
            "effective": "2018-07-01",
        },
    )
    assert "field 'yes'" in str(error) and "15 voting seats" in str(error)


def test_appropriation_on_a_line_with_an_ausserplanmaessig_approval_is_refused(
    app: LedgerApplication,
) -> None:
    error = refused(
        app,
        {
            "record": "appropriation",
            "body": BODY,
            "year": 2018,
            "line": "01.4953.7187",
            "amount": "5000.00",
            "effective": "2018-01-01",
        },
    )
    assert "field 'amount'" in str(error) and "außerplanmäßige approval" in str(error)


def test_fact_dated_before_its_record_existed_is_refused(app: LedgerApplication) -> None:
    error = refused(
        app,
        {
            "record": "payment",
            "body": BODY,
            "year": 2018,
            "line": "01.4953.7187",
            "amount": "100.00",
            "reference": "B-2018-0001",
            "effective": "2018-03-01",
        },
    )
    assert "field 'effective'" in str(error) and "before the budget line existed" in str(error)


def test_correction_of_a_key_field_is_refused(app: LedgerApplication) -> None:
    error = refused(
        app,
        {
            "record": "correction",
            "body": BODY,
            "target": "measure",
            "process": "audit-fgk/2015",
            "measure": "M6.1.1",
            "version": 1,
            "values": {"code": "M6.1.2"},
            "reason": "falsche Nummer",
            "effective": "2019-01-01",
        },
    )
    assert "field 'values.code'" in str(error) and "key" in str(error)
