"""The ledger application: records command batches through the chained event store."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    EventStore,
    IntegrityError,
    JSONTranscoder,
    Mapper,
    Notification,
    Recording,
    Transcoding,
)
from eventsourcing.utils import EnvType

from ledger import collector, settings
from ledger.commands.batch import Batch, RecordCache, RecordSource
from ledger.commands.fields import SHOWN, shown
from ledger.commands.handlers import load_handlers
from ledger.commands.registry import Command, kind_label, parse_command
from ledger.domain.base import LedgerAggregate
from ledger.errors import CommandError, LedgerError, RuleViolationError
from ledger.store.salt import SaltedMapper

#: `date.isoformat`, kept for the dates seen last: events of a batch share few effective
#: dates, and CPython formats each one through printf (bench/PROFILES.md, 1.5).
_date_text = lru_cache(maxsize=4096)(date.isoformat)


class DateAsISO(Transcoding):
    """Stores a `datetime.date` as its ISO string."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return _date_text(obj)

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True)
class Recorded:
    """What recording a batch did: the positions appended (empty if nothing was new) and how
    many commands repeated a fact that a retraction or correction had settled."""

    positions: list[int]
    settled: int = 0


class LedgerApplication(Application[UUID]):
    """Records batches of commands; every batch is appended in one transaction or not at all."""

    name = "ledger"
    #: How many records `record` keeps between batches (env LEDGER_RECORD_CACHE; 0: none).
    RECORD_CACHE = "LEDGER_RECORD_CACHE"
    DEFAULT_RECORD_CACHE = 20_000

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(env)
        # self.env: the variable may also come in the application's own env mapping.
        size = settings.value(
            settings.RECORD_CACHE, {self.RECORD_CACHE: self.env.get(self.RECORD_CACHE) or ""}
        )
        self.record_cache = RecordCache(self.repository, self.recorder, size) if size > 0 else None
        self._record_lock = threading.Lock()

    def construct_event_store(self) -> EventStore[UUID]:
        """eventsourcing's event store, building the recordings of a save more cheaply."""
        return LedgerEventStore(mapper=self.mapper, recorder=self.recorder)

    def construct_mapper(self) -> Mapper[UUID]:
        """The factory's mapper (with its cipher and compressor, if any), salting each event."""
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=SaltedMapper
        )

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def record(
        self, commands: Sequence[Command | Mapping[str, object]], *, attempts: int = 3
    ) -> list[int]:
        """Validates and appends a batch; returns the positions appended (empty if nothing new).

        A command is a mapping as a command file gives it (`{"record": "vote", …}`) or a
        command dataclass (`RecordVote(…)`, ledger.commands); both are checked by the same
        parsers, and a refusal names the command, the field and the rule alike.
        """
        return self.record_batch(commands, attempts=attempts).positions

    def record_batch(
        self, commands: Sequence[Command | Mapping[str, object]], *, attempts: int = 3
    ) -> Recorded:
        """`record`, also saying how many commands a retraction or correction had settled."""
        # The collector is paused for the batch: its passes would scan the batch's survivors
        # and every kept record, and find nothing (tests/test_record_collector.py checks that
        # a batch leaves no cycle; any cycle of a refused batch is collected after it;
        # bench/PROFILES.md, 1.5).
        with self._record_lock, collector.paused():
            return self._record_batch(commands, attempts)

    def _record_batch(
        self, commands: Sequence[Command | Mapping[str, object]], attempts: int
    ) -> Recorded:
        load_handlers()
        parsed: list[Command] = []
        for index, raw in enumerate(commands, start=1):
            try:
                parsed.append(parse_command(raw))
            except LedgerError as exc:
                raise CommandError(index, _kind_label(raw), exc) from None
        if attempts < 1:
            return Recorded([])
        cache = self.record_cache
        source: RecordSource = cache if cache is not None else self.repository
        # With kept records, the first try takes records the batch creates as new without
        # reading each one (checked in one query before the save); any failure of that try
        # runs the batch again exactly as without it.
        optimistic = cache is not None
        attempt = 0
        while True:
            if cache is not None:
                cache.refresh()
                cache.assume_absent = optimistic
            batch = Batch(source)
            try:
                for index, command in enumerate(parsed, start=1):
                    try:
                        command.handle(batch)
                    except LedgerError as exc:
                        raise CommandError(index, command.record, exc) from None
                pending = batch.pending()
                if cache is not None and cache.assumed and cache.existing(cache.assumed):
                    raise _AssumedNewError
                recordings = self._save_records(pending) if pending else []
            except BaseException as exc:
                # The batch may have changed kept records in place: read them again next time.
                if cache is not None:
                    cache.discard(batch.records)
                if optimistic and isinstance(exc, LedgerError | IntegrityError | _AssumedNewError):
                    optimistic = False
                    continue
                if not isinstance(exc, IntegrityError):
                    raise
                attempt += 1
                if attempt >= attempts:
                    raise CommandError(
                        0,
                        "",
                        RuleViolationError(
                            "batch", "another writer changed the same records; try again"
                        ),
                    ) from None
                continue
            finally:
                if cache is not None:
                    cache.assume_absent = False
            positions = [r.notification.id for r in recordings if r.notification.id is not None]
            if cache is not None:
                cache.saved(batch.records.values(), positions)
            return Recorded(positions, batch.settled())

    def _save_records(self, records: Sequence[LedgerAggregate]) -> list[Recording[UUID]]:
        """`Application.save` for records, collecting their events without asking what they are.

        `save` asks of each object whether it is an event or an aggregate, by `isinstance`
        against eventsourcing's runtime-checkable protocols; on Python 3.11 that recomputes
        the protocols' members on every call, a visible share of a batch (bench/PROFILES.md, 1.3).
        The steps after collecting are `save`'s own.
        """
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for record in records:
            processing_event.events.extend(record.collect_events())
            processing_event.aggregates[record.id] = record
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings


