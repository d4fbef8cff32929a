"""`ledger serve` end to end: uvicorn on a free port, the projector following inside it (SQLite)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import BODY, record

from ledger.cli.record import demo_text, load_commands

pytestmark = pytest.mark.slow

WAIT = 60.0  # seconds a server gets to come up or to project; never reached when it works


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(url: str, log: Path, *args: str) -> Iterator[str]:
    """Runs `ledger serve` on `url` until the block ends; yields its base URL."""
    port = free_port()
    env = {**os.environ, "LEDGER_DATABASE_URL": url}
    env.pop("LEDGER_SERVE_PROJECT", None)
    command = [
        sys.executable,
        "-c",
        "from ledger.cli import main; raise SystemExit(main())",
        "serve",
        "--port",
        str(port),
        "--log-level",
        "info",
        *args,
    ]
    with log.open("ab") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_for(probe: Callable[[], Any], what: str) -> Any:
    """Polls `probe` until it returns a true value (connection errors count as not yet)."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            value = probe()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.1)


def position_reached(base: str, position: int) -> Callable[[], dict[str, Any] | None]:
    """A probe: /readyz once the projector has reached `position`."""

    def probe() -> dict[str, Any] | None:
        ready: dict[str, Any] = httpx.get(f"{base}/readyz", timeout=5).json()
        return ready if ready["position"] >= position else None

    return probe


def workshop(day: str) -> list[dict[str, Any]]:
    """One more event for an existing record (the 2018 process)."""
    return [
        {
            "record": "workshop",
            "body": BODY,
            "process": "audit-fgk/2018",
            "kind": "strategy",
            "effective": day,
        }
    ]


def test_serve_projects_the_demo_and_follows_new_events_across_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record(url, load_commands(demo_text(), "demo"))
    log = tmp_path / "serve.log"
    with serving(url, log) as base:
        ready = wait_for(position_reached(base, 41), "the demo to be projected")
        assert (ready["lag"], ready["projector"]) == (0, "following")
        response = httpx.get(f"{base}/v1/bodies/{BODY}/certification?as_of=2016-01-01")
        assert response.json()["status"] == "certified"
        assert response.headers["X-Ledger-Position"] == "41"
        record(url, workshop("2018-09-01"))
        wait_for(position_reached(base, 42), "the new event to be projected")
    record(url, workshop("2018-10-01"))
    with serving(url, log) as base:
        wait_for(position_reached(base, 43), "the event recorded while stopped")
        process = httpx.get(f"{base}/v1/bodies/{BODY}/processes/audit-fgk/2018").json()
        assert [w["held_on"] for w in process["workshops"]] == ["2018-09-01", "2018-10-01"]


def test_with_several_workers_one_process_projects(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record(url, load_commands(demo_text(), "demo"))
    log = tmp_path / "serve.log"
    with serving(url, log, "--workers", "2") as base:
        wait_for(position_reached(base, 41), "the demo to be projected")
        record(url, workshop("2018-09-01"))
        wait_for(position_reached(base, 42), "the new event to be projected")
        wait_for(lambda: log.read_text().count("Application startup complete") == 2, "2 workers")
        # Counted before stopping: while both shut down, the process that did not project
        # may take the lock the other has just released.
        assert log.read_text().count("projector following in process") == 1


def test_serve_refuses_a_bad_token_configuration_before_starting(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "LEDGER_READ_TOKEN_HASHES": "not-a-digest",
    }
    done = subprocess.run(
        [sys.executable, "-c", "from ledger.cli import main; raise SystemExit(main())", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "LEDGER_READ_TOKEN_HASHES" in done.stderr
