"""The target agreement answers htmx with the part of the page that changes (a fragment).

htmx (pinned, served by the app) sends HX-Request with the date form's GET; the page then
answers with the content of <main> and, swapped out of band, the navigation and footer that
state the axes. A request without the header, and htmx's request to restore its history,
get the whole page.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import TestClient
from pages_support import AGREEMENT, pages_client, parse, record_case, text_of

import api.pages

HTMX = {"HX-Request": "true"}
#: The vendored file as api/pages/static/VENDORED.md names it.
HTMX_VERSION = "2.0.4"
HTMX_SHA256 = "e209dda5c8235479f3166defc7750e1dbcd5a5c1808b7792fc2e6733768fb447"
STATIC = Path(api.pages.__file__).parent / "static"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An anonymous client over the demo with its correction recorded later."""
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('fragment')) / 'ledger.db'}"
    record_case(url)
    with pages_client(url) as test_client:
        yield test_client


def test_htmx_asks_for_the_part_of_the_agreement_that_changes(client: TestClient) -> None:
    answer = client.get(f"{AGREEMENT}?as_of=2018-01-31", headers=HTMX)
    assert answer.status_code == 200
    assert "HX-Request" in answer.headers["Vary"]
    html = answer.text
    assert "<!DOCTYPE" not in html and "<head>" not in html and "<script" not in html
    assert html.lstrip().startswith("<h1>Zielvereinbarung audit-fgk/2015</h1>")
    assert "Stand 31.01.2018 · Kenntnisstand " in text_of(html)
    row = re.search(r"<tr>\s*<th scope=\"row\">M6\.1\.1 .*?</tr>", html, re.S)
    assert row and "60 %" in text_of(row.group(0))
    # The form is in the fragment, so the next date change works the same way.
    form = next(f for f in parse(html).forms if f.get("id") == "zeitpunkt")
    assert form.get("hx-get") == form.get("action") == AGREEMENT
    # The parts outside <main> that state the axes come along, swapped out of band.
    swapped = re.findall(r'<(nav|footer)[^>]* id="([a-z]+)" hx-swap-oob="true"', html)
    assert [name for _, name in swapped] == ["koerperschaft", "pfad", "fuss"]
    assert f'href="{AGREEMENT}?as_of=2018-01-31" aria-current="page"' in html


def test_without_htmx_and_to_restore_history_the_agreement_is_a_whole_page(
    client: TestClient,
) -> None:
    for headers in ({}, {**HTMX, "HX-History-Restore-Request": "true"}):
        answer = client.get(f"{AGREEMENT}?as_of=2018-01-31", headers=headers)
        assert answer.status_code == 200
        assert answer.text.startswith("<!DOCTYPE html>")
        assert "HX-Request" in answer.headers["Vary"]
        assert "hx-swap-oob" not in answer.text
        assert '<script src="/ui/static/htmx.min.js" defer></script>' in answer.text
        form = next(f for f in parse(answer.text).forms if f.get("id") == "zeitpunkt")
        assert (form.get("hx-push-url"), form.get("hx-target")) == ("true", "#inhalt")


def test_other_pages_answer_htmx_with_the_whole_page(client: TestClient) -> None:
    answer = client.get("/ui/", headers=HTMX)
    assert answer.text.startswith("<!DOCTYPE html>")
    assert "<script" not in answer.text
    assert "Vary" not in answer.headers


def test_htmx_is_served_by_the_app_in_its_pinned_version(client: TestClient) -> None:
    answer = client.get("/ui/static/htmx.min.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert hashlib.sha256(answer.content).hexdigest() == HTMX_SHA256
    vendored = (STATIC / "VENDORED.md").read_text(encoding="utf-8")
    assert f"| htmx.min.js | htmx | {HTMX_VERSION} |" in vendored and HTMX_SHA256 in vendored
    assert "Zero-Clause BSD" in (STATIC / "htmx.LICENSE").read_text(encoding="utf-8")


def test_a_refused_date_is_the_new_content_for_htmx(client: TestClient) -> None:
    answer = client.get(f"{AGREEMENT}?as_of=31.02.2018", headers=HTMX)
    assert answer.status_code == 422
    assert not answer.text.startswith("<!DOCTYPE")
    assert 'role="alert"' in answer.text and "„as_of“ (Stand)" in text_of(answer.text)
    assert 'id="pfad" hx-swap-oob="true"' in answer.text
    whole = client.get(f"{AGREEMENT}?as_of=31.02.2018")
    assert whole.status_code == 422 and whole.text.startswith("<!DOCTYPE html>")
