"""Outliving the database: the projector and the API reconnect after their connections are
cut, say not ready meanwhile, and report an event they cannot project instead of claiming
to be current."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import psycopg
import pytest
from api_support import BODY, api_client, record, record_demo
from fastapi import FastAPI
from storage import postgres_database, raw_sql

from api.projector import ProjectorThread
from ledger.cli import main
from ledger.cli.record import demo_text, load_commands
from ledger.store import ChainedEvent, open_recorder
from projections.engine.projector import EventProjectionError, Follower
from projections.engine.records import Records
from projections.queries import ReadModel
from projections.registry import Projector

WAIT = 60.0  # seconds for a process to come up or catch up; never reached when it works


def workshops(first: int, count: int) -> list[dict[str, Any]]:
    """`count` more events for an existing record of the demo (the 2018 process)."""
    return [
        {
            "record": "workshop",
            "body": BODY,
            "process": "audit-fgk/2018",
            "kind": "strategy",
            "effective": f"2018-09-{day:02d}",
        }
        for day in range(first, first + count)
    ]


def head(url: str) -> int:
    recorder = open_recorder(url)
    try:
        digest = recorder.head()
    finally:
        recorder.close()
    return digest.position if digest is not None else 0


def cut_connections(url: str) -> int:
    """Terminates every other backend of the store's database (as a restart would)."""
    rows = raw_sql(
        url,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    return int(rows[0][0])


def ledger_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from ledger.cli import main; raise SystemExit(main())", *args]


class Lines:
    """A process's output, read line by line in a thread."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        with stream:
            for line in stream:
                self.lines.put(line.rstrip("\n"))

    def close(self) -> None:
        """Waits for the end of the output (the process has ended) and keeps the rest."""
        self._thread.join(timeout=WAIT)
        while not self.lines.empty():
            self.seen.append(self.lines.get())

    def wait_for(self, wanted: Callable[[str], bool], what: str) -> str:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            if wanted(line):
                return line
        pytest.fail(f"gave up waiting for {what}; output: {self.seen[-20:]}")


@contextmanager
def running(
    command: Sequence[str], url: str
) -> Iterator[tuple[subprocess.Popen[str], Lines, Lines]]:
    """Runs a `ledger` command until the block ends; yields it and its stdout and stderr."""
    env = {**os.environ, "LEDGER_DATABASE_URL": url}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stderr is not None
    out, err = Lines(process.stdout), Lines(process.stderr)
    try:
        yield process, out, err
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        out.close()
        err.close()


@pytest.mark.slow
@pytest.mark.storage
def test_project_follow_outlives_cut_connections_and_catches_up() -> None:
    with postgres_database() as url:
        record_demo(url)
        command = ledger_command("project", "--follow", "--interval", "0.2")
        with running(command, url) as (follower, out, err):
            out.wait_for(lambda line: line == "position 41", "the demo to be projected")
            for round_ in range(2):
                assert cut_connections(url) > 0
                time.sleep(0.5)  # the follower tries (and fails) on its cut connections
                record(url, workshops(1 + 3 * round_, 3))
                target = f"position {head(url)}"
                out.wait_for(target.__eq__, f"catching up to {target}")
                assert follower.poll() is None
            err.wait_for(lambda line: "recovered" in line, "the recovery to be logged")
        problems = [line for line in err.seen if "trying again" in line]
        assert problems, err.seen
        assert all(line.startswith("ledger project: ") for line in err.seen), err.seen
        assert not any("Traceback" in line for line in err.seen)


def readyz(base: str) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(f"{base}/readyz", timeout=5).json()
    return document


@pytest.mark.slow
@pytest.mark.storage
def test_serve_outlives_cut_connections_and_catches_up(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    with postgres_database() as url:
        record_demo(url)
        command = ledger_command("serve", "--port", str(port), "--project")
        with running(command, url) as (server, _, log):
            log.wait_for(lambda line: "projector following" in line, "the projector to start")
            wait_until(at_position(base, 41), "the demo to be projected")
            for round_ in range(2):
                assert cut_connections(url) > 0
                time.sleep(0.5)
                record(url, workshops(1 + 3 * round_, 3))
                target = head(url)
                wait_until(at_position(base, target), f"position {target}")
                assert server.poll() is None
                body = httpx.get(f"{base}/v1/bodies/{BODY}/processes/audit-fgk/2018", timeout=5)
                assert body.status_code == 200
        assert not any("Traceback" in line for line in log.seen), log.seen


def at_position(base: str, position: int) -> Callable[[], bool]:
    """A probe: whether /readyz says the read model is at `position`."""
    return lambda: readyz(base).get("position") == position


def wait_until(probe: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"gave up waiting for {what}")


# -- readiness while the in-process projector cannot reach the store -----------------------


def test_readyz_is_not_ready_while_the_projector_cannot_reach_the_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record_demo(url)

    def unreachable() -> int:
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    thread = ProjectorThread(unreachable, tmp_path / "lock", url=url)
    with api_client(url) as client:
        app = client.app
        assert isinstance(app, FastAPI)
        app.state.projector = thread
        assert thread.follower.step() == Follower.FIRST_WAIT
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["reason"] == "store unreachable"
        assert "server closed" not in response.text


# -- an event that cannot be projected ---------------------------------------------------


def fail_at(monkeypatch: pytest.MonkeyPatch, position: int) -> None:
    """Makes folding the event at `position` raise, as an amount too large for the read
    model's columns would."""
    fold = Records.fold

    def failing(
        self: Records,
        conn: Any,
        generation: int,
        start: int,
        last: int,
        chained: Sequence[ChainedEvent],
        decoded: Sequence[Any],
    ) -> Any:
        if any(c.position == position for c in chained):
            raise OverflowError(
                "Python int too large to convert to SQLite INTEGER 9223372036854775808"
            )
        return fold(self, conn, generation, start, last, chained, decoded)

    monkeypatch.setattr(Records, "fold", failing)


def record_demo_only(url: str) -> None:
    """Records the demo case without projecting it."""
    record(url, load_commands(demo_text(), "demo"))


def test_an_event_that_cannot_be_projected_is_named_and_readyz_says_so(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_demo_only(store_url)
    recorder = open_recorder(store_url)
    try:
        positions = [c.position for c in recorder.select_chained(1, 100)]
    finally:
        recorder.close()
    bad = positions[29]
    fail_at(monkeypatch, bad)
    with Projector(store_url, workers=0) as projector:
        with pytest.raises(EventProjectionError) as caught:
            projector.catch_up()
        assert (caught.value.failing, caught.value.position) == (bad, positions[28])
        assert caught.value.error == "OverflowError"
        with api_client(store_url) as client:
            response = client.get("/readyz")
            assert response.status_code == 503
            document = response.json()
            assert document["reason"] == "projection failed"
            assert document["failing_position"] == bad
            assert document["position"] == positions[28]
            assert document["error"] == "OverflowError"
            assert "9223372036854775808" not in response.text  # the value stays in the log
            monkeypatch.undo()
            assert projector.catch_up() == positions[-1]
            ready = client.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["position"] == positions[-1]


def test_ledger_project_names_the_event_it_cannot_project(
    store_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record_demo_only(store_url)
    monkeypatch.setenv("LEDGER_DATABASE_URL", store_url)
    monkeypatch.setenv("LEDGER_PROJECTOR_WORKERS", "0")
    fail_at(monkeypatch, 7)
    assert main(["project"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "the event at position 7 cannot be projected (OverflowError" in err
    assert "the read model stays at position 6" in err
    read_model = ReadModel(store_url)
    try:
        assert read_model.position() == 6
        failure = read_model.projector_failure()
    finally:
        read_model.close()
    assert failure is not None
    assert (failure.failing, failure.position, failure.error) == (7, 6, "OverflowError")


def test_the_follower_reports_a_failing_event_once_and_backs_off() -> None:
    logged: list[str] = []
    stuck = EventProjectionError(29, 30, "OverflowError", "OverflowError: too large")
    outcomes: list[Exception | int] = [stuck, stuck, stuck, stuck, stuck, stuck, stuck, 41]

    def catch_up() -> int:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    follower = Follower(catch_up, logged.append)
    waits = [follower.step() for _ in range(8)]
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, None]
    assert len(logged) == 2
    assert "the event at position 30 cannot be projected" in logged[0]
    assert logged[1].startswith("recovered")
    assert follower.result == 41
    assert follower.failure is None


def test_the_follower_logs_each_failure_to_reach_the_store_and_reconnects() -> None:
    logged: list[str] = []
    reconnected: list[bool] = []
    outcomes: list[Exception | int] = [psycopg.OperationalError("the server is restarting")] * 3
    outcomes.append(42)

    def catch_up() -> int:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    follower = Follower(
        catch_up,
        logged.append,
        reconnect=lambda: reconnected.append(True),
        url="postgresql://u:secret@db:5432/ledger",
    )
    assert follower.step() == 0.5
    assert follower.unreachable
    assert [follower.step() for _ in range(3)] == [1.0, 2.0, None]
    assert len(logged) == 4 and len(reconnected) == 3
    assert all("cannot reach the store postgresql://u:***@db:5432/ledger" in x for x in logged[:3])
    assert not any("secret" in line for line in logged)
    assert not follower.unreachable


def test_a_rebuild_that_gets_past_the_failing_event_clears_it(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_demo_only(store_url)
    fail_at(monkeypatch, 7)
    with Projector(store_url, workers=0) as projector:
        with pytest.raises(EventProjectionError):
            projector.catch_up()
        monkeypatch.undo()  # the fix, say, of the read model's code
        generation, position = projector.rebuild()
    read_model = ReadModel(store_url)
    try:
        assert (read_model.generation(), read_model.position()) == (generation, position)
        assert read_model.projector_failure() is None
    finally:
        read_model.close()
