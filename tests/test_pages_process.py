"""The process page with the annual reports submitted in it."""

from __future__ import annotations

import re
from pathlib import Path

from api_support import record, record_demo
from pages_support import BODY, pages_client, parse, text_of

from projections.models.agreement_cache import AgreementCache
from projections.queries import catch_up

PROCESS = f"/ui/bodies/{BODY}/processes/audit-fgk/2015"


def test_the_process_page_links_each_submitted_annual_report(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record_demo(url)
    submitted = {
        "record": "annual-report",
        "body": BODY,
        "process": "audit-fgk/2015",
        "year": 2016,
        "effective": "2017-03-31",
    }
    record(url, [submitted])
    catch_up(url)
    with pages_client(url) as client:
        page = client.get(PROCESS)
        assert page.status_code == 200
        submitted_part = text_of(page.text).split("Eingereichte Jahresberichte", 1)[1]
        assert "Jahresbericht 2016" in submitted_part
        links = parse(page.text).links
        assert f"{PROCESS}/annual-report?year=2016" in links
        assert client.get(f"{PROCESS}/annual-report?year=2016").status_code == 200


def test_the_annual_report_page_answers_from_the_agreement_cache(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record_demo(url)
    report = f"{PROCESS}/annual-report?year=2017"

    def table(html: str) -> str:
        found = re.search(r'<table class="report">.*?</table>', html, re.S)
        assert found, "no report table"
        return found.group(0)

    with pages_client(url) as client:
        cache = AgreementCache(build_after=1)
        client.app.state.agreement_cache = cache  # type: ignore[attr-defined]
        first = client.get(report)
        again = client.get(report)
        assert (cache.builds, cache.hits) == (1, 1)
        client.app.state.agreement_cache = None  # type: ignore[attr-defined]
        uncached = client.get(report)
    assert "M6.1.1" in table(uncached.text)
    assert table(first.text) == table(again.text) == table(uncached.text)
