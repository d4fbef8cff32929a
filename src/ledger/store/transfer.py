"""Export of the chained events as JSON Lines, offline verification, and import."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent

from ledger.store.chain import (
    ChainedEvent,
    ChainError,
    Digest,
    StoreError,
    parse_recorded_at,
)
from ledger.store.verify import BATCH_SIZE, ChainChecker, VerifyReport

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import TextIO

    from ledger.store.base import ChainedRecorder, ChainRow, ChainWriter

#: The fields of one export line, in the order they are written.
FIELDS: Final = (
    "position",
    "recorded_at",
    "originator_id",
    "originator_version",
    "topic",
    "state",
    "hash",
)


class TransferError(StoreError):
    """Raised when an export file is malformed or tampered, or cannot be imported."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class ExportResult:
    """What export() wrote: the number of events and the head of the exported chain."""

    events: int
    head: Digest | None


@dataclass(frozen=True)
class ImportResult:
    """What import_events() did: events appended, events already present, the head after."""

    appended: int
    skipped: int
    head: Digest | None = None


def export_line(row: ChainRow) -> str:
    """One stored event with its chain row as a JSON line (no newline)."""
    position, recorded_at, hash_, oid, version, topic, state = row
    if oid is None or state is None:
        msg = f"position {position}: the event row is missing; run verify"
        raise ChainError(msg)
    return json.dumps(
        {
            "position": position,
            "recorded_at": recorded_at,
            "originator_id": str(UUID(oid)),
            "originator_version": version,
            "topic": topic,
            "state": base64.b64encode(state).decode("ascii"),
            "hash": bytes(hash_).hex(),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def export(
    recorder: ChainedRecorder,
    out: TextIO,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write every chained event, in position order, as JSON Lines (one consistent snapshot);
    `progress` is told the last position written after each batch."""
    count = 0
    head: Digest | None = None
    with recorder.chain_reader() as reader:
        after = 0
        while True:
            rows = reader.chain_rows(after, batch_size)
            if not rows:
                break
            out.write("".join(export_line(row) + "\n" for row in rows))
            count += len(rows)
            after = rows[-1][0]
            head = Digest(after, bytes(rows[-1][2]).hex())
            if progress is not None:
                progress(after)
    return ExportResult(count, head)


def _field(record: dict[str, Any], name: str, kind: type, line: int) -> Any:
    value = record.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        msg = f"field {name!r} must be a {kind.__name__}, got {value!r}"
        raise TransferError(msg, line)
    return value


def parse_line(text: str, line: int) -> ChainRow:
    """Parse one export line into a chain row; TransferError naming the line and field."""
    try:
        record = json.loads(text)
    except json.JSONDecodeError as e:
        raise TransferError(f"not valid JSON ({e.msg})", line) from None
    if not isinstance(record, dict):
        raise TransferError("expected a JSON object", line)
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        raise TransferError(f"unknown field(s) {', '.join(unknown)}", line)
    position = _field(record, "position", int, line)
    if position < 1:
        raise TransferError(f"field 'position' must be >= 1, got {position}", line)
    recorded_at = _field(record, "recorded_at", str, line)
    try:
        parse_recorded_at(recorded_at)
    except ValueError as e:
        raise TransferError(f"field 'recorded_at': {e}", line) from None
    try:
        oid = UUID(_field(record, "originator_id", str, line)).hex
    except ValueError:
        raise TransferError("field 'originator_id' must be a UUID", line) from None
    version = _field(record, "originator_version", int, line)
    topic = _field(record, "topic", str, line)
    try:
        state = base64.b64decode(_field(record, "state", str, line), validate=True)
    except binascii.Error:
        raise TransferError("field 'state' must be base64", line) from None
    hash_text = _field(record, "hash", str, line)
    try:
        hash_ = bytes.fromhex(hash_text)
    except ValueError:
        hash_ = b""
    if len(hash_) != 32:
        raise TransferError("field 'hash' must be 64 hex digits", line)
    return (position, recorded_at, hash_, oid, version, topic, state)


def read_export(lines: Iterable[str]) -> list[tuple[int, ChainRow]]:
    """Parse export lines into (line number, row); blank lines are ignored."""
    parsed: list[tuple[int, ChainRow]] = []
    seen: dict[tuple[str | None, int | None], int] = {}
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        row = parse_line(text, number)
        key = (row[3], row[4])
        if key in seen:
            msg = f"event {key[0]} version {key[1]} already appears on line {seen[key]}"
            raise TransferError(msg, number)
        seen[key] = number
        parsed.append((number, row))
    return parsed


def _check_export(parsed: list[tuple[int, ChainRow]], digest: Digest | None = None) -> ChainChecker:
    checker = ChainChecker(digest)
    checker.feed([row for _, row in parsed])
    checker.finish()
    return checker


def verify_export(lines: Iterable[str], digest: Digest | None = None) -> VerifyReport:
    """Verify an export file offline: its chain from genesis and, if given, a saved digest."""
    checker = _check_export(read_export(lines), digest)
    return checker.report(checker.head())


def _line_of(parsed: list[tuple[int, ChainRow]], position: int) -> int | None:
    for number, row in parsed:
        if row[0] >= position:
            return number
    return None


def _store_prefix(writer: ChainWriter, events: list[ChainedEvent]) -> int | None:
    """How many of the file's events form the store's whole chain; None if histories differ."""
    head = writer.head()
    if head is None:
        return 0
    for index, event in enumerate(events):
        if event.position == head.position:
            if event.hash == head.hash and writer.chain_length() == index + 1:
                return index + 1
            return None
    return None


def import_events(recorder: ChainedRecorder, lines: Iterable[str]) -> ImportResult:
    """Import an export file, all or nothing, in one transaction under the write lock.

    The file's chain is verified first (a tampered line is refused, naming the line).
    Into an empty store, or one whose chain is a prefix of the file's, positions,
    recorded_at and hashes are reproduced exactly. Into a store with another history,
    events already present (same id, version and bytes) are skipped and the others are
    appended as new chain links; same id and version with other bytes is an error.
    Importing the same file twice changes nothing.
    """
    parsed = read_export(lines)
    checker = _check_export(parsed)
    if checker.problem is not None:
        line = _line_of(parsed, checker.problem.position)
        raise TransferError(f"export refused: {checker.problem}", line)
    events = [
        ChainedEvent(
            position=row[0],
            recorded_at=parse_recorded_at(row[1]),
            originator_id=UUID(row[3]),
            originator_version=row[4],
            topic=row[5],
            state=row[6],
            hash=row[2],
        )
        for _, row in parsed
        if row[3] is not None and row[4] is not None and row[5] is not None and row[6] is not None
    ]
    try:
        with recorder.chain_writer() as writer:
            prefix = _store_prefix(writer, events)
            if prefix is not None:
                # The store's chain is empty or a prefix of the file's: reproduce the rest.
                writer.insert_chained(events[prefix:])
                appended, skipped = len(events) - prefix, prefix
            else:
                present = writer.existing({e.originator_id.hex for e in events})
                new: list[StoredEvent] = []
                skipped = 0
                for (number, _), e in zip(parsed, events, strict=True):
                    found = present.get((e.originator_id.hex, e.originator_version))
                    if found is None:
                        new.append(
                            StoredEvent(e.originator_id, e.originator_version, e.topic, e.state)
                        )
                    elif found == (e.topic, e.state):
                        skipped += 1
                    else:
                        msg = (
                            f"event {e.originator_id} version {e.originator_version} is already "
                            "in the store with different content"
                        )
                        raise TransferError(msg, number)
                writer.append(new)
                appended = len(new)
    except IntegrityError as e:
        msg = f"import conflicts with events in the store ({e}); nothing was imported"
        raise TransferError(msg) from e
    except ChainError as e:
        raise TransferError(f"import refused: {e}; nothing was imported") from e
    return ImportResult(appended, skipped, recorder.head())
