"""`ledger serve --workers N` on Linux: N server processes, each accepting on its own socket.

uvicorn's own workers share one listening socket, and the process that wakes first takes
every connection waiting. Eight keep-alive connections opened at once then land 8/0, 7/1,
5/3 or 4/4 on two workers, and with 8/0 one core serves everything (bench/PROFILES.md).
Here each process listens on a socket of its own, all bound to one port with SO_REUSEPORT,
and the kernel hashes each new connection to one of them, so connections spread over the
processes independently of which one is awake.

The parent only supervises. It starts the processes, and starts a new one (on a new
socket) when one dies after it started serving. It stops all of them on SIGTERM or
SIGINT, and stops altogether when one fails before it started (a broken configuration
would fail the same way again).
"""

from __future__ import annotations

import json
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
#: How long a stopping process gets before it is killed.
STOP_SECONDS: Final = 30.0


def supported() -> bool:
    """Whether the kernel spreads connections over sockets sharing a port (Linux)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port that other processes' sockets may share."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def _start(sock: socket.socket, options: dict[str, Any]) -> subprocess.Popen[bytes]:
    """A server process on `sock` (its copy here is closed: the process owns the socket)."""
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "api.workers", str(sock.fileno()), json.dumps(options)],
            pass_fds=[sock.fileno()],
        )
    finally:
        sock.close()


def serve(host: str, port: int, workers: int, options: dict[str, Any]) -> int:
    """Runs `workers` server processes on host:port until SIGTERM or SIGINT; the exit code.

    `options` are uvicorn.Config keyword arguments for each process's server.
    """
    first = listening_socket(host, port)
    port = first.getsockname()[1]  # the port chosen, when asked for port 0
    sockets = [first] + [listening_socket(host, port) for _ in range(workers - 1)]
    processes = [_start(sock, options) for sock in sockets]
    stopping: list[int] = []

    def stop(signum: int, _frame: Any) -> None:
        stopping.append(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    failed = False
    try:
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
                print(
                    f"ledger serve: server process {process.pid} exited ({code}); starting another",
                    file=sys.stderr,
                    flush=True,
                )
                processes[i] = _start(listening_socket(host, port), options)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_all(processes, stopping[0] if stopping else signal.SIGTERM)
    return 1 if failed else 0


def _stop_all(processes: list[subprocess.Popen[bytes]], signum: int) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signum)
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _run_one(fd: int, options: dict[str, Any]) -> int:
    """One server process: uvicorn on the listening socket it was handed."""
    import uvicorn

    sock = socket.socket(fileno=fd)
    server = uvicorn.Server(uvicorn.Config(**options))
    try:
        server.run(sockets=[sock])
    except (Exception, SystemExit) as exc:  # uvicorn exits when the app does not load
        if server.started:
            raise
        print(f"ledger serve: the server did not start: {exc!r}", file=sys.stderr, flush=True)
    return 0 if server.started else STARTUP_FAILURE


if __name__ == "__main__":
    raise SystemExit(_run_one(int(sys.argv[1]), json.loads(sys.argv[2])))
