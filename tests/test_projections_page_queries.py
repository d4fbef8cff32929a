"""The queries a page reads in one snapshot answer as the queries the API serves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import BODY, SECRET_REFERENCE, record_demo

from projections.engine.errors import NotFoundError
from projections.queries import ReadModel, get_body, get_resolution, resolution_with_committees

PUBLIC = "2018/6/067"
BEFORE_RECORDED = "2000-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def rm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadModel]:
    url = f"sqlite:///{tmp_path_factory.mktemp('page-queries')}/ledger.db"
    record_demo(url, private=True)
    read_model = ReadModel(url)
    try:
        yield read_model
    finally:
        read_model.close()


@pytest.mark.parametrize("include_private", [False, True], ids=["anonymous", "token"])
def test_a_resolution_asked_for_before_it_was_recorded_is_not_found(
    rm: ReadModel, include_private: bool
) -> None:
    with pytest.raises(NotFoundError, match="no resolution '2018/6/067'"):
        get_resolution(rm, BODY, PUBLIC, known_at=BEFORE_RECORDED, include_private=include_private)


def test_before_its_proposal_a_recorded_resolution_exists_false_for_anonymous_readers(
    rm: ReadModel,
) -> None:
    assert get_resolution(rm, BODY, PUBLIC, as_of="2010-01-01")["exists"] is False


@pytest.mark.parametrize("include_private", [False, True], ids=["anonymous", "token"])
def test_the_resolution_page_reads_what_the_resolution_and_body_queries_answer(
    rm: ReadModel, include_private: bool
) -> None:
    document, committees = resolution_with_committees(
        rm, BODY, PUBLIC, as_of="2018-07-01", include_private=include_private
    )
    expected = get_resolution(
        rm, BODY, PUBLIC, as_of="2018-07-01", include_private=include_private
    )
    assert {k: v for k, v in document.items() if k != "known_at"} == {
        k: v for k, v in expected.items() if k != "known_at"
    }
    assert committees == get_body(rm, BODY)["committees"]
    assert committees


def test_the_resolution_page_refuses_a_non_public_resolution_to_anonymous_readers(
    rm: ReadModel,
) -> None:
    with pytest.raises(NotFoundError, match="no resolution"):
        resolution_with_committees(rm, BODY, SECRET_REFERENCE)
    document, _ = resolution_with_committees(rm, BODY, SECRET_REFERENCE, include_private=True)
    assert document["reference"] == SECRET_REFERENCE