_new = object.__new__
_set = object.__setattr__


class LedgerEventStore(EventStore[UUID]):
    """eventsourcing's EventStore whose `put` makes its notifications without their
    dataclass's __init__, which sets each field through object.__setattr__ (a frozen
    dataclass's rule; bench/PROFILES.md, 1.5): the same recordings, the same steps otherwise."""

    def put(
        self, domain_events: Sequence[DomainEventProtocol[UUID]], **kwargs: Any
    ) -> list[Recording[UUID]]:
        """Stores domain events in aggregate sequence (`EventStore.put`, eventsourcing 9.5)."""
        stored_events = list(map(self.mapper.to_stored_event, domain_events))
        notification_ids = self.recorder.insert_events(stored_events, **kwargs)
        if not notification_ids:
            return []
        assert len(notification_ids) == len(stored_events)
        # A notification's attributes set at once take more memory than __init__'s (a dict
        # of their own): made last to first, each as its stored event is dropped from the
        # list (the recorder is done with it), a large batch (bench.one_line) holds no more
        # at its peak than with eventsourcing's put.
        recordings = []
        for domain_event, notification_id in zip(
            reversed(domain_events), reversed(notification_ids), strict=True
        ):
            notification = _new(Notification)
            _set(notification, "__dict__", {**vars(stored_events.pop()), "id": notification_id})
            recordings.append(Recording(domain_event, notification))
        recordings.reverse()
        return recordings


def _kind_label(raw: object) -> str:
    """The `record:` of a refused command as its error names it: a short printable text as
    it is, anything else shortened and escaped (a file may give a huge or odd kind)."""
    kind = kind_label(raw)
    if kind is None:
        return ""
    if isinstance(kind, str) and len(kind) <= SHOWN and kind.isprintable():
        return kind
    return shown(kind)


class _AssumedNewError(Exception):
    """A record the batch took as new exists after all: run the batch again, reading it."""
