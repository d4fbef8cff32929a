"""The API's routes, one module per resource; handlers parse, call a query, return its document."""

from __future__ import annotations

from typing import Any

from fastapi import Response

POSITION_HEADER = "X-Ledger-Position"


def positioned(response: Response, document: dict[str, Any]) -> dict[str, Any]:
    """Sets X-Ledger-Position from the document's position and returns the document."""
    response.headers[POSITION_HEADER] = str(document["position"])
    return document


def json_response(text: str, position: int) -> Response:
    """A document already rendered as JSON text, with X-Ledger-Position.

    For routes whose query renders its JSON-ready document itself: the `response_model`
    still describes it in the OpenAPI, but it is not validated and re-encoded on the way
    out. The bytes are those FastAPI's JSONResponse would send.
    """
    return Response(
        content=text.encode("utf-8"),
        media_type="application/json",
        headers={POSITION_HEADER: str(position)},
    )
