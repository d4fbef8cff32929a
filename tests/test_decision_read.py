"""Decisions on the read side: a count the protocol does not state is null in `ledger show`
and the API, "unbekannt" on the pages, and left out of the served OParl's result."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from api_support import api_client, bearer, record
from fastapi.testclient import TestClient
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine
from storage import demo_ledger

from api.app import create_app
from api.pages.changes import steps
from api.pages.charts import counts_text, vote_bars
from ledger.cli import main
from ledger.store.url import sqlalchemy_url
from projections.engine.schema import missing_columns
from projections.models.history import record_history
from projections.queries import ReadModel, catch_up

BODY = "kyffhaeuserkreis"
JHA = "jugendhilfeausschuss"
REFERENCE = "2018/9/101"
MEETING = "2018-09-04"
WORDING = "Der Ausschuss stimmt bei 7 Ja-Stimmen zu."
PROPOSAL: dict[str, Any] = {
    "record": "proposal",
    "body": BODY,
    "resolution": REFERENCE,
    "committee": JHA,
    "title": "Fortschreibung der Jugendhilfeplanung",
    "public": True,
    "effective": "2018-08-20",
}
DECISION: dict[str, Any] = {
    "record": "decision",
    "body": BODY,
    "resolution": REFERENCE,
    "committee": JHA,
    "effective": MEETING,
    "outcome": "adopted",
    "wording": WORDING,
    "yes": 7,
}
#: The decision as every document shows it: the counts not stated are null.
SHOWN = {
    "committee": JHA,
    "meeting_date": MEETING,
    "outcome": "adopted",
    "wording": WORDING,
    "yes": 7,
    "no": None,
    "abstentions": None,
    "recused": None,
}


@pytest.fixture
def decided(store_url: str) -> Iterator[str]:
    """The demo and a proposal decided by a decision stating only the yes votes."""
    for application in demo_ledger(store_url):
        application.record([PROPOSAL, DECISION])
        catch_up(store_url)
        yield store_url


def test_ledger_show_gives_the_counts_not_stated_as_null(
    decided: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", decided)
    capsys.readouterr()

    assert main(["show", "resolutions", "--body", BODY, "--format", "json"]) == 0

    document = json.loads(capsys.readouterr().out)
    [entry] = [r for r in document["resolutions"] if r["reference"] == REFERENCE]
    assert entry["decisions"] == [SHOWN]
    assert (entry["status"], entry["decided_on"], entry["votes"]) == ("adopted", MEETING, [])


def test_the_api_gives_the_counts_not_stated_as_null(decided: str) -> None:
    with api_client(decided) as client:
        answer = client.get(f"/v1/bodies/{BODY}/resolutions/{REFERENCE}")
        listed = client.get(f"/v1/bodies/{BODY}/resolutions").json()
        schema = client.get("/openapi.json").json()["components"]["schemas"]

    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert document["decisions"] == [SHOWN]
    assert (document["status"], document["decided_on"]) == ("adopted", MEETING)
    [entry] = [r for r in listed["resolutions"] if r["reference"] == REFERENCE]
    assert entry["decisions"] == [SHOWN]
    assert schema["Decision"]["properties"]["no"]["anyOf"] == [
        {"type": "integer"},
        {"type": "null"},
    ]
    assert "deferred" in json.dumps(schema["Resolution"]["properties"]["status"])


def test_a_decision_without_an_outcome_leaves_the_decision_date_alone(store_url: str) -> None:
    for application in demo_ledger(store_url):
        application.record([PROPOSAL, {**DECISION, "outcome": None}])
    catch_up(store_url)

    with api_client(store_url) as client:
        document = client.get(f"/v1/bodies/{BODY}/resolutions/{REFERENCE}").json()

    assert (document["status"], document["decided_on"]) == ("proposed", "2018-08-20")
    assert document["decisions"] == [{**SHOWN, "outcome": None}]


@pytest.mark.parametrize(
    ("outcome", "label"),
    [
        ("deferred", "zurückgestellt"),
        ("referred", "verwiesen"),
        ("noted", "zur Kenntnis genommen"),
        ("withdrawn", "zurückgezogen"),
    ],
)
def test_the_page_labels_every_outcome_in_german(tmp_path: Any, outcome: str, label: str) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    for application in demo_ledger(url):
        application.record([PROPOSAL, {**DECISION, "outcome": outcome, "yes": None}])
    catch_up(url)

    with api_client(url) as client:
        api = client.get(f"/v1/bodies/{BODY}/resolutions/{REFERENCE}")
        page = client.get(f"/ui/bodies/{BODY}/resolutions/{REFERENCE}", headers=bearer())

    assert api.status_code == 200 and api.json()["status"] == outcome
    assert page.status_code == 200, page.text
    assert f"<strong>{label}</strong>" in page.text
    assert "Stimmen unbekannt" in page.text


def test_the_page_shows_counts_not_stated_as_unknown_never_as_zero(decided: str) -> None:
    with api_client(decided) as client:
        page = client.get(f"/ui/bodies/{BODY}/resolutions/{REFERENCE}")

    assert page.status_code == 200, page.text
    text = page.text
    assert "Ja 7, Nein unbekannt, Enthaltung unbekannt, befangen unbekannt" in text
    assert WORDING in text
    assert "Nein 0" not in text and ">0<" not in text


def test_the_record_history_names_the_decision_and_its_unknown_counts(decided: str) -> None:
    model = ReadModel(decided)
    try:
        history = record_history(model, BODY, "resolution", REFERENCE, include_private=True)
    finally:
        model.close()

    [step] = [s for s in steps(history["events"]) if s.what == "Beschluss erfasst"]
    fields = {f.name: f.after for f in step.fields}
    assert fields["Ja"] == "7" and fields["Nein"] == "unbekannt"
    assert fields["Wortlaut"] == WORDING and fields["Ergebnis"] == "angenommen"


def test_a_chart_draws_no_bar_for_a_count_not_stated() -> None:
    bars, _, _ = vote_bars({"yes": 7, "no": None, "abstentions": 0}, 9)

    assert [(b.text, b.count, b.shown) for b in bars] == [
        ("Ja", 7, "7"),
        ("Nein", None, "unbekannt"),
        ("Enthaltung", 0, "0"),
        ("befangen", None, "unbekannt"),
    ]
    assert bars[0].width > 0 and bars[1].width == 0
    assert (
        counts_text({"yes": 7}) == "Ja 7, Nein unbekannt, Enthaltung unbekannt, befangen unbekannt"
    )


def test_the_served_oparl_names_only_the_counts_stated(decided: str) -> None:
    model = ReadModel(decided)
    try:
        app = create_app(model)
        with TestClient(app) as client:
            meetings = client.get(f"/oparl/v1/body/{BODY}/meetings").json()["data"]
            paper = client.get(f"/oparl/v1/body/{BODY}/paper/{REFERENCE}").json()
    finally:
        model.close()

    [meeting] = [m for m in meetings if m["start"].startswith(MEETING)]
    [item] = meeting["agendaItem"]
    assert item["result"] == "beschlossen (Ja 7)"
    assert item["resolutionText"] == WORDING
    [consultation] = paper["consultation"]
    assert consultation["agendaItem"] == item["id"]


def test_a_read_model_table_without_a_new_column_is_named(tmp_path: Any) -> None:
    engine = create_engine(sqlalchemy_url(f"sqlite:///{tmp_path / 'rm.db'}"))
    old, new = MetaData(), MetaData()
    Table("rm1_resolution", old, Column("id", Integer, primary_key=True), Column("a", String))
    table = Table(
        "rm1_resolution",
        new,
        Column("id", Integer, primary_key=True),
        Column("a", String),
        Column("decisions", String),
    )
    absent = Table("rm1_other", new, Column("id", Integer, primary_key=True))
    try:
        with engine.begin() as conn:
            old.create_all(conn)
            assert missing_columns(conn, [table, absent]) == ["rm1_resolution.decisions"]
    finally:
        engine.dispose()


def test_recording_more_after_a_decision_keeps_the_documents_whole(decided: str) -> None:
    record(
        decided,
        [{"record": "execution", "body": BODY, "resolution": REFERENCE, "effective": "2018-09-05"}],
    )
    catch_up(decided)
    with api_client(decided) as client:
        document = client.get(f"/v1/bodies/{BODY}/resolutions/{REFERENCE}").json()

    assert document["decisions"] == [SHOWN]
    assert document["executed_on"] == "2018-09-05"
