"""Response models: the documents of the projections, as the OpenAPI describes them.

The API serves each query's document unchanged (the same JSON as `ledger show ... --format
json`); these models document it and check it on the way out. A field a newer read model
adds passes through (extra="allow"). Dates are ISO 8601 text, amounts EUR decimal strings.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Day = Annotated[str, Field(json_schema_extra={"format": "date"}, examples=["2018-06-30"])]
Moment = Annotated[
    str, Field(json_schema_extra={"format": "date-time"}, examples=["2019-01-15T12:00:00+00:00"])
]
Amount = Annotated[
    str,
    Field(pattern=r"^-?\d+\.\d{2}$", description="EUR as a decimal string", examples=["17655.00"]),
]
CertificationStatus = Literal[
    "certified", "in_certification", "in_recertification", "lapsed", "not_certified"
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
    as_of: Day = Field(description="Valid date (inclusive): the state at the end of that day.")
    known_at: Moment = Field(description="Transaction time (UTC): what the ledger knew then.")


class Message(BaseModel):
    """An error: what went wrong, in a sentence."""

    detail: str


# ---- bodies ------------------------------------------------------------------------------


class BodySummary(Document):
    """One body (Landkreis, Stadt, Gemeinde) in the list."""

    slug: str
    name: str
    land: str


class BodyList(Positioned):
    """All bodies in the ledger."""

    bodies: list[BodySummary]


class Committee(Document):
    """A committee (Gremium) with its voting seats."""

    committee: str
    name: str
    seats: int


class CertificateRecord(Document):
    """A certificate as awarded, and how it ended."""

    valid_from: Day
    valid_until: Day | None = Field(description="null: permanent")
    ended_on: Day | None
    withdrawn: bool


class ProcessSummary(Document):
    """A certification process (programme/cycle) in a list."""

    process: str = Field(examples=["audit-fgk/2018"])
    kind: str = Field(description="certification | recertification")
    status: str
    planned_from: Day | None
    planned_until: Day | None
    started_on: Day | None
    completed_on: Day | None
    abandoned_on: Day | None
    certificates: list[CertificateRecord]


class Body(Positioned):
    """One body with its committees, certification processes and budget years."""

    body: str
    name: str | None
    land: str | None
    majority_rule: str | None = None
    line_pattern: str | None = None
    committees: list[Committee]
    processes: list[ProcessSummary]
    budget_years: list[int] = Field(
        default=[],
        description="The fiscal years (Haushaltsjahre) in which the body has budget lines.",
    )


# ---- certification and processes ---------------------------------------------------------


class Certificate(Document):
    """The certificate held at the date, with the dates printed on it."""

    valid_from: Day
    valid_until: Day | None


class Certification(AsOfDocument):
    """The certification status at a date, and the history of processes."""

    status: CertificationStatus
    certificate: Certificate | None
    history: list[ProcessSummary]


class ProcessList(AsOfDocument):
    """A body's certification processes."""

    processes: list[ProcessSummary]


class Workshop(Document):
    """A workshop held during a process."""

    kind: str = Field(description="strategy | target_agreement | balance | annual")
    held_on: Day | None


class Process(AsOfDocument):
    """One certification process; "exists": false before it started (as of / known at)."""

    process: str
    exists: bool
    programme: str | None = None
    cycle: str | None = None
    kind: str | None = None
    status: str | None = None
    planned_from: Day | None = None
    planned_until: Day | None = None
    partner: str | None = None
    resolution: str | None = Field(
        default=None, description="The authorising resolution (null when not public)."
    )
    started_on: Day | None = None
    contract_on: Day | None = None
    auditor: str | None = None
    workshops: list[Workshop] | None = None
    annual_reports: list[Any] | None = None
    certificates: list[CertificateRecord] | None = None
    completed_on: Day | None = None
    abandoned_on: Day | None = None


# ---- target agreement and findings -------------------------------------------------------


class Finding(Document):
    """An auditor's finding (Feststellung) with its answer."""

    process: str
    number: int
    subject: str = Field(description="process | goal:CODE | measure:CODE")
    kind: str
    assessment: str | None
    text: str
    published: bool
    status: str
    recorded_on: Day | None
    answer: str | None
    answered_on: Day | None
    closed_on: Day | None
    withdrawn_on: Day | None


class Measure(Document):
    """A measure (Maßnahme) with its status at the date."""

    code: str
    title: str
    status: str | None
    status_label: str | None = Field(description="The German label (Umsetzungsstand).")
    progress: int | None = Field(description="Percent.")
    note: str | None
    responsible: str | None
    period: str | None
    dropped: bool
    added_on: Day | None
    findings: list[Finding]


class Goal(Document):
    """A goal (Ziel) of a field of action."""

    code: str
    title: str
    dropped: bool
    findings: list[Finding]
    measures: list[Measure]


class ActionField(Document):
    """A field of action (Handlungsfeld)."""

    code: str
    name: str
    goals: list[Goal]


class TargetAgreement(AsOfDocument):
    """The target agreement (Zielvereinbarung) at the date, with the findings on each item."""

    process: str
    catalogue: str | None
    adopted_by: str | None = Field(description="The adopting resolution (null when not public).")
    adopted_on: Day | None
    findings: list[Finding] = Field(description="Findings on the process as a whole.")
    fields: list[ActionField]


class AnnualReport(AsOfDocument):
    """The annual progress report table (German headings), as of the end of the year."""

    process: str
    year: int
    columns: list[str]
    rows: list[dict[str, str | None]]


class FindingList(AsOfDocument):
    """Auditor findings; anonymous readers see the published ones only."""

    process: str | None
    findings: list[Finding]


# ---- budget ------------------------------------------------------------------------------


