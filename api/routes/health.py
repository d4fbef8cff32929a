"""/healthz and /readyz: liveness of the process, readiness of the store and the projector.

/readyz answers 503 (not ready) while the store cannot be reached, while this server's
projector cannot reach it, and while a projector (this server's or `ledger project
--follow` elsewhere, through the read model's `rm_failure`) cannot project an event: then
the read model would answer from an old position. The reason names the failing position
and the kind of error, never the error's text (it may quote a non-public value); the
projector's log has the whole line.
"""

from __future__ import annotations

import threading
from contextlib import suppress
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import ReadModelDep
from api.routes import POSITION_HEADER
from api.schemas import Health, Readiness
from ledger.store import ChainedRecorder, open_recorder, store_failure
from projections.queries import ReadModel

router = APIRouter(tags=["health"])
_opening = threading.Lock()


class NotReady(BaseModel):
    """Why the server is not ready: the store cannot be reached, or an event cannot be
    projected (then where the read model stays and which event fails)."""

    status: str = Field(description="`not ready`.")
    detail: str = Field(description="What is wrong, in a sentence.")
    reason: str = Field(description="`store unreachable` or `projection failed`.")
    position: int | None = Field(
        default=None, description="The read model's position (it stays there)."
    )
    failing_position: int | None = Field(
        default=None, description="The position of the event that cannot be projected."
    )
    error: str | None = Field(default=None, description="The kind of error (its type).")


def ledger_store(app: FastAPI, read_model: ReadModel) -> ChainedRecorder:
    """The event store's recorder (opened once per app, on the read model's database)."""
    with _opening:
        store: ChainedRecorder | None = getattr(app.state, "store", None)
        if store is None:
            store = app.state.store = open_recorder(read_model.url)
        return store


def close_store(app: FastAPI) -> None:
    """Closes the recorder opened for /readyz, if any."""
    with _opening:
        store: ChainedRecorder | None = getattr(app.state, "store", None)
        app.state.store = None
    if store is not None:
        store.close()


def _not_ready(detail: str, reason: str, **more: Any) -> JSONResponse:
    body = {"status": "not ready", "detail": detail, "reason": reason, **more}
    return JSONResponse(body, status_code=503)


def _unreachable(app: FastAPI, exc: Exception | None) -> JSONResponse:
    """503 for a store that does not answer; drops the readiness recorder's broken
    connections so that the next probe tries new ones."""
    with _opening:
        store: ChainedRecorder | None = getattr(app.state, "store", None)
    if store is not None:
        with suppress(Exception):
            store.reconnect()
    failure = store_failure(exc) if exc is not None else None
    kind = failure.kind if failure is not None else "unreachable"
    what = "not reachable" if kind in ("unreachable", "failed") else f"busy ({kind})"
    name = f" ({type(exc).__name__})" if exc is not None else ""
    return _not_ready(f"the store is {what}{name}", "store unreachable")


@router.get("/healthz", response_model=Health, summary="The process is up")
def healthz() -> dict[str, Any]:
    """Answers as long as the process serves requests (touches no database)."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="The store answers and the read model is current; projector lag",
    responses={
        503: {
            "model": NotReady,
            "description": "The store is not reachable, or an event cannot be projected.",
        }
    },
)
def readyz(rm: ReadModelDep, request: Request, response: Response) -> Any:
    """Ready when the store answers and no projector is stuck on an event; says the
    projector's position and its lag behind the head."""
    follower_thread = request.app.state.projector
    follower = follower_thread.follower if follower_thread is not None else None
    try:
        position = rm.position()
        digest = ledger_store(request.app, rm).head()
        failure = rm.projector_failure()
    except Exception as exc:  # any failure to reach the store means not ready
        return _unreachable(request.app, exc)
    if follower is not None and follower.unreachable:
        return _unreachable(request.app, None)
    stuck = follower.failure if follower is not None else None
    if stuck is not None:
        failing, error, at = stuck.failing, stuck.error, stuck.position
    elif failure is not None:
        failing, error, at = failure.failing, failure.error, failure.position
    else:
        failing = None
    if failing is None and follower is not None and follower.problem is not None:
        return _not_ready(
            f"the projector fails ({follower.error}); the read model stays at position {position}",
            "projection failed",
            position=position,
            error=follower.error,
        )
    if failing is not None:
        return _not_ready(
            f"the projector cannot project the event at position {failing} ({error}); "
            f"the read model stays at position {at}",
            "projection failed",
            position=at,
            failing_position=failing,
            error=error,
        )
    head = digest.position if digest is not None else 0
    response.headers[POSITION_HEADER] = str(position)
    if follower_thread is None:
        projector = "external"
    else:
        projector = "following" if follower_thread.holds_lock else "standby"
    return {
        "status": "ready",
        "head": head,
        "position": position,
        "lag": max(head - position, 0),
        "projector": projector,
    }
