"""The per-worker agreement cache: the same answers as the database, never stale, never leaking.

Target-agreement queries known now are answered from timelines kept in memory for the read
model's position (projections.models.agreement_cache); these tests hold them to the uncached query.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from api_support import (
    BODY,
    SECRET_FINDING,
    SECRET_REFERENCE,
    TestClient,
    api_client,
    bearer,
    record,
    record_demo,
)

from api.app import agreement_cache
from ledger.errors import LedgerError
from projections import queries
from projections.engine.axes import axes
from projections.models.agreement_cache import AgreementCache
from projections.queries import ReadModel, catch_up

PROCESSES = ["audit-fgk/2015", "audit-fgk/2018", "familienbuendnis/2018"]
URL = f"/v1/bodies/{BODY}/processes/audit-fgk/2015/target-agreement"


def _without_known_at(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "known_at"}


@pytest.fixture
def demo(store_url: str) -> str:
    """The demo case with the non-public records on top, projected."""
    record_demo(store_url, private=True)
    return store_url


@pytest.fixture
def client(demo: str) -> Iterator[TestClient]:
    """The API over the demo store (its projector is not running: tests move it)."""
    with api_client(demo) as test_client:
        # Build on the first query, so that every later one is answered from memory.
        test_client.app.state.agreement_cache = AgreementCache(build_after=1)  # type: ignore[attr-defined]
        yield test_client


def test_cached_documents_equal_the_database_query(demo: str) -> None:
    rm = ReadModel(demo)
    cache = AgreementCache(build_after=1)
    try:
        compared = 0
        for process in PROCESSES:
            for private in (False, True):
                day = date(2014, 6, 1)
                while day <= date(2021, 1, 1):
                    text, position = queries.agreement_json(
                        rm, BODY, process, as_of=day, include_private=private, cache=cache
                    )
                    cached = json.loads(text)
                    plain = queries.agreement(rm, BODY, process, as_of=day, include_private=private)
                    assert _without_known_at(cached) == _without_known_at(plain), (process, day)
                    assert cached["position"] == position == plain["position"]
                    compared += 1
                    day += timedelta(days=17)
        assert compared > 500
        assert cache.hits > cache.builds > 0
    finally:
        rm.close()


def test_the_json_text_is_the_documents_compact_json(demo: str) -> None:
    rm = ReadModel(demo)
    try:
        for cache in (None, AgreementCache(build_after=1)):
            for _ in range(2):
                text, _ = queries.agreement_json(
                    rm, BODY, "audit-fgk/2015", as_of="2018-12-31", cache=cache
                )
                document = json.loads(text)
                known_at = document["known_at"]
                plain = queries.agreement(
                    rm, BODY, "audit-fgk/2015", as_of="2018-12-31", known_at=known_at
                )
                assert text == json.dumps(
                    plain, ensure_ascii=False, allow_nan=False, separators=(",", ":")
                )
    finally:
        rm.close()


def test_a_cached_answer_changes_when_the_projector_moves_on(demo: str, client: TestClient) -> None:
    before = client.get(URL, params={"as_of": "2019-12-31"})
    again = client.get(URL, params={"as_of": "2019-12-31"})
    assert before.json()["fields"] == again.json()["fields"]
    cache: AgreementCache = client.app.state.agreement_cache  # type: ignore[attr-defined]
    assert cache.hits >= 1
    record(
        demo,
        [
            {
                "record": "measure-update",
                "body": BODY,
                "process": "audit-fgk/2015",
                "measure": "M3.1.1",
                "status": "completed",
                "progress": 100,
                "note": "Beide Kitas arbeiten",
                "effective": "2019-06-30",
            }
        ],
    )
    # Recorded but not yet projected: the answer is the old one, at the old position.
    stale = client.get(URL, params={"as_of": "2019-12-31"})
    assert stale.headers["X-Ledger-Position"] == before.headers["X-Ledger-Position"]
    assert stale.json()["fields"] == before.json()["fields"]
    catch_up(demo)
    after = client.get(URL, params={"as_of": "2019-12-31"})
    assert int(after.headers["X-Ledger-Position"]) > int(before.headers["X-Ledger-Position"])
    assert after.json()["position"] == int(after.headers["X-Ledger-Position"])
    measures = {
        m["code"]: m for f in after.json()["fields"] for g in f["goals"] for m in g["measures"]
    }
    assert (measures["M3.1.1"]["status"], measures["M3.1.1"]["progress"]) == ("completed", 100)
    # An as_of before the update is unchanged, and answered at the new position too.
    earlier = client.get(URL, params={"as_of": "2018-12-31"})
    assert earlier.headers["X-Ledger-Position"] == after.headers["X-Ledger-Position"]
    older = {
        m["code"]: m for f in earlier.json()["fields"] for g in f["goals"] for m in g["measures"]
    }
    assert older["M3.1.1"]["status"] == "in_progress"


def test_anonymous_and_token_answers_are_kept_apart(client: TestClient) -> None:
    for _ in range(2):  # the second round is answered from the cache
        private = client.get(URL, params={"as_of": "2018-12-31"}, headers=bearer())
        anonymous = client.get(URL, params={"as_of": "2018-12-31"})
        assert private.status_code == anonymous.status_code == 200
        assert private.json()["adopted_by"] == SECRET_REFERENCE
        assert SECRET_FINDING in private.text
        assert anonymous.json()["adopted_by"] is None
        assert SECRET_REFERENCE not in anonymous.text
        assert SECRET_FINDING not in anonymous.text
    cache: AgreementCache = client.app.state.agreement_cache  # type: ignore[attr-defined]
    assert len(cache) == 2
    assert cache.hits >= 2


def test_anonymous_entries_hold_no_unpublished_finding_nor_resolution(demo: str) -> None:
    rm = ReadModel(demo)
    cache = AgreementCache(build_after=1)
    try:
        with rm.view() as view:
            entry = cache.entry(view, BODY, "audit-fgk/2015", False, axes())
        assert entry is not None
        texts = [r["text"] for t in entry.findings for r in t.rows]
        assert SECRET_FINDING not in texts
        today = axes().known_at.date()
        assert all((r := t.at(today)) is not None and r["published"] for t in entry.findings)
        assert SECRET_REFERENCE not in entry.public
    finally:
        rm.close()


def test_explicit_known_at_and_unknown_records_go_to_the_database(
    client: TestClient,
) -> None:
    cache: AgreementCache = client.app.state.agreement_cache  # type: ignore[attr-defined]
    known = client.get(URL, params={"as_of": "2018-12-31", "known_at": "2030-01-01"})
    assert known.status_code == 200
    assert len(cache) == 0
    missing = client.get(f"/v1/bodies/{BODY}/processes/audit-fgk/1999/target-agreement")
    assert missing.status_code == 404
    assert client.get("/v1/bodies/nowhere/processes/a/b/target-agreement").status_code == 404
    assert len(cache) == 0


def test_an_entry_is_not_used_before_it_was_built_nor_on_another_day(demo: str) -> None:
    rm = ReadModel(demo)
    cache = AgreementCache(build_after=1)
    try:
        now = axes()
        with rm.view() as view:
            entry = cache.entry(view, BODY, "audit-fgk/2015", False, now)
        assert entry is not None
        assert entry.usable(now)
        earlier = axes(known_at=now.known_at - timedelta(seconds=1))
        assert not entry.usable(earlier)
        tomorrow = axes(known_at=now.known_at + timedelta(days=1))
        assert not entry.usable(tomorrow)
    finally:
        rm.close()


def test_the_cache_is_bounded(demo: str) -> None:
    rm = ReadModel(demo)
    cache = AgreementCache(size=2, build_after=1)
    try:
        for process in PROCESSES:
            for private in (False, True):
                queries.agreement_json(rm, BODY, process, include_private=private, cache=cache)
        assert len(cache) == 2
    finally:
        rm.close()


def test_an_entry_is_built_on_the_third_query_at_a_position(demo: str) -> None:
    rm = ReadModel(demo)
    cache = AgreementCache()
    try:
        answers = [
            queries.agreement_json(rm, BODY, "audit-fgk/2015", as_of="2018-12-31", cache=cache)
            for _ in range(4)
        ]
        assert (cache.builds, cache.hits, len(cache)) == (1, 1, 1)
        documents = [_without_known_at(json.loads(text)) for text, _ in answers]
        assert all(d == documents[0] for d in documents)
    finally:
        rm.close()


def test_the_cache_builds_less_when_its_entries_do_not_pay_off(demo: str) -> None:
    rm = ReadModel(demo)
    cache = AgreementCache(size=1, build_after=1)
    try:
        for _ in range(40):  # two processes take turns in a cache of one: thrashing
            for process in PROCESSES[:2]:
                queries.agreement_json(rm, BODY, process, as_of="2018-12-31", cache=cache)
        assert cache.build_after > 1
        assert cache.builds < 20
        for _ in range(40):  # one process: its entry pays off, the wait shrinks again
            queries.agreement_json(rm, BODY, PROCESSES[0], as_of="2018-12-31", cache=cache)
        queries.agreement_json(rm, BODY, PROCESSES[1], as_of="2018-12-31", cache=cache)
        assert cache.hits >= 30
    finally:
        rm.close()


def test_the_cache_size_is_a_setting() -> None:
    default = agreement_cache({})
    assert default is not None and default.size == 16
    sized = agreement_cache({"LEDGER_AGREEMENT_CACHE": "4"})
    assert sized is not None and sized.size == 4
    assert agreement_cache({"LEDGER_AGREEMENT_CACHE": "0"}) is None
    with pytest.raises(LedgerError):
        agreement_cache({"LEDGER_AGREEMENT_CACHE": "many"})


def test_without_a_cache_the_route_answers_from_the_database(client: TestClient) -> None:
    client.app.state.agreement_cache = None  # type: ignore[attr-defined]
    answer = client.get(URL, params={"as_of": "2018-12-31"})
    assert answer.status_code == 200
    assert answer.json()["position"] == int(answer.headers["X-Ledger-Position"])
    assert answer.json()["adopted_by"] is None
