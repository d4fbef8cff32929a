"""/oparl/v1: the ledger served as OParl 1.1, validated against the official schemas."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from api_support import BODY, SECRET_REFERENCE, TOKEN, bearer, record, record_demo
from fastapi.testclient import TestClient

from api.app import create_app
from api.oparl.objects import Links, agenda_item
from api.oparl.readmodel import Tally
from api.tokens import hash_token
from ledger.application import LedgerApplication
from ledger.domain.resolution import Resolution
from ledger.importers.oparl.client import MissingError
from ledger.importers.oparl.run import run_import
from ledger.importers.oparl.schema import SCHEMAS, problems
from ledger.store import application_env
from projections.queries import ReadModel, catch_up

VALIDATORS: dict[str, Any] = {}


def check(obj: dict[str, Any], kind: str) -> None:
    """Validates a served object against the official schema (formats checked too), with
    jsonschema_rs, and against the import's own check of the same schema."""
    if kind not in VALIDATORS:
        schema = json.loads((SCHEMAS / f"{kind}.json").read_text(encoding="utf-8"))
        VALIDATORS[kind] = jsonschema_rs.validator_for(schema, validate_formats=True)
    errors = [e.message for e in VALIDATORS[kind].iter_errors(obj)]
    assert errors == [], (kind, obj.get("id"), errors)
    assert problems(obj, kind) == [], (kind, obj.get("id"))


@pytest.fixture
def oparl(store_url: str) -> Iterator[TestClient]:
    """The API with the OParl router over the demo and its non-public records."""
    record_demo(store_url, private=True)
    read_model = ReadModel(store_url)
    app = create_app(read_model, tokens=[hash_token(TOKEN)])
    try:
        with TestClient(app) as client:
            yield client
    finally:
        read_model.close()


def walk(client: TestClient, url: str, kind: str, **headers: str) -> list[dict[str, Any]]:
    """Every object of a list, page by page through links.next, each validated."""
    items: list[dict[str, Any]] = []
    pages = 0
    while url:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert set(page) >= {"data", "pagination", "links"}
        for obj in page["data"]:
            check(obj, kind)
            items.append(obj)
        url = page["links"].get("next")
        pages += 1
        assert pages < 100
    return items


def served(client: TestClient, **headers: str) -> dict[str, list[dict[str, Any]]]:
    """Everything reachable from the System, each list read one object a page."""
    system = client.get("/oparl/v1/system", headers=headers).json()
    check(system, "System")
    [body] = walk(client, system["body"], "Body", **headers)
    out: dict[str, list[dict[str, Any]]] = {"Body": [body]}
    for attribute, kind in (
        ("organization", "Organization"),
        ("person", "Person"),
        ("meeting", "Meeting"),
        ("paper", "Paper"),
        ("agendaItem", "AgendaItem"),
        ("consultation", "Consultation"),
    ):
        out[kind] = walk(client, f"{body[attribute]}?limit=1", kind, **headers)
    for meeting in out["Meeting"]:
        for item in meeting["agendaItem"]:
            check(item, "AgendaItem")
    for paper in out["Paper"]:
        for consultation in paper["consultation"]:
            check(consultation, "Consultation")
    return out


def test_the_served_oparl_validates_and_carries_the_demo(oparl: TestClient) -> None:
    found = served(oparl)
    [paper] = [p for p in found["Paper"] if p["reference"] == "2018/6/067"]
    assert paper["date"] == "2018-06-19"
    [meeting] = [m for m in found["Meeting"] if m["start"].startswith("2018-06-19")]
    [item] = meeting["agendaItem"]
    assert item["result"] == "beschlossen (Ja 9, Nein 0, Enthaltungen 0, befangen 0)"
    assert item["name"] == paper["name"]
    [consultation] = paper["consultation"]
    assert consultation["agendaItem"] == item["id"]
    assert consultation["organization"] == meeting["organization"]
    [committee] = [o for o in found["Organization"] if o["id"] in meeting["organization"]]
    assert committee["name"] == "Jugendhilfeausschuss"
    assert found["Person"] == []
    # every object is found again at its id, the same
    for kind in ("Organization", "Meeting", "Paper", "AgendaItem", "Consultation", "Body"):
        for obj in found[kind]:
            answer = oparl.get(obj["id"])
            assert answer.status_code == 200 and answer.json() == obj, obj["id"]
            assert answer.headers["X-Ledger-Position"].isdigit()


