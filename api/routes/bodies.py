"""/v1/bodies: the bodies (Landkreise, Städte, Gemeinden) in the ledger."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.deps import BOUNDED, BodyPath, PrivateDep, ReadModelDep
from api.routes import positioned
from api.schemas import Body, BodyList
from projections import queries

router = APIRouter(prefix="/v1/bodies", tags=["bodies"], dependencies=[BOUNDED])


@router.get("", response_model=BodyList, summary="All bodies")
def list_bodies(rm: ReadModelDep, private: PrivateDep, response: Response) -> dict[str, Any]:
    """The bodies recorded in the ledger."""
    return positioned(response, queries.list_bodies(rm))


@router.get("/{body}", response_model=Body, response_model_exclude_unset=True, summary="One body")
def get_body(
    body: BodyPath, rm: ReadModelDep, private: PrivateDep, response: Response
) -> dict[str, Any]:
    """A body with its committees (Gremien) and certification processes."""
    return positioned(response, queries.get_body(rm, body))
