"""/healthz and /readyz: liveness of the process, readiness of the store and the projector."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from api.deps import ReadModelDep
from api.routes import POSITION_HEADER
from api.schemas import Health, Message, Readiness
from ledger.store import ChainedRecorder, open_recorder
from projections.queries import ReadModel

router = APIRouter(tags=["health"])
_opening = threading.Lock()


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


@router.get("/healthz", response_model=Health, summary="The process is up")
def healthz() -> dict[str, Any]:
    """Answers as long as the process serves requests (touches no database)."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="The store answers; projector lag",
    responses={503: {"model": Message, "description": "The store is not reachable."}},
)
def readyz(rm: ReadModelDep, request: Request, response: Response) -> Any:
    """Ready when the store answers; says the projector's position and its lag behind the head."""
    try:
        position = rm.position()
        digest = ledger_store(request.app, rm).head()
    except Exception as exc:  # any failure to reach the store means not ready
        message = f"the store is not reachable ({type(exc).__name__})"
        return JSONResponse({"detail": message}, status_code=503)
    head = digest.position if digest is not None else 0
    response.headers[POSITION_HEADER] = str(position)
    follower = request.app.state.projector
    if follower is None:
        projector = "external"
    else:
        projector = "following" if follower.holds_lock else "standby"
    return {
        "status": "ready",
        "head": head,
        "position": position,
        "lag": max(head - position, 0),
        "projector": projector,
    }
