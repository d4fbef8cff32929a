"""A trial run of an import's commands in a batch that is never saved: finds refused rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledger.application import LedgerApplication
from ledger.commands.batch import Batch
from ledger.commands.handlers import load_handlers
from ledger.commands.registry import parse_command
from ledger.errors import LedgerError


@dataclass(frozen=True)
class TrialOutcome:
    """Which rows the ledger refuses (row key -> reason) and which would append events."""

    refused: dict[int, str]
    changing: frozenset[int]


def trial_run(
    app: LedgerApplication, rows: Sequence[tuple[int, list[dict[str, Any]]]]
) -> TrialOutcome:
    """Handles each row's commands in a throwaway batch, as `record` would, without saving.

    A refused row is taken out and the rest run again, so that the rows left are exactly
    the batch `LedgerApplication.record` will then accept (unless another writer interferes).
    """
    load_handlers()
    remaining = list(rows)
    refused: dict[int, str] = {}
    while True:
        batch = Batch(app.repository)
        newly: dict[int, str] = {}
        changing: set[int] = set()
        for key, commands in remaining:
            before = _pending_count(batch)
            try:
                for raw in commands:
                    kind, values = parse_command(raw)
                    kind.handle(batch, values)
            except LedgerError as exc:
                newly[key] = str(exc)
                continue
            if _pending_count(batch) > before:
                changing.add(key)
        if not newly:
            return TrialOutcome(refused, frozenset(changing))
        refused.update(newly)
        remaining = [(k, c) for k, c in remaining if k not in newly]


def _pending_count(batch: Batch) -> int:
    return sum(len(r.pending_events) for r in batch.records.values())
