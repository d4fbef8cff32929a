"""PostgreSQL writes: large batches never hang, and a stuck write fails with a clear error.

eventsourcing's insert_events sends a batch as one INSERT in psycopg's pipeline mode; with
32,000 events its sync() could stop sending part of the statement and wait for an answer
while the server waited for the rest (ClientRead), holding the table lock forever. The
chained recorder writes without pipeline mode, in bounded chunks, with a lock timeout and
a statement timeout.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING
from uuid import uuid4

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from psycopg.sql import SQL, Identifier
from storage import demo_ledger, postgres_database

from ledger.cli import main
from ledger.store import (
    EVENTS_TABLE,
    StoreTimeoutError,
    open_recorder,
    parse_url,
    verify,
)
from ledger.store.postgres import ChainedPostgresApplicationRecorder

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.storage

#: A hang shows as this test's timeout (a normal run of each test takes seconds).
HANG = 180


def big_batch(count: int) -> list[StoredEvent]:
    """`count` new records' first events, about as large as a budget line's."""
    return [
        StoredEvent(
            originator_id=uuid4(),
            originator_version=1,
            topic="ledger.domain.budget_line:BudgetLine.Planned",
            state=(f'{{"n":{i},"title":"Zeile {i}","pad":"{uuid4().hex * 10}"}}').encode(),
        )
        for i in range(count)
    ]


def connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    """A connection of our own to the store (another client, as far as the ledger knows)."""
    p = parse_url(url)
    return psycopg.connect(
        host=p.host, port=p.port, user=p.user, password=p.password, dbname=p.dbname
    )


@pytest.mark.timeout(HANG)
def test_batches_of_32000_events_are_written_one_after_another() -> None:
    with postgres_database() as url:
        recorder = open_recorder(url)
        try:
            total = 0
            for _ in range(3):
                events = big_batch(32_000)
                positions = list(recorder.insert_events(events) or [])
                assert len(positions) == len(events)
                assert positions == sorted(positions)
                assert positions[0] > total
                total = positions[-1]
            report = verify(recorder)
        finally:
            recorder.close()
        assert report.ok
        assert report.checked == 96_000


@pytest.mark.timeout(HANG)
def test_a_batch_larger_than_a_chunk_is_written_all_or_nothing() -> None:
    with postgres_database() as url:
        recorder = open_recorder(url)
        try:
            recorder.insert_events(big_batch(1))
            events = big_batch(12_000)
            # The last event repeats one already stored: the whole batch is refused.
            stored = recorder.select_chained(1, 1)[0]
            events.append(StoredEvent(stored.originator_id, 1, stored.topic, stored.state))
            with pytest.raises(IntegrityError):
                recorder.insert_events(events)
            assert recorder.max_notification_id() == 1
            assert verify(recorder).checked == 1
        finally:
            recorder.close()


@pytest.mark.timeout(HANG)
def test_rows_inserted_out_of_batch_order_get_their_own_positions() -> None:
    # The server may insert (and so number) a batch's rows in another order than given:
    # each event is matched to its own row, and the chain links them in position order.
    with postgres_database() as url:
        recorder = open_recorder(url)
        assert isinstance(recorder, ChainedPostgresApplicationRecorder)
        recorder.insert_events_statement = SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%s::{schema}.{type}[]) AS u ORDER BY u.state DESC "
            "RETURNING notification_id, replace(originator_id::text, '-', '') AS oid, "
            "originator_version"
        ).format(
            schema=Identifier(recorder.datastore.schema),
            table=Identifier(recorder.events_table_name),
            type=Identifier(recorder.stored_event_type_name),
        )
        try:
            events = big_batch(7_000)  # two chunks
            positions = list(recorder.insert_events(events) or [])
            stored = {e.position: e for e in recorder.select_chained(1, len(events))}
            report = verify(recorder)
        finally:
            recorder.close()
    assert positions != sorted(positions)
    assert [(stored[p].originator_id, stored[p].state) for p in positions] == [
        (e.originator_id, e.state) for e in events
    ]
    assert report.ok
    assert report.checked == len(events)


def budget_csv(path: Path, rows: int) -> Path:
    """A Haushaltsplan export of `rows` lines (the shape the acceptance check imports)."""
    rng = random.Random(7)
    lines = ["HH-Stelle;Bezeichnung;Art;Ansatz"]
    for i in range(rows):
        code = f"{i // 10000:02d}.{i % 10000:04d}.{rng.randint(1000, 9999):04d}"
        amount = f"{rng.randint(1, 10**7)},{rng.randint(0, 99):02d}"
        lines.append(f"{code};Zeile {i};Ausgabe;{amount}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_importing_16000_budget_rows_onto_the_demo_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = budget_csv(tmp_path / "budget.csv", 16_000)
    args = ["import", "budget", str(source), "--body", "kyffhaeuserkreis", "--year", "2019"]
    with postgres_database() as url:
        for _ in demo_ledger(url):
            pass
        monkeypatch.setenv("LEDGER_DATABASE_URL", url)
        assert main(args) == 0, capsys.readouterr().err
        recorder = open_recorder(url)
        try:
            report = verify(recorder)
        finally:
            recorder.close()
        assert report.ok
        assert report.checked >= 32_000


@pytest.mark.timeout(HANG)
def test_a_write_waiting_for_the_lock_gives_up_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    commands = tmp_path / "line.yaml"
    commands.write_text(
        "- {record: budget-line, body: kyffhaeuserkreis, year: 2020, line: '01.0001.0000', "
        "title: 'Zeile', effective: 2020-01-01}\n",
        encoding="utf-8",
    )
    with postgres_database() as url:
        for _ in demo_ledger(url):
            pass
        monkeypatch.setenv("LEDGER_DATABASE_URL", url)
        monkeypatch.setenv("LEDGER_PG_LOCK_TIMEOUT", "0.5")
        with connect(url) as holder:
            holder.execute(f"LOCK TABLE {EVENTS_TABLE} IN EXCLUSIVE MODE")  # until rollback
            code = main(["record", str(commands)])
            err = capsys.readouterr().err
            # Readers do not wait for the lock: verify answers while it is held.
            assert main(["verify"]) == 0
            holder.rollback()
        assert code == 2
        assert err.count("\n") == 1
        assert "Traceback" not in err
        assert "ledger record: error:" in err
        assert "0.5 s for the lock" in err
        assert "LEDGER_PG_LOCK_TIMEOUT" in err
        recorder = open_recorder(url)
        try:
            assert verify(recorder).checked == 41  # the demo only: nothing was appended
        finally:
            recorder.close()


@pytest.mark.timeout(HANG)
def test_a_statement_running_too_long_is_cancelled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_PG_STATEMENT_TIMEOUT", "0.001")
    with postgres_database() as url:
        recorder = open_recorder(url)
        try:
            with pytest.raises(StoreTimeoutError, match="LEDGER_PG_STATEMENT_TIMEOUT") as caught:
                recorder.insert_events(big_batch(20_000))
            assert caught.value.kind == "statement timeout"
            assert recorder.max_notification_id() is None
        finally:
            recorder.close()


def test_an_import_waiting_for_the_lock_gives_up_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_PG_LOCK_TIMEOUT", "0.5")
    with postgres_database() as url:
        recorder = open_recorder(url)
        try:
            with connect(url) as holder:
                holder.execute(f"LOCK TABLE {EVENTS_TABLE} IN EXCLUSIVE MODE")
                with (
                    pytest.raises(StoreTimeoutError, match="LEDGER_PG_LOCK_TIMEOUT"),
                    recorder.chain_writer() as writer,
                ):
                    writer.append(big_batch(1))
                holder.rollback()
            assert recorder.max_notification_id() is None
        finally:
            recorder.close()


@pytest.mark.parametrize("value", ["0", "-1", "soon", "１", "nan", "inf", "100000"])
def test_a_bad_timeout_setting_is_refused_naming_it(
    value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/x")
    monkeypatch.setenv("LEDGER_PG_STATEMENT_TIMEOUT", value)
    assert main(["head"]) == 2
    err = capsys.readouterr().err
    assert "LEDGER_PG_STATEMENT_TIMEOUT" in err
    assert err.count("\n") == 1
