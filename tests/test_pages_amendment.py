"""The resolution page shows an amended resolution: each amendment's reason (a bench store's
public resolutions with amendments answered 500 before)."""

from __future__ import annotations

from pathlib import Path

from api_support import record
from pages_support import BODY, pages_client, record_case, text_of

from projections.queries import catch_up

REFERENCE = "2018/6/067"


def test_an_amended_resolution_page_lists_the_reasons(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record_case(url)
    record(
        url,
        [
            {
                "record": "amendment",
                "body": BODY,
                "resolution": REFERENCE,
                "title": "Landesprogramm Familie (geändert)",
                "reason": "Titel nach Beschluss des Kreistags präzisiert",
                "effective": "2018-07-01",
            }
        ],
    )
    catch_up(url)
    with pages_client(url) as client:
        answer = client.get(f"/ui/bodies/{BODY}/resolutions/{REFERENCE}?as_of=2018-12-31")
    assert answer.status_code == 200
    assert "Titel nach Beschluss des Kreistags präzisiert" in text_of(answer.text)
