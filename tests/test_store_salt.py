"""The per-event salt: 128 hidden random bits in every new event's hashed bytes.

Without it, an event whose only unknown is a redacted value could be recovered from the
chain hash the anonymous audit trail serves (issue 21, finding 3).
"""

from __future__ import annotations

import base64
import io
import json
import re
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from api_support import PRIVATE_COMMANDS, api_client, bearer, record_demo
from eventsourcing.compressor import ZlibCompressor
from eventsourcing.persistence import EventStore, Mapper
from storage import backend_url, demo_ledger

import ledger.store.salt as salt_module
from ledger.application import LedgerApplication, LedgerEventStore
from ledger.cli import main
from ledger.cli.log import trail
from ledger.cli.record import demo_text, load_commands
from ledger.commands.handlers import load_handlers
from ledger.domain.base import LedgerAggregate
from ledger.store import (
    ChainedRecorder,
    application_env,
    export,
    import_events,
    link_hash,
    open_recorder,
    verify,
)
from ledger.store.salt import SALT_BYTES, SALT_KEY

EXAMPLES = Path(__file__).parent.parent / "examples" / "treasury"
BODY = "kyffhaeuserkreis"
PAYMENT = (
    "- {record: payment, body: kyffhaeuserkreis, year: 2018, line: 01.4953.7187, "
    'amount: "12.00", reference: SALT-1, effective: 2018-09-01}\n'
)


def states(recorder: ChainedRecorder) -> list[dict[str, Any]]:
    """The decoded JSON state of every stored event, in position order."""
    return [json.loads(e.state) for e in recorder.select_chained(1, 10**6)]


def salt_bytes(state: dict[str, Any]) -> bytes:
    """The salt of a stored state as raw bytes (fails when it has none or a malformed one)."""
    text = state.get(SALT_KEY)
    assert isinstance(text, str), f"no salt in {state}"
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", text), text
    return base64.urlsafe_b64decode(text + "==")


class UnsaltedLedger(LedgerApplication):
    """The ledger as it wrote events before salting: eventsourcing's own mapper."""

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(transcoder=self.construct_transcoder())