def test_non_public_resolutions_only_with_a_read_token(oparl: TestClient) -> None:
    anonymous = served(oparl)
    assert SECRET_REFERENCE not in [p["reference"] for p in anonymous["Paper"]]
    assert not [m for m in anonymous["Meeting"] if m["start"].startswith("2018-07-10")]
    assert SECRET_REFERENCE not in json.dumps(anonymous)
    secret = f"/oparl/v1/body/{BODY}/paper/{SECRET_REFERENCE}"
    assert oparl.get(secret).status_code == 404
    with_token = served(oparl, **bearer())
    [paper] = [p for p in with_token["Paper"] if p["reference"] == SECRET_REFERENCE]
    assert oparl.get(secret, headers=bearer()).json() == paper
    [meeting] = [m for m in with_token["Meeting"] if m["start"].startswith("2018-07-10")]
    assert meeting["agendaItem"][0]["public"] is False
    assert oparl.get(secret, headers=bearer("wrong")).status_code == 401


def test_a_retracted_vote_is_served_as_deleted(oparl: TestClient, store_url: str) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    record(
        store_url,
        [
            {
                "record": "retraction",
                "body": BODY,
                "target": "resolution",
                "resolution": "2018/6/067",
                "version": vote_version(store_url, "2018/6/067"),
                "reason": "im Protokoll einem anderen Tagesordnungspunkt zugeordnet",
                "effective": "2018-06-20",
            }
        ],
    )
    catch_up(store_url)
    since = before.isoformat()
    found = served(oparl)
    assert not [m for m in found["Meeting"] if m["start"].startswith("2018-06-19")]
    [paper] = [p for p in found["Paper"] if p["reference"] == "2018/6/067"]
    assert paper["consultation"] == []
    base = oparl.get("/oparl/v1/system").json()["body"].rsplit("/", 1)[0]
    changed = {
        kind: walk(oparl, f"{base}/body/{BODY}/{name}?modified_since={since}", kind)
        for kind, name in (
            ("Meeting", "meetings"),
            ("AgendaItem", "agendaitems"),
            ("Consultation", "consultations"),
        )
    }
    for kind, objects in changed.items():
        [gone] = objects
        assert gone["deleted"] is True, kind
        # nothing but what a deleted object keeps: id, type, times, the schema's required
        assert set(gone) - {"order"} == {"id", "type", "created", "modified", "deleted"}
        assert oparl.get(gone["id"]).json() == gone


def vote_version(store_url: str, reference: str) -> int:
    """The version of a resolution's one vote."""
    app = LedgerApplication(env=application_env(store_url))
    try:
        found: object = app.repository.get(Resolution.id_for(BODY, reference))
        assert isinstance(found, Resolution)
        [version] = [v for v, f in found.facts.items() if isinstance(f, Resolution.VoteRecorded)]
        return version
    finally:
        app.close()


