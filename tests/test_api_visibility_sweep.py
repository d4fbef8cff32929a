"""Anonymous readers see the same records on every route, the audit trail included, whatever
the records' effective dates (issue 21, finding 7).

Non-public proposals and unpublished findings dated in the past, today and next year are
recorded on top of the demo case; every route of the API (from its own OpenAPI, so a route
added later is swept too) is asked anonymously, with the default axes and with explicit
ones, and no title, text, item or reference of theirs may appear.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from api_support import (
    BODY,
    SECRET_FINDING,
    SECRET_REFERENCE,
    SECRET_TITLE,
    TestClient,
    api_client,
    bearer,
    record,
    record_demo,
)

from projections.models.visibility import anonymous_records
from projections.queries import ReadModel, catch_up

TODAY = datetime.now(UTC).date()
NEXT_YEAR = TODAY.year + 1
WHEN = {
    "past": date(2018, 9, 3),
    "today": TODAY,
    "future": date(NEXT_YEAR, 2, 1),
}
#: Per date: the non-public proposal's reference, title and item, and the unpublished
#: finding's text (every one must stay hidden from anonymous readers).
REFERENCES = {"past": "2018/9/901", "today": f"{TODAY.year}/9/902", "future": f"{NEXT_YEAR}/9/999"}
TITLES = {w: f"GEHEIM-{w.upper()} Grundstueck" for w in WHEN}
TITLES["future"] = "ZUKUNFTGEHEIM Grundstueck"
ITEMS = {w: f"GEHEIMPUNKT-{w.upper()}" for w in WHEN}
FINDINGS = {w: f"GEHEIMBEFUND-{w.upper()}" for w in WHEN}
PUBLIC_FUTURE = f"{NEXT_YEAR}/9/998"  # a public proposal dated next year
SECRETS = (
    *REFERENCES.values(),
    *TITLES.values(),
    *ITEMS.values(),
    *FINDINGS.values(),
    SECRET_REFERENCE,
    SECRET_TITLE,
    SECRET_FINDING,
)


def secret_commands() -> list[dict[str, Any]]:
    """A non-public proposal and an unpublished finding per date, and a public proposal dated
    next year."""
    commands: list[dict[str, Any]] = []
    for number, (when, day) in enumerate(WHEN.items(), start=21):
        commands.append(
            {
                "record": "proposal",
                "body": BODY,
                "resolution": REFERENCES[when],
                "committee": "jugendhilfeausschuss",
                "title": TITLES[when],
                "submitter": "Die Landrätin",
                "public": False,
                "items": [ITEMS[when]],
                "effective": day.isoformat(),
            }
        )
        commands.append(
            {
                "record": "finding",
                "body": BODY,
                "process": "audit-fgk/2015",
                "finding": number,
                "subject": "process",
                "kind": "observation",
                "assessment": "none",
                "text": FINDINGS[when],
                "published": False,
                "effective": day.isoformat(),
            }
        )
    commands.append(
        {
            "record": "proposal",
            "body": BODY,
            "resolution": PUBLIC_FUTURE,
            "committee": "jugendhilfeausschuss",
            "title": "Oeffentlicher Ausblick",
            "submitter": "Die Landrätin",
            "public": True,
            "items": ["Ein oeffentlicher Punkt."],
            "effective": WHEN["future"].isoformat(),
        }
    )
    return commands


PATH_VALUES: dict[str, list[str]] = {
    "body": [BODY],
    "programme/cycle": ["audit-fgk/2015", "audit-fgk/2018", "familienbuendnis/2018"],
    "year": ["2018", str(TODAY.year), str(NEXT_YEAR)],
    "code": ["01.4953.7187", "01.4600.9400"],
    "reference": ["2018/6/067", SECRET_REFERENCE, *REFERENCES.values()],
}
#: The time axes: the defaults, and explicit dates around each record's date.
AXES = [
    "",
    "as_of=2018-12-31",
    f"as_of={TODAY.isoformat()}",
    f"as_of={NEXT_YEAR}-12-31",
    f"as_of={NEXT_YEAR}-12-31&known_at={NEXT_YEAR + 1}-01-01T00:00:00Z",
    "known_at=2200-01-01",
]
QUERY_VARIANTS: dict[str, list[str]] = {
    "year": ["year=2018", f"year={NEXT_YEAR}"],
    "format": ["", "format=csv"],
    "limit": ["limit=1000"],
    "process": ["", "process=audit-fgk/2015"],
    "committee": ["", "committee=jugendhilfeausschuss"],
    "type": ["", "type=Proposed", "type=Finding.Recorded"],
    "body": ["", f"body={BODY}"],
}


def sweep_urls(openapi: dict[str, Any]) -> list[str]:
    """Every GET route of the API but health, with every path value and query variant."""
    urls = []
    for template, item in openapi["paths"].items():
        operation = item["get"]
        if "health" in operation.get("tags", []):
            continue
        if "verifiable log" in operation.get("tags", []):
            continue  # sizes and a signed checkpoint needed: tests/test_transparency_api.py
        if "oparl" in operation.get("tags", []):
            continue  # OParl's own ids and read-token rule: tests/test_oparl_serve.py
        path = template.replace("{programme}/{cycle}", "{programme/cycle}")
        names = re.findall(r"{([^}]+)}", path)
        missing = [n for n in names if n not in PATH_VALUES]
        assert not missing, f"the sweep needs values for {missing} ({template})"
        query_names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        variants = [QUERY_VARIANTS[n] for n in sorted(query_names) if n in QUERY_VARIANTS]
        if {"as_of", "known_at"} & query_names:
            variants.append(AXES)
        for values in itertools.product(*(PATH_VALUES[name] for name in names)):
            concrete = path
            for name, value in zip(names, values, strict=True):
                concrete = concrete.replace("{" + name + "}", value)
            for parts in itertools.product(*variants):
                query = "&".join(p for p in parts if p)
                urls.append(concrete + ("?" + query if query else ""))
    return urls


@pytest.fixture
def client(store_url: str) -> Iterator[TestClient]:
    """The API over the demo, the non-public records of api_support and the dated ones."""
    record_demo(store_url, private=True)
    record(store_url, secret_commands())
    catch_up(store_url)
    with api_client(store_url) as test_client:
        yield test_client


def test_no_route_shows_a_non_public_record_whatever_its_date(client: TestClient) -> None:
    urls = sweep_urls(client.get("/openapi.json").json())
    assert any(u.startswith("/v1/events") for u in urls)
    hidden = {SECRET_REFERENCE, *REFERENCES.values()}
    answered = 0
    for url in urls:
        response = client.get(url)
        path = url.split("?")[0]
        asked = path.split("/resolutions/")[-1]
        if asked in hidden:
            # Exactly the answer for a reference that does not exist (it names the one asked).
            unknown = client.get(url.replace(asked, "2099/9/999"))
            assert response.status_code == unknown.status_code == 404, (url, response.text)
            assert response.text.replace(asked, "?") == unknown.text.replace("2099/9/999", "?")
            continue
        # A budget of a year without lines is not found.
        assert response.status_code in (200, 404), (url, response.text)
        answered += response.status_code == 200
        for secret in SECRETS:
            assert secret not in response.text, (url, secret)
    assert answered > len(urls) // 2


def test_the_whole_trail_page_by_page_shows_no_non_public_record(client: TestClient) -> None:
    after, seen, pages = 0, "", 0
    while True:
        page = client.get(f"/v1/events?limit=3&after={after}").json()
        if not page["events"]:
            break
        seen += str(page["events"])
        after, pages = page["next_after"], pages + 1
    assert pages > 10
    assert seen.count("'position'") == len(client.get("/v1/events?limit=1000").json()["events"])
    for secret in SECRETS:
        assert secret not in seen, secret
    # Not empty-handed: the public records are there, a public one of next year included.
    assert "2018/6/067" in seen
    assert PUBLIC_FUTURE in seen


def test_a_read_token_sees_every_dated_record_in_the_trail(client: TestClient) -> None:
    trail = client.get("/v1/events?limit=1000", headers=bearer()).text
    for secret in SECRETS:
        assert secret in trail, secret


def test_one_decision_for_every_date(store_url: str) -> None:
    """anonymous_records: shown by the flag as known now, never by the effective date."""
    record_demo(store_url, private=True)
    record(store_url, secret_commands())
    rm = ReadModel(store_url)
    try:
        catch_up(rm)
        with rm.view() as view:
            asked = ["2018/6/067", PUBLIC_FUTURE, SECRET_REFERENCE, *REFERENCES.values()]
            shown = anonymous_records(view, "resolution", body=BODY, keys=asked)
            assert sorted(shown.values()) == sorted(["2018/6/067", PUBLIC_FUTURE])
            findings = anonymous_records(view, "finding", body=BODY)
            assert sorted(findings.values()) == ["1"]  # of 1..3 and 21..23, only 1 is published
            assert anonymous_records(view, "finding", body=BODY, scope="audit-fgk/2015") == findings
            assert anonymous_records(view, "finding", body=BODY, scope="audit-fgk/2018") == {}
    finally:
        rm.close()
