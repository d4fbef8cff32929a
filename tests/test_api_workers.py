"""`ledger serve --workers 2` (Linux): each server process accepts on a socket of its own,
so connections opened at once spread over the processes; a process that dies is replaced,
and stopping the server stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from api_support import record
from test_api_serve import free_port, position_reached, serving, wait_for

from api import workers
from ledger.cli.record import demo_text, load_commands

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not workers.supported(), reason="SO_REUSEPORT spreading is Linux's"),
]


@contextmanager
def _two_workers(log: Path) -> Iterator[tuple[str, int]]:
    """`ledger serve --workers 2` on the demo, once projected: (base URL, port)."""
    url = f"sqlite:///{log.parent / 'ledger.db'}"
    record(url, load_commands(demo_text(), "demo"))
    with serving(url, log, "--workers", "2") as base:
        wait_for(position_reached(base, 41), "the demo to be projected")
        # One process answering /readyz says nothing of the other, which may still start.
        _wait_serving(log, 2)
        yield base, int(base.rsplit(":", 1)[1])


def _wait_serving(log: Path, started: int) -> None:
    """Waits until `started` server processes in all have started serving (said so in `log`).

    Its socket listens before a process has imported the app (the supervisor binds it), so
    a connection may wait in the backlog for seconds on a loaded machine.
    """
    try:
        wait_for(
            lambda: log.read_text().count("Application startup complete") >= started,
            f"{started} server processes started",
        )
    except pytest.fail.Exception as failed:
        pytest.fail(f"{failed}; the server's log:\n{log.read_text()[-4000:]}")


def _parent(pid: int) -> int | None:
    """The parent of a process (None: it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _children(parent: int) -> list[int]:
    """The pids whose parent is `parent`."""
    pids = (int(e.name) for e in Path("/proc").iterdir() if e.name.isdigit())
    return sorted(pid for pid in pids if _parent(pid) == parent)


def _server_pid(port: int) -> int:
    """The supervising `ledger serve` process: the parent of the processes serving `port`."""
    owners = _connections_per_process(port, listening=True)
    parents = {_parent(pid) for pid in owners}
    assert len(parents) == 1
    (parent,) = parents
    assert parent is not None
    return parent


def _sockets_per_process(port: int, *, listening: bool = False) -> dict[int, set[str]]:
    """Per process, its sockets (inodes) on local `port`: established or listening ones."""
    state = "0A" if listening else "01"
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                    inodes.add(f"socket:[{fields[9]}]")
    owned: dict[int, set[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            links = {os.readlink(fd) for fd in (entry / "fd").iterdir()}
        except OSError:
            continue
        if links & inodes:
            owned[int(entry.name)] = links & inodes
    return owned


def _connections_per_process(port: int, *, listening: bool = False) -> dict[int, int]:
    """Per process, how many sockets on local `port` it holds."""
    return {pid: len(x) for pid, x in _sockets_per_process(port, listening=listening).items()}


def _open(base: str, n: int) -> list[socket.socket]:
    """`n` keep-alive connections, each answered once (so a server process accepted it)."""
    host, port = base.removeprefix("http://").split(":")
    opened = [socket.create_connection((host, int(port)), timeout=10) for _ in range(n)]
    request = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    for conn in opened:
        conn.sendall(request)
    for conn in opened:
        assert conn.recv(4096).startswith(b"HTTP/1.1 200")
    return opened


def test_connections_opened_at_once_spread_over_the_processes(tmp_path: Path) -> None:
    with _two_workers(tmp_path / "serve.log") as (base, port):
        connections = _open(base, 16)
        try:
            per_process = _connections_per_process(port)
            server = _server_pid(port)
            assert sorted(per_process) == _children(server)
            # Each process listens on a socket of its own (uvicorn's workers share one).
            listening = _sockets_per_process(port, listening=True)
            assert sorted(listening) == _children(server)
            assert [len(x) for x in listening.values()] == [1, 1]
            assert len(set.union(*listening.values())) == 2
            # Hashed by the kernel: all 16 on one of two processes has odds of 2 in 65,536
            # (a shared socket put 8 of 8 on one process in 14 of 30 bursts).
            assert len(per_process) == 2, per_process
            assert sum(per_process.values()) == 16
        finally:
            for conn in connections:
                conn.close()


def test_a_process_that_dies_is_replaced_and_stopping_stops_all(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with _two_workers(log) as (base, port):
        server = _server_pid(port)
        first = _children(server)
        assert len(first) == 2
        os.kill(first[0], signal.SIGKILL)
        wait_for(
            lambda: len(set(_connections_per_process(port, listening=True)) - {first[0]}) == 2,
            "a new server process listening",
        )
        _wait_serving(log, 3)
        assert first[1] in _children(server)
        assert all(httpx.get(f"{base}/healthz", timeout=5).status_code == 200 for _ in range(20))
        # One that dies right after starting again: the pause before the next doubles.
        (second,) = set(_children(server)) - set(first)
        os.kill(second, signal.SIGKILL)
        wait_for(
            lambda: len(set(_connections_per_process(port, listening=True)) - {second}) == 2,
            "another server process listening",
        )
        running = _children(server)
    # `serving` stopped the server with SIGINT: no server process is left.
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() for pid in running) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in running if Path(f"/proc/{pid}").exists()]
    text = log.read_text()
    assert f"server process {first[0]} exited (-9); starting another in 1.0 s" in text
    assert f"server process {second} exited (-9); starting another in 2.0 s" in text


def test_sigterm_while_the_processes_start_stops_everything(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}"}
    command = [sys.executable, "-c", "from ledger.cli import main; raise SystemExit(main())"]
    command += ["serve", "--workers", "2", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    # As soon as the first server process exists (they take a second or more to import).
    wait_for(lambda: _children(server.pid), "a server process started")
    server.send_signal(signal.SIGTERM)
    _, err = server.communicate(timeout=60)
    assert server.returncode == 0, err[-500:]
    deadline = time.monotonic() + 30
    while _sockets_per_process(port, listening=True) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _sockets_per_process(port, listening=True) == {}


def test_a_port_another_server_holds_is_refused() -> None:
    with workers.listening_socket("127.0.0.1", 0) as held:  # SO_REUSEPORT, as ours are
        port = held.getsockname()[1]
        with pytest.raises(OSError, match="in use"):
            workers.serve("127.0.0.1", port, 2, {"app": "api.app:create_app", "factory": True})


def test_a_process_that_cannot_start_stops_the_server() -> None:
    # An app that does not load fails the same way in every process: no restarts forever.
    code = (
        "from api import workers; raise SystemExit(workers.serve('127.0.0.1', 0, 2, "
        "{'app': 'no_such_module:app', 'log_level': 'critical'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert done.returncode == 1, done.stderr[-500:]
    assert b"the server did not start" in done.stderr
