"""The process page with the annual reports submitted in it."""

from __future__ import annotations

from pathlib import Path

from api_support import record, record_demo
from pages_support import BODY, pages_client, parse, text_of

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