class Supplementary(Document):
    """An über- or außerplanmäßige approval with its authorising resolution."""

    kind: str = Field(description="ueberplanmaessig | ausserplanmaessig")
    amount: Amount
    resolution: str | None = Field(description="null when the resolution is not public")
    cover: str
    approved_on: Day | None


class Funding(Document):
    """Funding awarded for a line (Fördermittel)."""

    grantor: str
    programme: str | None
    amount: Amount
    earmarked: bool
    awarded_on: Day | None


class BudgetLine(Document):
    """One budget line (Haushaltsstelle): plan, approvals, funding, bookings."""

    code: str
    title: str
    direction: str = Field(description="expenditure | income")
    appropriation: Amount | None = Field(description="Ansatz; null when none was set.")
    supplementary: list[Supplementary]
    approved: Amount
    funding: list[Funding]
    funding_awarded: Amount
    funding_received: Amount
    commitments: Amount
    payments: Amount
    payment_count: int
    available: Amount = Field(description="appropriation + approvals")
    remaining: Amount = Field(description="available - payments")
    statements: list[str] = Field(description="Statements of the treasury (Kämmerei).")


class Budget(AsOfDocument):
    """The treasury's budget overview of one fiscal year (or one line of it)."""

    year: int
    lines: list[BudgetLine]


# ---- resolutions -------------------------------------------------------------------------


ResolutionStatus = Literal[
    "proposed", "adopted", "rejected", "deferred", "referred", "noted", "withdrawn", "revoked"
]
#: What a decision states as its outcome (a vote: adopted or rejected only).
DecisionOutcome = Literal["adopted", "rejected", "deferred", "referred", "noted", "withdrawn"]
#: A count a decision may leave unstated.
UNKNOWN = "null: the protocol does not state it (unknown, not 0)."


class Vote(Document):
    """A vote (Abstimmung) of a committee: all four counts, adopted or rejected; `source`
    (only when one was recorded): where it was taken from, e.g. an OParl id URL."""

    committee: str
    meeting_date: Day | None
    yes: int
    no: int
    abstentions: int
    recused: int = Field(description="befangen")
    outcome: str


class Decision(Document):
    """A committee's decision (Beschluss) as its protocol states it: the outcome, the wording
    and the counts stated; what it does not state is null. `source` (only when one was
    recorded): where it was taken from, e.g. an OParl id URL."""

    committee: str
    meeting_date: Day | None
    outcome: DecisionOutcome | None = Field(description="null: no outcome stated.")
    wording: str | None = Field(description="The protocol's sentence(s), verbatim.")
    yes: int | None = Field(description=UNKNOWN)
    no: int | None = Field(description=UNKNOWN)
    abstentions: int | None = Field(description=UNKNOWN)
    recused: int | None = Field(description=f"befangen; {UNKNOWN}")


class ResolutionSummary(Document):
    """A resolution in a list, with its votes and decisions."""

    reference: str = Field(examples=["2018/6/067", "V 123/2018"])
    title: str
    committee: str
    public: bool
    status: ResolutionStatus = Field(
        description="proposed, revoked, or the outcome of the last vote or decision stating "
        "one (in valid time)."
    )
    proposed_on: Day | None
    decided_on: Day | None = Field(
        description="The meeting date of that vote or decision; the proposal's date before."
    )
    executed_on: Day | None
    revoked_on: Day | None
    votes: list[Vote] = []
    decisions: list[Decision] = []


class ResolutionList(AsOfDocument):
    """Resolutions (Beschlüsse); anonymous readers see the public ones only."""

    resolutions: list[ResolutionSummary]


class FinancialEffect(Document):
    """The resolution's financial effect (amount, fiscal year, budget line)."""

    amount: Amount | None
    year: int | None
    line: str | None


class Resolution(AsOfDocument):
    """One resolution with its items, financial effect, votes and decisions; "exists": false
    before it."""

    reference: str
    exists: bool
    title: str | None = None
    committee: str | None = None
    submitter: str | None = None
    public: bool | None = None
    status: ResolutionStatus | None = None
    items: list[str] | None = None
    financial_effect: FinancialEffect | None = None
    votes: list[Vote] | None = None
    decisions: list[Decision] | None = None
    source: str | None = Field(
        default=None,
        description="Where the proposal was taken from (e.g. an OParl Paper's id URL).",
    )
    amendments: list[Any] | None = None
    proposed_on: Day | None = None
    decided_on: Day | None = None
    executed_on: Day | None = None
    revoked_on: Day | None = None


# ---- audit trail and ledger --------------------------------------------------------------


class AuditEvent(Document):
    """One event of the audit trail."""

    position: int
    recorded_at: Moment
    effective: Day | None
    body: str | None
    record: str | None
    key: str | None
    version: int
    type: str = Field(examples=["Resolution.VoteRecorded"])
    data: dict[str, Any]
    hash: str = Field(description="The chain hash at this position (hex).")


class EventPage(Positioned):
    """A page of the audit trail in position order; ask again with after=next_after.

    A page holds at most `limit` events and stops early, with `truncated` true, before an
    event that would take it beyond about 4 MB of event data (it always holds at least one).
    """

    events: list[AuditEvent]
    next_after: int = Field(description="The `after` of the next page.")
    truncated: bool = Field(
        description="true when the page stopped at its byte budget before `limit` events: "
        "more events may follow; ask again with after=next_after."
    )


class LedgerHead(Positioned):
    """The digest of the ledger at the read model's position: POSITION:HASH."""

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
    projector: str = Field(
        description="following (this process projects), standby (another process holds the "
        "projector lock), or external (`ledger project --follow` runs elsewhere)."
    )
