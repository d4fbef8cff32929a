"""Pages of the ledger itself: the audit trail (paged), a record's history, the ledger head."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any, Final
from urllib.parse import quote

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.pages import session
from api.pages.bodies import body_link, process_link
from api.pages.changes import steps
from api.pages.formats import label, moment
from api.pages.frame import frame
from api.pages.params import PageError, link, text, whole
from api.pages.render import SECURITY_HEADERS, answer, page, read_model
from api.routes import POSITION_HEADER
from projections import queries
from projections.engine.errors import NotFoundError
from projections.models import proofs
from projections.models.history import MODELS, record_history

router = APIRouter(include_in_schema=False)

PAGE_SIZE: Final = 50
MAX_POSITION: Final = 2**63 - 1
#: Where each record kind of the trail (its class name) is shown, by its read-model name.
MODEL_OF_RECORD: Final = {
    "Body": "body",
    "Committee": "committee",
    "CertificationProcess": "process",
    "Resolution": "resolution",
    "BudgetLine": "budget_line",
    "TargetAgreement": "agreement",
    "Measure": "measure",
    "Finding": "finding",
}
#: Records whose trail key is "scope/key" (the scope holds one slash for processes).
SCOPED: Final = {"budget_line": 1, "measure": 2, "finding": 2}


@lru_cache(maxsize=8192)
def history_link(body: str, model: str, trail_key: str) -> str | None:
    """The history page of a record named as the audit trail names it (remembered: a page
    of the trail names the same records again and again)."""
    parts = SCOPED.get(model)
    if parts is None:
        scope, key = ("", trail_key) if model != "agreement" else (trail_key, trail_key)
    else:
        pieces = trail_key.split("/")
        if len(pieces) <= parts:
            return None
        scope, key = "/".join(pieces[:parts]), "/".join(pieces[parts:])
    return link(f"{body_link(body)}/history/{model}", ("scope", scope), ("key", key))


@router.get("/ui/events")
def events_page(request: Request) -> Response:
    """The audit trail, PAGE_SIZE events a page, optionally of one body or type."""

    def build() -> Response:
        after = whole(text(request, "after"), "after", low=0, high=MAX_POSITION, default=0)
        limit = whole(text(request, "limit"), "limit", low=1, high=1000, default=PAGE_SIZE)
        body = text(request, "body")
        kind = text(request, "type")
        document = queries.events(
            read_model(request),
            after=after,
            limit=limit,
            body=body,
            type=kind,
            include_private=session.signed_in(request),
            with_data=False,
        )
        filters: list[tuple[str, str | None]] = [("body", body), ("type", kind)]
        if limit != PAGE_SIZE:
            filters.append(("limit", str(limit)))
        events = [
            {
                **e,
                "history": history_link(e["body"], MODEL_OF_RECORD[e["record"]], e["key"])
                if e.get("body") and e.get("key") and e.get("record") in MODEL_OF_RECORD
                else None,
            }
            for e in document["events"]
        ]
        full = len(document["events"]) >= limit or document["truncated"]
        next_page = (
            link("/ui/events", ("after", str(document["next_after"])), *filters)
            if full and document["next_after"] < document["position"]
            else None
        )
        query_pairs = [("after", str(after)), *filters] if after else filters
        context = frame(
            "Prüfpfad",
            document,
            link("/v1/events", *query_pairs, ("limit", str(limit))),
            [("Prüfpfad", link("/ui/events", *query_pairs))],
        )
        return page(
            request,
            "events.html",
            {
                **context,
                "events": events,
                "next_page": next_page,
                "first_page": link("/ui/events", *filters) if after else None,
                "after": after,
                "filter_body": body or "",
                "filter_type": kind or "",
            },
            position=document["position"],
        )

    return answer(request, build)


@router.get("/ui/bodies/{body}/history/{record}")
def history_page(request: Request, body: str, record: str) -> Response:
    """The history of one record: each event with its times, changes, reason, position, hash."""

    def build() -> Response:
        if record not in MODELS:
            raise PageError(404, f"Unbekannte Art von Datensatz: „{record[:40]}“.")
        scope = text(request, "scope") or ""
        key = text(request, "key")
        if key is None:
            raise PageError(422, "„key“ fehlt: welcher Datensatz?")
        after = whole(text(request, "after"), "after", low=0, high=2**31, default=0)
        document = record_history(
            read_model(request),
            body,
            record,
            key,
            scope=scope,
            after=after,
            include_private=session.signed_in(request),
        )
        if text(request, "format") == "json":
            return JSONResponse(
                document,
                headers={**SECURITY_HEADERS, POSITION_HEADER: str(document["position"])},
            )
        base = body_link(body)
        self_pairs = [("scope", scope or None), ("key", key)]
        here = link(f"{base}/history/{record}", *self_pairs)
        title = f"Verlauf: {label(record, 'record')} {key}"
        context = frame(
            title,
            document,
            link(f"{base}/history/{record}", *self_pairs, ("format", "json")),
            [(body, base), (title, here)],
            body={"slug": body},
        )
        return page(
            request,
            "history.html",
            {
                **context,
                "document": document,
                "steps": steps(document["events"]),
                "record": record,
                "scope": scope,
                "key": key,
                "record_page": record_page(body, record, scope, key),
                "links": [step_links(body, record, scope, e) for e in document["events"]],
                "next_page": link(
                    f"{base}/history/{record}",
                    *self_pairs,
                    ("after", str(document["next_after"])),
                )
                if document["more"]
                else None,
            },
            position=document["position"],
        )

    return answer(request, build)


def record_page(body: str, record: str, scope: str, key: str) -> str | None:
    """The page that shows the record itself."""
    base = body_link(body)
    if record == "body":
        return base
    if record == "process":
        return process_link(body, key)
    if record in ("agreement", "measure"):
        return f"{process_link(body, scope)}/target-agreement"
    if record == "resolution":
        return f"{base}/resolutions/{quote(key, safe='/')}"
    if record == "budget_line":
        return f"{base}/budget/{quote(scope, safe='')}/lines/{quote(key, safe='')}"
    if record == "finding":
        return link(f"{base}/findings", ("process", scope))
    return None


def step_links(body: str, record: str, scope: str, event: dict[str, Any]) -> list[tuple[str, str]]:
    """For an event of a measure or agreement: the target agreement on its date, as known
    with it, and compared with what was known just before it was recorded."""
    if record not in ("agreement", "measure") or not event.get("effective"):
        return []
    path = f"{process_link(body, scope)}/target-agreement"
    day = event["effective"]
    return [
        ("Zielvereinbarung an diesem Tag", link(path, ("as_of", day))),
        (
            "verglichen mit dem Wissen davor",
            link(
                path,
                ("as_of", day),
                ("vs_known_at", known_before(event["recorded_at"])),
            ),
        ),
    ]


def known_before(recorded_at: str) -> str:
    """The moment just before an event was recorded (what the ledger knew without it)."""
    return (moment(recorded_at) - timedelta(microseconds=1)).isoformat()


@router.get("/ui/ledger")
def ledger_page(request: Request) -> Response:
    """The ledger's head (position, hash, digest), its latest signed checkpoint and how to
    verify them."""

    def build() -> Response:
        rm = read_model(request)
        document = queries.head(rm)
        try:
            checkpoint: str | None = proofs.latest_checkpoint(rm)[0]
        except NotFoundError:
            checkpoint = None
        context = frame("Ledger", document, "/v1/ledger/head", [("Ledger", "/ui/ledger")])
        return page(
            request,
            "ledger.html",
            {**context, "document": document, "checkpoint": checkpoint},
            position=document["position"],
        )

    return answer(request, build)
