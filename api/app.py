"""The app factory: routes, error handlers, OpenAPI, and a lifespan that opens the read model."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final

from anyio import to_thread
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api import docs, errors, metrics, pages
from api.oparl.router import router as oparl_router
from api.projector import ProjectorThread, lock_path
from api.routes import (
    bodies,
    budget,
    certification,
    events,
    findings,
    health,
    ledger,
    processes,
    reconciliation,
    resolutions,
    transparency,
)
from api.schemas import Message
from api.tokens import ReadTokens
from ledger import settings
from ledger.store import database_url, parse_url
from ledger.store.checkpoints import CheckpointSchedule
from projections import queries
from projections.engine.store import READ_CONNECTIONS
from projections.models.agreement_cache import AgreementCache
from projections.queries import ReadModel

PROJECT_VAR: Final = "LEDGER_SERVE_PROJECT"
#: Sync routes a server process runs at once on SQLite (see `route_threads`).
SQLITE_ROUTE_THREADS: Final = 2
CACHE_VAR: Final = "LEDGER_AGREEMENT_CACHE"
POSITION_HEADER_DOC: Final = {
    "description": "The ledger position the response was computed from.",
    "schema": {"type": "integer"},
}
DESCRIPTION: Final = """\
Read-only access to the ledger: resolutions and votes, budget lines, certification status,
target agreements, findings and the audit trail, for any past date (`as_of`, valid time) as
the ledger knew it at any moment (`known_at`, transaction time).

Anonymous requests see public (öffentlich) resolutions and published findings only; send
`Authorization: Bearer TOKEN` with a read token to see non-public (nichtöffentlich) records.
Every response carries `X-Ledger-Position`, the ledger position it reflects.
"""


def checkpoint_schedule(url: str) -> CheckpointSchedule | None:
    """With LEDGER_SIGNING_KEY_FILE set: what signs checkpoints after the in-process
    projector's catch-ups (every LEDGER_CHECKPOINT_INTERVAL seconds while the tree grows)."""
    log = logging.getLogger("uvicorn.error")
    return CheckpointSchedule.from_env(
        url, log_line=lambda line: log.warning("checkpoints: %s", line)
    )


def _follow(read_model: ReadModel, schedule: CheckpointSchedule | None) -> int:
    """One catch-up of the in-process projector, then a checkpoint if one is due."""
    position = queries.catch_up(read_model)
    if schedule is not None:
        schedule.step()
    return position


def follows_in_process(url: str) -> bool:
    """Whether this server runs the projector: LEDGER_SERVE_PROJECT yes/no, auto = on SQLite."""
    chosen = settings.value(settings.SERVE_PROJECT)
    if chosen is not None:
        return chosen
    return parse_url(url).backend == "sqlite"


def route_threads(read_model: ReadModel, environ: Mapping[str, str] | None = None) -> int:
    """How many sync routes (anyio's thread pool) one server process runs at once:
    LEDGER_SERVE_THREADS, by default chosen by the backend.

    On PostgreSQL a route mostly waits for the server, so as many as the read model's pool
    keeps connections. On SQLite a route's queries are work in this process, under the GIL:
    beyond two at once (one in SQLite's C code while one runs Python) more threads only
    take turns, and the event loop's thread waits its turn with them (bench/PROFILES.md 5.5).
    """
    chosen = settings.value(settings.SERVE_THREADS, environ)
    if chosen is None:
        sqlite = read_model.engine.dialect.name == "sqlite"
        chosen = SQLITE_ROUTE_THREADS if sqlite else READ_CONNECTIONS
    return chosen


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Opens the read model (unless one was given) and, if asked, follows the ledger in-process."""
    owned: ReadModel | None = None
    projector: ProjectorThread | None = None
    schedule: CheckpointSchedule | None = None
    if app.state.read_model is None:
        url = database_url()
        owned = app.state.read_model = ReadModel(url)
        if follows_in_process(url):
            schedule = checkpoint_schedule(url)
            projector = ProjectorThread(
                lambda: _follow(owned, schedule), lock_path(url), reconnect=owned.reconnect, url=url
            )
            projector.start()
            app.state.projector = projector
    to_thread.current_default_thread_limiter().total_tokens = route_threads(app.state.read_model)
    try:
        yield
    finally:
        if projector is not None:
            projector.stop()
            app.state.projector = None
        if schedule is not None:
            schedule.close()
        health.close_store(app)
        if owned is not None:
            owned.close()
            app.state.read_model = None


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            # The read token is optional: anonymous requests are answered (with public records).
            if operation.get("security"):
                operation["security"] = [{}, *operation["security"]]
            for status, answer in operation.get("responses", {}).items():
                if status != "200" and "health" in operation.get("tags", []):
                    continue
                answer.setdefault("headers", {})["X-Ledger-Position"] = POSITION_HEADER_DOC
    app.openapi_schema = schema
    return schema


def agreement_cache(environ: Mapping[str, str] | None = None) -> AgreementCache | None:
    """The worker's agreement cache: LEDGER_AGREEMENT_CACHE entries (default 16; 0: none)."""
    size = settings.value(settings.AGREEMENT_CACHE, environ)
    return AgreementCache(size) if size > 0 else None


def create_app(
    read_model: ReadModel | None = None, tokens: ReadTokens | Iterable[str] | None = None
) -> FastAPI:
    """The API. Without a read model the lifespan opens one on LEDGER_DATABASE_URL (and follows
    the ledger in-process on SQLite); without tokens they come from LEDGER_READ_TOKENS_FILE and
    LEDGER_READ_TOKEN_HASHES (SHA-256 digests)."""
    app = FastAPI(
        title="ledger",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        redirect_slashes=False,
        # /docs and /redoc load their files from the app (api.docs), not from CDNs.
        docs_url=None,
        redoc_url=None,
        responses={
            401: {"model": Message, "description": "A wrong or malformed read token."},
            404: {"model": Message, "description": "No such body, process, line or reference."},
        },
    )
    app.state.read_model = read_model
    app.state.projector = None
    if tokens is None:
        tokens = ReadTokens.from_env()
    app.state.tokens = tokens if isinstance(tokens, ReadTokens) else ReadTokens(tokens)
    # Per process (worker): target agreements' timelines at the read model's position.
    app.state.agreement_cache = agreement_cache()
    errors.install(app)
    for module in (
        bodies,
        certification,
        processes,
        budget,
        reconciliation,
        resolutions,
        findings,
        events,
        ledger,
        transparency,
        health,
        metrics,
        docs,
        pages,
    ):
        app.include_router(module.router)
    app.include_router(oparl_router)
    # The latency histogram by route template and the access log line of every request.
    metrics.instrument(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
