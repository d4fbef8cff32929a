"""A record's history as a reader follows it: per event, which fields went from what to what.

The entries are those of `projections.models.history.record_history`. An ordinary event sets its
fields: before is the value the record's earlier events on the page gave them. A correction
replaces values of the event at version `corrects`: before is that event's value. A
retraction withdraws the event at version `retracts` as recorded in error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from api.pages.formats import LABELS, UNKNOWN, de_amount, de_date, subject
from ledger.domain.measure import STATUSES

EVENT_LABELS: Final = {
    "Registered": "registriert",
    "Established": "eingerichtet",
    "SeatsChanged": "Sitzzahl geändert",
    "Started": "begonnen",
    "CertificateAwarded": "Zertifikat erteilt",
    "CertificateExpired": "Zertifikat abgelaufen",
    "CertificateWithdrawn": "Zertifikat entzogen",
    "ContractConcluded": "Vertrag geschlossen",
    "AuditorAssigned": "Auditor benannt",
    "WorkshopHeld": "Workshop durchgeführt",
    "AnnualReportSubmitted": "Jahresbericht eingereicht",
    "Completed": "abgeschlossen",
    "Abandoned": "abgebrochen",
    "Proposed": "eingebracht",
    "VoteRecorded": "Abstimmung erfasst",
    "DecisionRecorded": "Beschluss erfasst",
    "Executed": "ausgeführt",
    "Amended": "geändert",
    "Revoked": "aufgehoben",
    "Opened": "angelegt",
    "AppropriationSet": "Ansatz festgesetzt",
    "SupplementaryApproved": "über-/außerplanmäßig bewilligt",
    "FundingAwarded": "Förderung bewilligt",
    "FundingReceived": "Fördermittel eingegangen",
    "CommitmentRecorded": "Verpflichtung erfasst",
    "PaymentBooked": "Zahlung gebucht",
    "TreasuryStatementRecorded": "Stellungnahme der Kämmerei",
    "FieldDefined": "Handlungsfeld festgelegt",
    "GoalSet": "Ziel gesetzt",
    "GoalRevised": "Ziel geändert",
    "GoalDropped": "Ziel gestrichen",
    "Adopted": "beschlossen",
    "Added": "aufgenommen",
    "StatusUpdated": "Umsetzungsstand gemeldet",
    "Revised": "geändert",
    "Dropped": "gestrichen",
    "Recorded": "erfasst",
    "Answered": "beantwortet",
    "Closed": "geschlossen",
    "Withdrawn": "zurückgezogen",
    "Corrected": "Korrektur",
    "Retracted": "Rücknahme",
}
FIELD_LABELS: Final = {
    "status": "Umsetzungsstand",
    "progress": "Fortschritt",
    "note": "Bemerkung",
    "title": "Titel",
    "name": "Name",
    "amount": "Betrag",
    "resolution": "Beschluss",
    "kind": "Art",
    "text": "Text",
    "answer": "Antwort",
    "responsible": "Verantwortlich",
    "period": "Zeitraum",
    "goal": "Ziel",
    "field": "Handlungsfeld",
    "code": "Code",
    "seats": "Sitze",
    "yes": "Ja",
    "no": "Nein",
    "abstentions": "Enthaltungen",
    "recused": "befangen",
    "outcome": "Ergebnis",
    "wording": "Wortlaut",
    "source": "Quelle",
    "direction": "Richtung",
    "valid_from": "gültig ab",
    "valid_until": "gültig bis",
    "planned_from": "geplant ab",
    "planned_until": "geplant bis",
    "partner": "Partner",
    "auditor": "Auditor",
    "grantor": "Fördergeber",
    "programme": "Programm",
    "earmarked": "zweckgebunden",
    "committee": "Gremium",
    "submitter": "Einreicher",
    "public": "öffentlich",
    "published": "veröffentlicht",
    "items": "Beschlusspunkte",
    "financial_effect": "finanzielle Auswirkung",
    "year": "Haushaltsjahr",
    "line": "Haushaltsstelle",
    "cover": "Deckung",
    "assessment": "Bewertung",
    "subject": "Gegenstand",
    "land": "Land",
    "line_pattern": "Muster der Haushaltsstellen",
    "majority_rule": "Mehrheitsregel",
    "cycle": "Zyklus",
    "catalogue": "Katalog",
    "author": "Verfasser",
    "reason": "Grund",
}
#: Events that add an entry to the record (a payment, a vote, an approval) rather than set
#: its fields: their values are shown as they are, not as changes of the previous event's.
ADDING: Final = frozenset(
    {
        "VoteRecorded",
        "DecisionRecorded",
        "SupplementaryApproved",
        "FundingAwarded",
        "FundingReceived",
        "CommitmentRecorded",
        "PaymentBooked",
        "TreasuryStatementRecorded",
        "WorkshopHeld",
        "AnnualReportSubmitted",
        "CertificateAwarded",
    }
)
#: Fields that name the record rather than change it (not shown as changes).
IDENTITY: Final = frozenset({"body", "process", "slug", "reference", "number", "salt"})
AMOUNT_FIELDS: Final = frozenset({"amount", "financial_effect", "appropriation"})
#: The counts of a vote or decision (a decision's unstated ones are shown as unknown).
COUNTS: Final = frozenset({"yes", "no", "abstentions", "recused"})
#: German labels of coded values, by field.
CODED: Final = {
    "status": STATUSES,
    "kind": {**LABELS["supplementary"], **LABELS["finding_kind"], **LABELS["process_kind"]},
    "direction": LABELS["direction"],
    "assessment": LABELS["assessment"],
    "outcome": LABELS["outcome"],
    "majority_rule": LABELS["majority_rule"],
}


def _empty(value: Any) -> bool:
    return value is None or value == ""


def shown(name: str, value: Any) -> str:
    """A field value as text for the history table."""
    if _empty(value):
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if name in AMOUNT_FIELDS:
        return de_amount(value)
    if name == "progress":
        return f"{value}\u00a0%"
    if name == "subject":
        return subject(value)
    if name in CODED and isinstance(value, str):
        return CODED[name].get(value, value)
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            return de_date(value)
        except ValueError:
            return value
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@dataclass
class FieldChange:
    """One field of an event: its German name, before and after."""

    name: str
    before: str
    after: str
    changed: bool
    #: the value of an entry the event adds (shown alone, without a before)
    added: bool = False


@dataclass
class Step:
    """One event of the history as a reader sees it."""

    entry: dict[str, Any]
    what: str
    fields: list[FieldChange] = field(default_factory=list)
    reason: str | None = None
    refers_to: int | None = None  # the version a correction or retraction concerns


def steps(entries: list[dict[str, Any]]) -> list[Step]:
    """The events with their field changes, in version order."""
    state: dict[str, Any] = {}
    by_version: dict[int, dict[str, Any]] = {}
    found: list[Step] = []
    for entry in entries:
        data: dict[str, Any] = entry.get("data") or {}
        last = str(entry["type"]).rsplit(".", 1)[-1]
        step = Step(entry, EVENT_LABELS.get(last, last))
        if last == "Corrected":
            step.refers_to = data.get("corrects")
            step.reason = data.get("reason")
            earlier = by_version.get(step.refers_to or -1)
            for name, value in (data.get("values") or {}).items():
                # The corrected event on an earlier page: named, not read again.
                before = (
                    shown(name, earlier.get(name))
                    if earlier is not None
                    else f"(Wert aus Version {step.refers_to})"
                )
                after = shown(name, value)
                step.fields.append(
                    FieldChange(FIELD_LABELS.get(name, name), before, after, before != after)
                )
        elif last == "Retracted":
            step.refers_to = data.get("retracts")
            step.reason = data.get("reason")
        else:
            adding = last in ADDING
            for name, value in data.items():
                if name in IDENTITY:
                    continue
                previous = state.get(name)
                unstated = value is None and last == "DecisionRecorded" and name in COUNTS
                if _empty(value) and not unstated and (adding or _empty(previous)):
                    continue  # empty before and after (an event without a source): nothing to say
                after = UNKNOWN if unstated else shown(name, value)  # unstated: unknown, not none
                step.fields.append(
                    FieldChange(
                        FIELD_LABELS.get(name, name),
                        "–" if adding else shown(name, previous),
                        after,
                        adding or previous != value,
                        adding,
                    )
                )
                if not adding:
                    state[name] = value
            by_version[int(entry["version"])] = data
        found.append(step)
    return found
