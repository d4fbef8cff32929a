"""The verifiable log: /checkpoint, /v1/ledger/checkpoints and the RFC 9162 proofs.

/checkpoint serves the latest signed checkpoint as tlog-tiles does (text/plain, a C2SP
signed note with the witnesses' cosignatures). Checkpoints and consistency proofs are
public; an inclusion proof of an event the caller may not see is a 404, as the record is.
Every route checks an Authorization header if one is sent (401 when it is wrong), as all
routes of the API do. X-Ledger-Position is the position of the tree's last leaf.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from api.deps import BOUNDED, PrivateDep, ReadModelDep
from api.routes import POSITION_HEADER
from projections.models import proofs

router = APIRouter(dependencies=[BOUNDED], tags=["verifiable log"])


class InclusionProof(BaseModel):
    """RFC 9162 §2.1.3: the audit path of one event's leaf in a tree of tree_size leaves."""

    position: int = Field(description="The event's position in the ledger.")
    leaf_index: int = Field(description="Its leaf in the tree: its place in the chain, from 0.")
    tree_size: int = Field(description="The tree size the proof is for.")
    leaf_hash: str = Field(description="SHA-256(0x00 || the event's chained bytes), base64.")
    hashes: list[str] = Field(description="The audit path, base64, leaf to root.")


class ConsistencyProof(BaseModel):
    """RFC 9162 §2.1.4: the tree of `from` leaves is a prefix of the tree of `to` leaves."""

    model_config = {"populate_by_name": True}

    from_: int = Field(alias="from", description="The older tree size.")
    to: int = Field(description="The newer tree size.")
    hashes: list[str] = Field(description="The consistency proof, base64.")


class StoredCheckpoint(BaseModel):
    """One signed checkpoint of the history."""

    tree_size: int
    root: str = Field(description="The Merkle tree's root at tree_size, base64.")
    signed_at: str = Field(description="When the log signed it (UTC).")
    checkpoint: str = Field(description="The signed note (C2SP tlog-checkpoint) as served.")


class CheckpointPage(BaseModel):
    """Checkpoints of tree sizes after `after`, smallest first."""

    checkpoints: list[StoredCheckpoint]
    next_after: int = Field(description="The `after` of the next page.")
    position: int = Field(description="The position of the tree's last leaf.")


def _json_error(description: str) -> dict[str, Any]:
    """An error answer of a text/plain route: JSON like every error of the API."""
    schema = {"$ref": "#/components/schemas/Message"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _positioned(document: dict[str, Any], position: int, response: Response) -> dict[str, Any]:
    response.headers[POSITION_HEADER] = str(position)
    return document


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    summary="The latest signed checkpoint",
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        401: _json_error("A wrong or malformed read token."),
        404: _json_error("No checkpoint has been signed yet."),
        422: _json_error("A query parameter longer than the limit."),
    },
)
def checkpoint(rm: ReadModelDep, _private: PrivateDep) -> PlainTextResponse:
    """The latest C2SP checkpoint (origin, tree size, root) signed by the log, with the
    witnesses' cosignatures: verify it with the log's verifier key."""
    note, position = proofs.latest_checkpoint(rm)
    return PlainTextResponse(
        note, media_type="text/plain; charset=utf-8", headers={POSITION_HEADER: str(position)}
    )


@router.get(
    "/v1/ledger/checkpoints",
    response_model=CheckpointPage,
    summary="The history of signed checkpoints",
)
def checkpoint_history(
    rm: ReadModelDep,
    _private: PrivateDep,
    response: Response,
    after: Annotated[int, Query(ge=0, description="Only checkpoints of larger tree sizes.")] = 0,
    limit: Annotated[int, Query(ge=1, le=proofs.MAX_CHECKPOINTS)] = 100,
) -> dict[str, Any]:
    """Every signed checkpoint with a tree size after `after`, smallest first: keep them to
    check later that the log only grew (a consistency proof between any two)."""
    page = proofs.checkpoints(rm, after=after, limit=limit)
    return _positioned(page, page["position"], response)


@router.get(
    "/v1/ledger/proof/inclusion",
    response_model=InclusionProof,
    summary="Inclusion proof of one event",
)
def inclusion_proof(
    rm: ReadModelDep,
    private: PrivateDep,
    response: Response,
    position: Annotated[int, Query(ge=1, description="The event's position.")],
    size: Annotated[
        int | None,
        Query(ge=1, description="The tree size (default: the latest checkpoint's)."),
    ] = None,
) -> dict[str, Any]:
    """The RFC 9162 audit path of the event at `position` in the tree of `size` leaves:
    with its leaf hash it gives the root a signed checkpoint of that size carries."""
    document, at = proofs.inclusion(rm, position, size, include_private=private)
    return _positioned(document, at, response)


@router.get(
    "/v1/ledger/proof/consistency",
    response_model=ConsistencyProof,
    response_model_by_alias=True,
    summary="Consistency proof between two tree sizes",
)
def consistency_proof(
    rm: ReadModelDep,
    _private: PrivateDep,
    response: Response,
    first: Annotated[int, Query(alias="from", ge=1, description="The older tree size.")],
    to: Annotated[
        int | None,
        Query(ge=1, description="The newer tree size (default: the latest checkpoint's)."),
    ] = None,
) -> dict[str, Any]:
    """The RFC 9162 proof that the tree of `from` leaves is a prefix of the tree of `to`
    leaves: that the log only grew between two checkpoints."""
    document, at = proofs.consistency(rm, first, to)
    return _positioned(document, at, response)
