"""The pages under /ui on the demo: values, both time axes, links, and nothing non-public.

The crawl follows every link from /ui/ as the acceptance check does; the demo is recorded
with its correction in a later transaction and the non-public records of api_support on top.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from api_support import (
    SECRET_FINDING,
    SECRET_LINE,
    SECRET_REFERENCE,
    SECRET_TITLE,
    TestClient,
)
from pages_support import (
    AGREEMENT,
    BODY,
    RESOLUTION,
    UNPUBLISHED,
    Crawl,
    crawl,
    login,
    pages_client,
    parse,
    record_case,
    text_of,
)

SECRETS = (SECRET_REFERENCE, SECRET_TITLE, SECRET_FINDING, UNPUBLISHED)
B = f"/ui/bodies/{BODY}"


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, datetime]:
    """One SQLite store with the case for the module (the pages only read it)."""
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('pages')) / 'ledger.db'}"
    return url, record_case(url)


@pytest.fixture(scope="module")
def client(case: tuple[str, datetime]) -> Iterator[TestClient]:
    """An anonymous client on the API with the pages."""
    with pages_client(case[0]) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def known_before(case: tuple[str, datetime]) -> datetime:
    """A moment after the case was recorded and before its correction."""
    return case[1]


@pytest.fixture(scope="module")
def anonymous_crawl(client: TestClient) -> Crawl:
    """Every page reachable from /ui/ without login."""
    return crawl(client)


def axes_line(html: str) -> str:
    """The page's statement of its axes (the paragraph after the heading)."""
    match = re.search(r'<p class="axes" id="achsen">(.*?)</p>', html, re.S)
    assert match, "the page states no axes"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def row_of(html: str, code: str) -> str:
    """The text of the table row that starts with a measure code."""
    match = re.search(rf"<tr[^>]*>\s*<th scope=\"row\">{re.escape(code)}\b.*?</tr>", html, re.S)
    assert match, f"no row for {code}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def test_every_link_from_the_start_page_answers(anonymous_crawl: Crawl) -> None:
    assert anonymous_crawl.failures == []
    assert anonymous_crawl.external == []
    assert len(anonymous_crawl.pages) >= 8
    kinds = {re.sub(r"\?.*", "", p) for p in anonymous_crawl.pages}
    for expected in (
        "/ui/",
        f"{B}",
        f"{B}/certification",
        f"{B}/processes",
        f"{B}/processes/audit-fgk/2015",
        AGREEMENT,
        f"{B}/processes/audit-fgk/2015/annual-report",
        f"{B}/budget/2018",
        f"{B}/budget/2018/lines/01.4953.7187",
        f"{B}/resolutions",
        RESOLUTION,
        f"{B}/findings",
        f"{B}/history/measure",
        "/ui/events",
        "/ui/ledger",
        "/ui/login",
    ):
        assert expected in kinds, expected


def test_every_page_is_german_and_states_its_axes_and_position(anonymous_crawl: Crawl) -> None:
    for path, html in anonymous_crawl.pages.items():
        assert parse(html).lang == "de", path
        axes = axes_line(html)
        assert re.search(r"Stand (heute \()?\d\d\.\d\d\.\d{4}", axes), (path, axes)
        assert re.search(r"Kenntnisstand (jetzt \()?\d\d\.\d\d\.\d{4} \d\d:\d\d(:\d\d)? UTC", axes)
        if path != "/ui/login":
            assert re.search(r"Ledger-Position \d+", axes), (path, axes)


def test_every_json_link_answers_the_same_query(client: TestClient, anonymous_crawl: Crawl) -> None:
    assert len(anonymous_crawl.json_links) >= 10
    for link in anonymous_crawl.json_links:
        response = client.get(link)
        assert response.status_code == 200, (link, response.text)
        assert response.headers["content-type"].startswith("application/json"), link


def test_no_anonymous_page_shows_a_non_public_record(anonymous_crawl: Crawl) -> None:
    for path, html in anonymous_crawl.pages.items():
        for secret in SECRETS:
            assert secret not in html, (path, secret)


