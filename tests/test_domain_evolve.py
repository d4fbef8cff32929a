"""evolve: the folds' copy of a state equals dataclasses.replace, and refuses unknown fields."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from ledger.domain.base import evolve
from ledger.domain.measure import MeasureState


def test_evolve_equals_replace_and_leaves_the_original() -> None:
    state = MeasureState(body="b", code="M1", title="T", added_on=date(2020, 1, 1))
    changed = evolve(state, status="completed", progress=100)
    assert changed == dataclasses.replace(state, status="completed", progress=100)
    assert state.status == "planned" and state.progress is None
    assert changed.title == "T" and changed.added_on == date(2020, 1, 1)


def test_evolve_refuses_a_field_the_state_does_not_have() -> None:
    with pytest.raises(TypeError, match="MeasureState has no field colour"):
        evolve(MeasureState(), colour="red")
