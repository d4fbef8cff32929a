"""A resolution asked for before it was recorded answers as an unknown one does (404, same
JSON shape); asked for before its proposal's date, it answers `exists: false` (documented)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import BODY, SECRET_REFERENCE, TestClient, api_client, bearer, record_demo

BASE = f"/v1/bodies/{BODY}/resolutions"
PUBLIC = "2018/6/067"
UNKNOWN = "2099/1/999"
BEFORE_RECORDED = "known_at=2000-01-01T00:00:00Z"
BEFORE_PROPOSED = "as_of=2010-01-01"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('before')}/ledger.db"
    record_demo(url, private=True)
    with api_client(url) as test_client:
        yield test_client


def shape(detail: str, reference: str) -> str:
    """The 404 detail with the reference taken out, to compare the two answers' shape."""
    return detail.replace(reference, "REFERENCE")


@pytest.mark.parametrize("token", [False, True], ids=["anonymous", "token"])
@pytest.mark.parametrize("reference", [PUBLIC, SECRET_REFERENCE])
def test_before_it_was_recorded_a_resolution_is_404_like_an_unknown_one(
    client: TestClient, token: bool, reference: str
) -> None:
    headers = bearer() if token else {}
    for axes in (BEFORE_RECORDED, f"{BEFORE_PROPOSED}&{BEFORE_RECORDED}"):
        before = client.get(f"{BASE}/{reference}?{axes}", headers=headers)
        unknown = client.get(f"{BASE}/{UNKNOWN}?{axes}", headers=headers)
        assert before.status_code == unknown.status_code == 404, before.text
        assert list(before.json()) == list(unknown.json()) == ["detail"]
        assert shape(before.json()["detail"], reference) == shape(unknown.json()["detail"], UNKNOWN)


@pytest.mark.parametrize("token", [False, True], ids=["anonymous", "token"])
def test_before_its_proposal_a_known_resolution_answers_exists_false(
    client: TestClient, token: bool
) -> None:
    answer = client.get(f"{BASE}/{PUBLIC}?{BEFORE_PROPOSED}", headers=bearer() if token else {})
    assert answer.status_code == 200
    assert answer.json()["exists"] is False
    assert client.get(f"{BASE}/{UNKNOWN}?{BEFORE_PROPOSED}").status_code == 404
