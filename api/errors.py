"""Maps errors to JSON: 401 for a bad token, 404 for unknown records, 422 naming the parameter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from api.deps import UnauthorizedError
from ledger.errors import LedgerError
from projections.engine.errors import NotFoundError, QueryError

POSITION_HEADER = "X-Ledger-Position"
# Query keyword arguments whose HTTP parameter has another name.
HTTP_NAMES = {"date_from": "from", "date_to": "to"}


async def position_headers(request: Request) -> dict[str, str]:
    """The X-Ledger-Position header of a response computed without a document (errors, health)."""
    read_model = getattr(request.app.state, "read_model", None)
    if read_model is None:
        return {}
    try:
        position = await run_in_threadpool(read_model.position)
    except Exception:  # the store is down: the answer goes out without the header
        return {}
    return {POSITION_HEADER: str(position)}


async def _json(
    request: Request, status: int, content: Any, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        jsonable_encoder(content),
        status_code=status,
        headers={**(headers or {}), **await position_headers(request)},
    )


def _location(request: Request, parameter: str) -> str:
    return "path" if parameter in request.path_params else "query"


async def unauthorized(request: Request, exc: Exception) -> JSONResponse:
    """401 with a message and `WWW-Authenticate: Bearer`."""
    assert isinstance(exc, UnauthorizedError)
    challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    return await _json(request, 401, {"detail": exc.reason}, challenge)


async def not_found(request: Request, exc: Exception) -> JSONResponse:
    """404 naming what was not found."""
    return await _json(request, 404, {"detail": str(exc)})


async def bad_query(request: Request, exc: Exception) -> JSONResponse:
    """422 in FastAPI's validation shape, its `loc` naming the parameter."""
    assert isinstance(exc, QueryError)
    parameter = HTTP_NAMES.get(exc.parameter, exc.parameter)
    message = str(exc)
    for python_name, http_name in HTTP_NAMES.items():
        message = message.replace(python_name, http_name)
    detail = [
        {
            "type": "value_error",
            "loc": [_location(request, parameter), parameter],
            "msg": message,
        }
    ]
    return await _json(request, 422, {"detail": detail})


async def refused(request: Request, exc: Exception) -> JSONResponse:
    """Any other ledger error: 400 with its message."""
    return await _json(request, 400, {"detail": " ".join(str(exc).split())})


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """422 for a parameter that fails validation (FastAPI's shape, plus the position header)."""
    assert isinstance(exc, RequestValidationError)
    detail = [
        {key: value for key, value in error.items() if key in ("type", "loc", "msg")}
        for error in exc.errors()
    ]
    return await _json(request, 422, {"detail": detail})


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (no such route 404, 405) as JSON with the position header."""
    assert isinstance(exc, HTTPException)
    return await _json(request, exc.status_code, {"detail": exc.detail}, exc.headers)


async def store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503 when the database does not answer (not the client's fault, and retryable)."""
    return JSONResponse({"detail": "the store is not reachable"}, status_code=503)


def install(app: FastAPI) -> None:
    """Registers the error handlers on an app."""
    app.add_exception_handler(UnauthorizedError, unauthorized)
    app.add_exception_handler(NotFoundError, not_found)
    app.add_exception_handler(QueryError, bad_query)
    app.add_exception_handler(LedgerError, refused)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(OperationalError, store_unavailable)
