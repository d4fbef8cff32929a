"""Record kinds as dataclasses: the typed Python API records what a command file records,
refuses what a file is refused for with the same message, and the schema is generated from
the declarations."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from storage import demo_ledger

from ledger.application import LedgerApplication
from ledger.commands.body import EstablishCommittee, RegisterBody
from ledger.commands.budget import parse_signed_money
from ledger.commands.correction import LOCATORS, TARGETS, correctable_fields
from ledger.commands.fields import (
    parse_count,
    parse_free_text,
    parse_money,
    parse_source,
    parse_text_list,
)
from ledger.commands.handlers import load_handlers
from ledger.commands.registry import KINDS, parse_command
from ledger.commands.resolution import Propose, RecordVote
from ledger.commands.schema import command_file_schema
from ledger.domain.budget_line import BudgetLine
from ledger.domain.resolution import Resolution
from ledger.errors import CommandError, RuleViolationError
from ledger.store import application_env

ROOT = Path(__file__).resolve().parents[1]
BODY = "kyffhaeuserkreis"
JHA = "jugendhilfeausschuss"
DAY = date(2018, 6, 19)
VOTE: dict[str, Any] = {
    "record": "vote",
    "body": BODY,
    "resolution": "2018/6/067",
    "committee": JHA,
    "effective": DAY,
    "yes": 9,
    "no": 0,
    "abstentions": 0,
    "recused": 0,
}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LedgerApplication]:
    """A ledger with a body, a committee of 15 seats and proposal 2018/6/067, recorded
    through the typed API."""
    application = LedgerApplication(env=application_env(f"sqlite:///{tmp_path / 'ledger.db'}"))
    application.record(
        [
            RegisterBody(body=BODY, effective=date(2018, 1, 1), name="Kyffhäuserkreis"),
            EstablishCommittee(
                body=BODY, effective=date(2018, 1, 1), committee=JHA, name="JHA", seats=15
            ),
            Propose(
                body=BODY,
                effective=DAY,
                resolution="2018/6/067",
                title="Förderung",
                committee=JHA,
                public=True,
            ),
        ]
    )
    try:
        yield application
    finally:
        application.close()


def vote(**changes: Any) -> RecordVote:
    """The vote of VOTE as a dataclass, with some fields changed."""
    fields = {k: v for k, v in VOTE.items() if k != "record"}
    return RecordVote(**{**fields, **changes})


def test_the_typed_api_records_a_vote(app: LedgerApplication) -> None:
    assert app.record([vote()]) != []
    resolution: Resolution = app.repository.get(Resolution.id_for(BODY, "2018/6/067"))
    (recorded,) = resolution.state_at(DAY).votes
    assert (recorded.committee, recorded.yes, recorded.meeting_date) == (JHA, 9, DAY)
    # the same vote given as a file gives it repeats the fact: nothing appended
    assert app.record([VOTE]) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"yes": -1},
        {"no": 10_001},
        {"committee": "   "},
        {"resolution": "2018//067"},
        {"effective": "2018-02-30"},
        {"source": "a\nb"},
    ],
    ids=lambda changes: next(iter(changes)),
)
def test_a_dataclass_with_a_wrong_field_is_refused_with_the_same_message(
    app: LedgerApplication, changes: dict[str, Any]
) -> None:
    before = app.recorder.max_notification_id()
    with pytest.raises(CommandError) as from_file:
        app.record([{**VOTE, **changes}])
    with pytest.raises(CommandError) as typed:
        app.record([vote(**changes)])
    assert str(typed.value) == str(from_file.value)
    assert str(typed.value).startswith(f"command 1 (vote): field '{next(iter(changes))}': ")
    assert app.recorder.max_notification_id() == before


def test_a_required_field_left_none_is_refused_as_in_a_file(app: LedgerApplication) -> None:
    with pytest.raises(
        CommandError, match=r"^command 2 \(vote\): field 'yes': is required for 'vote'$"
    ):
        app.record([vote(), vote(yes=None)])


def test_a_dataclass_is_read_as_a_file_is(app: LedgerApplication) -> None:
    loaded = parse_command(vote(committee=f"  {JHA} ", resolution=" 2018/6/067"))
    assert loaded == vote()
    assert parse_command(VOTE) == vote()


def test_an_unregistered_dataclass_is_refused() -> None:
    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class Recount(RecordVote):
        pass

    recount = Recount(**{k: v for k, v in VOTE.items() if k != "record"})
    with pytest.raises(
        RuleViolationError, match=r"^field 'record': Recount is not a registered record"
    ):
        parse_command(recount)


def test_the_readme_example_records_a_vote(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    for _ in demo_ledger(url):  # records the demo, then closes its application
        pass
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(example.replace("sqlite:///ledger.db", url), {})
    assert printed.getvalue() == "[]\n"
    assert len(example.strip().splitlines()) <= 20  # short, as ruff formats it


def test_every_kind_is_one_frozen_dataclass_and_its_schema_is_generated_from_it() -> None:
    load_handlers()
    schema = command_file_schema()
    assert sorted(schema["$defs"]) == sorted(KINDS)
    for name, kind in KINDS.items():
        cls = kind.cls
        assert cls.record == name and cls.summary == kind.summary
        assert cls.__dataclass_params__.frozen and "__dict__" not in dir(cls)  # type: ignore[attr-defined]
        declared = {f.name for f in dataclasses.fields(cls)}
        assert declared == set(kind.fields) >= {"body", "effective"}
        properties = schema["$defs"][name]["properties"]
        assert set(properties) == declared | {"record"}
        for field_name, spec in kind.fields.items():
            if spec.choices:
                entry = properties[field_name]
                enum = entry["enum"] if "enum" in entry else entry["anyOf"][0]["enum"]
                assert enum == list(spec.choices)


def test_corrections_read_the_types_of_the_event_fields() -> None:
    vote_fields = correctable_fields(Resolution.VoteRecorded)
    assert vote_fields["yes"] == (parse_count, False)
    assert vote_fields["outcome"] == (parse_free_text, False)
    assert vote_fields["source"] == (parse_source, True)
    assert correctable_fields(Resolution.DecisionRecorded)["yes"] == (parse_count, True)
    proposed = correctable_fields(Resolution.Proposed)
    assert proposed["items"] == (parse_text_list, False)
    assert proposed["financial_effect"] == (parse_money, True)
    assert correctable_fields(BudgetLine.PaymentBooked)["amount"] == (parse_signed_money, False)
    assert correctable_fields(BudgetLine.FundingReceived)["amount"] == (parse_money, False)
    assert correctable_fields(Resolution.VoteRecorded)["timestamp"][0] is None


def test_every_target_of_a_fix_is_one_entry_of_the_table() -> None:
    load_handlers()
    assert tuple(LOCATORS) == TARGETS
    for kind in ("correction", "retraction"):
        assert KINDS[kind].fields["target"].choices == TARGETS
