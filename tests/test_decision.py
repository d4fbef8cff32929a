"""Decisions without counts: a `decision` records what a protocol states (outcome, wording,
the counts given), checked where it can be; unknown counts stay unknown. Also: the follow-ups
of `ledger record` (settled commands), the kind named in a refusal, `--year` in ASCII digits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from storage import demo_ledger

from ledger.application import LedgerApplication
from ledger.cli import main
from ledger.cli.kinds import vocabulary_markdown
from ledger.cli.record import demo_text, record_text
from ledger.commands.fields import MAX_TEXT
from ledger.domain.resolution import Decision, Resolution, ResolutionState
from ledger.errors import CommandError
from ledger.store import application_env
from projections.queries import ReadModel, catch_up, events, get_resolution

BODY = "kyffhaeuserkreis"
JHA = "jugendhilfeausschuss"
VOTED = "2018/6/067"  # the demo's resolution, with its vote of 2018-06-19
REFERENCE = "2018/9/101"
MEETING = "2018-09-04"
WORDING = "Der Jugendhilfeausschuss stimmt der Vorlage einstimmig zu."
PROPOSAL: dict[str, Any] = {
    "record": "proposal",
    "body": BODY,
    "resolution": REFERENCE,
    "committee": JHA,
    "title": "Fortschreibung der Jugendhilfeplanung",
    "public": True,
    "effective": "2018-08-20",
}


@pytest.fixture
def app(store_url: str) -> Iterator[LedgerApplication]:
    """The demo case and a second proposal, without a vote, on each backend."""
    for application in demo_ledger(store_url):
        application.record([PROPOSAL])
        yield application


def decision(**changes: Any) -> dict[str, Any]:
    """A decision on the second proposal; a change to None leaves the field out."""
    command: dict[str, Any] = {
        "record": "decision",
        "body": BODY,
        "resolution": REFERENCE,
        "committee": JHA,
        "effective": MEETING,
        "outcome": "adopted",
        "wording": WORDING,
    }
    command.update(changes)
    return {k: v for k, v in command.items() if v is not None}


def position(app: LedgerApplication) -> int:
    return app.recorder.max_notification_id() or 0


def refused(app: LedgerApplication, *commands: dict[str, Any]) -> str:
    """Records the commands, expects a refusal, checks nothing was appended; the message."""
    before = position(app)
    with pytest.raises(CommandError) as caught:
        app.record(list(commands))
    assert position(app) == before
    return str(caught.value)


def resolution(app: LedgerApplication, reference: str = REFERENCE) -> Resolution:
    record: Resolution = app.repository.get(Resolution.id_for(BODY, reference))
    assert isinstance(record, Resolution)
    return record


def state(app: LedgerApplication, reference: str = REFERENCE) -> ResolutionState:
    return resolution(app, reference).state_at()


def last_event(app: LedgerApplication) -> dict[str, Any]:
    stored = app.recorder.select_notifications(position(app), 1)[0]
    assert stored.topic.endswith("Resolution.DecisionRecorded")
    data: dict[str, Any] = json.loads(stored.state)
    return data


def decision_version(app: LedgerApplication) -> int:
    (version,) = [
        v
        for v, fact in resolution(app).facts.items()
        if isinstance(fact, Resolution.DecisionRecorded)
    ]
    return int(version)


def fix(kind: str, version: int, **extra: Any) -> dict[str, Any]:
    """A correction or retraction of the event at `version` of the second proposal."""
    return {
        "record": kind,
        "body": BODY,
        "target": "resolution",
        "resolution": REFERENCE,
        "version": version,
        "reason": "falsch übertragen",
        "effective": "2018-12-31",
        **extra,
    }


# -- what a decision records ---------------------------------------------------------------


def test_a_decision_without_counts_keeps_them_unknown(app: LedgerApplication) -> None:
    assert app.record([decision()])

    data = last_event(app)
    assert (data["yes"], data["no"], data["abstentions"], data["recused"]) == (None,) * 4
    assert data["outcome"] == "adopted" and data["wording"] == WORDING
    now = state(app)
    assert now.decisions == (
        Decision(JHA, now.decisions[0].meeting_date, "adopted", WORDING, None, None, None, None),
    )
    assert str(now.decided_on) == MEETING and now.status == "adopted"
    assert now.votes == ()


def test_a_decision_keeps_exactly_the_counts_stated(app: LedgerApplication) -> None:
    app.record([decision(yes=9, no=1, wording=None)])

    data = last_event(app)
    assert (data["yes"], data["no"], data["abstentions"], data["recused"]) == (9, 1, None, None)
    assert data["wording"] is None


def test_a_decision_of_all_four_counts_without_an_outcome_gets_none(
    app: LedgerApplication,
) -> None:
    # Nothing is derived: the protocol states no outcome, so the ledger holds none.
    app.record([decision(outcome=None, yes=4, no=5, abstentions=0, recused=0)])

    assert last_event(app)["outcome"] is None
    assert state(app).status == "proposed" and state(app).decided_on is None


def test_a_deferral_is_not_checked_against_the_majority_rule(app: LedgerApplication) -> None:
    app.record([decision(outcome="deferred", yes=2, no=9, abstentions=0, recused=0)])

    assert state(app).status == "deferred"


@pytest.mark.parametrize("outcome", ["referred", "noted", "withdrawn"])
def test_every_outcome_a_protocol_states_is_recorded(app: LedgerApplication, outcome: str) -> None:
    app.record([decision(outcome=outcome)])

    assert state(app).status == outcome


def test_the_last_decision_in_valid_time_gives_the_status(app: LedgerApplication) -> None:
    kreistag = {"record": "committee", "body": BODY, "committee": "kreistag", "name": "Kreistag"}
    app.record(
        [
            kreistag | {"seats": 46, "effective": "2013-01-24"},
            decision(outcome="adopted", committee="kreistag", effective="2018-10-01"),
            decision(outcome="referred"),  # earlier in valid time, recorded later
        ]
    )

    assert state(app).status == "adopted"
    assert str(state(app).decided_on) == "2018-10-01"


def test_an_adopting_decision_can_be_executed_a_deferral_not(app: LedgerApplication) -> None:
    app.record([decision(outcome="deferred")])
    execution = {"record": "execution", "body": BODY, "resolution": REFERENCE}
    assert "is deferred on 2018-09-05" in refused(app, execution | {"effective": "2018-09-05"})

    app.record([decision(outcome="adopted", effective="2018-10-02")])
    assert app.record([execution | {"effective": "2018-10-03"}])
    assert str(state(app).executed_on) == "2018-10-03"


# -- what a decision is checked against ----------------------------------------------------


def test_stated_counts_beyond_the_seats_are_refused(app: LedgerApplication) -> None:
    error = refused(app, decision(yes=10, no=6))

    assert "field 'yes'" in error
    assert "yes + no = 16 exceeds the committee's 15 voting seats" in error


def test_the_seats_on_the_meeting_date_count(app: LedgerApplication) -> None:
    seats = {"record": "seats", "body": BODY, "committee": JHA, "seats": 9}
    app.record([seats | {"effective": "2018-09-01"}])

    error = refused(app, decision(abstentions=8, recused=2))

    assert "field 'abstentions'" in error and "= 10 exceeds the committee's 9 voting" in error


def test_a_full_tally_against_the_stated_outcome_is_refused(app: LedgerApplication) -> None:
    error = refused(app, decision(yes=3, no=5, abstentions=0, recused=0))

    assert "field 'outcome'" in error and "simple majority rule" in error
    assert "3 yes / 5 no gives 'rejected'" in error


def test_a_decision_stating_nothing_is_refused(app: LedgerApplication) -> None:
    error = refused(app, decision(outcome=None, wording=None))

    assert "field 'outcome'" in error and "at least one of outcome, wording, yes" in error


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"outcome": "passed"}, "outcome", "must be one of adopted, rejected, deferred"),
        ({"wording": "   "}, "wording", "must not be empty"),
        ({"wording": "x" * (MAX_TEXT + 1)}, "wording", "at most 10,000 characters"),
        ({"yes": -1}, "yes", "whole number ≥ 0"),
        ({"no": "2"}, "no", "written as an integer without quotes"),
        ({"recused": 1.0}, "recused", "whole number"),
        ({"abstentions": 10_001}, "abstentions", "at most 10000"),
        ({"effective": "2012-05-01"}, "effective", "was not established on 2012-05-01"),
        ({"committee": "kreistag"}, "committee", "no committee 'kreistag'"),
        ({"resolution": "2018/9/999"}, "resolution", "no resolution '2018/9/999'"),
        ({"votes": 3}, "votes", "unknown field for 'decision'"),
    ],
)
def test_bad_values_are_refused_naming_the_field(
    app: LedgerApplication, changes: dict[str, Any], field: str, rule: str
) -> None:
    error = refused(app, decision(**changes))

    assert f"(decision): field '{field}'" in error and rule in error


def test_a_decision_on_a_revoked_resolution_is_refused(app: LedgerApplication) -> None:
    revocation = {"record": "revocation", "body": BODY, "resolution": REFERENCE}
    app.record([revocation | {"reason": "erledigt", "effective": "2018-09-01"}])

    assert f"{REFERENCE} was revoked on 2018-09-01" in refused(app, decision())


# -- one decision per meeting, and repeats -------------------------------------------------


def test_recording_a_decision_again_appends_nothing(app: LedgerApplication) -> None:
    app.record([decision(yes=9)])

    assert app.record([decision(yes=9)]) == []
    # What a repeat leaves out is not compared: it states less, not something else.
    assert app.record([decision(wording=None)]) == []
    assert len(state(app).decisions) == 1


def test_a_repeat_that_states_other_values_is_refused(app: LedgerApplication) -> None:
    app.record([decision(yes=9)])

    other = " ".join(["Die Vorlage wird in die nächste Sitzung vertagt."] * 4)
    error = refused(app, decision(yes=9, wording=other))

    assert "field 'wording'" in error
    assert f"the decision of '{JHA}' on {MEETING} is already recorded" in error
    assert f"({len(other):,} characters)" in error and "record a correction" in error
    assert other not in error
    assert "field 'yes'" in refused(app, decision(yes=8))
    assert "with no = none, not 1" in refused(app, decision(no=1))


def test_a_retracted_decision_stays_retracted_when_recorded_again(
    app: LedgerApplication,
) -> None:
    app.record([decision()])
    app.record([fix("retraction", decision_version(app))])

    recorded = app.record_batch([decision()])

    assert (recorded.positions, recorded.settled) == ([], 1)
    assert state(app).decisions == () and state(app).status == "proposed"


def test_a_decision_where_a_vote_of_the_meeting_stands_is_refused(
    app: LedgerApplication,
) -> None:
    error = refused(app, decision(resolution=VOTED, effective="2018-06-19"))

    assert "field 'effective'" in error
    assert f"the vote of '{JHA}' on 2018-06-19 is already recorded on this resolution" in error


def test_a_vote_where_a_decision_of_the_meeting_stands_is_refused(
    app: LedgerApplication,
) -> None:
    app.record([decision()])
    vote = decision(outcome=None, wording=None, yes=9, no=0, abstentions=0, recused=0)

    error = refused(app, vote | {"record": "vote"})

    assert "command 1 (vote): field 'effective'" in error
    assert f"the decision of '{JHA}' on {MEETING} is already recorded" in error


def test_a_vote_of_another_meeting_is_recorded_beside_a_decision(app: LedgerApplication) -> None:
    app.record([decision(outcome="deferred")])
    vote = decision(outcome=None, wording=None, yes=9, no=2, abstentions=0, recused=0)

    app.record([vote | {"record": "vote", "effective": "2018-10-09"}])

    assert state(app).status == "adopted" and len(state(app).votes) == 1


def test_existing_vote_files_keep_working(app: LedgerApplication) -> None:
    vote = decision(outcome=None, wording=None, yes=4, no=5, abstentions=1, recused=0)

    app.record([vote | {"record": "vote"}])

    assert state(app).status == "rejected"  # the majority rule decides, as before
    assert state(app, VOTED).status == "adopted"


# -- corrections ---------------------------------------------------------------------------


def test_a_correction_may_make_a_count_unknown(app: LedgerApplication) -> None:
    app.record([decision(yes=9, no=1)])

    app.record([fix("correction", decision_version(app), values={"no": None})])

    assert (state(app).decisions[0].yes, state(app).decisions[0].no) == (9, None)


@pytest.mark.parametrize(
    ("values", "field", "rule"),
    [
        ({"abstentions": 7}, "values.yes", "yes + no + abstentions = 17 exceeds"),
        ({"outcome": "passed"}, "values.outcome", "must be one of adopted"),
        ({"wording": ""}, "values.wording", "must not be empty"),
        ({"outcome": None, "wording": None, "yes": None, "no": None}, "values.outcome", "least"),
        (
            {"abstentions": 0, "recused": 0, "outcome": "rejected"},
            "values.outcome",
            "contradicts the simple majority rule",
        ),
    ],
)
def test_a_correction_of_a_decision_is_checked_as_a_decision(
    app: LedgerApplication, values: dict[str, Any], field: str, rule: str
) -> None:
    app.record([decision(yes=9, no=1)])

    error = refused(app, fix("correction", decision_version(app), values=values))

    assert f"field '{field}'" in error and rule in error


def test_a_second_correction_of_a_vote_is_checked_as_the_first_left_it(
    app: LedgerApplication,
) -> None:
    vote = decision(outcome=None, wording=None, yes=9, no=0, abstentions=0, recused=0)
    app.record([vote | {"record": "vote"}])
    facts = resolution(app).facts.items()
    (version,) = [v for v, f in facts if isinstance(f, Resolution.VoteRecorded)]
    app.record([fix("correction", version, values={"yes": 12})])

    # 12 yes (as corrected) + 5 no exceeds the 15 seats; 9 (as first recorded) + 5 does not.
    error = refused(app, fix("correction", version, values={"no": 5}))

    assert "exceeds the committee's 15 voting seats" in error


# -- the vocabulary and the read side ------------------------------------------------------


def test_ledger_kinds_lists_the_decision_with_its_fields() -> None:
    reference = vocabulary_markdown()
    section = reference.split("#### `record: decision`")[1].split("####")[0]

    for field in ("resolution", "committee", "outcome", "wording", "yes", "no", "abstentions"):
        assert f"| `{field}` |" in section
    assert "| `recused` | no |" in section and "| `wording` | no |" in section


def test_the_projector_takes_a_decision_in_stride(store_url: str, app: LedgerApplication) -> None:
    app.record([decision(outcome="deferred", yes=9)])
    model = ReadModel(store_url)
    try:
        catch_up(model)
        document = get_resolution(model, BODY, REFERENCE, include_private=True)
        trail = events(model, body=BODY, type="DecisionRecorded", include_private=True)
    finally:
        model.close()

    assert document["status"] == "deferred"
    (event,) = trail["events"]
    assert event["data"]["yes"] == 9 and event["data"]["no"] is None


# -- follow-ups: ledger record's report, the refused kind, --year --------------------------


def test_ledger_record_reports_commands_a_retraction_settled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    assert record_text(demo_text(), "demo.yaml")
    command_file = tmp_path / "decision.json"
    command_file.write_text(json.dumps([PROPOSAL, decision()]), encoding="utf-8")
    assert main(["record", str(command_file)]) == 0
    application = LedgerApplication(env=application_env(url))
    try:
        application.record([fix("retraction", decision_version(application))])
    finally:
        application.close()
    capsys.readouterr()

    assert main(["record", str(command_file)]) == 0

    out = capsys.readouterr().out
    assert "nothing new: every command was already recorded" in out
    assert "(1 settled by a retraction or correction)" in out


def test_a_refused_kind_is_named_shortened(app: LedgerApplication) -> None:
    error = refused(app, {"record": "x" * 100_000, "body": BODY})

    assert "command 1 ('xxxx" in error and "(100,000 characters)" in error
    assert len(error) < 1_000
    assert "command 1 ('a\\x1b[2Jb')" in refused(app, {"record": "a\x1b[2Jb"})


def test_import_refuses_a_year_in_fullwidth_digits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    csv = tmp_path / "budget.csv"
    csv.write_text("HH-Stelle;Bezeichnung;Ansatz\n", encoding="utf-8")

    code = main(["import", "budget", str(csv), "--body", BODY, "--year", "２０１８"])

    assert code == 2
    assert "must be a fiscal year such as 2018, got '２０１８'" in capsys.readouterr().err
