"""The API's routes, one module per resource; handlers parse, call a query, return its document."""

from __future__ import annotations

from typing import Any

from fastapi import Response

POSITION_HEADER = "X-Ledger-Position"


def positioned(response: Response, document: dict[str, Any]) -> dict[str, Any]:
    """Sets X-Ledger-Position from the document's position and returns the document."""
    response.headers[POSITION_HEADER] = str(document["position"])
    return document
