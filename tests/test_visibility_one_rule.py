"""One rule for what an anonymous reader sees, on every route (issue 21, finding 7).

A public proposal and a published finding dated next year have no state today; they must
still be shown, at an as_of on or after their date, on every route that lists them (the
resolution list, the resolution, the findings, the target agreement and a process, which
name the resolution, the audit trail), as `projections.models.visibility.anonymous_records` decides.
A non-public proposal and an unpublished finding of the same date are shown on none of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from api_support import BODY, TestClient, api_client, record, record_demo

from projections.queries import catch_up

NEXT_YEAR = datetime.now(UTC).year + 1
DATED = f"{NEXT_YEAR}-02-01"
#: An as_of on which the records dated next year exist.
AS_OF = f"{NEXT_YEAR}-06-30"
PUBLIC = f"{NEXT_YEAR}/9/801"
SECRET = f"{NEXT_YEAR}/9/802"
PUBLISHED = "VEROEFFENTLICHT-NAECHSTES-JAHR Befund"
UNPUBLISHED = "UNVEROEFFENTLICHT-NAECHSTES-JAHR Befund"
SECRET_TITLE = "NICHTOEFFENTLICH-NAECHSTES-JAHR Vorlage"
PROCESS = "audit-fgk/2015"
#: Certification processes of next year, authorised by the public and the secret proposal.
BY_PUBLIC = f"familienbuendnis/{NEXT_YEAR}"
BY_SECRET = f"geheimbuendnis/{NEXT_YEAR}"


def dated_commands() -> list[dict[str, Any]]:
    """A public and a non-public proposal, a published and an unpublished finding, and a
    process authorised by each proposal, all dated next year."""
    commands: list[dict[str, Any]] = []
    for reference, public, title in (
        (PUBLIC, True, "Oeffentliche Vorlage naechstes Jahr"),
        (SECRET, False, SECRET_TITLE),
    ):
        commands.append(
            {
                "record": "proposal",
                "body": BODY,
                "resolution": reference,
                "committee": "jugendhilfeausschuss",
                "title": title,
                "submitter": "Die Landrätin",
                "public": public,
                "items": [f"Punkt von {title}."],
                "effective": DATED,
            }
        )
    for number, published, text in ((31, True, PUBLISHED), (32, False, UNPUBLISHED)):
        commands.append(
            {
                "record": "finding",
                "body": BODY,
                "process": PROCESS,
                "finding": number,
                "subject": "process",
                "kind": "observation",
                "assessment": "none",
                "text": text,
                "published": published,
                "effective": DATED,
            }
        )
    # The demo's agreement is adopted anew next year, by the public proposal.
    commands.append(
        {
            "record": "agreement-adopted",
            "body": BODY,
            "process": PROCESS,
            "resolution": PUBLIC,
            "effective": DATED,
        }
    )
    for process, reference in ((BY_PUBLIC, PUBLIC), (BY_SECRET, SECRET)):
        commands.append(
            {
                "record": "process",
                "body": BODY,
                "process": process,
                "kind": "certification",
                "planned_from": DATED,
                "planned_until": f"{NEXT_YEAR + 1}-01-31",
                "resolution": reference,
                "effective": DATED,
            }
        )
    return commands


@pytest.fixture
def client(store_url: str) -> Iterator[TestClient]:
    """The API over the demo, its non-public records and the records dated next year."""
    record_demo(store_url, private=True)
    record(store_url, dated_commands())
    catch_up(store_url)
    with api_client(store_url) as test_client:
        yield test_client


def ok(client: TestClient, url: str) -> dict[str, Any]:
    """The JSON of a 200 answer."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.text)
    found: dict[str, Any] = response.json()
    return found


#: The axes of each listing: the default known_at (answered from the timelines known now)
#: and an explicit one (answered row by row).
AXES = [f"as_of={AS_OF}", f"as_of={AS_OF}&known_at=2200-01-01"]


@pytest.mark.parametrize("axes", AXES)
def test_the_resolution_list_and_the_resolution_agree(client: TestClient, axes: str) -> None:
    base = f"/v1/bodies/{BODY}/resolutions"
    listed = [r["reference"] for r in ok(client, f"{base}?{axes}")["resolutions"]]
    assert PUBLIC in listed
    assert SECRET not in listed
    shown = ok(client, f"{base}/{PUBLIC}?{axes}")
    assert shown["exists"] is True
    assert shown["reference"] == PUBLIC
    secret = client.get(f"{base}/{SECRET}?{axes}")
    unknown = client.get(f"{base}/{NEXT_YEAR}/9/899?{axes}")
    assert secret.status_code == unknown.status_code == 404
    assert SECRET_TITLE not in secret.text


def test_before_its_date_the_public_resolution_is_listed_nowhere_but_known(
    client: TestClient,
) -> None:
    base = f"/v1/bodies/{BODY}/resolutions"
    listed = [r["reference"] for r in ok(client, base)["resolutions"]]
    assert PUBLIC not in listed
    assert ok(client, f"{base}/{PUBLIC}")["exists"] is False
    assert client.get(f"{base}/{SECRET}").status_code == 404


@pytest.mark.parametrize("process", ["", f"&process={PROCESS}"])
@pytest.mark.parametrize("axes", AXES)
def test_the_findings_list_shows_the_published_finding_of_next_year(
    client: TestClient, axes: str, process: str
) -> None:
    found = ok(client, f"/v1/bodies/{BODY}/findings?{axes}{process}")["findings"]
    texts = [f["text"] for f in found]
    assert PUBLISHED in texts
    assert UNPUBLISHED not in texts


@pytest.mark.parametrize("axes", AXES)
def test_the_target_agreement_shows_the_finding_and_resolution_of_next_year(
    client: TestClient, axes: str
) -> None:
    url = f"/v1/bodies/{BODY}/processes/{PROCESS}/target-agreement?{axes}"
    # The first queries go to the database, later ones to the process's cache entry.
    answers = [client.get(url) for _ in range(5)]
    cache = client.app.state.agreement_cache  # type: ignore[attr-defined]
    if "known_at" not in axes:
        assert cache.builds >= 1
        assert cache.hits >= 1
    for response in answers:
        assert response.status_code == 200, response.text
        assert PUBLISHED in [f["text"] for f in response.json()["findings"]]
        assert UNPUBLISHED not in response.text
        assert response.json()["adopted_by"] == PUBLIC


@pytest.mark.parametrize("axes", AXES)
def test_a_process_names_its_public_resolution_of_next_year(client: TestClient, axes: str) -> None:
    base = f"/v1/bodies/{BODY}/processes"
    assert ok(client, f"{base}/{BY_PUBLIC}?{axes}")["resolution"] == PUBLIC
    by_secret = ok(client, f"{base}/{BY_SECRET}?{axes}")
    assert by_secret["exists"] is True
    assert by_secret["resolution"] is None


def test_the_trail_shows_what_the_lists_show(client: TestClient) -> None:
    trail = client.get("/v1/events?limit=1000").text
    for shown in (PUBLIC, PUBLISHED):
        assert shown in trail
    for hidden in (SECRET, SECRET_TITLE, UNPUBLISHED):
        assert hidden not in trail
