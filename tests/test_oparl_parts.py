"""The parts of the OParl import on their own: schema check, client, outcomes, seats, counts."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from oparl_support import SCHEMA, Council, serve

from ledger.importers.oparl.client import (
    Client,
    FetchError,
    FolderSource,
    HttpSource,
    MissingError,
    Settings,
    open_source,
)
from ledger.importers.oparl.counts import CountReader
from ledger.importers.oparl.outcome import outcome_of, result_text
from ledger.importers.oparl.schema import SCHEMAS, problems
from ledger.importers.oparl.seats import collect

PAPER = {"id": "https://ris.example.org/paper/1", "type": SCHEMA + "Paper", "name": "Vorlage"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"created": ""}, "the field 'created' must be a date-time"),
        ({"created": "2018-06-19"}, "the field 'created' must be a date-time"),
        ({"modified": "2018-02-30T10:00:00+01:00"}, "the field 'modified' must be a date-time"),
        ({"date": "19.06.2018"}, "the field 'date' must be a date such as 2018-06-19"),
        ({"type": "https://schema.oparl.org/1.0/Paper"}, "is an OParl 1.0 object"),
        ({"type": SCHEMA + "Meeting"}, "the field 'type' must be " + SCHEMA + "Paper"),
        ({"consultation": {}}, "the field 'consultation' must be an array"),
        ({"keyword": ["a", 3]}, "the field 'keyword[1]' must be a string"),
        ({"id": "/paper/1"}, "the field 'id' must be an absolute http(s) URL"),
    ],
)
def test_a_paper_failing_the_schema_says_why(change: dict[str, Any], reason: str) -> None:
    found = problems({**PAPER, **change}, "Paper")
    assert len(found) == 1 and found[0].startswith(reason), found


def test_the_check_agrees_with_a_json_schema_validator() -> None:
    """Objects the official schemas (formats checked) accept or refuse, the check does too."""
    schema = json.loads((SCHEMAS / "AgendaItem.json").read_text(encoding="utf-8"))
    validator = jsonschema_rs.validator_for(schema, validate_formats=True)
    base = {"id": "https://ris.example.org/item/1", "type": SCHEMA + "AgendaItem", "order": 1}
    cases: list[dict[str, Any]] = [
        base,
        {**base, "order": "1"},
        {**base, "order": True},
        {**base, "public": "ja"},
        {**base, "created": "2018-06-19T17:00:00+02:00", "result": "beschlossen"},
        {**base, "start": "2018-06-19 17:00"},
        {k: v for k, v in base.items() if k != "order"},
        {**base, "auxiliaryFile": [{"id": "x"}, "y"]},
    ]
    for case in cases:
        assert validator.is_valid(case) == (problems(case, "AgendaItem") == []), case


def test_a_deleted_object_needs_only_id_and_type() -> None:
    gone = {"id": "https://ris.example.org/body/1", "type": SCHEMA + "Body", "deleted": True}
    assert problems(gone, "Body") == []
    assert problems({**gone, "deleted": False}, "Body")


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("ungeändert beschlossen", "adopted"),
        ("einstimmig", "adopted"),
        ("mehrheitlich zugestimmt", "adopted"),
        ("einstimmig abgelehnt", "rejected"),
        ("nicht beschlossen", "rejected"),
        ("vertagt", "deferred"),
        ("zurückgestellt", "deferred"),
        ("in den Finanzausschuss verwiesen", "referred"),
        ("Antrag zurückgezogen", "withdrawn"),
        ("zur Kenntnis genommen", "noted"),
        ("Kenntnisnahme", "noted"),
        ("abgesetzt", None),
        ("beschlossen, Antrag im Übrigen abgelehnt", None),
        ("", None),
    ],
)
def test_result_texts_are_normalised(text: str, outcome: str | None) -> None:
    assert outcome_of(text) == outcome


def test_the_served_result_reads_back_as_its_outcome() -> None:
    for outcome in ("adopted", "rejected", "deferred", "referred", "noted", "withdrawn"):
        assert outcome_of(result_text(outcome, {"yes": 3})) == outcome


def test_seats_are_the_voting_members_current_on_the_day() -> None:
    org = "https://ris.example.org/organization/1"

    def member(n: int, voting: bool | None, start: str, end: str | None = None) -> Any:
        obj: dict[str, Any] = {"organization": org, "person": f"p{n}", "startDate": start}
        if voting is not None:
            obj["votingRight"] = voting
        if end:
            obj["endDate"] = end
        return obj, None

    given = [member(n, True, "2014-06-01", "2019-05-31") for n in range(9)]
    given += [member(9, False, "2014-06-01"), member(10, True, "2019-06-01")]
    found = collect(given)
    assert found.seats(org, date(2018, 6, 19)) == 9
    assert found.seats(org, date(2019, 5, 31)) == 9
    assert found.seats(org, date(2019, 6, 1)) == 1
    assert found.seats(org, date(2014, 5, 31)) is None
    assert found.seats("https://ris.example.org/organization/2", date(2018, 6, 19)) is None
    # a server that never says who votes: every current member counts
    unmarked = collect([member(n, None, "2014-06-01") for n in range(5)])
    assert unmarked.seats(org, date(2018, 6, 19)) == 5


def test_counts_come_only_from_the_item_or_its_reference_in_the_protocol() -> None:
    reader = CountReader("b")
    protocol = {
        "id": "https://ris.example.org/file/protocol",
        "text": "Niederschrift der Sitzung am 19.06.2018\n\n"
        "TOP 1 Vorlage 2018/6/067 Familienzentren\nJa 9 Nein 0 Enthaltungen 0 befangen 0\n"
        "beschlossen\n\nTOP 2 Vorlage 2018/6/068 Spielplatz\nJa 4, Nein 6\nabgelehnt\n",
    }
    meeting = {"resultsProtocol": protocol}
    found = reader.counts({}, meeting, "2018/6/068")
    assert found is not None and found.values == {"yes": 4, "no": 6}
    assert found.file == protocol["id"]
    assert reader.counts({}, meeting, "2018/9/001") is None  # not in the protocol: none
    own = {"resolutionFile": {"id": "f1", "text": "Abstimmung: Ja 7 Nein 2 Enthaltungen 1"}}
    stated = reader.counts(own, meeting, "2018/9/001")
    assert stated is not None and stated.values == {"yes": 7, "no": 2, "abstentions": 1}
    # "einstimmig" states no counts
    assert reader.counts({"resolutionFile": {"id": "f2", "text": "einstimmig"}}, None, "x") is None


def test_the_client_tries_again_and_spaces_its_requests() -> None:
    pauses: list[float] = []
    with serve() as council:
        council.add("Paper", "1", name="Vorlage")
        council.failures["/oparl/paper/1"] = [503, 429]
        source = HttpSource(Settings(rate=4, backoff=0.5, retries=2), sleep=pauses.append)
        assert source.fetch(council.url("paper", "1"))["name"] == "Vorlage"
        assert source.requests == 3
        # backoff 0.5 s then 1 s; the rate allows one request each 0.25 s
        assert [p for p in pauses if p >= 0.5] == [0.5, 1.0]
        with pytest.raises(MissingError):
            source.fetch(council.url("paper", "2"))
        assert source.requests == 4  # a 404 is not tried again


def test_the_client_follows_links_next_and_stops_at_a_loop() -> None:
    with serve(page_size=2) as council:
        for n in range(5):
            council.add("Paper", str(n), name=f"Vorlage {n}")
        council.system_and_body()
        client = Client(HttpSource(Settings(rate=0)))
        papers = list(client.objects(council.url("body", "1", "papers"), "Paper"))
        assert [p["name"] for p in papers] == [f"Vorlage {n}" for n in range(5)]
        assert client.pages_read == 3
        looping = {"data": [], "links": {"next": council.url("paper", "loop")}}
        council.add("Paper", "loop")
        council.objects[council.url("paper", "loop")] = looping
        with pytest.raises(FetchError, match="already read"):
            list(client.objects(council.url("paper", "loop"), "Paper"))


def test_a_server_cannot_lead_the_client_to_local_files() -> None:
    source = HttpSource(Settings(rate=0))
    with pytest.raises(FetchError, match=r"must be http\(s\) URLs"):
        source.fetch("file:///etc/passwd")


def test_open_source_refuses_other_schemes(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="http://, https:// or file://"):
        open_source("ftp://ris.example.org/oparl", Settings())
    with pytest.raises(FetchError, match="no such file or folder"):
        open_source((tmp_path / "missing").as_uri(), Settings())
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(FetchError, match="cannot be read as JSON"):
        open_source(tmp_path.as_uri(), Settings())


def test_a_folder_lists_its_objects_of_a_kind_when_it_has_no_page(tmp_path: Path) -> None:
    council = Council(base="https://ris.example.org/oparl")
    council.system_and_body()
    old = council.paper("p1", "2018/1/001", "Alt", "2018-01-01")
    new = council.paper("p2", "2018/1/002", "Neu", "2018-01-02")
    council.touch(new, when="2019-01-01T00:00:00+00:00")
    gone = council.paper("p3", "2018/1/003", "Weg", "2018-01-03")
    council.delete(gone, when="2019-02-01T00:00:00+00:00")
    for n, identifier in enumerate(council.objects):
        (tmp_path / f"{n}.json").write_text(json.dumps(council.render(identifier)), "utf-8")
    client = Client(FolderSource(tmp_path))
    papers = council.url("body", "1", "papers")
    assert {p["id"] for p in client.objects(papers, "Paper")} == {old, new}
    since = {"modified_since": "2018-12-31T00:00:00+00:00"}
    assert {p["id"] for p in client.objects(papers, "Paper", since)} == {new, gone}