def test_lists_filter_by_creation_and_modification(oparl: TestClient) -> None:
    papers = f"/oparl/v1/body/{BODY}/papers"
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    past = "2001-01-01T00:00:00+01:00"
    assert oparl.get(papers, params={"modified_since": future}).json()["data"] == []
    assert oparl.get(papers, params={"created_until": past}).json()["data"] == []
    assert len(oparl.get(papers, params={"created_since": past}).json()["data"]) == 1
    # the filters stay in every link
    page = oparl.get(f"/oparl/v1/body/{BODY}/agendaitems",
                     params={"created_since": past, "limit": 1}).json()  # fmt: skip
    assert all("created_since=" in link for link in page["links"].values())


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"modified_since": "2018-01-01"}, "modified_since"),
        ({"created_until": "gestern"}, "created_until"),
        ({"modified_until": "x" * 201}, "modified_until"),
        ({"limit": "0"}, "limit"),
        ({"page": "0"}, "page"),
    ],
)
def test_bad_list_parameters_are_422_naming_them(
    oparl: TestClient, params: dict[str, str], parameter: str
) -> None:
    answer = oparl.get(f"/oparl/v1/body/{BODY}/papers", params=params)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", parameter]


def test_unknown_objects_are_404(oparl: TestClient) -> None:
    for path in (
        "/oparl/v1/body/nirgendwo",
        "/oparl/v1/body/nirgendwo/papers",
        f"/oparl/v1/body/{BODY}/paper/1999/1/001",
        f"/oparl/v1/body/{BODY}/organization/gemeinderat",
        f"/oparl/v1/body/{BODY}/meeting/jugendhilfeausschuss/2018-06-20",
        f"/oparl/v1/body/{BODY}/agendaitem/jugendhilfeausschuss/2018-06-19/1999/1/001",
    ):
        answer = oparl.get(path)
        assert answer.status_code == 404, path
        assert "detail" in answer.json()
    bad_day = oparl.get(f"/oparl/v1/body/{BODY}/meeting/jugendhilfeausschuss/2018-02-30")
    assert bad_day.status_code == 422


def test_a_decision_reads_as_its_outcome_and_the_stated_counts() -> None:
    links = Links("http://ledger.example/oparl/v1")
    moment = datetime(2018, 9, 12, tzinfo=UTC)
    tally = Tally(
        "2018/6/068", "jugendhilfeausschuss", date(2018, 9, 11), "rejected",
        "mehrheitlich abgelehnt", {"yes": 4, "no": 6, "abstentions": 1}, moment, moment, False,
    )  # fmt: skip
    item = agenda_item(links, BODY, tally, 2, None)
    check(item, "AgendaItem")
    assert item["result"] == "abgelehnt (Ja 4, Nein 6, Enthaltungen 1)"
    assert item["resolutionText"] == "mehrheitlich abgelehnt"
    unknown = Tally(
        "2018/6/068", "jugendhilfeausschuss", date(2018, 9, 11), None,
        "an die Verwaltung zurückgegeben", {}, moment, moment, False,
    )  # fmt: skip
    assert agenda_item(links, BODY, unknown, 1, None)["result"] == (
        "an die Verwaltung zurückgegeben"
    )


class _ServedSource:
    """Reads the served OParl through the test client (the import's Source protocol)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.requests = 0

    def fetch(self, url: str) -> Any:
        self.requests += 1
        answer = self.client.get(url)
        if answer.status_code == 404:
            raise MissingError(url, "the server answers 404 (no such object)")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def fallback_list(self, url: str, kind: str) -> list[Any] | None:
        return None


def test_the_served_oparl_imports_into_another_ledger(oparl: TestClient, tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    out, err = io.StringIO(), io.StringIO()
    code = run_import(
        "http://testserver/oparl/v1/system", "kopie", database_url=target,
        out=out, err=err, source=_ServedSource(oparl),
    )  # fmt: skip
    assert code == 0, err.getvalue()
    app = LedgerApplication(env=application_env(target))
    try:
        found: object = app.repository.get(Resolution.id_for("kopie", "2018/6/067"))
        assert isinstance(found, Resolution)
        state = found.state_at()
    finally:
        app.close()
    assert state.committee == "jugendhilfeausschuss"
    [decision] = state.decisions
    assert (decision.meeting_date, decision.outcome) == (date(2018, 6, 19), "adopted")
    # counts are taken only from a File's text, and the served OParl carries none
    assert decision.yes is None
