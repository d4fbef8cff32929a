"""Retracting the event that created a resolution (version 1): gone as known now, there as
known before, nothing deleted; only once no other fact of it stands; on both backends."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from api_support import api_client, bearer
from fastapi.testclient import TestClient
from oparl_support import serve, standard
from storage import demo_ledger

from api.app import create_app
from ledger.application import LedgerApplication
from ledger.cli import main
from ledger.domain.resolution import Resolution
from ledger.errors import CommandError
from ledger.importers.oparl.client import Settings
from ledger.importers.oparl.run import run_import
from ledger.store import application_env
from projections.engine.errors import NotFoundError
from projections.queries import ReadModel, catch_up, events, get_resolution, list_resolutions
from projections.registry import Projector

BODY = "kyffhaeuserkreis"
JHA = "jugendhilfeausschuss"
REFERENCE = "V 12/2018"
FAST = Settings(rate=0, backoff=0, retries=2, timeout=5)
PROPOSAL: dict[str, Any] = {
    "record": "proposal",
    "body": BODY,
    "resolution": REFERENCE,
    "committee": JHA,
    "title": "Radwegekonzept",
    "public": True,
    "effective": "2018-08-20",
}
DECISION: dict[str, Any] = {
    "record": "decision",
    "body": BODY,
    "resolution": REFERENCE,
    "committee": JHA,
    "effective": "2018-09-04",
    "outcome": "adopted",
    "yes": 7,
}


def retraction(version: int, **extra: Any) -> dict[str, Any]:
    """A retraction of the event at `version` of the resolution."""
    return {
        "record": "retraction",
        "body": BODY,
        "target": "resolution",
        "resolution": REFERENCE,
        "version": version,
        "reason": "Vorlage in der Quelle gelöscht",
        "effective": "2018-12-31",
        **extra,
    }


@pytest.fixture
def app(store_url: str) -> Iterator[LedgerApplication]:
    """The demo, and a proposal with its decision (versions 1 and 2), on each backend."""
    for application in demo_ledger(store_url):
        application.record([PROPOSAL, DECISION])
        yield application


def position(app: LedgerApplication) -> int:
    return app.recorder.max_notification_id() or 0


def record(app: LedgerApplication) -> Resolution:
    found: Resolution = app.repository.get(Resolution.id_for(BODY, REFERENCE))
    assert isinstance(found, Resolution)
    return found


def refused(app: LedgerApplication, *commands: dict[str, Any]) -> str:
    before = position(app)
    with pytest.raises(CommandError) as caught:
        app.record(list(commands))
    assert position(app) == before
    return str(caught.value)


def last_moment(url: str) -> datetime:
    """When the last event the read model shows was recorded."""
    model = ReadModel(url)
    try:
        catch_up(model)
        page = events(model, limit=1000, include_private=True)["events"]
    finally:
        model.close()
    return datetime.fromisoformat(page[-1]["recorded_at"])


def test_the_creation_is_retracted_once_its_later_facts_are(app: LedgerApplication) -> None:
    app.record([retraction(2), retraction(1)])

    found = record(app)
    assert found.gone and found.current_facts() == []
    assert found.state_at().reference == ""  # nothing stands
    assert sorted(found.retracted_versions()) == [1, 2]


def test_the_creation_is_not_retracted_while_a_later_fact_stands(app: LedgerApplication) -> None:
    message = refused(app, retraction(1))

    assert "field 'version'" in message and "later facts stand (versions 2)" in message
    assert not record(app).gone


@pytest.mark.parametrize(
    "target",
    [
        {"target": "committee", "committee": JHA},
        {"target": "body"},
    ],
)
def test_a_record_others_are_built_on_keeps_its_creation(
    app: LedgerApplication, target: dict[str, Any]
) -> None:
    command = {**retraction(1), **target}
    del command["resolution"]
    message = refused(app, command)
    assert "cannot be retracted" in message and "other records" in message


def test_a_retracted_resolution_takes_no_new_fact(app: LedgerApplication) -> None:
    app.record([retraction(2), retraction(1)])

    for command in (
        {**DECISION, "effective": "2018-10-01"},
        {**DECISION, "outcome": "deferred", "yes": None},
        {"record": "execution", "body": BODY, "resolution": REFERENCE, "effective": "2019-01-02"},
        {
            "record": "correction",
            "body": BODY,
            "target": "resolution",
            "resolution": REFERENCE,
            "version": 1,
            "values": {"title": "Neu"},
            "reason": "x",
            "effective": "2019-01-02",
        },
    ):
        assert "retracted" in refused(app, command)
    assert "cannot be recorded again" in refused(app, {**PROPOSAL, "title": "Anderer Titel"})


def test_recording_the_files_again_appends_nothing(app: LedgerApplication) -> None:
    app.record([retraction(2), retraction(1)])
    before = position(app)

    assert app.record([PROPOSAL, DECISION]) == []
    assert app.record([retraction(2), retraction(1)]) == []
    assert app.record([PROPOSAL, DECISION, retraction(2), retraction(1)]) == []

    assert position(app) == before
    assert record(app).gone


def test_gone_as_known_now_there_as_known_before(app: LedgerApplication, store_url: str) -> None:
    before = last_moment(store_url).isoformat()
    app.record([retraction(2), retraction(1)])
    catch_up(store_url)

    model = ReadModel(store_url)
    try:
        now = list_resolutions(model, BODY, include_private=True)["resolutions"]
        then = list_resolutions(model, BODY, known_at=before, include_private=True)
        with pytest.raises(NotFoundError):
            get_resolution(model, BODY, REFERENCE, include_private=True)
        shown = get_resolution(model, BODY, REFERENCE, known_at=before, include_private=True)
        trail = events(model, body=BODY, limit=1000, include_private=True)["events"]
    finally:
        model.close()

    assert REFERENCE not in [r["reference"] for r in now]
    [entry] = [r for r in then["resolutions"] if r["reference"] == REFERENCE]
    assert entry["status"] == "adopted" and entry["decisions"][0]["yes"] == 7
    assert shown["exists"] is True and shown["title"] == "Radwegekonzept"
    # nothing is deleted: the trail still holds the proposal, the decision, both retractions
    kinds = [e["type"].rsplit(".", 1)[-1] for e in trail if e["key"] == REFERENCE]
    assert kinds == ["Proposed", "DecisionRecorded", "Retracted", "Retracted"]


def test_the_api_answers_404_as_known_now(app: LedgerApplication, store_url: str) -> None:
    before = last_moment(store_url).isoformat()
    app.record([retraction(2), retraction(1)])
    catch_up(store_url)
    path = f"/v1/bodies/{BODY}/resolutions/{REFERENCE}"

    with api_client(store_url) as client:
        now = client.get(path, headers=bearer())
        anonymous = client.get(path)
        then = client.get(path, params={"known_at": before}, headers=bearer())
        page = client.get(f"/ui/bodies/{BODY}/resolutions/{REFERENCE}", headers=bearer())

    assert now.status_code == 404 and now.json()["detail"]
    assert anonymous.status_code == 404
    assert then.status_code == 200 and then.json()["decisions"][0]["yes"] == 7
    assert page.status_code == 404


def test_ledger_show_as_known_before_still_lists_it(
    app: LedgerApplication,
    store_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = last_moment(store_url).isoformat()
    app.record([retraction(2), retraction(1)])
    monkeypatch.setenv("LEDGER_DATABASE_URL", store_url)
    capsys.readouterr()

    assert main(["show", "resolutions", "--body", BODY, "--format", "json"]) == 0
    now = json.loads(capsys.readouterr().out)
    assert (
        main(["show", "resolutions", "--body", BODY, "--known-at", before, "--format", "json"]) == 0
    )
    then = json.loads(capsys.readouterr().out)

    assert REFERENCE not in [r["reference"] for r in now["resolutions"]]
    assert REFERENCE in [r["reference"] for r in then["resolutions"]]


def test_a_projector_that_kept_the_record_and_a_rebuild_agree(
    app: LedgerApplication, store_url: str
) -> None:
    projector = Projector(store_url, batch_size=2)
    try:
        projector.catch_up()  # the record is compacted between batches
        before = last_moment(store_url).isoformat()
        app.record([retraction(2)])
        projector.catch_up()
        app.record([retraction(1)])
        projector.catch_up()
    finally:
        projector.close()

    def documents() -> tuple[Any, ...]:
        model = ReadModel(store_url)
        try:
            now = list_resolutions(model, BODY, include_private=True)["resolutions"]
            then = get_resolution(model, BODY, REFERENCE, known_at=before, include_private=True)
        finally:
            model.close()
        return now, {k: v for k, v in then.items() if k != "position"}

    kept = documents()
    assert REFERENCE not in [r["reference"] for r in kept[0]]
    with Projector(store_url) as again:
        again.rebuild()
    assert documents() == kept


def test_the_served_oparl_shows_the_paper_deleted(app: LedgerApplication, store_url: str) -> None:
    app.record([retraction(2), retraction(1)])
    catch_up(store_url)
    model = ReadModel(store_url)
    try:
        api = create_app(model)
        with TestClient(api) as client:
            paper = client.get(f"/oparl/v1/body/{BODY}/paper/V%2012/2018").json()
            listed = client.get(f"/oparl/v1/body/{BODY}/papers").json()["data"]
    finally:
        model.close()

    assert paper["deleted"] is True
    assert paper["id"] not in [p["id"] for p in listed if not p.get("deleted")]


def test_a_paper_deleted_in_the_oparl_source_is_gone_as_known_now(store_url: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    with serve() as council:
        ids = standard(council)
        assert (
            run_import(
                ids.system, "beispielstadt", database_url=store_url, settings=FAST, out=out, err=err
            )
            == 0
        ), err.getvalue()
        before = last_moment(store_url).isoformat()
        council.delete(ids.papers["067"])
        code = run_import(
            ids.system, "beispielstadt", database_url=store_url, settings=FAST, out=out, err=err
        )
        assert code == 0, err.getvalue()
        head = position_of(store_url)
        assert (
            run_import(
                ids.system, "beispielstadt", database_url=store_url, settings=FAST, out=out, err=err
            )
            == 0
        )
        assert position_of(store_url) == head  # a third run appends nothing

    assert "its proposal stays" not in out.getvalue()
    catch_up(store_url)
    model = ReadModel(store_url)
    try:
        with pytest.raises(NotFoundError):
            get_resolution(model, "beispielstadt", "2018/6/067", include_private=True)
        then = get_resolution(
            model, "beispielstadt", "2018/6/067", known_at=before, include_private=True
        )
    finally:
        model.close()
    assert then["exists"] is True and then["votes"][0]["yes"] == 9


def position_of(url: str) -> int:
    application = LedgerApplication(env=application_env(url))
    try:
        return application.recorder.max_notification_id() or 0
    finally:
        application.close()
