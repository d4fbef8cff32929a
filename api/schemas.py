"""Response models: the documents of the projections, as the OpenAPI describes them.

The API serves each query's document unchanged (the same JSON as `ledger show ... --format
json`); these models document it. Fields a newer read model adds pass through (extra="allow").
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Day = Annotated[str, Field(json_schema_extra={"format": "date"}, examples=["2018-06-30"])]
Moment = Annotated[
    str, Field(json_schema_extra={"format": "date-time"}, examples=["2019-01-15T12:00:00Z"])
]
Amount = Annotated[
    str,
    Field(pattern=r"^-?\d+\.\d{2}$", description="EUR as a decimal string", examples=["17655.00"]),
]


class Document(BaseModel):
    """Base of every response document: unknown fields pass through unchanged."""

    model_config = ConfigDict(extra="allow")


class Positioned(Document):
    """A document computed from the read model at one ledger position."""

    position: int = Field(description="The ledger position the document reflects.")


class AsOfDocument(Positioned):
    """A projection document for one body on both time axes."""

    body: str
    as_of: Day = Field(description="Valid date (inclusive).")
    known_at: Moment = Field(description="Transaction time (UTC).")


class Message(BaseModel):
    """An error: what went wrong, in a sentence."""

    detail: str


class BodySummary(Document):
    """One body (Landkreis, Stadt, Gemeinde) in the list."""

    slug: str
    name: str
    land: str


class BodyList(Positioned):
    """All bodies in the ledger."""

    bodies: list[BodySummary]


class Body(Positioned):
    """One body with its committees and certification processes."""

    body: str
    name: str
    land: str
    committees: list[dict[str, Any]]
    processes: list[dict[str, Any]]


class Certificate(Document):
    """A certificate with the dates printed on it."""

    valid_from: Day
    valid_until: Day | None


class Certification(AsOfDocument):
    """The certification status at a date, and its history."""

    status: str = Field(
        description="certified | in_certification | in_recertification | lapsed | not_certified"
    )
    certificate: Certificate | None
    history: list[dict[str, Any]]


class ProcessList(AsOfDocument):
    """A body's certification processes."""

    processes: list[dict[str, Any]]


class Process(AsOfDocument):
    """One certification process (programme/cycle)."""

    process: str


class TargetAgreement(AsOfDocument):
    """The target agreement (Zielvereinbarung): fields of action, goals, measures, findings."""

    process: str
    fields: list[dict[str, Any]]


class AnnualReport(Positioned):
    """The annual progress report table (German headings)."""

    body: str
    process: str


class Budget(AsOfDocument):
    """The treasury's budget overview of one fiscal year."""

    year: int
    lines: list[dict[str, Any]]


class ResolutionList(AsOfDocument):
    """Resolutions (Beschlüsse), filtered by committee and meeting date."""

    resolutions: list[dict[str, Any]]


class Resolution(AsOfDocument):
    """One resolution with its votes."""

    reference: str
    title: str


class FindingList(AsOfDocument):
    """Auditor findings."""

    findings: list[dict[str, Any]]


class AuditEvent(Document):
    """One event of the audit trail."""

    position: int
    recorded_at: Moment
    type: str


class EventPage(Positioned):
    """A page of the audit trail, in position order; ask again with after=next_after."""

    events: list[AuditEvent]
    next_after: int


class LedgerHead(Positioned):
    """The ledger's digest: the head of the hash chain."""

    hash: str | None
    digest: str | None


class Health(BaseModel):
    """The process is up."""

    status: str


class Readiness(BaseModel):
    """The store answers; how far the projector is behind the ledger."""

    status: str
    head: int = Field(description="The ledger's head position.")
    position: int = Field(description="The projector's position.")
    lag: int = Field(description="head - position: events not yet projected.")
    projector: str = Field(description="in-process (follows inside this server) or external.")
