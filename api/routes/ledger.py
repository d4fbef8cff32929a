"""/v1/ledger/head: the ledger's digest (the head of the hash chain)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.deps import BOUNDED, PrivateDep, ReadModelDep
from api.routes import positioned
from api.schemas import LedgerHead
from projections import queries

router = APIRouter(prefix="/v1/ledger", tags=["ledger"], dependencies=[BOUNDED])


@router.get("/head", response_model=LedgerHead, summary="The ledger's digest")
def head(rm: ReadModelDep, private: PrivateDep, response: Response) -> dict[str, Any]:
    """Position and hash of the last event; save the digest to check later with `ledger verify`."""
    return positioned(response, queries.head(rm))