def test_the_target_agreement_on_both_axes(client: TestClient, known_before: datetime) -> None:
    query = urllib.parse.urlencode({"as_of": "2018-01-31", "known_at": known_before.isoformat()})
    before = client.get(f"{AGREEMENT}?{query}")
    now = client.get(f"{AGREEMENT}?as_of=2018-01-31")
    assert before.status_code == now.status_code == 200
    assert "100 %" in row_of(before.text, "M6.1.1")
    assert "umgesetzt" in row_of(before.text, "M6.1.1")
    assert "60 %" in row_of(now.text, "M6.1.1")
    assert "Drei von fünf Treffs eröffnet" in row_of(now.text, "M6.1.1")
    stated = known_before.strftime("%d.%m.%Y %H:%M:%S")
    assert axes_line(before.text).startswith(f"Stand 31.01.2018 · Kenntnisstand {stated} UTC")
    assert axes_line(now.text).startswith("Stand 31.01.2018 · Kenntnisstand ")
    # The JSON link asks the API the same question, and it agrees.
    link = re.search(r'<a href="([^"]+)" class="json">', before.text)
    assert link
    href = link.group(1).replace("&amp;", "&")
    assert href.startswith("/v1/bodies/kyffhaeuserkreis/processes/audit-fgk/2015/target-agreement")
    document = client.get(href).json()
    measures = [m for f in document["fields"] for g in f["goals"] for m in g["measures"]]
    assert [m["progress"] for m in measures if m["code"] == "M6.1.1"] == [100]
    assert before.headers["X-Ledger-Position"] == str(document["position"])


def test_the_target_agreement_compared_with_what_was_known_before(
    client: TestClient, known_before: datetime
) -> None:
    query = urllib.parse.urlencode({"as_of": "2018-01-31", "vs_known_at": known_before.isoformat()})
    html = client.get(f"{AGREEMENT}?{query}").text
    row = row_of(html, "M6.1.1")
    assert "▲ geändert" in row
    assert "▲ geändert" not in row_of(html, "M1.1.1")
    summary = text_of(html.split('id="vergleich"', 1)[1].split("</section>", 1)[0])
    assert "M6.1.1: Umsetzungsstand umgesetzt → in Umsetzung; Fortschritt 100 % → 60 %" in summary
    same = client.get(f"{AGREEMENT}?as_of=2018-01-31&vs_as_of=2018-01-31").text
    assert "Keine Unterschiede." in same


def test_the_agreement_form_works_without_javascript(client: TestClient) -> None:
    page = parse(client.get(f"{AGREEMENT}?as_of=2018-01-31").text)
    form = next(f for f in page.forms if f.get("id") == "zeitpunkt")
    assert (form.get("method"), form.get("action")) == ("get", AGREEMENT)
    names = {i.get("name") for i in page.inputs}
    assert {"as_of", "known_at", "vs_as_of", "vs_known_at"} <= names
    # Every field has its label.
    for field in page.inputs:
        if field.get("type") != "hidden" and field.get("id"):
            assert field["id"] in page.labels, field
    # What a browser sends for a form with empty fields: the defaults.
    response = client.get(f"{AGREEMENT}?as_of=2019-12-31&known_at=&vs_as_of=&vs_known_at=")
    assert response.status_code == 200
    assert "Fünf Treffs arbeiten" in row_of(response.text, "M6.1.1")
    assert axes_line(response.text).startswith("Stand 31.12.2019 · Kenntnisstand ")


def test_the_resolution_page(client: TestClient) -> None:
    response = client.get(RESOLUTION)
    text = text_of(response.text)
    assert response.status_code == 200
    assert "17.655,00 €" in text
    assert "Sitzung am 19.06.2018: angenommen" in text
    assert "Haushaltsstelle 01.4953.7187" in text
    assert "Ja 9, Nein 0, Enthaltung 0, befangen 0." in text
    svg = re.search(r"<svg role=\"img\" aria-label=\"Abstimmung: ([^\"]+)\"", response.text)
    assert svg and svg.group(1) == "Ja 9, Nein 0, Enthaltung 0, befangen 0"
    assert "Zwischen dem Verein „Familiengerechte Kommune e.V.“" in text
    before = text_of(client.get(f"{RESOLUTION}?as_of=2018-06-01").text)
    assert "bestand am 01.06.2018 (nach dem Kenntnisstand) noch nicht" in before


def test_the_body_page_draws_the_certification_gap(client: TestClient) -> None:
    html = client.get(f"{B}?as_of=2019-01-31").text
    text = text_of(html)
    assert "Jugendhilfeausschuss" in text
    # The non-public records start a certification process (familienbuendnis/2018).
    assert "Zertifizierung am 31.01.2019 in Zertifizierung" in text
    assert "Lücken: 01.07.2018 – 31.01.2019." in text
    assert re.search(r"<title>Lücke ohne Zertifikat 01\.07\.2018 – 31\.01\.2019</title>", html)
    certified = text_of(client.get(f"{B}?as_of=2016-01-31").text)
    assert "Keine Lücke." in certified
    assert "zertifiziert" in certified


