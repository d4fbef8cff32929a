"""Real resolution references ("V 123/2018", "20-26 / V 01234", "DS 18/0815"): recorded
trimmed with single spaces, found again however the spaces are written, bounded, and served
at URLs that round-trip; the references the ledger knew before keep their ids."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import uuid5

import pytest
from api_support import api_client, bearer
from fastapi.testclient import TestClient
from oparl_support import serve, standard
from storage import demo_ledger

from api.app import create_app
from ledger.application import LedgerApplication
from ledger.cli import main
from ledger.domain.base import LEDGER_NAMESPACE, LedgerAggregate
from ledger.domain.certification import CertificationProcess
from ledger.domain.resolution import MAX_REFERENCE, Resolution
from ledger.errors import CommandError
from ledger.importers.oparl.client import Settings
from ledger.importers.oparl.run import run_import
from ledger.store import application_env
from projections.queries import ReadModel, catch_up

BODY = "kyffhaeuserkreis"
JHA = "jugendhilfeausschuss"
FAST = Settings(rate=0, backoff=0, retries=2, timeout=5)
REAL = ("V 123/2018", "20-26 / V 01234", "DS 18/0815", "Drs. 18/0815 (neu)")


def proposal(reference: str, **changes: Any) -> dict[str, Any]:
    """A proposal of the Jugendhilfeausschuss under `reference`."""
    return {
        "record": "proposal",
        "body": BODY,
        "resolution": reference,
        "committee": JHA,
        "title": f"Vorlage {reference}",
        "public": True,
        "effective": "2018-08-20",
        **changes,
    }


def decision(reference: str) -> dict[str, Any]:
    """A decision on `reference` stating its outcome only."""
    return {
        "record": "decision",
        "body": BODY,
        "resolution": reference,
        "committee": JHA,
        "effective": "2018-09-04",
        "outcome": "adopted",
    }


@pytest.fixture
def app(store_url: str) -> Iterator[LedgerApplication]:
    """The demo on each backend."""
    yield from demo_ledger(store_url)


def position(app: LedgerApplication) -> int:
    return app.recorder.max_notification_id() or 0


def state(app: LedgerApplication, reference: str) -> Any:
    record: Resolution = app.repository.get(Resolution.id_for(BODY, reference))
    assert isinstance(record, Resolution)
    return record.state_at()


@pytest.mark.parametrize("reference", REAL)
def test_a_real_reference_is_recorded_and_decided(app: LedgerApplication, reference: str) -> None:
    app.record([proposal(reference), decision(reference)])

    found = state(app, reference)
    assert (found.reference, found.status) == (reference, "adopted")


def test_spaces_are_trimmed_and_collapsed_wherever_the_reference_is_named(
    app: LedgerApplication,
) -> None:
    app.record([proposal("  V   123/2018 ", title="Vorlage V 123/2018")])
    before = position(app)

    # the same resolution, however its spaces are written: nothing new, then the decision
    app.record([proposal("V\u00a0123/2018", title="Vorlage V 123/2018")])
    assert position(app) == before
    app.record([decision(" V  123/2018")])

    found = state(app, "V 123/2018")
    assert found.reference == "V 123/2018" and found.status == "adopted"
    assert Resolution.id_for(BODY, " V  123/2018") == Resolution.id_for(BODY, "V 123/2018")


def test_references_the_ledger_knew_keep_their_ids(app: LedgerApplication) -> None:
    for reference in ("2018/6/067", "2018/7/113", "KT-2015_12.3"):
        expected = uuid5(LEDGER_NAMESPACE, f"resolution/{BODY}/{reference}")
        assert Resolution.id_for(BODY, reference) == expected
    # the demo's resolution is still found under its old id
    assert state(app, "2018/6/067").status == "adopted"


@pytest.mark.parametrize(
    ("reference", "rule"),
    [
        ("V\t123/2018", "control characters"),
        ("V 123/2018\n", "control characters"),
        ("V \x1b[2J 123", "control characters"),
        ("a" * (MAX_REFERENCE + 1), f"at most {MAX_REFERENCE} characters"),
        ("2018//067", "no empty part between slashes"),
        ("2018/ /067", "no empty part between slashes"),
        ("2018/../067", "no empty part between slashes"),
        ("/2018/067", "not a resolution reference"),
        ("2018/067/", "no empty part between slashes"),
        ("V 123?x=1", "not a resolution reference"),
        ("V 123#2", "not a resolution reference"),
        ("V%20123", "not a resolution reference"),
        ("V\u200b123", "not a resolution reference"),
        ("   ", "must not be empty"),
    ],
)
def test_a_bad_reference_is_refused_naming_the_field(
    app: LedgerApplication, reference: str, rule: str
) -> None:
    before = position(app)
    with pytest.raises(CommandError) as caught:
        app.record([proposal(reference)])

    message = str(caught.value)
    assert "resolution" in message and rule in message
    assert position(app) == before


def test_a_vote_naming_a_bad_reference_is_refused_before_any_look_up(
    app: LedgerApplication,
) -> None:
    command = {**decision("2018/6/067\x00"), "record": "decision"}
    with pytest.raises(CommandError) as caught:
        app.record([command])
    assert "control characters" in str(caught.value)


def test_ledger_record_refuses_a_bad_reference_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([proposal("V 1/2018\tx")]), encoding="utf-8")

    assert main(["record", str(path)]) == 2

    err = capsys.readouterr().err
    assert "resolution" in err and "control characters" in err and "Traceback" not in err


def test_the_api_and_the_pages_round_trip_a_reference_with_spaces(
    app: LedgerApplication, store_url: str
) -> None:
    app.record([proposal(r) for r in REAL])
    catch_up(store_url)

    with api_client(store_url) as client:
        listing = client.get(f"/ui/bodies/{BODY}/resolutions", headers=bearer())
        for reference in REAL:
            encoded = quote(reference, safe="/")
            answer = client.get(f"/v1/bodies/{BODY}/resolutions/{encoded}")
            assert answer.status_code == 200, (reference, answer.text)
            assert answer.json()["reference"] == reference
            assert f"/resolutions/{quote(reference)}" in listing.text  # jinja's urlencode
            page = client.get(f"/ui/bodies/{BODY}/resolutions/{quote(reference)}")
            assert page.status_code == 200 and f"Vorlage {reference}" in page.text
        # a reference is found as written, not with other spaces
        assert client.get(f"/v1/bodies/{BODY}/resolutions/V%20%20123/2018").status_code == 404


def test_the_served_oparl_encodes_a_reference_with_spaces(
    app: LedgerApplication, store_url: str
) -> None:
    app.record([proposal("20-26 / V 01234"), decision("20-26 / V 01234")])
    catch_up(store_url)
    model = ReadModel(store_url)
    try:
        api = create_app(model)
        with TestClient(api) as client:
            papers = client.get(f"/oparl/v1/body/{BODY}/papers").json()["data"]
            [paper] = [p for p in papers if p["reference"] == "20-26 / V 01234"]
            assert paper["id"].endswith("/paper/20-26%20/%20V%2001234")
            assert client.get(paper["id"]).json() == paper
            [consultation] = paper["consultation"]
            item = client.get(consultation["agendaItem"]).json()
            assert item["result"] == "beschlossen" and " " not in consultation["agendaItem"]
    finally:
        model.close()


def test_oparl_papers_import_under_their_real_references(store_url: str) -> None:
    with serve() as council:
        ids = standard(council)
        spaced = council.paper("p8", "DS  18/0815", "Radverkehrskonzept", "2018-09-01")
        council.consult(spaced, ids.m2, ids.jha, "einstimmig beschlossen")
        bad = council.paper("p9", "V 1/2018?neu", "Verkehrskonzept", "2018-09-02")
        refused = run_oparl(ids.system, store_url)
        skipped = run_oparl(ids.system, store_url, skip_bad=True)

    assert refused[0] == 2 and f"{bad}: Paper: its reference" in refused[2], refused
    assert "not a resolution reference" in refused[2] and "Traceback" not in refused[2]
    assert skipped[0] == 0, skipped
    for application in ledger_of(store_url):
        found: Resolution = application.repository.get(
            Resolution.id_for("beispielstadt", "DS 18/0815")
        )
        assert isinstance(found, Resolution)
        state = found.state_at()
        assert (state.reference, state.status) == ("DS 18/0815", "adopted")


def run_oparl(url: str, store_url: str, **options: Any) -> tuple[int, str, str]:
    """One OParl import into `store_url` as body beispielstadt: (exit code, out, err)."""
    out, err = io.StringIO(), io.StringIO()
    code = run_import(
        url, "beispielstadt", database_url=store_url, settings=FAST, out=out, err=err, **options
    )
    return code, out.getvalue(), err.getvalue()


def ledger_of(url: str) -> Iterator[LedgerApplication]:
    """The ledger application on `url`, closed afterwards."""
    application = LedgerApplication(env=application_env(url))
    try:
        yield application
    finally:
        application.close()


def test_a_correction_naming_a_reference_keeps_it_as_a_proposal_does(
    app: LedgerApplication,
) -> None:
    app.record([proposal("V 7/2015")])
    started = {
        "record": "process",
        "body": BODY,
        "process": "familienbuendnis/2018",
        "kind": "certification",
        "planned_from": "2018-08-01",
        "planned_until": "2019-07-31",
        "resolution": " V  7/2015 ",
        "effective": "2018-08-01",
    }
    correction = {
        "record": "correction",
        "body": BODY,
        "target": "process",
        "process": "familienbuendnis/2018",
        "version": 1,
        "values": {"resolution": "V   7/2015\u00a0"},
        "reason": "Leerzeichen",
        "effective": "2018-08-02",
    }
    app.record([started])
    with pytest.raises(CommandError) as caught:
        app.record([{**correction, "values": {"resolution": "V 7/2015\x1b"}}])
    assert "values.resolution" in str(caught.value)
    before = position(app)

    app.record([correction])
    assert position(app) > before
    events = list(
        app.recorder.select_events(CertificationProcess.id_for(BODY, "familienbuendnis", "2018"))
    )
    started_event = app.mapper.to_domain_event(events[0])
    correction_event = app.mapper.to_domain_event(events[-1])
    assert isinstance(started_event, CertificationProcess.Started)
    assert isinstance(correction_event, LedgerAggregate.Corrected)
    assert started_event.resolution == "V 7/2015"
    assert correction_event.values == {"resolution": "V 7/2015"}
