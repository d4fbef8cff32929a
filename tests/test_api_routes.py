"""Every route of the API against the demo case: the documents, the header, 404 and 422."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import BODY, TestClient, api_client, record, record_demo

from ledger.store import open_recorder

B = f"/v1/bodies/{BODY}"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo case, recorded and projected once for the module."""
    url = f"sqlite:///{tmp_path_factory.mktemp('api') / 'ledger.db'}"
    record_demo(url)
    return url


@pytest.fixture(scope="module")
def client(demo_url: str) -> Iterator[TestClient]:
    """An anonymous client of the API over the demo case."""
    with api_client(demo_url) as test_client:
        yield test_client


def get_json(client: TestClient, url: str, status: int = 200) -> dict[str, Any]:
    """GETs a JSON document, checks its status and that it says its ledger position."""
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["X-Ledger-Position"].isdigit()
    document: dict[str, Any] = response.json()
    if status == 200 and "position" in document:
        assert response.headers["X-Ledger-Position"] == str(document["position"])
    return document


def test_bodies_lists_the_demo_body(client: TestClient) -> None:
    document = get_json(client, "/v1/bodies")
    assert document["bodies"] == [{"slug": BODY, "name": "Kyffhäuserkreis", "land": "Thüringen"}]
    assert document["position"] == 41


def test_a_body_has_its_committees_and_processes(client: TestClient) -> None:
    document = get_json(client, B)
    assert document["committees"] == [
        {"committee": "jugendhilfeausschuss", "name": "Jugendhilfeausschuss", "seats": 15}
    ]
    processes = document["processes"]
    assert isinstance(processes, list)
    assert [p["process"] for p in processes] == ["audit-fgk/2015", "audit-fgk/2018"]
    assert document["budget_years"] == [2018]


def test_certification_in_2016_is_certified_with_the_first_certificate(client: TestClient) -> None:
    document = get_json(client, f"{B}/certification?as_of=2016-01-01")
    assert document["status"] == "certified"
    assert document["as_of"] == "2016-01-01"
    assert document["certificate"] == {"valid_from": "2015-06-12", "valid_until": "2018-06-30"}


def test_certification_after_the_certificate_ran_out_is_in_recertification(
    client: TestClient,
) -> None:
    document = get_json(client, f"{B}/certification?as_of=2019-01-01")
    assert (document["status"], document["certificate"]) == ("in_recertification", None)


def test_known_at_before_anything_was_recorded_knows_no_certificate(client: TestClient) -> None:
    document = get_json(client, f"{B}/certification?as_of=2016-01-01&known_at=2000-01-01")
    assert document["status"] == "not_certified"
    assert document["known_at"] == "2000-01-01T23:59:59.999999+00:00"


def test_processes_are_listed_as_of_a_date(client: TestClient) -> None:
    document = get_json(client, f"{B}/processes?as_of=2017-01-01")
    processes = document["processes"]
    assert isinstance(processes, list)
    assert [p["process"] for p in processes] == ["audit-fgk/2015"]


def test_a_process_is_named_by_programme_and_cycle(client: TestClient) -> None:
    document = get_json(client, f"{B}/processes/audit-fgk/2018")
    assert document["process"] == "audit-fgk/2018"
    assert (document["kind"], document["resolution"]) == ("recertification", "2018/6/067")


def test_the_target_agreement_shows_the_corrected_status_of_a_measure(client: TestClient) -> None:
    document = get_json(client, f"{B}/processes/audit-fgk/2015/target-agreement?as_of=2018-01-01")
    measures = {m["code"]: m for f in document["fields"] for g in f["goals"] for m in g["measures"]}
    assert measures["M6.1.1"]["status"] == "in_progress"
    assert measures["M6.1.1"]["progress"] == 60


def test_the_annual_report_is_json_by_default(client: TestClient) -> None:
    document = get_json(client, f"{B}/processes/audit-fgk/2015/annual-report?year=2017")
    assert document["year"] == 2017
    assert document["columns"] == [
        "Handlungsfeld",
        "Ziel",
        "Maßnahme",
        "Verantwortlich",
        "Zeitraum",
        "Umsetzungsstand",
        "Bemerkung",
    ]


