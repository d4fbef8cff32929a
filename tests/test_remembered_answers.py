"""Answers remembered per store and read-model position (projections/engine/remembered.py):
a second store at the same position, and the same store after the projector moved on, are
asked anew; `anonymous_records` and the list of bodies are held to that."""

from __future__ import annotations

from pathlib import Path

from api_support import BODY, record, record_demo

from projections.models.visibility import anonymous_records
from projections.queries import ReadModel, catch_up, list_bodies

REFERENCE = "2026/9/901"


def proposal(public: bool, reference: str = REFERENCE) -> dict[str, object]:
    return {
        "record": "proposal",
        "body": BODY,
        "resolution": reference,
        "committee": "jugendhilfeausschuss",
        "title": "Vorlage zum Erinnern",
        "submitter": "Die Landrätin",
        "public": public,
        "items": ["Ein Punkt."],
        "effective": "2026-02-01",
    }


def shown(rm: ReadModel) -> set[str]:
    with rm.view() as view:
        return set(anonymous_records(view, "resolution", body=BODY).values())


def test_two_stores_at_one_position_get_their_own_answers(tmp_path: Path) -> None:
    stores = {}
    for public in (True, False):
        url = f"sqlite:///{tmp_path / f'public-{public}.db'}"
        record_demo(url)
        record(url, [proposal(public)])
        rm = ReadModel(url)
        catch_up(rm)
        stores[public] = rm
    try:
        with stores[True].view() as a, stores[False].view() as b:
            assert a.position == b.position and a.schema and b.schema
            assert a.schema.generation == b.schema.generation
        for _ in range(2):  # asked again: remembered
            assert REFERENCE in shown(stores[True])
            assert REFERENCE not in shown(stores[False])
    finally:
        for rm in stores.values():
            rm.close()


def test_a_store_that_moved_on_is_asked_anew(store_url: str) -> None:
    record_demo(store_url)
    record(store_url, [proposal(False)])
    rm = ReadModel(store_url)
    try:
        catch_up(rm)
        before = shown(rm)
        assert REFERENCE not in before
        record(store_url, [proposal(True, "2026/9/902")])
        catch_up(rm)
        after = shown(rm)
        assert after == before | {"2026/9/902"}
        after.clear()  # the caller's copy: the remembered answer stays whole
        assert shown(rm) == before | {"2026/9/902"}
    finally:
        rm.close()


def test_the_list_of_bodies_follows_the_projector(store_url: str) -> None:
    record_demo(store_url)
    rm = ReadModel(store_url)
    try:
        catch_up(rm)
        first = list_bodies(rm)
        assert [b["slug"] for b in first["bodies"]] == [BODY]
        first["bodies"].clear()  # the caller's copy
        assert [b["slug"] for b in list_bodies(rm)["bodies"]] == [BODY]
        record(
            store_url,
            [{"record": "body", "body": "aa-neu", "name": "Neu", "effective": "2019-01-01"}],
        )
        catch_up(rm)
        again = list_bodies(rm)
        assert [b["slug"] for b in again["bodies"]] == ["aa-neu", BODY]
        assert again["position"] == first["position"] + 1
    finally:
        rm.close()
