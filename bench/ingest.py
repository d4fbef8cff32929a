"""Ingest: commands through LedgerApplication.record vs bare eventsourcing saving the same events.

The baseline is a plain eventsourcing Application on the stock recorder of the same backend,
saving one event per command (the command's fields as the event's payload, so the stored
events have about the same size) on aggregates with the same ids, in batches of the same
size, kept in memory: it measures what eventsourcing needs to save, nothing else. The two
run in alternating chunks of the same commands, so both see the same store growth and the
same noise of the shared machine; the ratio is the median of the per-chunk ratios.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from bench.generator import History, aggregate_key


class Entry(Aggregate):
    """A bare aggregate: every event just carries a payload."""

    class Opened(Aggregate.Created):
        """The first event."""

        payload: dict[str, Any]

    class Noted(Aggregate.Event):
        """Every later event."""

        payload: dict[str, Any]

        def apply(self, aggregate: Any) -> None:
            """Nothing to apply: the baseline measures saving."""

    @classmethod
    def open(cls, entry_id: UUID, payload: dict[str, Any]) -> Entry:
        """A new entry with its first event."""
        return cls._create(cls.Opened, id=entry_id, payload=payload)

    def note(self, payload: dict[str, Any]) -> None:
        """One more event."""
        self.trigger_event(self.Noted, payload=payload)


class BareApplication(Application[UUID]):
    """A plain eventsourcing application on the stock recorder."""

    name = "bare"


class BareIngest:
    """Saves one event per command, in memory-held aggregates, batch by batch."""

    def __init__(self, env: dict[str, str]) -> None:
        self.app = BareApplication(env=env)
        self.live: dict[UUID, Entry] = {}
        self.ids: dict[tuple[Any, ...], UUID] = {}

    def record(self, commands: list[dict[str, Any]]) -> int:
        """Saves the events of one batch; returns their count."""
        touched: dict[UUID, Entry] = {}
        for command in commands:
            key = aggregate_key(command)
            entry_id = self.ids.get(key)
            if entry_id is None:
                entry_id = self.ids[key] = uuid5(NAMESPACE_URL, repr(key))
            payload = {k: v for k, v in command.items() if k != "record"}
            entry = self.live.get(entry_id)
            if entry is None:
                entry = self.live[entry_id] = Entry.open(entry_id, payload)
            else:
                entry.note(payload)
            touched[entry_id] = entry
        self.app.save(*touched.values())
        return len(commands)

    def close(self) -> None:
        """Closes the store."""
        self.app.close()


@dataclass
class IngestFigure:
    """Ingest rates of the ledger and of the baseline over the same commands."""

    events: int = 0
    ledger_seconds: float = 0.0
    bare_seconds: float = 0.0
    chunk_ratios: list[float] = field(default_factory=list)
    ledger_state_bytes: float = 0.0
    bare_state_bytes: float = 0.0
    batch_size: int = 0

    @property
    def ledger_rate(self) -> float:
        """Events per second through the ledger."""
        return self.events / self.ledger_seconds if self.ledger_seconds else 0.0

    @property
    def bare_rate(self) -> float:
        """Events per second through bare eventsourcing."""
        return self.events / self.bare_seconds if self.bare_seconds else 0.0

    @property
    def ratio(self) -> float:
        """Median of the per-chunk ratios ledger rate / bare rate."""
        return statistics.median(self.chunk_ratios) if self.chunk_ratios else 0.0


def average_state_bytes(app: Application[UUID], sample: int = 2000) -> float:
    """The mean size of the stored state of the first events of an application's store."""
    notifications = app.recorder.select_notifications(start=1, limit=sample)
    if not notifications:
        return 0.0
    return sum(len(n.state) for n in notifications) / len(notifications)


def measure_ingest(
    ledger: Any,
    bare_env: dict[str, str],
    history: History,
    *,
    batch_size: int,
    chunk_batches: int = 0,
    stop: int | None = None,
    progress: Any = None,
) -> IngestFigure:
    """Records `history` (up to `stop`) through the ledger and the baseline, chunk by chunk."""
    from ledger.commands.handlers import load_handlers

    load_handlers()  # imports the command modules: not part of any chunk
    bare = BareIngest(bare_env)
    figure = IngestFigure(batch_size=batch_size)
    batches = list(history.batches(batch_size, stop=stop))
    if chunk_batches <= 0:  # about 20 chunks, of 1 to 10 batches
        chunk_batches = max(1, min(10, len(batches) // 20))
    try:
        for chunk_index, start in enumerate(range(0, len(batches), chunk_batches)):
            chunk = batches[start : start + chunk_batches]
            ledger_time = bare_time = 0.0
            order = ("ledger", "bare") if chunk_index % 2 == 0 else ("bare", "ledger")
            for which in order:
                began = time.perf_counter()
                if which == "ledger":
                    appended = sum(len(ledger.record(batch)) for batch in chunk)
                    ledger_time = time.perf_counter() - began
                else:
                    saved = sum(bare.record(batch) for batch in chunk)
                    bare_time = time.perf_counter() - began
            if appended != saved:
                msg = f"the ledger appended {appended} events for {saved} commands"
                raise RuntimeError(msg)
            figure.events += appended
            figure.ledger_seconds += ledger_time
            figure.bare_seconds += bare_time
            figure.chunk_ratios.append(bare_time / ledger_time if ledger_time else 0.0)
            if progress is not None:
                progress(figure)
        figure.ledger_state_bytes = average_state_bytes(ledger)
        figure.bare_state_bytes = average_state_bytes(bare.app)
    finally:
        bare.close()
    return figure
