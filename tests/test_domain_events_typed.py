"""Domain events mypy can see: a misspelt or mistyped event field is a type error.

mypy runs (through `mypy.api`) on small modules that build and trigger a budget line's
events: the correct module passes, and each wrong field in the others is reported where
it is written. The events are eventsourcing dataclasses made by a metaclass mypy does not
read; `LedgerAggregate.Event` tells mypy what they are (see ledger.domain.base).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mypy import api

import ledger

# Each case: the statements in the body of `record(line)`, then the errors mypy must
# report on its first line (None: it must pass). Events are built on the envelope
# eventsourcing gives them (`envelope()`, `creation_envelope(id)`).
CASES: dict[str, tuple[str, list[tuple[str, str]] | None]] = {
    "correct": (
        """line.record_once(BudgetLine.PaymentBooked(
        **line.envelope(), amount=Decimal("1.00"), reference="R-1", text="", effective=DAY
    ))
    line.trigger_event(
        BudgetLine.PaymentBooked, amount=Decimal("1.00"), reference="R-1", text="", effective=DAY
    )
    BudgetLine.created_by(BudgetLine.Opened(
        **BudgetLine.creation_envelope(ID),
        body="kreis", year=2024, code="1.1", title="T", direction="income", effective=DAY,
    ))""",
        None,
    ),
    "misspelt_in_event": (
        "line.record_once(BudgetLine.PaymentBooked(**line.envelope(), "
        'amount=Decimal("1.00"), referenc="R-1", text="", effective=DAY))',
        [("call-arg", 'Unexpected keyword argument "referenc" for "PaymentBooked"')],
    ),
    "mistyped_in_event": (
        "line.record_once(BudgetLine.PaymentBooked(**line.envelope(), "
        'amount="1.00", reference="R-1", text="", effective=DAY))',
        [("arg-type", 'Argument "amount" to "PaymentBooked" has incompatible type "str"')],
    ),
    # The example of the issue: the library's `trigger_event` took any keyword.
    "misspelt_and_mistyped_in_trigger": (
        'line.trigger_event(BudgetLine.PaymentBooked, amount="not a decimal", '
        'referenc="typo", text="", effective=DAY)',
        [
            ("call-arg", 'Unexpected keyword argument "referenc" for "trigger_event"'),
            ("arg-type", 'Argument "amount" to "trigger_event" of "LedgerAggregate" has '),
        ],
    ),
    "misspelt_in_creation": (
        "BudgetLine.created_by(BudgetLine.Opened(**BudgetLine.creation_envelope(ID), "
        'body="kreis", yaer=2024, code="1.1", title="T", direction="income", effective=DAY))',
        [("call-arg", 'Unexpected keyword argument "yaer" for "Opened"')],
    ),
}

MODULE = """\
from datetime import date
from decimal import Decimal
from uuid import UUID

from ledger.domain.budget_line import BudgetLine

DAY = date(2024, 1, 2)
ID = UUID(int=1)


def record(line: BudgetLine) -> None:
    {statement}
"""
# The line of the statement in MODULE (1-based).
STATEMENT_LINE = MODULE.splitlines().index("    {statement}") + 1
_ERROR = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+): error: (?P<message>.*)  \[(?P<code>[\w-]+)\]$"
)


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[int, str, str]]]:
    """mypy's errors per case (line, code, message), from one strict run over all cases."""
    folder = tmp_path_factory.mktemp("typed_events")
    paths = []
    for name, (statement, _) in CASES.items():
        path = folder / f"{name}.py"
        path.write_text(MODULE.format(statement=statement), encoding="utf-8")
        paths.append(str(path))
    config = folder / "mypy.ini"
    config.write_text(f"[mypy]\nstrict = True\nmypy_path = {Path(ledger.__file__).parents[1]}\n")
    out, err, _ = api.run(
        ["--config-file", str(config), "--cache-dir", str(folder / "cache"), *paths]
    )
    assert not err, err
    errors: dict[str, list[tuple[int, str, str]]] = {name: [] for name in CASES}
    for line in out.splitlines():
        found = _ERROR.match(line)
        if found:
            name = Path(found["file"]).stem
            errors[name].append((int(found["line"]), found["code"], found["message"]))
        else:
            assert line.startswith(("Found ", "Success")) or ": note: " in line, line
    return errors


def test_events_built_and_triggered_with_their_fields_pass_mypy(
    reported: dict[str, list[tuple[int, str, str]]],
) -> None:
    assert reported["correct"] == []


@pytest.mark.parametrize("case", [name for name, (_, wanted) in CASES.items() if wanted])
def test_a_misspelt_or_mistyped_event_field_is_a_mypy_error(
    reported: dict[str, list[tuple[int, str, str]]], case: str
) -> None:
    wanted = CASES[case][1]
    assert wanted is not None
    errors = reported[case]
    for code, message in wanted:
        assert any(
            line == STATEMENT_LINE and c == code and m.startswith(message) for line, c, m in errors
        ), f"mypy did not report {code} {message!r} on line {STATEMENT_LINE}: {errors}"
    assert len(errors) == len(wanted), errors
