"""From OParl objects to `ledger record` commands, one unit of commands per OParl object.

- Body -> `body` (only when the ledger has none with that slug; named from Body.name).
- Organization -> `committee` named from Organization.name; seats as `seats.py` counts
  them on each meeting date where the server has voting memberships. Where it has none,
  the committee is recorded with the server's `votingMemberCount`, else with the most
  votes any imported decision of it states (at least 1), raised by a `seats` change on a
  meeting date that states more: the seats are then no check on the counts, and the
  report says so.
- Paper -> `proposal`: reference, name as title, the date (or the first meeting date if
  that is earlier), the originating organizations as submitter, public unless one of its
  agenda items is marked non-public, the committee of its deciding consultation.
- The deciding Consultation with its AgendaItem -> `vote` (all four counts stated, outcome
  adopted or rejected or not stated) or `decision` (outcome from the result text, its
  wording, only the stated counts), effective on the Meeting's start date. A consultation
  is deciding when `authoritative` is true; a paper none of whose consultations says so
  takes its last consultation with a result. Others with a result are preliminary
  (Vorberatung): counted, not recorded as decisions.
- `deleted: true` -> `retraction` of what was imported from that object (the sync state
  remembers it: a deleted object carries nothing but its id).

A record the ledger already holds is not recorded again: the unit of a known paper has no
proposal, and a committee or body already recorded gets no command (the report notes a
different name or title instead).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ledger.commands.batch import Batch
from ledger.commands.fields import MAX_TEXT
from ledger.commands.registry import KINDS
from ledger.domain.base import LedgerAggregate
from ledger.domain.body import Body
from ledger.domain.committee import Committee
from ledger.domain.resolution import Resolution, check_reference, normalize_reference
from ledger.drafts.reference import slug
from ledger.errors import RuleViolationError
from ledger.importers.oparl.counts import CountReader
from ledger.importers.oparl.harvest import BadObject, Harvest
from ledger.importers.oparl.outcome import outcome_of

#: The field a command carries its OParl id in (provenance), where its record kind has it.
PROVENANCE = "source"
DECIDED = ("adopted", "rejected")
#: The unit retracting a deleted paper's proposal: the event that created the resolution.
#: A ledger that refuses to retract a record's creating event refuses only this unit, and
#: the run notes it instead of failing (run._tried).
PROPOSAL_RETRACTION = "retraction of a proposal"


@dataclass
class Unit:
    """The commands of one OParl object, recorded or refused together."""

    url: str
    what: str
    commands: list[dict[str, Any]] = field(default_factory=list)
    #: OParl id -> what it was imported as (kept in the sync state for later deletions)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: A paper's: the organization that decides it and the proposal's date (if proposed).
    organization: str | None = None
    effective: date | None = None


@dataclass
class Plan:
    """What a run would record, in the order the ledger needs it, and what it leaves out."""

    units: list[Unit] = field(default_factory=list)
    bad: list[BadObject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)
    #: OParl ids whose import was retracted (dropped from the sync state once recorded)
    retracted: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Decision:
    """A deciding consultation, read: where, when, by whom, what."""

    consultation: str
    item: str
    meeting: str
    paper: str
    reference: str
    organization: str
    day: date
    outcome: str | None
    wording: str
    counts: dict[str, int]


@dataclass
class Mapper:
    """Builds the plan of one run against what the ledger and the sync state hold."""

    harvest: Harvest
    batch: Batch
    body: str
    #: OParl id -> what an earlier run imported it as
    entries: dict[str, dict[str, Any]]
    today: date
    plan: Plan = field(default_factory=Plan)
    committees: dict[str, str] = field(default_factory=dict)  # organization id -> slug
    #: (reference, version) of the events this plan retracts
    retracting: set[tuple[str, int]] = field(default_factory=set)
    consultations_by_paper: dict[str, list[dict[str, Any]]] | None = None

    def build(self) -> Plan:
        """The plan: body, committees, proposals, decisions, retractions."""
        reader = CountReader(self.body)
        decisions = self._decisions(reader)
        deciding = self._deciding_organizations(decisions)
        proposals = [self._guarded(p, "Paper", self._proposal, deciding) for p in self._papers()]
        units = [u for u in proposals if u is not None]
        committees = self._committee_units(decisions, units)
        decision_units = [self._decision_unit(d) for d in decisions]
        retractions = self._retractions()
        body_unit = self._body_unit(committees + units)
        self.plan.units = [
            *body_unit,
            *committees,
            *units,
            *[u for u in decision_units if u is not None],
            *retractions,
        ]
        return self.plan

    def _guarded(
        self, obj: dict[str, Any], kind: str, make: Callable[..., Unit | None], *args: Any
    ) -> Unit | None:
        """`make(obj, ...)`, an unexpected shape of the object becoming a bad object."""
        try:
            return make(obj, *args)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            reason = f"{kind}: cannot be mapped ({type(exc).__name__}: {exc})"
            self.plan.bad.append(BadObject(str(obj.get("id")), reason))
            return None

    # -- body ----------------------------------------------------------------------------

    def _body_unit(self, units: list[Unit]) -> list[Unit]:
        body = self.harvest.body
        entry = {"record": "body", "body": self.body}
        record = self.batch.find(Body, Body.id_for(self.body))
        if record is not None:
            recorded = record.state_at().name
            if recorded != body.get("name"):
                self.plan.notes.append(
                    f"body '{self.body}' is recorded as '{recorded}'; the source names it "
                    f"'{body.get('name')}' (not changed)"
                )
            return [Unit(body["id"], "body", [], {body["id"]: entry})]
        dates = [c["effective"] for u in units for c in u.commands if "effective" in c]
        effective = min(dates, default=_day(body.get("created")) or self.today)
        command = {
            "record": "body",
            "body": self.body,
            "name": str(body["name"]).strip(),
            "effective": effective,
        }
        self.plan.stats["body"] += 1
        return [Unit(body["id"], "body", [sourced(command, body["id"])], {body["id"]: entry})]

    # -- committees ----------------------------------------------------------------------

    def committee_of(self, organization: str) -> str | None:
        """The committee slug of an organization (as imported before, else from its name)."""
        if organization in self.committees:
            return self.committees[organization]
        known = self.entries.get(organization)
        if known and known.get("record") == "committee":
            found = str(known["committee"])
        else:
            org = self.harvest.organizations.get(organization)
            if org is None:
                return None
            name = org.get("name") or org.get("shortName")
            found = slug(name) if isinstance(name, str) else ""
            if not found:
                return None
        self.committees[organization] = found
        return found

    def _committee_units(self, decisions: list[Decision], papers: list[Unit]) -> list[Unit]:
        by_slug: dict[str, list[str]] = {}  # slug -> its organizations
        named = [d.organization for d in decisions] + [u.organization for u in papers]
        for organization in named:
            committee = self.committee_of(organization) if organization else None
            if organization and committee is not None:
                by_slug.setdefault(committee, []).append(organization)
        units = []
        for committee, organizations in sorted(by_slug.items()):
            mine = sorted(
                (d for d in decisions if self.committee_of(d.organization) == committee),
                key=lambda d: d.day,
            )
            starts = [
                u.effective
                for u in papers
                if u.organization and u.effective and self.committee_of(u.organization) == committee
            ]
            first = organizations[0]
            unit = self._guarded(
                self.harvest.organizations.get(first, {"id": first}),
                "Organization",
                self._committee,
                committee,
                sorted(set(organizations)),
                mine,
                starts,
            )
            if unit is not None:
                units.append(unit)
        return units

    def _committee(
        self,
        org: dict[str, Any],
        committee: str,
        organizations: list[str],
        decisions: list[Decision],
        starts: list[date],
    ) -> Unit:
        url = str(org["id"])
        unit = Unit(url, "committee")
        for organization in organizations:
            unit.entries[organization] = {"record": "committee", "committee": committee}
        record = self.batch.find(Committee, Committee.id_for(self.body, committee))
        seats = self.harvest.memberships.seats
        stated = [(d.day, sum(d.counts.values()), seats(d.organization, d.day)) for d in decisions]
        changes: list[tuple[date, int]] = []
        if record is None:
            name = org.get("name") or org.get("shortName")
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"organization {url} has no name to record the committee with")
            first_known = next((s for _, _, s in stated if s is not None), None)
            fallback = max([_positive(org.get("votingMemberCount")), *(t for _, t, _ in stated)])
            initial = (stated[0][2] if stated else None) or first_known or max(fallback, 1)
            begin = _day(org.get("startDate"))
            candidates = [d for d, _, _ in stated] + starts + ([begin] if begin else [])
            effective = min(candidates, default=self.today)
            command = {
                "record": "committee",
                "body": self.body,
                "committee": committee,
                "name": name.strip(),
                "seats": initial,
                "effective": effective,
            }
            unit.commands.append(sourced(command, url))
            changes.append((effective, initial))
            self.plan.stats["committee"] += 1
        else:
            changes = _seat_changes(record)
        unknown = 0
        for day, total, known in stated:
            current = _seats_at(changes, day)
            target = known if known is not None else (total if total > current else None)
            unknown += known is None
            if target is not None and target != current and target > 0 and current > 0:
                command = {
                    "record": "seats",
                    "body": self.body,
                    "committee": committee,
                    "seats": target,
                    "effective": day,
                }
                unit.commands.append(sourced(command, url))
                changes.append((day, target))
                self.plan.stats["seats"] += 1
        if unknown:
            self.plan.notes.append(
                f"committee '{committee}' ({url}): the server states no voting memberships on "
                f"{unknown} of its meeting dates; there its seats are the server's "
                "votingMemberCount or the most votes a decision states, no check on the counts"
            )
        return unit

    # -- papers --------------------------------------------------------------------------

    def _papers(self) -> list[dict[str, Any]]:
        return [p for p in self.harvest.papers.values() if p["id"] not in self.harvest.deleted]

    def _deciding_organizations(self, decisions: list[Decision]) -> dict[str, str]:
        """Per paper, the organization of its (last) deciding consultation."""
        out: dict[str, str] = {}
        for decision in sorted(decisions, key=lambda d: d.day):
            out[decision.paper] = decision.organization
        return out

    def _proposal(self, paper: dict[str, Any], deciding: dict[str, str]) -> Unit | None:
        url = str(paper["id"])
        reference = paper.get("reference")
        if not isinstance(reference, str) or not reference.strip():
            self.plan.bad.append(BadObject(url, "Paper: has no reference to record it under"))
            return None
        try:
            reference = check_reference(reference)
        except RuleViolationError as exc:
            self.plan.bad.append(BadObject(url, f"Paper: its reference {exc.rule}"))
            return None
        unit = Unit(url, "paper", entries={url: {"record": "proposal", "resolution": reference}})
        record = self.batch.find(Resolution, Resolution.id_for(self.body, reference))
        if record is not None:
            self._compare(record, paper, reference)
            self.plan.stats["paper already recorded"] += 1
            return unit
        consultations = self._consultations_of(url)
        organization = deciding.get(url) or next(
            (o for _, o, _ in reversed(consultations) if o is not None), None
        )
        committee = self.committee_of(organization) if organization else None
        if committee is None:
            self.plan.stats["paper without a deciding committee"] += 1
            return None
        name = paper.get("name")
        if not isinstance(name, str) or not name.strip():
            self.plan.bad.append(BadObject(url, "Paper: has no name to record as its title"))
            return None
        days = [d for _, _, d in consultations if d is not None]
        stated = _day(paper.get("date")) or _day(paper.get("created"))
        effective = min([*days, *([stated] if stated else [])], default=None)
        if effective is None:
            self.plan.bad.append(BadObject(url, "Paper: has neither a date nor a meeting date"))
            return None
        command: dict[str, Any] = {
            "record": "proposal",
            "body": self.body,
            "resolution": reference,
            "title": _bounded(name),
            "committee": committee,
            "public": self._public(url),
            "effective": effective,
        }
        submitter = self._submitter(paper)
        if submitter:
            command["submitter"] = submitter
        unit.commands.append(sourced(command, url))
        unit.organization, unit.effective = organization, effective
        self.plan.stats["proposal"] += 1
        return unit

    def _compare(self, record: Resolution, paper: dict[str, Any], reference: str) -> None:
        state = record.state_at()
        name = paper.get("name")
        if isinstance(name, str) and name.strip() and state.title != _bounded(name):
            self.plan.notes.append(
                f"{paper['id']}: resolution {reference} is recorded with the title "
                f"'{state.title}'; the source's '{name.strip()[:80]}' is not recorded"
            )

    def _consultations_of(self, paper: str) -> list[tuple[dict[str, Any], str | None, date | None]]:
        """(consultation, organization, meeting date) of a paper, by meeting date."""
        out = []
        for consultation in self._by_paper().get(paper, []):
            _, meeting = self._item_and_meeting(consultation)
            out.append((consultation, self._organization(consultation, meeting), _start(meeting)))
        return sorted(out, key=lambda c: c[2] or date.max)

    def _public(self, paper: str) -> bool:
        """Public unless an agenda item of the paper is marked non-public."""
        for consultation in self._by_paper().get(paper, []):
            item, _ = self._item_and_meeting(consultation)
            if item is not None and item.get("public") is False:
                return False
        return True

    def _by_paper(self) -> dict[str, list[dict[str, Any]]]:
        """The consultations of each paper (built once per plan)."""
        if self.consultations_by_paper is None:
            index: dict[str, list[dict[str, Any]]] = {}
            for consultation, owner in self.harvest.consultations.values():
                if owner is not None:
                    index.setdefault(owner, []).append(consultation)
            self.consultations_by_paper = index
        return self.consultations_by_paper

    def _submitter(self, paper: dict[str, Any]) -> str:
        names = []
        for url in paper.get("originatorOrganization") or []:
            org = self.harvest.organizations.get(url) if isinstance(url, str) else None
            if org is not None and isinstance(org.get("name"), str):
                names.append(org["name"].strip())
        return _bounded(", ".join(n for n in names if n))

    # -- decisions -----------------------------------------------------------------------

    def _item_and_meeting(
        self, consultation: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        h = self.harvest
        found = h.items.get(consultation.get("agendaItem") or "")
        item, meeting_id = found if found else (None, None)
        meeting_id = meeting_id or consultation.get("meeting")
        meeting = h.meetings.get(meeting_id) if isinstance(meeting_id, str) else None
        return item, meeting

    def _organization(
        self, consultation: dict[str, Any], meeting: dict[str, Any] | None
    ) -> str | None:
        named = [o for o in consultation.get("organization") or [] if isinstance(o, str)]
        if not named and meeting is not None:
            named = [o for o in meeting.get("organization") or [] if isinstance(o, str)]
        return named[0] if named else None

    def _decisions(self, reader: CountReader) -> list[Decision]:
        """The deciding consultations with a result (or stated counts), read."""
        h = self.harvest
        by_paper: dict[str, list[dict[str, Any]]] = {}
        for consultation, paper in h.consultations.values():
            if paper is not None and paper not in h.deleted:
                by_paper.setdefault(paper, []).append(consultation)
        out: list[Decision] = []
        for paper_id, consultations in by_paper.items():
            paper_object = h.papers.get(paper_id)
            if paper_object is None:
                continue
            read = []
            for consultation in consultations:
                try:
                    found = self._read(consultation, paper_object, reader)
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    reason = f"Consultation: cannot be mapped ({type(exc).__name__}: {exc})"
                    self.plan.bad.append(BadObject(str(consultation.get("id")), reason))
                    continue
                if found is not None:
                    read.append((consultation.get("authoritative"), found))
            out.extend(self._deciding(read))
        return out

    def _deciding(self, read: list[tuple[Any, Decision]]) -> list[Decision]:
        """The deciding ones of a paper's consultations with a result (see the module doc)."""
        if any(flag is True for flag, _ in read):
            chosen = [d for flag, d in read if flag is True]
        else:
            unmarked = sorted((d for flag, d in read if flag is None), key=lambda d: d.day)
            chosen = unmarked[-1:]
        self.plan.stats["preliminary consultation"] += len(read) - len(chosen)
        return chosen

    def _read(
        self, consultation: dict[str, Any], paper: dict[str, Any], reader: CountReader
    ) -> Decision | None:
        url = str(consultation["id"])
        item, meeting = self._item_and_meeting(consultation)
        if item is None or meeting is None:
            self.plan.stats["consultation not on an agenda"] += 1
            return None
        if meeting.get("cancelled") is True:
            self.plan.stats["consultation in a cancelled meeting"] += 1
            return None
        reference = normalize_reference(str(paper.get("reference") or ""))
        result = str(item["result"]) if isinstance(item.get("result"), str) else ""
        counts = reader.counts(item, meeting, reference)
        stated = counts.values if counts else {}
        if not result.strip() and not stated:
            self.plan.stats["consultation without a result yet"] += 1
            return None
        day = _start(meeting) or _day(item.get("start"))
        if day is None:
            self.plan.bad.append(
                BadObject(url, f"its meeting {meeting['id']} has no start date to date it by")
            )
            return None
        organization = self._organization(consultation, meeting)
        if organization is None:
            self.plan.bad.append(BadObject(url, "names no organization, nor does its meeting"))
            return None
        if self.committee_of(organization) is None:
            self.plan.bad.append(
                BadObject(url, f"its organization {organization} could not be read or has no name")
            )
            return None
        text = result.strip() or str(item.get("resolutionText") or "").strip()
        if not text and counts:
            text = f"(no result text; counts from the file {counts.file})"
        return Decision(
            url,
            str(item["id"]),
            str(meeting["id"]),
            str(paper["id"]),
            reference,
            organization,
            day,
            outcome_of(result),
            _bounded(text),
            dict(stated),
        )

    def _decision_unit(self, decision: Decision) -> Unit | None:
        committee = self.committee_of(decision.organization)
        assert committee is not None
        complete = len(decision.counts) == 4
        as_vote = complete and (
            decision.outcome in DECIDED or (decision.outcome is None and not decision.wording)
        )
        kind = "vote" if as_vote else "decision"
        command: dict[str, Any] = {
            "record": kind,
            "body": self.body,
            "resolution": decision.reference,
            "committee": committee,
            "effective": decision.day,
            **decision.counts,
        }
        if decision.outcome is not None and (kind == "decision" or decision.outcome in DECIDED):
            command["outcome"] = decision.outcome
        if kind == "decision":
            command["wording"] = decision.wording
        entry = {
            "record": kind,
            "resolution": decision.reference,
            "committee": committee,
            "effective": decision.day.isoformat(),
            "meeting": decision.meeting,
            "paper": decision.paper,
            "consultation": decision.consultation,
            "item": decision.item,
        }
        self.plan.stats[kind] += 1
        return Unit(
            decision.consultation,
            kind,
            [sourced(command, decision.consultation)],
            {decision.consultation: entry, decision.item: entry},
        )

    # -- deletions -----------------------------------------------------------------------

    def _retractions(self) -> list[Unit]:
        """Per deleted object, a unit retracting the votes and decisions imported from it,
        and one retracting the proposal of a deleted paper (see `PROPOSAL_RETRACTION`)."""
        units = []
        deleted = {**self._vanished(), **self.harvest.deleted}
        for oparl_id, (kind, obj) in sorted(deleted.items()):
            entry = self.entries.get(oparl_id)
            if entry is None and kind != "Meeting":
                self.plan.stats["deleted object never imported"] += 1
                continue
            targets = self._imported_from(oparl_id, kind, entry)
            if not targets and entry is not None and entry.get("record") in ("body", "committee"):
                self.plan.notes.append(
                    f"{oparl_id}: deleted in the source; the {entry['record']} "
                    f"'{entry.get(entry['record'])}' stays (a {entry['record']} is not retracted)"
                )
                continue
            effective = _day(obj.get("modified")) or self.today
            reason = _bounded(f"deleted in the OParl source ({oparl_id})")
            decisions = Unit(oparl_id, "retraction")
            proposals = Unit(oparl_id, PROPOSAL_RETRACTION)
            for target in targets:
                unit = proposals if target.get("record") == "proposal" else decisions
                for version in self._versions(target):
                    if (target["resolution"], version) in self.retracting:
                        continue  # an agenda item and its consultation name the same vote
                    self.retracting.add((target["resolution"], version))
                    command = {
                        "record": "retraction",
                        "body": self.body,
                        "target": "resolution",
                        "resolution": target["resolution"],
                        "version": version,
                        "reason": reason,
                        "effective": effective,
                    }
                    unit.commands.append(sourced(command, oparl_id))
                    self.plan.stats["retraction"] += 1
            self.plan.retracted.add(oparl_id)
            units.append(decisions)
            if proposals.commands:
                units.append(proposals)
        return units

    def _vanished(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """Agenda items and consultations imported before that a meeting or paper read now
        no longer embeds: a server must not embed deleted objects (spec 2.5), so a deleted
        one shows only as missing from its parent, which then has a newer `modified`."""
        h = self.harvest
        out: dict[str, tuple[str, dict[str, Any]]] = {}
        for entry in self.entries.values():
            meeting = h.meetings.get(str(entry.get("meeting")))
            item = entry.get("item")
            if meeting is not None and isinstance(item, str) and item not in h.items:
                out[item] = ("AgendaItem", {"id": item, "modified": meeting.get("modified")})
            paper = h.papers.get(str(entry.get("paper")))
            consultation = entry.get("consultation")
            gone = isinstance(consultation, str) and consultation not in h.consultations
            if paper is not None and gone:
                stub = {"id": consultation, "modified": paper.get("modified")}
                out[str(consultation)] = ("Consultation", stub)
        return out

    def _imported_from(
        self, oparl_id: str, kind: str, entry: dict[str, Any] | None
    ) -> list[dict[str, Any]]:
        """What was imported from a deleted object: its own records and those under it."""
        if kind == "Meeting":
            under = [e for e in self.entries.values() if e.get("meeting") == oparl_id]
            return list({(e["resolution"], e["effective"]): e for e in under}.values())
        if entry is None or "resolution" not in entry:
            return []
        if entry.get("record") == "proposal":
            under = [e for e in self.entries.values() if e.get("paper") == oparl_id]
            decisions = list({(e["resolution"], e["effective"]): e for e in under}.values())
            return [*decisions, entry]
        return [entry]

    def _versions(self, target: dict[str, Any]) -> list[int]:
        """The standing versions of the resolution's events that `target` names."""
        reference = str(target["resolution"])
        record = self.batch.find(Resolution, Resolution.id_for(self.body, reference))
        if record is None:
            return []
        retracted = record.retracted_versions()
        if target.get("record") == "proposal":
            return [] if 1 in retracted else [1]
        day = _day(target.get("effective"))
        return [
            version
            for version, fact in sorted(record.facts.items())
            if version != 1
            and version not in retracted
            and not isinstance(fact, LedgerAggregate.Corrected | LedgerAggregate.Retracted)
            and getattr(fact, "committee", None) == target.get("committee")
            and fact.effective == day
        ]


def sourced(command: dict[str, Any], url: str) -> dict[str, Any]:
    """The command with its OParl id as provenance, if its record kind has a field for it."""
    kind = KINDS.get(str(command["record"]))
    if kind is not None and PROVENANCE in kind.fields:
        return {**command, PROVENANCE: url}
    return command


def _seat_changes(record: Committee) -> list[tuple[date, int]]:
    return [
        (fact.effective, fact.seats)
        for fact in record.current_facts()
        if isinstance(fact, Committee.Established | Committee.SeatsChanged)
    ]


def _seats_at(changes: list[tuple[date, int]], day: date) -> int:
    """The seats in effect on `day`: the last change on or before it (0: none yet)."""
    found = 0
    for when, seats in sorted(changes, key=lambda c: c[0]):
        if when <= day:
            found = seats
    return found


def _positive(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _start(meeting: dict[str, Any] | None) -> date | None:
    """A meeting's date: its start's date as the server writes it (local time)."""
    return _day(meeting.get("start")) if meeting is not None else None


def _bounded(text: str) -> str:
    """Text within the ledger's limit for a field, on one line."""
    plain = " ".join(text.split())
    return plain if len(plain) <= MAX_TEXT else plain[: MAX_TEXT - 1] + "…"
