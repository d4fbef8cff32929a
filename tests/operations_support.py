"""Test helpers for metrics, logs and the offline docs: routes of an app, `ledger serve`.

`serving(...)` runs a real `ledger serve`, so that these tests run the server's code
(workers, logging, metrics files).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from prometheus_client.parser import text_string_to_metric_families


def endpoints(app: FastAPI) -> set[Any]:
    """The endpoints of every route of `app`, those of included routers too."""
    return {getattr(c.original_route, "endpoint", None) for c in iter_route_contexts(app.routes)}


def serve_env(tmp_path: Path, url: str, **more: str) -> dict[str, str]:
    """The environment of a `ledger serve` on `url` (`tmp_path` kept for the callers)."""
    del tmp_path
    env = {**os.environ, "LEDGER_DATABASE_URL": url, **more}
    env.pop("LEDGER_SERVE_PROJECT", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


@contextmanager
def serving(
    env: dict[str, str], port: int, log: Path, *args: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Runs `ledger serve` on `port` (stdout and stderr to `log`) until the block ends."""
    command = [sys.executable, "-c", "from ledger.cli import main; raise SystemExit(main())"]
    command += ["serve", "--host", "127.0.0.1", "--port", str(port), *args]
    with log.open("ab") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield server
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The samples of a Prometheus text exposition: (name, sorted labels) -> value."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float | None:
    """One sample's value (None when the exposition lacks it)."""
    return samples(text).get((name, tuple(sorted(labels.items()))))
