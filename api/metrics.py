"""GET /metrics (Prometheus text format) and the middleware that times and logs each request.

Mount with `app.include_router(metrics.router)` and `metrics.instrument(app)`.

- ``ledger_http_request_duration_seconds{method,route,status}``: a histogram of request
  latency by the matched route's template (`/v1/bodies/{body}/certification`, never the
  filled-in path; `unmatched` for a path no route has), method and status.
- ``ledger_projector_batch_duration_seconds``: the projector's batches, when this server
  projects (`projections.engine.metrics`).
- The ledger's state, read from the database at each scrape (`projections.engine.metrics
  .LedgerCollector`): ``ledger_head_position``, ``ledger_read_model_position``,
  ``ledger_projection_lag_events``, ``ledger_projector_stuck``,
  ``ledger_events_appended_total{record}``, ``ledger_store_up``.

With `ledger serve --workers N` each process answers a scrape: the positions come from the
database (the same in every process), and the histograms from the files every process
writes under PROMETHEUS_MULTIPROC_DIR, which `ledger serve` sets to a directory of its own
(and removes when it stops), so any process answers with all processes' requests.
"""

from __future__ import annotations

import threading
import time
from typing import Final

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest
from prometheus_client.registry import CollectorRegistry
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import logs
from api.routes import health
from projections.engine import metrics as read_side

router = APIRouter(include_in_schema=False)
_setup = threading.Lock()

#: Methods labelled as they are; any other is `other` (a label per made-up method would
#: let clients create series without end).
METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED: Final = "unmatched"
_POSITION: Final = b"x-ledger-position"

REQUEST_SECONDS: Final = Histogram(
    "ledger_http_request_duration_seconds",
    "Seconds from a request's arrival to the end of its response, by route template.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def route_template(scope: Scope) -> str:
    """The template of the route that answered (`/v1/bodies/{body}`), or `unmatched`.

    A route of a router included with a prefix keeps its own path in `scope["route"]`
    (FastAPI 0.165 includes routers without copying their routes): the whole template is
    in FastAPI's record of the route it chose, read here where it exists.
    """
    fastapi = scope.get("fastapi")
    chosen = fastapi.get("effective_route_context") if isinstance(fastapi, dict) else None
    for route in (chosen, scope.get("route")):
        template = getattr(route, "path_format", None)
        if isinstance(template, str) and template:
            return template
    return UNMATCHED


def _position(message: Message) -> int | None:
    for name, value in message.get("headers", ()):
        if name.lower() == _POSITION:
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestObserver:
    """ASGI middleware: times each HTTP request into the latency histogram and writes its
    access log line (`api.logs`), also when the app raises (then status 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Passes the request on, noting the response's status and position."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        seen: dict[str, int | None] = {"status": 500, "position": None}

        async def observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = int(message["status"])
                seen["position"] = _position(message)
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            seconds = time.perf_counter() - started
            method = str(scope.get("method", ""))
            route = route_template(scope)
            status = seen["status"] or 500
            REQUEST_SECONDS.labels(
                method if method in METHODS else "other", route, str(status)
            ).observe(seconds)
            client = scope.get("client")
            logs.access(
                method,
                route,
                str(scope.get("path", "")),
                scope.get("query_string", b"").decode("latin-1"),
                status,
                seconds,
                seen["position"],
                f"{client[0]}:{client[1]}" if client else None,
            )


def instrument(app: FastAPI) -> None:
    """Times and logs every request to `app` (before the app starts)."""
    app.add_middleware(RequestObserver)


def _registry(request: Request) -> CollectorRegistry:
    """The app's registry: this process's (or every worker's) metrics and the ledger's state."""
    app = request.app
    read_model = app.state.read_model
    with _setup:
        # Made again for another read model (the lifespan of a restarted app opens a new one).
        found: tuple[object, CollectorRegistry] | None = getattr(app.state, "metrics", None)
        if found is None or found[0] is not read_model:

            def head() -> int:
                digest = health.ledger_store(app, read_model).head()
                return digest.position if digest is not None else 0

            found = (read_model, read_side.registry(read_side.LedgerCollector(read_model, head)))
            app.state.metrics = found
        return found[1]


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """The metrics in the Prometheus text format."""
    return Response(generate_latest(_registry(request)), media_type=CONTENT_TYPE_LATEST)
