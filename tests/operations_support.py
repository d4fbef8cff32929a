"""Test helpers for metrics, logs and the offline docs: an instrumented app, `ledger serve`.

`instrumented(app)` mounts /metrics, the offline /docs and /redoc and the request observer
the way api/app.py is to (and does nothing where it already does). `serving(...)` runs a
real `ledger serve` whose processes do the same (a sitecustomize on PYTHONPATH), so that
these tests run the server's code (workers, logging, metrics files) either way.
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

from api import docs, metrics

HERE = Path(__file__).resolve().parent
_FASTAPI_DOCS = ("/docs", "/redoc", "/docs/oauth2-redirect")


def endpoints(app: FastAPI) -> set[Any]:
    """The endpoints of every route of `app`, those of included routers too."""
    return {getattr(c.original_route, "endpoint", None) for c in iter_route_contexts(app.routes)}


def instrumented(app: FastAPI) -> FastAPI:
    """`app` with /metrics, the offline /docs and /redoc, and the request observer."""
    mounted = endpoints(app)
    if metrics.metrics not in mounted:
        app.include_router(metrics.router)
    if docs.swagger_ui not in mounted:
        # FastAPI's own pages (loading from CDNs) give way, as with docs_url=None.
        app.router.routes[:] = [
            r for r in app.router.routes if getattr(r, "path", None) not in _FASTAPI_DOCS
        ]
        app.include_router(docs.router)
    if not any(m.cls is metrics.RequestObserver for m in app.user_middleware):
        metrics.instrument(app)
    return app


def patch_create_app() -> None:
    """Makes `api.app.create_app` return instrumented apps (in a `ledger serve` process)."""
    import api.app

    original = api.app.create_app

    def create_app(*args: Any, **kwargs: Any) -> FastAPI:
        return instrumented(original(*args, **kwargs))

    api.app.create_app = create_app  # type: ignore[assignment]


SITECUSTOMIZE = f"""\
import sys
sys.path.append({str(HERE)!r})
import operations_support
operations_support.patch_create_app()
"""


def serve_env(tmp_path: Path, url: str, **more: str) -> dict[str, str]:
    """The environment of a `ledger serve` on `url` whose processes mount what
    `instrumented` mounts."""
    shim = tmp_path / "shim"
    shim.mkdir(exist_ok=True)
    (shim / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {**os.environ, "LEDGER_DATABASE_URL": url, **more}
    env.pop("LEDGER_SERVE_PROJECT", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(shim), env.get("PYTHONPATH")) if p)
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
