"""The ledger application: records command batches through the chained event store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from ledger.commands.batch import Batch
from ledger.commands.handlers import load_handlers
from ledger.commands.registry import parse_command
from ledger.errors import CommandError, LedgerError, RuleViolationError


class DateAsISO(Transcoding):
    """Stores a `datetime.date` as its ISO string."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class LedgerApplication(Application[UUID]):
    """Records batches of commands; every batch is appended in one transaction or not at all."""

    name = "ledger"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def record(self, commands: Sequence[Any], *, attempts: int = 3) -> list[int]:
        """Validates and appends a batch; returns the positions appended (empty if nothing new)."""
        load_handlers()
        parsed = []
        for index, raw in enumerate(commands, start=1):
            kind_name = str(raw.get("record", "")) if isinstance(raw, dict) else ""
            try:
                parsed.append(parse_command(raw))
            except LedgerError as exc:
                raise CommandError(index, kind_name, exc) from None
        for attempt in range(attempts):
            batch = Batch(self.repository)
            for index, (kind, values) in enumerate(parsed, start=1):
                try:
                    kind.handle(batch, values)
                except LedgerError as exc:
                    raise CommandError(index, kind.name, exc) from None
            pending = batch.pending()
            if not pending:
                return []
            try:
                recordings = self.save(*pending)
            except IntegrityError:
                if attempt + 1 == attempts:
                    raise CommandError(
                        0,
                        "",
                        RuleViolationError(
                            "batch", "another writer changed the same records; try again"
                        ),
                    ) from None
                continue
            return [r.notification.id for r in recordings if r.notification.id is not None]
        return []
