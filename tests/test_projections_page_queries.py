"""The queries a page reads in one snapshot answer as the queries the API serves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_support import BODY, SECRET_REFERENCE, record_demo

from projections.engine.errors import NotFoundError
from projections.models.reconciliation import reconciliation
from projections.queries import (
    ReadModel,
    budget,
    budget_with_reconciliation,
    events,
    get_body,
    get_resolution,
    list_resolutions,
    resolution_with_committees,
)

PUBLIC = "2018/6/067"
LINE = "01.4953.7187"
BEFORE_RECORDED = "2000-01-01T00:00:00Z"


def timeless(document: dict[str, Any]) -> dict[str, Any]:
    """A document without its known_at (now, when not asked for: differs between calls)."""
    return {k: v for k, v in document.items() if k != "known_at"}


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
    expected = get_resolution(rm, BODY, PUBLIC, as_of="2018-07-01", include_private=include_private)
    assert timeless(document) == timeless(expected)
    assert committees == get_body(rm, BODY)["committees"]
    assert committees


def test_the_resolution_page_refuses_a_non_public_resolution_to_anonymous_readers(
    rm: ReadModel,
) -> None:
    with pytest.raises(NotFoundError, match="no resolution"):
        resolution_with_committees(rm, BODY, SECRET_REFERENCE)
    document, _ = resolution_with_committees(rm, BODY, SECRET_REFERENCE, include_private=True)
    assert document["reference"] == SECRET_REFERENCE


@pytest.mark.parametrize("include_private", [False, True], ids=["anonymous", "token"])
def test_the_trail_without_data_holds_the_same_entries_without_their_data(
    rm: ReadModel, include_private: bool
) -> None:
    for after, limit in ((0, 1000), (10, 7)):
        full = events(rm, after=after, limit=limit, include_private=include_private)
        bare = events(
            rm, after=after, limit=limit, include_private=include_private, with_data=False
        )
        assert bare["events"]
        expected = [{k: v for k, v in e.items() if k != "data"} for e in full["events"]]
        assert bare == {**full, "events": expected}


@pytest.mark.parametrize("include_private", [False, True], ids=["anonymous", "token"])
def test_the_resolutions_list_without_tallies_is_the_list_without_votes_and_decisions(
    rm: ReadModel, include_private: bool
) -> None:
    full = list_resolutions(rm, BODY, as_of="2018-12-31", include_private=include_private)
    bare = list_resolutions(
        rm, BODY, as_of="2018-12-31", include_private=include_private, with_tallies=False
    )
    assert bare["resolutions"]
    expected = [
        {k: v for k, v in r.items() if k not in ("votes", "decisions")} for r in full["resolutions"]
    ]
    assert timeless(bare) == timeless({**full, "resolutions": expected})


@pytest.mark.parametrize("include_private", [False, True], ids=["anonymous", "token"])
@pytest.mark.parametrize("line", [None, LINE])
def test_the_budget_pages_read_what_budget_and_reconciliation_answer(
    rm: ReadModel, include_private: bool, line: str | None
) -> None:
    document, checked = budget_with_reconciliation(
        rm, BODY, 2018, line=line, as_of="2018-12-31", include_private=include_private
    )
    asked: dict[str, Any] = {"line": line, "as_of": "2018-12-31"}
    assert document["lines"]
    assert document == budget(rm, BODY, 2018, **asked, include_private=include_private) | {
        "known_at": document["known_at"]
    }
    assert timeless(checked) == timeless(
        reconciliation(rm, BODY, 2018, **asked, include_private=include_private)
    )


def test_the_budget_pages_refuse_an_unknown_line_as_budget_does(rm: ReadModel) -> None:
    with pytest.raises(NotFoundError, match="no budget line 'nope' in 2018"):
        budget_with_reconciliation(rm, BODY, 2018, line="nope")