def test_every_event_of_record_demo_and_the_importers_carries_a_distinct_salt(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", store_url)
    payment = tmp_path / "payment.yaml"
    payment.write_text(PAYMENT, encoding="utf-8")
    assert main(["demo"]) == 0
    assert main(["record", str(payment)]) == 0
    budget = ["--body", BODY, "--year", "2019"]
    assert main(["import", "budget", str(EXAMPLES / "budget-2019-utf8.csv"), *budget]) == 0
    bookings = EXAMPLES / "bookings-2018-01.4953.7187.csv"
    assert main(["import", "bookings", str(bookings), "--body", BODY, "--year", "2018"]) == 0
    with closing(open_recorder(store_url)) as recorder:
        found = states(recorder)
        assert verify(recorder).ok
    salts = [salt_bytes(state) for state in found]
    assert len(found) > 50
    assert all(len(s) == SALT_BYTES for s in salts)
    assert len(set(salts)) == len(salts)


def test_without_the_salt_no_stored_byte_reproduces_the_chain_hash(tmp_path: Path) -> None:
    # The attacker's best case: every byte of the event known but the salt.
    for app in demo_ledger(f"sqlite:///{tmp_path / 'ledger.db'}"):
        recorder = app.recorder
        assert isinstance(recorder, ChainedRecorder)
        events = recorder.select_chained(1, 10**6)
        previous = bytes(32)
        for event in events:
            state = json.loads(event.state)
            state.pop(SALT_KEY, None)
            guess = json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode()
            assert event.expected_hash(previous) == event.hash
            assert (
                link_hash(
                    previous,
                    event.position,
                    event.recorded_at_text,
                    event.originator_id.hex,
                    event.originator_version,
                    event.topic,
                    guess,
                )
                != event.hash
            )
            previous = event.hash


def test_the_same_command_at_the_same_moment_in_two_stores_hashes_differently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both clocks frozen: only the salt can tell the two stores' events apart.
    moment = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    monkeypatch.setattr("eventsourcing.domain.datetime_now_with_tzinfo", lambda: moment)
    monkeypatch.setattr(
        "ledger.store.sqlite.now_recorded_at", lambda: "2024-05-06T07:08:09.123500Z"
    )
    body = {
        "record": "body",
        "body": "musterstadt",
        "name": "Musterstadt",
        "land": "Hessen",
        "effective": "2020-01-01",
    }
    heads = []
    for name in ("a.db", "b.db"):
        app = LedgerApplication(env=application_env(f"sqlite:///{tmp_path / name}"))
        try:
            assert app.record([body]) == [1]
            recorder = app.recorder
            assert isinstance(recorder, ChainedRecorder)
            heads.extend(recorder.select_chained(1, 1))
        finally:
            app.close()
    first, second = heads
    assert (first.recorded_at, first.topic) == (second.recorded_at, second.topic)
    assert first.hash != second.hash


def test_the_audit_trail_and_ledger_log_never_show_a_salt(
    store_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record_demo(store_url, private=True)
    with closing(open_recorder(store_url)) as recorder:
        salts = [state[SALT_KEY] for state in states(recorder)]
    assert len(salts) == 41 + len(PRIVATE_COMMANDS)
    with api_client(store_url) as client:
        anonymous = client.get("/v1/events", params={"limit": 1000})
        with_token = client.get("/v1/events", params={"limit": 1000}, headers=bearer())
    assert anonymous.status_code == 200 and with_token.status_code == 200
    assert len(with_token.json()["events"]) == len(salts)
    monkeypatch.setenv("LEDGER_DATABASE_URL", store_url)
    capsys.readouterr()
    assert main(["log", "--format", "json"]) == 0
    assert main(["log"]) == 0
    log = capsys.readouterr().out
    assert log.count("\n") == 2 * len(salts) + 1  # the table's header line
    for output in (anonymous.text, with_token.text, log):
        assert SALT_KEY not in output
        assert not [s for s in salts if s in output]


def test_decoded_events_have_no_salt_attribute(tmp_path: Path) -> None:
    for app in demo_ledger(f"sqlite:///{tmp_path / 'ledger.db'}"):
        recorder = app.recorder
        assert isinstance(recorder, ChainedRecorder)
        for notification in recorder.select_notifications(1, 1000):
            assert SALT_KEY in json.loads(notification.state)
            assert not hasattr(app.mapper.to_domain_event(notification), SALT_KEY)


def test_the_salted_mapper_stores_what_eventsourcings_mapper_stores_with_the_salt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SaltedMapper repeats the steps of eventsourcing's `to_stored_event`: for the same
    event with the salt added, the same topic, id, version and state bytes (key order too),
    also for an event class with a `class_version` and with compression."""

    class Versioned(LedgerAggregate.Retracted):
        class_version = 2

    monkeypatch.setattr(salt_module, "new_salt", lambda: "A" * 22)
    for ledger in demo_ledger(f"sqlite:///{tmp_path / 'ledger.db'}"):
        transcoder = ledger.construct_transcoder()
        notifications = ledger.recorder.select_notifications(1, 50)
        events: list[Any] = [ledger.mapper.to_domain_event(n) for n in notifications]
    first = events[0]
    events.append(
        Versioned(
            originator_id=first.originator_id,
            originator_version=9,
            timestamp=first.timestamp,
            effective=first.effective,
            retracts=1,
            reason="Fehler",
        )
    )
    assert len(events) > 20
    for compressor in (None, ZlibCompressor()):
        salted = salt_module.SaltedMapper(transcoder, compressor=compressor)
        plain = Mapper[UUID](transcoder, compressor=compressor)
        for event in events:
            copy = object.__new__(type(event))
            object.__setattr__(copy, "__dict__", {**vars(event), SALT_KEY: "A" * 22})
            assert salted.to_stored_event(event) == plain.to_stored_event(copy)


def test_the_ledgers_event_store_puts_what_eventsourcings_puts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LedgerEventStore.put builds its recordings without the dataclasses' __init__: the
    same recordings as eventsourcing's EventStore.put, for the same stored events."""

    class Positions:
        """A recorder that stores nothing and gives the next positions."""

        def __init__(self) -> None:
            self.inserted: list[list[Any]] = []

        def insert_events(self, stored_events: list[Any], **kwargs: Any) -> list[int]:
            self.inserted.append(list(stored_events))
            return list(range(40, 40 + len(stored_events)))

    monkeypatch.setattr(salt_module, "new_salt", lambda: "B" * 22)
    for ledger in demo_ledger(f"sqlite:///{tmp_path / 'ledger.db'}"):
        notifications = ledger.recorder.select_notifications(1, 30)
        events = [ledger.mapper.to_domain_event(n) for n in notifications]
        puts = []
        for store_class in (LedgerEventStore, EventStore):
            positions = Positions()
            store = store_class(mapper=ledger.mapper, recorder=positions)  # type: ignore[arg-type]
            puts.append((store.put(events), positions.inserted))
            assert store.put([]) == []
        assert puts[0] == puts[1]
        assert len(puts[0][0]) == len(events) > 20
        assert [r.notification.id for r in puts[0][0]] == list(range(40, 40 + len(events)))


def test_no_event_class_has_a_field_named_like_the_salt() -> None:
    load_handlers()
    pending: list[type] = [LedgerAggregate.Event]
    seen: set[type] = set()
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        pending.extend(cls.__subclasses__())
        assert SALT_KEY not in getattr(cls, "__dataclass_fields__", {}), cls
    assert len(seen) > 30


def test_export_import_round_trip_keeps_old_unsalted_and_new_salted_events(
    store_url: str, tmp_path: Path
) -> None:
    demo = load_commands(demo_text(), "demo")
    for ledger, commands in ((UnsaltedLedger, demo), (LedgerApplication, PRIVATE_COMMANDS)):
        app = ledger(env=application_env(store_url))
        try:
            assert app.record(commands)
        finally:
            app.close()
    out = io.StringIO()
    with closing(open_recorder(store_url)) as recorder:
        assert verify(recorder).ok
        first = states(recorder)
        export(recorder, out)
        head = recorder.head()
    assert not [state for state in first[:41] if SALT_KEY in state]
    assert all(SALT_KEY in state for state in first[41:])
    with backend_url("sqlite", tmp_path, "copy.db") as copy_url:
        with closing(open_recorder(copy_url)) as copy:
            result = import_events(copy, io.StringIO(out.getvalue()))
            assert (result.appended, result.head) == (len(first), head)
            assert states(copy) == first
            again = import_events(copy, io.StringIO(out.getvalue()))
            assert (again.appended, again.skipped) == (0, len(first))
            assert verify(copy).ok
        # The imported ledger keeps recording, salted, and reads its old events as before.
        app = LedgerApplication(env=application_env(copy_url))
        try:
            assert len(app.record(load_commands(PAYMENT, "payment.yaml"))) == 1
            written = app.recorder
            assert isinstance(written, ChainedRecorder)
            assert SALT_KEY in states(written)[-1]
            assert verify(written).ok
            assert len(list(trail(app))) == len(first) + 1
        finally:
            app.close()


def help_text(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """What `ledger ARGS --help` prints, whitespace folded (argparse exits 0 after it)."""
    with pytest.raises(SystemExit) as done:
        main([*args, "--help"])
    assert done.value.code == 0
    return " ".join(capsys.readouterr().out.split())


def test_ledger_verify_says_the_hashed_bytes_carry_the_salt(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert "salt of 128 bits" in help_text(["verify"], capsys)
    assert "128-bit salt" in help_text([], capsys)