def test_the_budget_year(client: TestClient) -> None:
    html = client.get(f"{B}/budget/2018?as_of=2018-12-31").text
    text = text_of(html)
    assert "01.4953.7187" in text
    assert "außerplanmäßig, Beschluss 2018/6/067" in text
    assert "Zweckgebundene Fördermittel nicht verausgabt" in text
    assert "Summe Ausgaben" in text
    # The non-public line is there (its amounts are public), its resolution is not named.
    assert SECRET_LINE in text
    assert "12.500,00 €" in text  # 10.000,00 Ansatz + 2.500,00 überplanmäßig
    found = re.search(r"Summe Ausgaben(.*?)</tr>", html, re.S)
    assert found
    totals = text_of(found.group(1))
    assert "10.000,00 €" in totals  # Ansatz
    assert "20.155,00 €" in totals  # approvals 17.655,00 + 2.500,00
    assert "30.155,00 €" in totals  # available
    income = text_of(client.get(f"{B}/budget/2018?direction=income").text)
    assert "01.4953.7187" not in income
    assert "keine Haushaltsstelle erfasst" in income
    refused = client.get(f"{B}/budget/2018?direction=sideways")
    assert refused.status_code == 422
    assert "„direction“ muss" in refused.text


def test_the_budget_line_links_its_approvals_to_their_resolutions(client: TestClient) -> None:
    html = client.get(f"{B}/budget/2018/lines/01.4953.7187").text
    assert f'href="{B}/resolutions/2018/6/067"' in html
    text = text_of(html)
    assert "Ansatz –" in text
    assert "17.655,00 €" in text
    secret = text_of(client.get(f"{B}/budget/2018/lines/{SECRET_LINE}").text)
    assert "nicht öffentlich" in secret
    assert SECRET_REFERENCE not in secret


def test_the_history_of_a_measure(client: TestClient) -> None:
    response = client.get(f"{B}/history/measure?scope=audit-fgk/2015&key=M6.1.1")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Korrektur von Version 3" in text
    assert "Grund: Der Jahresbericht 2017 meldete irrtümlich den Abschluss" in text
    assert "Fortschritt: 100 % → 60 %" in text
    assert "Fortschritt: 20 % → 100 %" in text
    assert "Umsetzungsstand: in Umsetzung → umgesetzt" in text
    assert "gilt ab" in text
    json = client.get(f"{B}/history/measure?scope=audit-fgk/2015&key=M6.1.1&format=json").json()
    entries = json["events"]
    assert [e["version"] for e in entries] == [1, 2, 3, 4, 5, 6]
    for e in entries:
        assert str(e["position"]) in text
        assert e["hash"][:16] in response.text
    # The same entries as the audit trail's.
    trail = client.get("/v1/events?limit=1000").json()["events"]
    assert [t for t in trail if t["key"] == "audit-fgk/2015/M6.1.1"] == entries


def test_a_hidden_record_has_no_history_for_anonymous_readers(client: TestClient) -> None:
    hidden = client.get(f"{B}/history/finding?scope=audit-fgk/2015&key=2")
    unknown = client.get(f"{B}/history/finding?scope=audit-fgk/2015&key=99")
    assert hidden.status_code == unknown.status_code == 404
    assert UNPUBLISHED not in hidden.text
    secret = client.get(f"{B}/history/resolution?key={SECRET_REFERENCE}")
    assert secret.status_code == 404
    assert SECRET_TITLE not in secret.text
    # An event naming the non-public resolution shows it redacted.
    line = text_of(client.get(f"{B}/history/budget_line?scope=2018&key={SECRET_LINE}").text)
    assert "überplanmäßig" not in line or SECRET_REFERENCE not in line
    assert SECRET_REFERENCE not in line


def test_the_non_public_resolution_is_not_found_like_an_unknown_one(client: TestClient) -> None:
    secret = client.get(f"{B}/resolutions/{SECRET_REFERENCE}")
    unknown = client.get(f"{B}/resolutions/2099/9/999")
    assert secret.status_code == unknown.status_code == 404
    assert secret.text.replace(SECRET_REFERENCE, "?") == unknown.text.replace("2099/9/999", "?")
    assert "Nicht gefunden" in secret.text


