"""Request dependencies as `Annotated` aliases: the read model, the read access, the time axes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Final

from fastapi import Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPBearer
from pydantic import PlainValidator, WithJsonSchema

from api.tokens import ReadTokens
from ledger.commands.fields import parse_date as parse_command_date
from ledger.errors import RuleViolationError
from projections.queries import ReadModel

ISO_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# date, time, offset; a space before the offset is a '+' that came through a query string unencoded.
ISO_DATETIME: Final = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)([Zz]|[ +-]\d{2}(?::?\d{2})?)?$"
)
# Keys in paths and queries are printable text: no control characters (PostgreSQL refuses NUL).
TEXT: Final = r"^[^\x00-\x1f\x7f]+$"
#: The most characters any path or query parameter (and a query parameter's name) may have.
MAX_PARAMETER_LENGTH: Final = 200
MIN_YEAR: Final = 1900
MAX_YEAR: Final = 2200  # as the ledger accepts years (ledger.commands.fields.parse_year)


class UnauthorizedError(Exception):
    """A request carried an Authorization header that is not a valid read token."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


async def get_read_model(request: Request) -> ReadModel:
    """The application's read model (opened by the lifespan or given to create_app)."""
    read_model: ReadModel = request.app.state.read_model
    return read_model


class ReadTokenBearer(HTTPBearer):
    """`Authorization: Bearer TOKEN`: absent means anonymous; present must be a valid read token."""

    def __init__(self) -> None:
        super().__init__(
            scheme_name="readToken",
            description=(
                "A read token (its SHA-256 digest configured on the server, see `ledger token`). "
                "Optional: anonymous requests see public (öffentlich) resolutions and published "
                "findings only; a valid token sees everything. A wrong or malformed Authorization "
                "header, or more than one, answers 401."
            ),
            auto_error=False,
        )

    async def __call__(self, request: Request) -> Any:  # type: ignore[override]
        """True for a valid token, False without an Authorization header; 401 otherwise."""
        headers = request.headers.getlist("authorization")
        if not headers:
            return False
        if len(headers) > 1:
            # Which one would count is up to each proxy on the way: none does.
            raise UnauthorizedError("send one Authorization header, not several")
        header = headers[0]
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise UnauthorizedError("the Authorization header must be 'Bearer TOKEN'")
        tokens: ReadTokens = request.app.state.tokens
        if not tokens.accepts(token):
            raise UnauthorizedError("the read token is not valid")
        return True


def _too_long(location: str, name: str | None, length: int) -> RequestValidationError:
    """The 422 of a too long parameter (or query parameter name), without its value."""
    limit = f"at most {MAX_PARAMETER_LENGTH} characters long, got {length}"
    if name is None:
        error = {"loc": (location,), "msg": f"a query parameter's name must be {limit}"}
    else:
        error = {"loc": (location, name), "msg": f"must be {limit}"}
    return RequestValidationError([{"type": "string_too_long", **error}])


async def bounded_parameters(request: Request) -> None:
    """Refuses (422) any path or query parameter longer than MAX_PARAMETER_LENGTH.

    One check for every route (each router depends on it, before anything else is read),
    so no route reads, looks up or echoes a long value: the error names the parameter and
    the limit, never the value.
    """
    for name, value in request.path_params.items():
        if len(str(value)) > MAX_PARAMETER_LENGTH:
            raise _too_long("path", name, len(str(value)))
    for name, value in request.query_params.multi_items():
        if len(name) > MAX_PARAMETER_LENGTH:
            raise _too_long("query", None, len(name))
        if len(value) > MAX_PARAMETER_LENGTH:
            raise _too_long("query", name, len(value))


#: The dependency every router of the API declares (`APIRouter(dependencies=[...])`).
BOUNDED: Final = Depends(bounded_parameters)


def parse_date(value: Any) -> date:
    """An ISO date YYYY-MM-DD (a real calendar date)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not ISO_DATE.match(value):
        raise ValueError("must be an ISO date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"must be a real date YYYY-MM-DD ({exc})") from None


def parse_day(value: Any) -> date:
    """A date as command files write it: ISO (2018-12-31) or German (31.12.2018)."""
    if isinstance(value, datetime):
        raise ValueError("must be a date without a time")
    try:
        return parse_command_date("as_of", value)
    except RuleViolationError as exc:
        # A ValueError: pydantic makes it the usual 422 naming the parameter.
        raise ValueError(exc.rule) from None


def parse_moment(value: Any) -> datetime:
    """An ISO datetime (no offset means UTC) or an ISO date (the end of that day, UTC), in UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and ISO_DATE.match(value):
        return datetime.combine(parse_date(value), time.max, tzinfo=UTC)
    elif isinstance(value, str) and (match := ISO_DATETIME.match(value)):
        day, clock, offset = match.groups()
        offset = "+00:00" if offset in ("Z", "z") else (offset or "").replace(" ", "+")
        if clock[6:8] == "60":  # a leap second (RFC 3339): the last instant of that minute
            clock = clock[:6] + "59.999999"
        try:
            moment = datetime.fromisoformat(f"{day}T{clock.replace(',', '.')}{offset}")
        except ValueError as exc:
            raise ValueError(f"must be a real date and time ({exc})") from None
    else:
        raise ValueError("must be an ISO datetime (2019-01-15T12:00:00Z) or an ISO date")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # before year 1 or after 9999 in UTC: the first or last moment
        offset = moment.utcoffset()
        ahead = offset is not None and offset > timedelta(0)
        return (datetime.min if ahead else datetime.max).replace(tzinfo=UTC)


IsoDate = Annotated[
    date,
    PlainValidator(parse_date),
    WithJsonSchema({"type": "string", "format": "date"}),
]
#: A date in ISO or German notation (the notations of command files). The schema names the
#: ISO format alone: a pattern cannot tell a real German date (31.02. is none) from another.
Day = Annotated[
    date,
    PlainValidator(parse_day),
    WithJsonSchema({"type": "string", "format": "date"}),
]
Moment = Annotated[
    datetime,
    PlainValidator(parse_moment),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]}
    ),
]


async def as_of_param(
    as_of: Annotated[
        Day | None,
        Query(
            description="Valid date (inclusive): the state at the end of that day, ISO "
            "(2018-06-30) or German (30.06.2018). Default: today.",
            examples=["2018-06-30"],
        ),
    ] = None,
) -> date | None:
    """The `as_of` query parameter (valid time)."""
    return as_of


async def known_at_param(
    known_at: Annotated[
        Moment | None,
        Query(
            description=(
                "Transaction time: the state as the ledger knew it then (ISO datetime, UTC when "
                "no offset is given; a date means the end of that day UTC). Default: now."
            ),
            examples=["2019-01-15T12:00:00Z"],
        ),
    ] = None,
) -> datetime | None:
    """The `known_at` query parameter (transaction time)."""
    return known_at


ReadModelDep = Annotated[ReadModel, Depends(get_read_model)]
PrivateDep = Annotated[bool, Depends(ReadTokenBearer())]
AsOfDep = Annotated[date | None, Depends(as_of_param)]
KnownAtDep = Annotated[datetime | None, Depends(known_at_param)]
BodyPath = Annotated[
    str,
    Path(
        description="The body's slug.",
        pattern=TEXT,
        max_length=MAX_PARAMETER_LENGTH,
        examples=["kyffhaeuserkreis"],
    ),
]
YearPath = Annotated[
    int,
    Path(description="The fiscal year (Haushaltsjahr).", ge=MIN_YEAR, le=MAX_YEAR, examples=[2018]),
]
