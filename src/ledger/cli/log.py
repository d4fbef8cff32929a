"""`ledger log`: the audit trail, one line per stored event, filtered by body, type, position."""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
from collections.abc import Iterator
from contextlib import closing
from dataclasses import fields
from functools import cache
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.application import LedgerApplication
from ledger.cli.session import ledger_application
from ledger.domain.base import LedgerAggregate
from ledger.domain.event_types import check_event_type
from ledger.errors import UsageError
from ledger.store import ChainedRecorder

PAGE = 1000
SKIP = {"originator_id", "originator_version", "timestamp", "originator_topic", "effective"}
# Recorded text may hold control characters (an ESC sequence recolours or rewrites the
# terminal; a newline or tab breaks the one-line-per-event table): C0, DEL and C1, and the
# bidirectional overrides that reorder what a reader sees. The table shows each escaped.
_CONTROLS = [*range(0x20), *range(0x7F, 0xA0), 0x200E, 0x200F, *range(0x202A, 0x202F)]
_CONTROLS += [*range(0x2066, 0x206A)]
ESCAPED = {code: ascii(chr(code))[1:-1] for code in _CONTROLS}


def printable(text: str) -> str:
    """Text for a terminal: control characters written as escapes (\\x1b, \\n, \\u202e)."""
    return text.translate(ESCAPED)


def trail(
    app: LedgerApplication, after: int = 0, body: str | None = None, type_: str | None = None
) -> Iterator[dict[str, Any]]:
    """Every stored event after `after`, decoded, with its body, record, key and data."""
    recorder = app.recorder
    assert isinstance(recorder, ChainedRecorder)
    bodies: dict[UUID, tuple[str, str, str]] = {}
    start = 1
    while True:
        page = recorder.select_chained(start, PAGE)
        if not page:
            return
        for chained in page:
            event = app.mapper.to_domain_event(
                StoredEvent(
                    originator_id=chained.originator_id,
                    originator_version=chained.originator_version,
                    topic=chained.topic,
                    state=chained.state,
                )
            )
            if isinstance(event, LedgerAggregate.Created):
                owner = str(getattr(event, "body", None) or getattr(event, "slug", ""))
                record = type(event).__qualname__.split(".")[0]
                bodies[chained.originator_id] = (owner, record, record_key(event))
            owner, record, key = bodies.get(chained.originator_id, ("", "", ""))
            name = type(event).__qualname__
            if chained.position <= after:
                continue
            if body is not None and owner != body:
                continue
            if type_ is not None and type_ not in (name, name.split(".")[-1]):
                continue
            yield {
                "position": chained.position,
                "recorded_at": chained.recorded_at.isoformat(),
                "effective": getattr(event, "effective", None),
                "body": owner,
                "record": record,
                "key": key,
                "id": str(chained.originator_id),
                "version": chained.originator_version,
                "type": name,
                "data": {
                    f.name: getattr(event, f.name)
                    for f in fields(cast(Any, event))
                    if f.name not in SKIP
                },
                "hash": chained.hash.hex(),
            }
        start = page[-1].position + 1


def record_key(created: LedgerAggregate.Created) -> str:
    """A record's natural key within its body, from the event that created it: the fields
    its kind's `id_for` takes (the body aside), joined by '/' ("audit-fgk/2015")."""
    names = _key_names(type(created).__qualname__.split(".")[0], type(created).__module__)
    return "/".join(str(getattr(created, name, "")) for name in names)


@cache
def _key_names(record: str, module: str) -> tuple[str, ...]:
    kind = getattr(importlib.import_module(module), record, None)
    id_for = getattr(kind, "id_for", None)
    if id_for is None:
        return ()
    return tuple(name for name in inspect.signature(id_for).parameters if name != "body")


#: The table's columns: position, recorded (UTC), effective, body, key, type, version, data.
HEADER = (
    f"{'POS':>7}  {'RECORDED (UTC)':<19}  {'EFFECTIVE':<10}  {'BODY':<18} {'KEY':<24} "
    f"{'TYPE':<40} {'VER':<4} DATA"
)


def table_line(entry: dict[str, Any]) -> str:
    """One event as a line of the table (control characters escaped)."""
    data = printable(", ".join(f"{k}={v}" for k, v in entry["data"].items()))
    body = printable(entry["body"])
    key = printable(entry["key"])
    effective = str(entry["effective"] or "")
    return (
        f"{entry['position']:>7}  {entry['recorded_at'][:19]}  {effective:<10}  "
        f"{body:<18} {key:<24} {entry['type']:<40} v{entry['version']:<3} {data[:90]}"
    )


def run_log(args: argparse.Namespace) -> int:
    """`ledger log`: the trail as a table or JSON Lines; an unknown --type is refused."""
    if args.type is not None:
        problem = check_event_type(args.type)
        if problem is not None:
            raise UsageError(f"--type: {problem}")
    with closing(ledger_application()) as app:
        headed = False
        for entry in trail(app, args.after, args.body, args.type):
            if args.format == "json":
                print(json.dumps(entry, default=str, ensure_ascii=False))
                continue
            if not headed:
                # Before the first line only: an empty trail prints nothing, as before.
                print(HEADER)
                headed = True
            print(table_line(entry))
    return 0


def register(commands: Any) -> None:
    """Adds `log`."""
    p = commands.add_parser("log", help="the audit trail: stored events in position order")
    p.add_argument("--body", help="only events of this body")
    p.add_argument(
        "--type",
        metavar="TYPE",
        help="only events of this type, e.g. VoteRecorded or Resolution.VoteRecorded "
        "(an unknown type is refused, naming the known ones)",
    )
    p.add_argument("--after", type=int, default=0, help="only events after this position")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(handler=run_log)
