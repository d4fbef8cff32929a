"""/oparl/v1: the ledger served read-only as OParl 1.1, starting at `GET /oparl/v1/system`.

Everything is reachable from the System: bodies, and per body its organizations
(committees), meetings with agenda items, papers with consultations, and the 1.1 lists of
agenda items and consultations; persons are not in the ledger (an empty list). Anonymous
requests see public resolutions only, as on /v1; `Authorization: Bearer TOKEN` with a read
token sees all. Every response carries X-Ledger-Position. The handlers parse, take the
snapshot (api.oparl.readmodel) and hand it to the object builders (api.oparl.objects).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from api.deps import BOUNDED, MAX_PARAMETER_LENGTH, TEXT, IsoDate, PrivateDep, ReadModelDep
from api.oparl import objects as o
from api.oparl.lists import DEFAULT_LIMIT, MAX_LIMIT, ListQuery, Moment, list_query, page
from api.oparl.readmodel import BodyData, Snapshot, Tally, snapshot
from api.routes import POSITION_HEADER
from projections.engine.errors import NotFoundError

PREFIX = "/oparl/v1"
router = APIRouter(prefix=PREFIX, tags=["oparl"], dependencies=[BOUNDED])

Slug = Annotated[
    str, Path(description="The body's slug.", pattern=TEXT, max_length=MAX_PARAMETER_LENGTH)
]
Committee = Annotated[
    str, Path(description="The committee's slug.", pattern=TEXT, max_length=MAX_PARAMETER_LENGTH)
]
Day = Annotated[IsoDate, Path(description="The meeting date.")]
Reference = Annotated[
    str,
    Path(
        description="The resolution's reference, slashes included.",
        pattern=TEXT,
        max_length=MAX_PARAMETER_LENGTH,
    ),
]


def _filter(description: str) -> Any:
    return Query(description=description)


def list_parameters(
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    created_since: Annotated[Moment | None, _filter("Created at or after.")] = None,
    created_until: Annotated[Moment | None, _filter("Created at or before.")] = None,
    modified_since: Annotated[
        Moment | None, _filter("Modified at or after; lists deleted objects too.")
    ] = None,
    modified_until: Annotated[Moment | None, _filter("Modified at or before.")] = None,
) -> ListQuery:
    """The page, page size and filters (full date-times) of an OParl list."""
    return list_query(
        page_number,
        limit,
        created_since=created_since,
        created_until=created_until,
        modified_since=modified_since,
        modified_until=modified_until,
    )


ListDep = Annotated[ListQuery, Depends(list_parameters)]


def _links(request: Request) -> o.Links:
    return o.Links(str(request.base_url).rstrip("/") + PREFIX)


def _read(rm: Any, private: bool, response: Response) -> Snapshot:
    snap = snapshot(rm, private)
    response.headers[POSITION_HEADER] = str(snap.position)
    return snap


def _body(snap: Snapshot, body: str) -> BodyData:
    data = snap.bodies.get(body)
    if data is None:
        raise NotFoundError(f"no body '{body}' is in the ledger")
    return data


def _listed(
    request: Request,
    rm: Any,
    private: bool,
    response: Response,
    query: ListQuery,
    make: Callable[[o.Links, Snapshot], list[dict[str, Any]]],
) -> dict[str, Any]:
    links = _links(request)
    objects = make(links, _read(rm, private, response))
    return page(str(request.url.replace(query=None)), objects, query)


@router.get("/system", summary="OParl System")
def get_system(
    request: Request, rm: ReadModelDep, private: PrivateDep, response: Response
) -> dict[str, Any]:
    """The OParl System: the entry point."""
    return o.system(_links(request), _read(rm, private, response))


@router.get("/bodies", summary="OParl bodies")
def list_bodies(
    request: Request, rm: ReadModelDep, private: PrivateDep, response: Response, query: ListDep
) -> dict[str, Any]:
    """Every body of the ledger."""
    return _listed(
        request,
        rm,
        private,
        response,
        query,
        lambda links, snap: [o.body(links, d) for d in snap.bodies.values()],
    )


@router.get("/body/{body}", summary="OParl Body")
def get_body(
    request: Request, body: Slug, rm: ReadModelDep, private: PrivateDep, response: Response
) -> dict[str, Any]:
    """One body with the URLs of its lists."""
    return o.body(_links(request), _body(_read(rm, private, response), body))


#: The objects of one list of a body, from the body's data.
Objects = Callable[[o.Links, BodyData], list[dict[str, Any]]]


def _organizations(links: o.Links, data: BodyData) -> list[dict[str, Any]]:
    return [o.organization(links, data.body.key, r) for r in data.committees.values()]


def _meetings(links: o.Links, data: BodyData) -> list[dict[str, Any]]:
    return [
        o.meeting(links, data, committee, day, tallies)
        for (committee, day), tallies in o.meetings_of(data).items()
    ]


def _papers(links: o.Links, data: BodyData) -> list[dict[str, Any]]:
    return [o.paper(links, data, r) for r in data.resolutions.values()]


def _items(links: o.Links, data: BodyData) -> list[dict[str, Any]]:
    return [_item(links, data, t) for t in o.all_tallies(data)]


def _consultations(links: o.Links, data: BodyData) -> list[dict[str, Any]]:
    return [o.consultation(links, data.body.key, t) for t in o.all_tallies(data)]


def _item(links: o.Links, data: BodyData, tally: Tally) -> dict[str, Any]:
    """An agenda item, numbered by its place among the meeting's standing items."""
    standing = sorted(
        t.reference
        for t in data.tallies
        if t.committee == tally.committee and t.day == tally.day and not t.deleted
    )
    order = standing.index(tally.reference) + 1 if tally.reference in standing else 1
    return o.agenda_item(links, data.body.key, tally, order, data.resolutions.get(tally.reference))


