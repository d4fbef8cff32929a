"""The pages under /ui on a store shaped like real material, crawled from the start page.

The store (pages_support_rich) holds the demo case, a council imported through OParl,
the treasury's sample and generated exports, reviewed drafts, and a body of edge records
(odd references, huge and negative amounts, corrections and retractions, non-public records
marked SECRET). The crawl follows every same-site link as an anonymous and as a signed-in
reader: every page answers 200, in German, loads nothing from elsewhere, and an anonymous
reader sees nothing non-public.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import SECRET_FINDING, SECRET_REFERENCE, SECRET_TITLE, TestClient
from pages_support import UNPUBLISHED, Crawl, crawl, login, pages_client, parse, text_of
from pages_support_rich import RICH_BODY, SECRET, Rich, record_rich

from api.pages.changes import FIELD_LABELS

pytestmark = pytest.mark.slow

#: The crawl's bound: the rich store has about 1,300 pages a reader can reach.
LIMIT = 1500
SECRETS = (SECRET, SECRET_REFERENCE, SECRET_TITLE, SECRET_FINDING, UNPUBLISHED)
R = f"/ui/bodies/{RICH_BODY}"
ODD_PATH = "Drs.%20%C3%96-12/2019/%C3%84%C3%9C%20%28neu%29%2C%20Nr.%203"


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Rich]:
    """One SQLite store with the rich case for the module (the pages only read it)."""
    folder = Path(tmp_path_factory.mktemp("rich"))
    url = f"sqlite:///{folder / 'ledger.db'}"
    return url, record_rich(url, folder)


@pytest.fixture(scope="module")
def client(rich: tuple[str, Rich]) -> Iterator[TestClient]:
    """An anonymous client on the rich store."""
    with pages_client(rich[0]) as anonymous:
        yield anonymous


@pytest.fixture(scope="module")
def anonymous(client: TestClient) -> Crawl:
    """Every page an anonymous reader reaches from /ui/."""
    return crawl(client, limit=LIMIT)


@pytest.fixture(scope="module")
def signed(rich: tuple[str, Rich]) -> Crawl:
    """Every page a reader signed in with a read token reaches from /ui/."""
    with pages_client(rich[0]) as reader:
        assert login(reader).status_code == 303
        return crawl(reader, limit=LIMIT)


def where(found: Crawl) -> list[tuple[str, int, str | None]]:
    """The failing links with the page that linked to each."""
    return [(path, status, found.linked_from.get(path)) for path, status in found.failures]


@pytest.mark.parametrize("who", ["anonymous", "signed"])
def test_every_link_answers_in_german(who: str, request: pytest.FixtureRequest) -> None:
    found: Crawl = request.getfixturevalue(who)
    assert where(found) == []
    assert found.external == []
    # The bound was not what ended the crawl: every reachable page was seen.
    assert 800 < len(found.pages) < LIMIT
    for path, html in found.pages.items():
        assert parse(html).lang == "de", path
        assert "Traceback" not in html, path


def test_the_crawl_reaches_every_body_and_every_kind_of_source(
    rich: tuple[str, Rich], anonymous: Crawl
) -> None:
    paths = set(anonymous.pages)
    for body in rich[1].bodies:
        assert f"/ui/bodies/{body}" in paths, body
    kinds = {re.sub(r"\?.*", "", p) for p in paths}
    for expected in (
        # OParl: an odd reference, and a paper whose vote the second run retracted
        "/ui/bodies/beispielstadt/resolutions/V/%C3%96-2018/0815%20%28neu%29",
        "/ui/bodies/beispielstadt/resolutions/2018/6/068",
        # treasury exports, sample and generated
        "/ui/bodies/hessenstadt/budget/2019",
        "/ui/bodies/grossstadt-am-see/budget/2019",
        # the reviewed drafts
        "/ui/bodies/entwurfskreis/resolutions/2018/6/067",
        "/ui/bodies/entwurfskreis/resolutions/2019/120",
        # edge records
        f"{R}/resolutions/{ODD_PATH}",
        f"{R}/budget/2019/lines/9.9.9-Z",
        f"{R}/budget/2019/lines/neg_1",
        f"{R}/processes/audit-fgk/2016/target-agreement",
        f"{R}/history/budget_line",
    ):
        assert expected in kinds, expected


def test_no_anonymous_page_shows_a_non_public_record(anonymous: Crawl, signed: Crawl) -> None:
    for path, html in anonymous.pages.items():
        for secret in SECRETS:
            assert secret not in html, (path, secret)
    # The signed-in reader does see them: the store holds what the check looks for.
    seen = "".join(signed.pages.values())
    for secret in SECRETS:
        assert secret in seen, secret
    assert any(p.startswith(f"{R}/resolutions/2019/n") for p in signed.pages)


def test_edge_values_are_shown_escaped_and_in_german_notation(client: TestClient) -> None:
    html = client.get(f"{R}/budget/2019").text
    text = text_of(html)
    assert "9.999.999.999.999,99 €" in text
    assert "−4.711,11 €" in text
    assert "&lt;Nord&gt;" in client.get(R).text
    line = text_of(client.get(f"{R}/budget/2019/lines/9.9.9-Z").text)
    assert "Ansatz –" in line
    assert "2 Buchungen" in line


def test_history_pages_name_every_field_in_german(anonymous: Crawl) -> None:
    german = set(FIELD_LABELS.values())
    histories = [p for p in anonymous.pages if "/history/" in p]
    assert len(histories) > 100
    for path in histories:
        for block in re.findall(r'<ul class="changes">(.*?)</ul>', anonymous.pages[path], re.S):
            for name in re.findall(r"<li>([^<:]+):", block):
                assert name.strip() in german, (path, name)


def test_a_body_names_its_majority_rule_in_german(client: TestClient) -> None:
    html = client.get(R).text
    assert "Mehrheitsregel Zweidrittelmehrheit" in text_of(html)
    assert "two_thirds" not in html
    history = text_of(client.get(f"{R}/history/body?key={RICH_BODY}").text)
    assert "Mehrheitsregel: – → Zweidrittelmehrheit" in history


def test_an_undecided_resolution_has_no_decision_date(client: TestClient) -> None:
    listed = client.get(f"{R}/resolutions").text
    for reference in ("Antrag Nr. 17/2019", "2019/ß/1.a"):
        row = re.search(
            rf"<tr>\s*<th scope=\"row\"><a [^>]*>{re.escape(reference)}</a>.*?</tr>", listed, re.S
        )
        assert row, reference
        # Titel, Gremium, Status, eingebracht, entschieden, ausgeführt, öffentlich
        cells = [text_of(c) for c in re.findall(r"<td>(.*?)</td>", row.group(0), re.S)]
        assert cells[2:5] == ["eingebracht", cells[3], "–"], (reference, cells)
        assert cells[3] != "–"
    for path in ("Antrag%20Nr.%2017/2019", "2019/%C3%9F/1.a"):
        assert "Sitzung / entschieden –" in text_of(client.get(f"{R}/resolutions/{path}").text)
    voted = client.get(f"{R}/resolutions/{ODD_PATH}").text
    assert "Sitzung / entschieden 14.03.2019" in text_of(voted)
    assert re.search(r"<td>01\.03\.2019</td><td>14\.03\.2019</td>", listed)


def test_what_a_finding_is_about_is_said_in_german(client: TestClient) -> None:
    findings = text_of(client.get(f"{R}/findings").text)
    assert "Beobachtung Maßnahme M1.1.2 Öffentliche Feststellung" in findings
    assert "Empfehlung Prozess Zurückgezogene Empfehlung" in findings
    assert "measure:" not in findings
    history = client.get(f"{R}/history/finding?scope=audit-fgk/2016&key=1").text
    assert "Gegenstand: – → <strong>Maßnahme M1.1.2</strong>" in history


def test_a_payment_in_a_history_is_no_change_of_the_approval_before_it(
    client: TestClient,
) -> None:
    history = client.get(f"{R}/history/budget_line?scope=2019&key=3.0-A").text
    rows = {
        int(v): text_of(row)
        for v, row in re.findall(r'<tr id="v(\d+)"[^>]*>(.*?)</tr>', history, re.S)
    }
    assert "Betrag: – → 9.999.999.999.999,99 €" in rows[2]  # the Ansatz is set
    assert "Betrag: 1,00 € Beschluss: Drs. Ö-12/2019/ÄÜ (neu), Nr. 3" in rows[3]
    assert "Betrag: 7.000.000.000.000,00 € Text: Auftrag" in rows[5]  # a commitment
    assert "Betrag: 9.999.999.999.999,99 € Text: Abschlag" in rows[6]  # a payment
    for row in (rows[3], rows[5], rows[6]):
        assert "→" not in row


def test_a_body_with_only_a_budget_links_its_budget_years(client: TestClient) -> None:
    # hessenstadt comes from a treasury export alone: no process spans its fiscal years
    html = client.get("/ui/bodies/hessenstadt").text
    assert 'href="/ui/bodies/hessenstadt/budget/2019"' in html
    assert "Haushalt 2019" in text_of(html)


def test_a_history_does_not_list_fields_empty_before_and_after(anonymous: Crawl) -> None:
    # e.g. "Quelle: – (unverändert)" on every event without a source says nothing
    for path, html in anonymous.pages.items():
        if "/history/" in path:
            assert "– (unverändert)" not in text_of(html), path
