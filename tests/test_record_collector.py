"""The write side's collector policy: paused while a batch is recorded, as it was after."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generator import DEFAULT_SEED, generate  # noqa: E402
from ledger.application import LedgerApplication  # noqa: E402
from ledger.commands.batch import Batch  # noqa: E402
from ledger.errors import CommandError  # noqa: E402
from ledger.store import application_env  # noqa: E402

BODY = "kyffhaeuserkreis"


def body(day: str = "2013-01-24") -> dict[str, Any]:
    return {"record": "body", "body": BODY, "name": "Kyffhäuserkreis", "effective": day}


@pytest.fixture
def app(store_url: str) -> Iterator[LedgerApplication]:
    ledger = LedgerApplication(env=application_env(store_url))
    try:
        yield ledger
    finally:
        ledger.close()


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether the collector was enabled each time a batch looked up a record."""
    states: list[bool] = []
    find = Batch.find

    def spy(self: Batch, *args: Any, **kwargs: Any) -> Any:
        states.append(gc.isenabled())
        return find(self, *args, **kwargs)

    monkeypatch.setattr(Batch, "find", spy)
    return states


def test_collector_paused_during_a_batch_and_running_after(
    app: LedgerApplication, seen: list[bool]
) -> None:
    assert gc.isenabled()
    assert app.record([body()])
    assert seen
    assert not any(seen)
    assert gc.isenabled()


def test_collector_running_again_after_a_refused_batch(
    app: LedgerApplication, seen: list[bool]
) -> None:
    app.record([body()])
    with pytest.raises(CommandError):
        app.record([body("2014-01-01"), {"record": "no such kind"}])
    assert gc.isenabled()
    seen.clear()
    with pytest.raises(CommandError):
        app.record([{**body(), "name": "Another name"}])
    assert seen
    assert not any(seen)
    assert gc.isenabled()


def test_a_collector_paused_by_someone_else_stays_paused(
    app: LedgerApplication, seen: list[bool]
) -> None:
    gc.disable()
    try:
        app.record([body()])
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert seen
    assert not any(seen)


def test_a_batch_leaves_no_cycle_for_the_collector(app: LedgerApplication) -> None:
    """What the pause relies on: reference counting frees all that batches leave behind
    (the bench's commands: new records, and facts on records kept from earlier batches)."""
    batches = list(generate(1_500, DEFAULT_SEED).batches(250))
    for commands in batches[:2]:
        app.record(commands)
    gc.collect()
    gc.disable()
    try:
        for commands in batches[2:]:
            app.record(commands)
        assert gc.collect() == 0
    finally:
        gc.enable()