def test_the_annual_report_as_csv_opens_in_excel(client: TestClient) -> None:
    response = client.get(f"{B}/processes/audit-fgk/2015/annual-report?year=2017&format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["X-Ledger-Position"] == "41"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Handlungsfeld"
    assert len(rows) == 4


def test_the_budget_of_2018_has_the_ausserplanmaessig_approval(client: TestClient) -> None:
    document = get_json(client, f"{B}/budget/2018")
    (line,) = document["lines"]
    assert line["code"] == "01.4953.7187"
    assert line["supplementary"][0]["kind"] == "ausserplanmaessig"
    assert line["supplementary"][0]["amount"] == "17655.00"
    assert line["supplementary"][0]["resolution"] == "2018/6/067"


def test_one_budget_line_is_served_by_its_code(client: TestClient) -> None:
    document = get_json(client, f"{B}/budget/2018/lines/01.4953.7187?as_of=2018-12-31")
    assert [line["code"] for line in document["lines"]] == ["01.4953.7187"]


def test_resolutions_are_listed_and_filtered(client: TestClient) -> None:
    listed = get_json(client, f"{B}/resolutions")
    assert [r["reference"] for r in listed["resolutions"]] == ["2018/6/067"]
    later = get_json(client, f"{B}/resolutions?from=2018-06-20")
    assert later["resolutions"] == []
    by_committee = get_json(client, f"{B}/resolutions?committee=jugendhilfeausschuss&to=2018-06-19")
    assert len(by_committee["resolutions"]) == 1


def test_a_resolution_reference_with_slashes_shows_the_vote(client: TestClient) -> None:
    document = get_json(client, f"{B}/resolutions/2018/6/067")
    assert document["reference"] == "2018/6/067"
    (vote,) = document["votes"]
    assert (vote["yes"], vote["no"], vote["abstentions"], vote["recused"]) == (9, 0, 0, 0)


def test_findings_list_the_published_finding(client: TestClient) -> None:
    document = get_json(client, f"{B}/findings?process=audit-fgk/2015")
    assert [f["number"] for f in document["findings"]] == [1]


def test_events_are_paginated_by_position(client: TestClient) -> None:
    first = get_json(client, "/v1/events?limit=5")
    positions = [e["position"] for e in first["events"]]
    assert positions == [1, 2, 3, 4, 5]
    assert first["next_after"] == 5
    second = get_json(client, "/v1/events?after=5&limit=2")
    assert [e["position"] for e in second["events"]] == [6, 7]


def test_events_are_filtered_by_body_and_type(client: TestClient) -> None:
    document = get_json(client, f"/v1/events?body={BODY}&type=VoteRecorded")
    (event,) = document["events"]
    assert event["type"].endswith("VoteRecorded")
    assert event["data"]["yes"] == 9
    assert get_json(client, "/v1/events?body=no-such-body")["events"] == []


def test_the_ledger_head_is_the_digest_of_the_store(client: TestClient, demo_url: str) -> None:
    document = get_json(client, "/v1/ledger/head")
    recorder = open_recorder(demo_url)
    try:
        digest = recorder.head()
    finally:
        recorder.close()
    assert digest is not None
    assert document["digest"] == f"{digest.position}:{digest.hash}"


def test_healthz_answers_without_the_store(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_the_projector_lag(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record_demo(url)
    record(url, [{"record": "workshop", "body": BODY, "process": "audit-fgk/2018",
                  "kind": "strategy", "effective": "2018-09-01"}])  # fmt: skip
    with api_client(url) as test_client:
        document = get_json(test_client, "/readyz")
    assert document == {
        "status": "ready",
        "head": 42,
        "position": 41,
        "lag": 1,
        "projector": "external",
    }


def test_docs_and_openapi_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/bodies/{body}/resolutions/{reference}" in paths


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        (f"{B}/certification?as_of=not-a-date", "as_of"),
        (f"{B}/certification?as_of=2018-02-30", "as_of"),
        (f"{B}/certification?known_at=yesterday", "known_at"),
        (f"{B}/budget/18", "year"),
        (f"{B}/budget/twenty", "year"),
        (f"{B}/processes/audit-fgk/2015/annual-report", "year"),
        (f"{B}/processes/audit-fgk/2015/annual-report?year=2017&format=xls", "format"),
        (f"{B}/resolutions?from=19.06.2018", "from"),
        (f"{B}/resolutions?from=2018-07-01&to=2018-06-01", "to"),
        ("/v1/events?after=9223372036854775808", "after"),
        ("/v1/events?limit=0", "limit"),
        ("/v1/events?limit=1001", "limit"),
        ("/v1/events?after=-1", "after"),
        (f"{B}/resolutions/", "reference"),
    ],
)
def test_a_bad_parameter_is_422_naming_it(client: TestClient, url: str, parameter: str) -> None:
    document = get_json(client, url, status=422)
    (error,) = document["detail"]
    assert error["loc"][-1] == parameter
    assert parameter in client.get(url).text


@pytest.mark.parametrize(
    "url",
    [
        "/v1/bodies/no-such-body",
        "/v1/bodies/no-such-body/certification",
        f"{B}/processes/audit-fgk/1999/target-agreement",
        f"{B}/processes/audit-fgk/1999/annual-report?year=2017",
        f"{B}/budget/2018/lines/99.9999.9999",
        f"{B}/resolutions/2099/1/001",
        "/v1/no-such-route",
    ],
)
def test_an_unknown_thing_is_404_with_a_message(client: TestClient, url: str) -> None:
    document = get_json(client, url, status=404)
    assert isinstance(document["detail"], str)
    assert document["detail"]


@pytest.mark.parametrize(
    "query",
    [
        "as_of=9999-12-31",
        "as_of=0001-01-01",
        "known_at=9999-12-31",
        "known_at=0001-01-01T00:00:00Z",
        "known_at=0001-01-01T00:00:00%2B05:00",
        "known_at=9999-12-31T23:00:00-05:00",
        "known_at=2019-01-15 12:00:00 01:00",  # a '+' sent unencoded arrives as a space
        "known_at=2016-12-31T23:59:60Z",  # a leap second
    ],
)
def test_extreme_dates_are_answered(client: TestClient, query: str) -> None:
    for url in (
        f"{B}/certification",
        f"{B}/processes/audit-fgk/2015/target-agreement",
        f"{B}/budget/2018",
        f"{B}/resolutions",
        f"{B}/findings",
    ):
        get_json(client, f"{url}?{query}")
