"""`ledger serve --workers N` on Linux: N server processes, each accepting on its own socket.

uvicorn's own workers share one listening socket, and the process that wakes first takes
every connection waiting, so a burst of keep-alive connections can land all on one
process, and one core serves everything. Here each process listens on a socket of its
own, all bound to one port with SO_REUSEPORT, and the kernel hashes each new connection to
one of them, so connections spread over the processes independently of which one is awake.

gunicorn ≥ 23 with `--reuse-port` and uvicorn's worker class does the same (each worker
binds its own socket). It served no faster (`python -m bench.servers`, bench/PROFILES.md),
but it binds beside any server already on the port and splits the connections with it
without a word, and it needs two more dependencies; this supervisor refuses an occupied
port (`check_free`) and is all the process management a read-only API needs.

The parent only supervises. It refuses a port another socket holds, starts the
processes, and starts a new one (on a new socket, after a pause that grows while they
keep dying) when one dies after it started serving. It stops all of them with SIGTERM on
SIGTERM or SIGINT, and stops altogether when one fails before it started (a broken
configuration would fail the same way again). A process dies with its parent.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Final

#: Connections a socket queues before its process accepts them (uvicorn's default).
BACKLOG: Final = 2048
#: Exit code of a server process that never started serving (as uvicorn's STARTUP_FAILURE).
STARTUP_FAILURE: Final = 3
POLL: Final = 0.5
#: Pause before starting a process again; it doubles while processes die right after
#: starting, up to RESTART_PAUSE_MAX.
RESTART_PAUSE: Final = 0.5
RESTART_PAUSE_MAX: Final = 30.0
#: How long a stopping process gets before it is killed.
STOP_SECONDS: Final = 30.0
log = logging.getLogger("ledger.serve")


def supported() -> bool:
    """Whether the kernel spreads connections over sockets sharing a port (Linux)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def _family(host: str) -> socket.AddressFamily:
    """The address family uvicorn binds a host with (IPv6 for an address with a colon)."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def check_free(host: str, port: int) -> int:
    """Refuses a port another socket holds, SO_REUSEPORT or not (a second server would
    silently share it otherwise); returns the port (the one chosen for port 0)."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        chosen: int = probe.getsockname()[1]
        return chosen


def listening_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port that other processes' sockets may share."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def _start(host: str, port: int, options: dict[str, Any]) -> subprocess.Popen[bytes]:
    """A server process on a new listening socket (its copy here is closed: the process
    owns the socket). `-P`: the current directory does not shadow the installed packages."""
    sock = listening_socket(host, port)
    try:
        return subprocess.Popen(
            [sys.executable, "-P", "-m", "api.workers", str(sock.fileno()), json.dumps(options)],
            pass_fds=[sock.fileno()],
        )
    finally:
        sock.close()


def serve(host: str, port: int, workers: int, options: dict[str, Any]) -> int:
    """Runs `workers` server processes on host:port until SIGTERM or SIGINT; the exit code.

    `options` are uvicorn.Config keyword arguments for each process's server. A process
    that dies is started again, after a pause that doubles (up to RESTART_PAUSE_MAX) while
    processes keep dying within RESTART_PAUSE_MAX of their start.
    """
    stopping: list[int] = []

    def stop(signum: int, _frame: Any) -> None:
        stopping.append(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    processes: list[subprocess.Popen[bytes]] = []
    failed = False
    try:
        port = check_free(host, port)
        started: list[float] = []
        for _ in range(workers):
            processes.append(_start(host, port, options))
            started.append(time.monotonic())
        pause = RESTART_PAUSE
        while not stopping:
            time.sleep(POLL)
            for i, process in enumerate(processes):
                code = process.poll()
                if code is None or stopping:
                    continue
                if code == STARTUP_FAILURE:
                    failed = True
                    stopping.append(signal.SIGTERM)
                    break
                quick = time.monotonic() - started[i] < RESTART_PAUSE_MAX
                pause = min(pause * 2, RESTART_PAUSE_MAX) if quick else RESTART_PAUSE
                log.warning(
                    "server process %d exited (%d); starting another in %.1f s",
                    process.pid,
                    code,
                    pause,
                )
                deadline = time.monotonic() + pause
                while not stopping and time.monotonic() < deadline:
                    time.sleep(min(POLL, pause))
                if stopping:
                    break
                processes[i] = _start(host, port, options)
                started[i] = time.monotonic()
    finally:
        # SIGTERM to every process: a terminal's Ctrl-C already sent them SIGINT, and a
        # second SIGINT makes uvicorn quit without its shutdown.
        _stop_all(processes)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 1 if failed else 0


def _stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _die_with_parent() -> None:
    """Asks Linux to send this process SIGTERM when its parent (the supervisor) dies."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _run_one(fd: int, options: dict[str, Any]) -> int:
    """One server process: uvicorn on the listening socket it was handed."""
    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent:  # the supervisor died before the request took effect
        return 0
    import uvicorn

    from ledger import logs

    # As uvicorn will configure it (so that a failure to start is logged the same way).
    if isinstance(options.get("log_config"), dict):
        logging.config.dictConfig(options["log_config"])
    else:
        logs.configure("ledger serve")

    sock = socket.socket(fileno=fd)
    server = uvicorn.Server(uvicorn.Config(**options))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn raises the SIGINT again once it has shut down
        return 0
    except (Exception, SystemExit) as exc:  # uvicorn exits when the app does not load
        if server.started:
            raise
        log.error("the server did not start: %r", exc)
    return 0 if server.started else STARTUP_FAILURE


if __name__ == "__main__":
    raise SystemExit(_run_one(int(sys.argv[1]), json.loads(sys.argv[2])))
