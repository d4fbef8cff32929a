"""A trial run of an import's commands in a batch that is never saved: finds refused rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ledger.application import LedgerApplication
from ledger.commands.batch import Batch
from ledger.commands.handlers import load_handlers
from ledger.commands.registry import Command, parse_command
from ledger.errors import LedgerError


@dataclass(frozen=True)
class TrialOutcome:
    """Which rows the ledger refuses (row key -> reason) and which would append events.

    `settled`: rows that append nothing because they repeat a fact that was retracted or
    corrected since.
    """

    refused: dict[int, str]
    changing: frozenset[int]
    settled: frozenset[int] = frozenset()


def trial_run(
    app: LedgerApplication,
    rows: Sequence[tuple[int, Sequence[Command | Mapping[str, object]]]],
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
        settled: set[int] = set()
        for key, commands in remaining:
            # Only the records this row uses are looked at: a count over every record of
            # the batch per row made the trial quadratic in the rows.
            batch.watch()
            try:
                for raw in commands:
                    parse_command(raw).handle(batch)
            except LedgerError as exc:
                newly[key] = str(exc)
                continue
            changed, repeated = batch.watched()
            if changed:
                changing.add(key)
            elif repeated:
                settled.add(key)
        if not newly:
            return TrialOutcome(refused, frozenset(changing), frozenset(settled))
        refused.update(newly)
        remaining = [(k, c) for k, c in remaining if k not in newly]
