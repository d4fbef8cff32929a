"""Provenance: an optional `source` (an OParl id URL, a file) on body, committee, seats,
proposal, vote, decision and retraction; kept in the event, shown in the audit trail and
the resolution document, bounded like other text, and no part of what a repeat compares."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from api_support import api_client
from eventsourcing.persistence import StoredEvent
from oparl_support import serve, standard

from ledger.application import LedgerApplication
from ledger.domain.base import MAX_SOURCE
from ledger.domain.committee import Committee
from ledger.domain.resolution import Resolution
from ledger.errors import CommandError
from ledger.importers.oparl.client import Settings
from ledger.importers.oparl.run import run_import
from ledger.store import application_env
from projections.queries import ReadModel, catch_up, events, get_resolution

BODY = "musterstadt"
COMMITTEE = "hauptausschuss"
REFERENCE = "V 12/2019"
OPARL = "https://ris.example/oparl/v1"
FAST = Settings(rate=0, backoff=0, retries=2, timeout=5)


def sourced(n: str) -> str:
    """An OParl-like id URL."""
    return f"{OPARL}/{n}"


def commands() -> list[dict[str, Any]]:
    """A body, its committee, a seat change, a proposal, a vote and a decision, each with
    its source."""
    return [
        {
            "record": "body",
            "body": BODY,
            "name": "Stadt Musterstadt",
            "effective": "2019-01-01",
            "source": sourced("body/1"),
        },
        {
            "record": "committee",
            "body": BODY,
            "committee": COMMITTEE,
            "name": "Hauptausschuss",
            "seats": 9,
            "effective": "2019-01-01",
            "source": sourced("organization/7"),
        },
        {
            "record": "seats",
            "body": BODY,
            "committee": COMMITTEE,
            "seats": 11,
            "effective": "2019-03-01",
            "source": sourced("organization/7#2019"),
        },
        {
            "record": "proposal",
            "body": BODY,
            "resolution": REFERENCE,
            "committee": COMMITTEE,
            "title": "Radwegekonzept",
            "public": True,
            "effective": "2019-02-01",
            "source": sourced("paper/12"),
        },
        {
            "record": "vote",
            "body": BODY,
            "resolution": REFERENCE,
            "committee": COMMITTEE,
            "yes": 8,
            "no": 1,
            "abstentions": 0,
            "recused": 0,
            "effective": "2019-02-20",
            "source": sourced("consultation/31"),
        },
        {
            "record": "decision",
            "body": BODY,
            "resolution": REFERENCE,
            "committee": COMMITTEE,
            "outcome": "noted",
            "effective": "2019-04-02",
            "source": sourced("consultation/32"),
        },
    ]


@pytest.fixture
def app(store_url: str) -> Iterator[LedgerApplication]:
    """A ledger on each backend with the commands recorded."""
    application = LedgerApplication(env=application_env(store_url))
    try:
        application.record(commands())
        yield application
    finally:
        application.close()


def position(app: LedgerApplication) -> int:
    return app.recorder.max_notification_id() or 0


def resolution(app: LedgerApplication) -> Resolution:
    record: Resolution = app.repository.get(Resolution.id_for(BODY, REFERENCE))
    assert isinstance(record, Resolution)
    return record


def trail(url: str) -> list[dict[str, Any]]:
    model = ReadModel(url)
    try:
        catch_up(model)
        found: list[dict[str, Any]] = events(model, body=BODY, include_private=True)["events"]
        return found
    finally:
        model.close()


def retraction(version: int, **extra: Any) -> dict[str, Any]:
    return {
        "record": "retraction",
        "body": BODY,
        "target": "resolution",
        "resolution": REFERENCE,
        "version": version,
        "reason": "in der Quelle gelöscht",
        "effective": "2019-05-01",
        **extra,
    }


def test_every_event_keeps_its_source_and_the_trail_shows_it(
    app: LedgerApplication, store_url: str
) -> None:
    app.record([retraction(3, source=sourced("consultation/32?deleted"))])

    shown = {e["type"].rsplit(".", 1)[-1]: e["data"].get("source") for e in trail(store_url)}
    assert shown == {
        "Registered": sourced("body/1"),
        "Established": sourced("organization/7"),
        "SeatsChanged": sourced("organization/7#2019"),
        "Proposed": sourced("paper/12"),
        "VoteRecorded": sourced("consultation/31"),
        "DecisionRecorded": sourced("consultation/32"),
        "Retracted": sourced("consultation/32?deleted"),
    }


def test_the_resolution_document_shows_its_sources(app: LedgerApplication, store_url: str) -> None:
    catch_up(store_url)
    with api_client(store_url) as client:
        document = client.get(f"/v1/bodies/{BODY}/resolutions/{REFERENCE}").json()
        page = client.get(f"/ui/bodies/{BODY}/resolutions/{REFERENCE}").text

    assert document["source"] == sourced("paper/12")
    assert [v["source"] for v in document["votes"]] == [sourced("consultation/31")]
    assert [d["source"] for d in document["decisions"]] == [sourced("consultation/32")]
    assert f'Quelle</dt><dd class="source">{sourced("paper/12")}' in page
    assert f"Quelle: {sourced('consultation/31')}" in page


def test_a_command_without_a_source_shows_none(store_url: str) -> None:
    application = LedgerApplication(env=application_env(store_url))
    try:
        application.record([{k: v for k, v in c.items() if k != "source"} for c in commands()])
    finally:
        application.close()
    model = ReadModel(store_url)
    try:
        catch_up(model)
        document = get_resolution(model, BODY, REFERENCE, include_private=True)
    finally:
        model.close()
    assert document["source"] is None and "source" not in document["votes"][0]


@pytest.mark.parametrize("source", [None, sourced("elsewhere/1"), "protokoll-2019-02.pdf"])
def test_recording_again_from_another_source_appends_nothing(
    app: LedgerApplication, source: str | None
) -> None:
    before = position(app)
    again = [{**c, "source": source} for c in commands()]

    assert app.record([{k: v for k, v in c.items() if v is not None} for c in again]) == []

    assert position(app) == before
    # the source first recorded stands
    state = resolution(app).state_at()
    assert state.source == sourced("paper/12")
    assert state.votes[0].source == sourced("consultation/31")


def test_a_retraction_recorded_again_from_another_source_appends_nothing(
    app: LedgerApplication,
) -> None:
    app.record([retraction(3, source=sourced("a"))])
    before = position(app)

    app.record([retraction(3, source=sourced("b")), retraction(3)])

    assert position(app) == before


def test_a_repeat_with_other_values_is_still_refused_whatever_its_source(
    app: LedgerApplication,
) -> None:
    vote = {**commands()[4], "yes": 7, "no": 2}
    with pytest.raises(CommandError) as caught:
        app.record([vote])
    assert "field 'yes'" in str(caught.value)


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("x" * (MAX_SOURCE + 1), f"at most {MAX_SOURCE:,} characters"),
        ("https://ris.example/a\nb", "control characters"),
        ("https://ris.example/\x1b[2J", "control characters"),
        ("   ", "must not be empty"),
        (42, "must be text"),
        (["a"], "must be text"),
    ],
)
@pytest.mark.parametrize("kind", ["body", "committee", "seats", "proposal", "vote", "decision"])
def test_a_bad_source_is_refused_naming_the_field(
    app: LedgerApplication, kind: str, source: Any, rule: str
) -> None:
    command = {**next(c for c in commands() if c["record"] == kind), "source": source}
    before = position(app)
    with pytest.raises(CommandError) as caught:
        app.record([command])
    assert "field 'source'" in str(caught.value) and rule in str(caught.value)
    assert position(app) == before


def test_a_retraction_with_a_bad_source_is_refused(app: LedgerApplication) -> None:
    with pytest.raises(CommandError) as caught:
        app.record([retraction(3, source="a\x00b")])
    assert "field 'source'" in str(caught.value)


def test_a_correction_may_replace_a_source_checked_as_a_source(app: LedgerApplication) -> None:
    correction = {
        "record": "correction",
        "body": BODY,
        "target": "committee",
        "committee": COMMITTEE,
        "version": 1,
        "values": {"source": "y" * (MAX_SOURCE + 1)},
        "reason": "falsche Quelle",
        "effective": "2019-06-01",
    }
    with pytest.raises(CommandError) as caught:
        app.record([correction])
    assert "values.source" in str(caught.value)

    app.record([{**correction, "values": {"source": sourced("organization/8")}}])

    record: Committee = app.repository.get(Committee.id_for(BODY, COMMITTEE))
    assert isinstance(record, Committee)
    established = record.variants(1)[-1]
    assert isinstance(established, Committee.Established)
    assert established.source == sourced("organization/8")


def test_events_stored_before_sources_read_as_without_one(app: LedgerApplication) -> None:
    stored = app.recorder.select_events(Resolution.id_for(BODY, REFERENCE))
    older = []
    for event in stored:
        state = json.loads(event.state)
        assert state.pop("source") is not None
        older.append(
            StoredEvent(
                event.originator_id,
                event.originator_version,
                event.topic,
                json.dumps(state).encode(),
            )
        )
    decoded = [app.mapper.to_domain_event(e) for e in older]

    sourced_events = [
        e
        for e in decoded
        if isinstance(
            e, Resolution.Proposed | Resolution.VoteRecorded | Resolution.DecisionRecorded
        )
    ]
    assert len(sourced_events) == len(decoded)
    assert all(e.source is None for e in sourced_events)
    record: Any = None
    for e in sourced_events:
        record = e.mutate(record)
    assert record.state_at().source is None and record.state_at().votes[0].source is None


def test_the_oparl_import_keeps_each_object_s_id_as_source(store_url: str) -> None:
    with serve() as council:
        ids = standard(council)
        out, err = io.StringIO(), io.StringIO()
        code = run_import(
            ids.system, "beispielstadt", database_url=store_url, settings=FAST, out=out, err=err
        )
        assert code == 0, err.getvalue()
        council.delete(ids.papers["067"])
        assert (
            run_import(
                ids.system, "beispielstadt", database_url=store_url, settings=FAST, out=out, err=err
            )
            == 0
        ), err.getvalue()
        paper = ids.papers["067"]

    model = ReadModel(store_url)
    try:
        catch_up(model)
        found = events(model, body="beispielstadt", limit=1000, include_private=True)["events"]
        kita = get_resolution(model, "beispielstadt", "2018/9/002", include_private=True)
    finally:
        model.close()
    by_type: dict[str, list[Any]] = {}
    for event in found:
        by_type.setdefault(event["type"].rsplit(".", 1)[-1], []).append(event["data"]["source"])
    assert by_type["Registered"] == [ids.body]
    assert sorted(by_type["Established"]) == sorted([ids.jha, ids.ka])
    assert paper in by_type["Proposed"]
    assert all(s and s.startswith(council.base) for s in by_type["VoteRecorded"])
    assert paper in by_type["Retracted"]
    assert kita["source"] == ids.papers["002"]
    assert kita["votes"][0]["source"].startswith(council.base + "/consultation")