def _none(links: o.Links, data: BodyData) -> list[dict[str, Any]]:
    return []


LISTS: dict[str, tuple[str, Objects]] = {
    "organizations": ("OParl organizations (committees)", _organizations),
    "meetings": ("OParl meetings", _meetings),
    "papers": ("OParl papers (resolutions)", _papers),
    "agendaitems": ("OParl agenda items", _items),
    "consultations": ("OParl consultations", _consultations),
    "persons": ("OParl persons (none: the ledger holds no persons)", _none),
}


def _list_route(name: str, summary: str, objects: Objects) -> None:
    def handler(
        request: Request,
        body: Slug,
        rm: ReadModelDep,
        private: PrivateDep,
        response: Response,
        query: ListDep,
    ) -> dict[str, Any]:
        return _listed(
            request,
            rm,
            private,
            response,
            query,
            lambda links, snap: objects(links, _body(snap, body)),
        )

    handler.__doc__ = f"{summary} of a body, paginated."
    router.add_api_route(
        f"/body/{{body}}/{name}", handler, methods=["GET"], summary=summary, name=f"oparl_{name}"
    )


for _name, (_summary, _objects) in LISTS.items():
    _list_route(_name, _summary, _objects)


@router.get("/body/{body}/organization/{committee}", summary="OParl Organization")
def get_organization(
    request: Request,
    body: Slug,
    committee: Committee,
    rm: ReadModelDep,
    private: PrivateDep,
    response: Response,
) -> dict[str, Any]:
    """A committee."""
    data = _body(_read(rm, private, response), body)
    record = data.committees.get(committee)
    if record is None:
        raise NotFoundError(f"no committee '{committee}' of body '{body}' is in the ledger")
    return o.organization(_links(request), body, record)


def _tallies_of(data: BodyData, committee: str, day: date) -> list[Tally]:
    found = [t for t in data.tallies if t.committee == committee and t.day == day]
    if not found:
        raise NotFoundError(
            f"no meeting of committee '{committee}' on {day} in body '{data.body.key}'"
        )
    return found


@router.get("/body/{body}/meeting/{committee}/{day}", summary="OParl Meeting")
def get_meeting(
    request: Request,
    body: Slug,
    committee: Committee,
    day: Day,
    rm: ReadModelDep,
    private: PrivateDep,
    response: Response,
) -> dict[str, Any]:
    """A committee's meeting on a date, with its agenda items."""
    data = _body(_read(rm, private, response), body)
    return o.meeting(_links(request), data, committee, day, _tallies_of(data, committee, day))


def _tally(data: BodyData, committee: str, day: date, reference: str) -> Tally:
    for tally in _tallies_of(data, committee, day):
        if tally.reference == reference:
            return tally
    raise NotFoundError(f"no resolution '{reference}' in that meeting of body '{data.body.key}'")


@router.get(
    "/body/{body}/agendaitem/{committee}/{day}/{reference:path}", summary="OParl AgendaItem"
)
def get_agenda_item(
    request: Request,
    body: Slug,
    committee: Committee,
    day: Day,
    reference: Reference,
    rm: ReadModelDep,
    private: PrivateDep,
    response: Response,
) -> dict[str, Any]:
    """A resolution on a meeting's agenda, with its result."""
    data = _body(_read(rm, private, response), body)
    return _item(_links(request), data, _tally(data, committee, day, reference))


@router.get(
    "/body/{body}/consultation/{committee}/{day}/{reference:path}", summary="OParl Consultation"
)
def get_consultation(
    request: Request,
    body: Slug,
    committee: Committee,
    day: Day,
    reference: Reference,
    rm: ReadModelDep,
    private: PrivateDep,
    response: Response,
) -> dict[str, Any]:
    """The consultation of a resolution in a meeting."""
    data = _body(_read(rm, private, response), body)
    return o.consultation(_links(request), body, _tally(data, committee, day, reference))


@router.get("/body/{body}/paper/{reference:path}", summary="OParl Paper")
def get_paper(
    request: Request,
    body: Slug,
    reference: Reference,
    rm: ReadModelDep,
    private: PrivateDep,
    response: Response,
) -> dict[str, Any]:
    """A resolution as a paper, with its consultations."""
    data = _body(_read(rm, private, response), body)
    record = data.resolutions.get(reference)
    if record is None:
        raise NotFoundError(f"no resolution '{reference}' of body '{body}' is in the ledger")
    return o.paper(_links(request), data, record)
