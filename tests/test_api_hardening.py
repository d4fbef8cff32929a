"""API hardening (issue 21, finding 9): one Authorization header, bounded parameters, audit-trail
pages bounded in bytes, and nothing but an event's own fields in the trail.

The routes are taken from the app's own OpenAPI, so a route added later is checked too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from api_support import BODY, SECRET_REFERENCE, TestClient, api_client, bearer, record, record_demo
from sqlalchemy import Engine, event

from api.deps import MAX_PARAMETER_LENGTH
from ledger.domain.resolution import Resolution
from projections.models import trail
from projections.models.trail import event_data
from projections.queries import catch_up

#: A valid value per path parameter (the demo's).
PATH_VALUES = {
    "body": BODY,
    "programme": "audit-fgk",
    "cycle": "2015",
    "year": "2018",
    "code": "01.4953.7187",
    "reference": "2018/6/067",
    "committee": "jugendhilfeausschuss",
    "day": "2018-06-19",
}
#: The query parameters a route needs to answer 200.
REQUIRED = {"year": "2018"}


def routes(openapi: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(path template, parameters) of every GET route but health."""
    return [
        (template, item["get"].get("parameters", []))
        for template, item in openapi["paths"].items()
        if "health" not in item["get"].get("tags", [])
    ]


def url_of(template: str, parameters: list[dict[str, Any]], **given: str) -> str:
    """The route's URL with the demo's values, `given` replacing or adding parameters."""
    path = template
    for name in re.findall(r"{([^}]+)}", template):
        path = path.replace("{" + name + "}", given.pop(name, PATH_VALUES[name]))
    query = {p["name"]: REQUIRED[p["name"]] for p in parameters if p["name"] in REQUIRED}
    query.update(given)
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The API over the demo case with the non-public records, on SQLite, for the module."""
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('hardening')) / 'ledger.db'}"
    record_demo(url, private=True)
    with api_client(url) as test_client:
        yield test_client


# ---- one Authorization header ------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        ("Bearer a-read-token-for-the-tests", "Bearer a-read-token-for-the-tests"),
        ("Bearer a-read-token-for-the-tests", "Bearer wrong"),
        ("Bearer wrong", "Bearer a-read-token-for-the-tests"),
        ("Bearer a-read-token-for-the-tests", ""),
    ],
)
def test_more_than_one_authorization_header_is_401_on_every_route(
    client: TestClient, values: tuple[str, str]
) -> None:
    headers = [("Authorization", value) for value in values]
    for template, parameters in routes(client.get("/openapi.json").json()):
        response = client.get(url_of(template, parameters), headers=headers)
        assert response.status_code == 401, (template, values, response.text)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "one Authorization header" in response.json()["detail"]
        assert SECRET_REFERENCE not in response.text


def test_one_valid_authorization_header_still_sees_everything(client: TestClient) -> None:
    response = client.get(f"/v1/bodies/{BODY}/resolutions/{SECRET_REFERENCE}", headers=bearer())
    assert response.status_code == 200, response.text


# ---- one length limit for every parameter ------------------------------------------------


def _refused_as_too_long(response: Any, location: list[str], value: str) -> None:
    assert response.status_code == 422, (location, response.status_code, response.text[:300])
    [error] = response.json()["detail"]
    assert error["loc"] == location
    assert error["type"] == "string_too_long"
    assert f"at most {MAX_PARAMETER_LENGTH} characters" in error["msg"]
    assert value not in response.text
    assert len(response.content) < 1000


def test_every_path_and_query_parameter_is_bounded_without_echoing_it(client: TestClient) -> None:
    long = "9" * 5000
    checked = set()
    for template, parameters in routes(client.get("/openapi.json").json()):
        names = [(p["in"], p["name"]) for p in parameters if p["in"] in ("path", "query")]
        for where, name in [*names, ("query", "unknown")]:
            response = client.get(url_of(template, parameters, **{name: long}))
            _refused_as_too_long(response, [where, name], long)
            checked.add(name)
        # A too long name of a query parameter: refused without naming (echoing) it.
        response = client.get(url_of(template, parameters, **{"n" * 300: "1"}))
        _refused_as_too_long(response, ["query"], "n" * 300)
    assert {"reference", "code", "line", "process", "type", "body", "committee"} <= checked


def test_a_parameter_of_the_limit_is_read_as_before(client: TestClient) -> None:
    exact = "9" * MAX_PARAMETER_LENGTH
    response = client.get(f"/v1/bodies/{BODY}/resolutions/{exact}")
    assert response.status_code == 404
    assert "string_too_long" not in response.text
    response = client.get(f"/v1/events?type={exact}")
    assert response.status_code == 422  # read, then refused as no known type
    assert "string_too_long" not in response.text
    assert response.json()["detail"][0]["loc"] == ["query", "type"]


# ---- audit-trail pages bounded in bytes --------------------------------------------------

NOTE = "Bemerkung " * 899 + "Bemerkung"  # 8,999 characters: under the limit per text field


def big_notes(count: int) -> list[dict[str, Any]]:
    """Status updates of one measure, each with a note of about 9,000 characters."""
    return [
        {
            "record": "measure-update",
            "body": BODY,
            "process": "audit-fgk/2015",
            "measure": "M6.1.1",
            "status": "in_progress",
            "progress": 10 + n,
            "note": f"{n:02d} {NOTE}",
            "effective": date(2016, 1, 1 + n).isoformat(),
        }
        for n in range(count)
    ]


@pytest.fixture
def notes_client(store_url: str) -> Iterator[TestClient]:
    """The API over the demo with eight events of a note of about 9,000 characters each."""
    record_demo(store_url)
    record(store_url, big_notes(8))
    catch_up(store_url)
    with api_client(store_url) as test_client:
        yield test_client


def walk(client: TestClient, limit: int) -> tuple[list[int], list[dict[str, Any]]]:
    """The whole trail page by page: every position once, and each page."""
    after = 0
    positions: list[int] = []
    pages: list[dict[str, Any]] = []
    while True:
        response = client.get(f"/v1/events?limit={limit}&after={after}")
        page = response.json()
        page["bytes"] = len(response.content)
        if not page["events"]:
            return positions, pages
        pages.append(page)
        positions += [e["position"] for e in page["events"]]
        after = page["next_after"]


def test_a_page_stops_at_its_byte_budget_and_says_so(
    notes_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = notes_client.get("/v1/events?limit=1000").json()
    assert everything["truncated"] is False
    expected = [e["position"] for e in everything["events"]]
    budget = 30_000
    monkeypatch.setattr(trail, "MAX_PAGE_BYTES", budget)
    monkeypatch.setattr(trail, "INLINE_STATE", 4096)  # the notes are read once they fit
    first = notes_client.get("/v1/events?limit=1000")
    page = first.json()
    assert page["truncated"] is True
    assert 0 < len(page["events"]) < len(expected)
    assert len(first.content) <= budget
    assert page["next_after"] == page["events"][-1]["position"]
    positions, pages = walk(notes_client, 1000)
    assert positions == expected  # no event lost or repeated across the pages
    assert all(p["bytes"] <= budget for p in pages)
    assert [p["truncated"] for p in pages] == [True] * (len(pages) - 1) + [False]
    notes = [e["data"]["note"] for p in pages for e in p["events"] if "note" in e["data"]]
    assert sum(note.endswith(NOTE) for note in notes) == 8


def test_an_event_larger_than_the_budget_comes_alone(
    notes_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = [e["position"] for e in notes_client.get("/v1/events?limit=1000").json()["events"]]
    monkeypatch.setattr(trail, "MAX_PAGE_BYTES", 1000)
    positions, pages = walk(notes_client, 1000)
    assert positions == expected
    assert all(len(p["events"]) == 1 for p in pages)


def test_the_event_page_documents_truncated(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["EventPage"]
    assert "truncated" in schema["required"]


# ---- the same work for a non-public and an unknown reference ----------------------------


def test_a_non_public_and_an_unknown_resolution_take_the_same_statements(store_url: str) -> None:
    """No timing oracle: both 404s run the very same SQL (the times are measured apart, not
    asserted; see the report of issue 21)."""
    record_demo(store_url, private=True)

    def statements(client: TestClient, reference: str) -> list[str]:
        seen: list[str] = []

        def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
            seen.append(statement)

        event.listen(Engine, "before_cursor_execute", note)
        try:
            response = client.get(f"/v1/bodies/{BODY}/resolutions/{reference}")
        finally:
            event.remove(Engine, "before_cursor_execute", note)
        assert response.status_code == 404
        return seen

    with api_client(store_url) as client:
        for reference in (SECRET_REFERENCE, "2099/9/999"):  # warm the caches
            statements(client, reference)
        secret = statements(client, SECRET_REFERENCE)
        unknown = statements(client, "2099/9/999")
    assert secret == unknown
    assert secret


# ---- only an event's own fields ----------------------------------------------------------


def test_the_trail_shows_an_events_fields_only_never_a_salt() -> None:
    """A key of the stored state that is no field of the event (the per-event salt) is not
    data: the trail lists the event class's fields."""
    resolution = Resolution.propose(
        body=BODY,
        reference="2018/1/001",
        title="Titel",
        committee="kreistag",
        submitter="Die Landrätin",
        public=True,
        items=[],
        financial_effect=None,
        year=None,
        line=None,
        effective=date(2018, 1, 1),
    )
    [event] = resolution.collect_events()
    vars(event)["salt"] = "Zm9vYmFyYmF6cXV4cXV1eA"
    data = event_data(event)
    assert "salt" not in data
    assert "Zm9vYmFyYmF6cXV4cXV1eA" not in json.dumps(data)
    assert data["reference"] == "2018/1/001"