def test_the_audit_trail_pages(client: TestClient) -> None:
    first = client.get("/ui/events?limit=10").text
    assert 'rel="next"' in first
    next_link = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert next_link
    second = client.get(next_link.group(1).replace("&amp;", "&")).text
    positions = [int(p) for p in re.findall(r'<th scope="row">(\d+)</th>', second)]
    assert positions and positions[0] > 10
    assert "Zum Anfang" in second
    measures = text_of(client.get(f"/ui/events?body={BODY}&type=Corrected").text)
    assert "Measure audit-fgk/2015/M6.1.1" in measures


def test_the_ledger_page_shows_the_head(client: TestClient) -> None:
    head = client.get("/v1/ledger/head").json()
    text = text_of(client.get("/ui/ledger").text)
    assert head["digest"] in text
    assert f"ledger verify --digest {head['digest']}" in text


def test_a_bad_parameter_is_a_german_error_page(client: TestClient) -> None:
    bad_date = client.get(f"{AGREEMENT}?as_of=31.02.2018")
    assert bad_date.status_code == 422
    assert "„as_of“ (Stand) muss ein Datum sein" in bad_date.text
    assert parse(bad_date.text).lang == "de"
    german = client.get(f"{AGREEMENT}?as_of=31.01.2018")
    assert german.status_code == 200
    assert axes_line(german.text).startswith("Stand 31.01.2018")
    long = client.get(f"{B}/findings?process={'x' * 201}")
    assert long.status_code == 422
    assert "höchstens 200 Zeichen" in long.text
    assert client.get(f"{B}/budget/1800").status_code == 422
    assert client.get("/ui/bodies/nowhere").status_code == 404
    assert client.get(f"{B}/history/nothing?key=x").status_code == 404
    unknown = client.get("/ui/no/such/page")
    assert unknown.status_code == 404
    assert "Diese Seite gibt es nicht." in unknown.text


def test_the_root_redirects_to_the_pages(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code in (302, 303, 307)
    assert response.headers["location"] == "/ui/"


def test_pages_load_nothing_from_elsewhere(client: TestClient) -> None:
    response = client.get(AGREEMENT)
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    for resource in parse(response.text).resources:
        assert resource.startswith("/ui/static/")
        assert client.get(resource).status_code == 200


def test_a_read_token_shows_the_non_public_records(case: tuple[str, datetime]) -> None:
    with pages_client(case[0]) as signed:
        assert login(signed).status_code == 303
        findings = signed.get(f"{B}/findings").text
        assert UNPUBLISHED in findings
        assert SECRET_FINDING in findings
        resolution = signed.get(f"{B}/resolutions/{SECRET_REFERENCE}")
        assert resolution.status_code == 200
        assert SECRET_TITLE in resolution.text
        assert "Ja 8, Nein 2, Enthaltung 1, befangen 0." in text_of(resolution.text)
        history = signed.get(f"{B}/history/finding?scope=audit-fgk/2015&key=2")
        assert history.status_code == 200
        everything = crawl(signed, limit=400)
        assert everything.failures == []
        seen = "".join(everything.pages.values())
        for secret in SECRETS:
            assert secret in seen, secret


def test_history_and_agreement_pages_on_each_backend(store_url: str) -> None:
    known = record_case(store_url)
    with pages_client(store_url) as each:
        json = each.get(f"{B}/history/measure?scope=audit-fgk/2015&key=M6.1.1&format=json")
        assert [e["version"] for e in json.json()["events"]] == [1, 2, 3, 4, 5, 6]
        trail = each.get("/v1/events?limit=1000").json()["events"]
        assert [t for t in trail if t["key"] == "audit-fgk/2015/M6.1.1"] == json.json()["events"]
        page = each.get(f"{B}/history/measure?scope=audit-fgk/2015&key=M6.1.1&after=5")
        assert "Korrektur von Version 3" in text_of(page.text)
        # Versions 1..5 are on the first page: the corrected value is named, not repeated.
        assert "Fortschritt: (Wert aus Version 3) → 60 %" in text_of(page.text)
        assert each.get(f"{B}/history/finding?scope=audit-fgk/2015&key=2").status_code == 404
        query = urllib.parse.urlencode({"as_of": "2018-01-31", "known_at": known.isoformat()})
        assert "100 %" in row_of(each.get(f"{AGREEMENT}?{query}").text, "M6.1.1")
        assert "60 %" in row_of(each.get(f"{AGREEMENT}?as_of=2018-01-31").text, "M6.1.1")
