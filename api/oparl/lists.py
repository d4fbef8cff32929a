"""OParl external lists: filters (created/modified since/until) and pages linked by `next`.

As the specification (2.5) says: every list takes `created_since`, `created_until`,
`modified_since` and `modified_until` (full date-times); deleted objects are listed only
when `modified_since` is given; the filters stay in every link; the order is stable (by
id). A page holds `limit` objects (default 100, at most 1000) and names the next one in
`links.next` until the last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from math import ceil
from typing import Annotated, Any
from urllib.parse import urlencode

from pydantic import PlainValidator, WithJsonSchema

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
FILTERS = ("created_since", "created_until", "modified_since", "modified_until")
DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:[Zz]|[ +-]\d{2}:?\d{2})?$",
    re.ASCII,
)


@dataclass(frozen=True)
class ListQuery:
    """A list request's filters (as given, and as moments), page and page size."""

    given: dict[str, str]
    bounds: dict[str, datetime]
    page: int = 1
    limit: int = DEFAULT_LIMIT

    def keeps(self, obj: dict[str, Any]) -> bool:
        """Whether the object passes the filters (a deleted one only with modified_since)."""
        if obj.get("deleted") is True and "modified_since" not in self.bounds:
            return False
        created, modified = _moment(obj.get("created")), _moment(obj.get("modified"))
        b = self.bounds
        return (
            ("created_since" not in b or created >= b["created_since"])
            and ("created_until" not in b or created <= b["created_until"])
            and ("modified_since" not in b or modified >= b["modified_since"])
            and ("modified_until" not in b or modified <= b["modified_until"])
        )


def list_query(page: int, limit: int, **filters: datetime | None) -> ListQuery:
    """The filters given (as moments), with the text each keeps in the links."""
    bounds = {name: value for name, value in filters.items() if value is not None}
    given = {name: value.isoformat() for name, value in bounds.items()}
    return ListQuery(given, bounds, page, limit)


def parse_moment(value: object) -> datetime:
    """A filter's date-time as an aware moment (UTC when it names no offset); ValueError
    (a 422 naming the parameter) for anything else, a bare date too."""
    text = value.strip() if isinstance(value, str) else ""
    moment = None
    if DATE_TIME.match(text):
        text = text.replace(" ", "T", 1) if text[10] == " " else text
        text = re.sub(r" (\d{2}:?\d{2})$", r"+\1", text).replace(",", ".")
        text = re.sub(r"[Zz]$", "+00:00", text)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = None
    if moment is None:
        raise ValueError("must be a date-time such as 2018-06-19T00:00:00+02:00")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


Moment = Annotated[
    datetime,
    PlainValidator(parse_moment),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def page(url: str, objects: list[dict[str, Any]], query: ListQuery) -> dict[str, Any]:
    """One page of the filtered list at `url`, with its pagination and links."""
    kept = sorted((o for o in objects if query.keeps(o)), key=lambda o: str(o["id"]))
    total = len(kept)
    pages = max(1, ceil(total / query.limit))
    start = (query.page - 1) * query.limit
    data = kept[start : start + query.limit]

    def link(number: int) -> str:
        params = {**query.given, "page": str(number)}
        if query.limit != DEFAULT_LIMIT:
            params["limit"] = str(query.limit)
        return f"{url}?{urlencode(params)}"

    links = {"first": link(1), "self": link(query.page), "last": link(pages)}
    if query.page > 1:
        links["prev"] = link(min(query.page - 1, pages))
    if query.page < pages:
        links["next"] = link(query.page + 1)
    return {
        "data": data,
        "pagination": {
            "totalElements": total,
            "elementsPerPage": query.limit,
            "currentPage": query.page,
            "totalPages": pages,
        },
        "links": links,
    }


def _moment(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
