"""Reading what an import needs from an OParl source: the body, its lists, what they name.

The body's organizations, meetings (with their agenda items) and papers (with their
consultations) are read from its lists, with `modified_since` on later runs. What they
reference and the lists did not hold (on a later run: the unchanged meeting of a changed
paper, the paper of a changed meeting's agenda item, a committee) is read by its URL.
Every object is checked against the OParl 1.1 schema of its type; an object that fails,
and a reference that answers 404, is a bad object (URL and reason) and is left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ledger.errors import LedgerError
from ledger.importers.oparl.client import Client, FetchError
from ledger.importers.oparl.schema import kind_of, problems
from ledger.importers.oparl.seats import Memberships, collect


class SourceError(LedgerError):
    """The source as a whole cannot be imported (no OParl 1.1 body, a list that fails)."""


@dataclass(frozen=True)
class BadObject:
    """An object that is left out: its URL and why."""

    url: str
    reason: str


@dataclass
class Harvest:
    """The objects of one run, by id; embedded ones with the id of their parent."""

    system: dict[str, Any] | None
    body: dict[str, Any]
    organizations: dict[str, dict[str, Any]] = field(default_factory=dict)
    meetings: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: agenda item id -> (agenda item, its meeting's id)
    items: dict[str, tuple[dict[str, Any], str | None]] = field(default_factory=dict)
    papers: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: consultation id -> (consultation, its paper's id)
    consultations: dict[str, tuple[dict[str, Any], str | None]] = field(default_factory=dict)
    memberships: Memberships = field(default_factory=Memberships)
    #: id -> (type, object) of objects the source marks deleted
    deleted: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    bad: list[BadObject] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def body_id(self) -> str:
        """The OParl id of the body: the source's key in the sync state."""
        return str(self.body["id"])

    def count(self, name: str, by: int = 1) -> None:
        """Adds to one of the run's counts (shown in the report)."""
        self.counts[name] = self.counts.get(name, 0) + by


def entry_body(client: Client, url: str, oparl_body: str | None) -> tuple[Any, dict[str, Any]]:
    """(System or None, Body) of the import URL: a Body, or a System and the body chosen."""
    try:
        entry = client.get(url)
    except FetchError as exc:
        raise SourceError(f"cannot read the OParl source {exc}") from None
    kind = kind_of(entry)
    if kind == "Body":
        _fatal(url, entry, "Body")
        if oparl_body is not None and entry.get("id") != oparl_body:
            raise SourceError(f"{url} is the Body {entry.get('id')}, not --oparl-body {oparl_body}")
        return None, entry
    _fatal(url, entry, "System")
    bodies = []
    try:
        for body in client.objects(entry["body"], "Body"):
            if isinstance(body, dict) and body.get("deleted") is not True:
                bodies.append(body)
    except FetchError as exc:
        raise SourceError(f"cannot read the system's bodies: {exc}") from None
    ids = [str(b.get("id")) for b in bodies]
    if oparl_body is not None:
        chosen = [b for b in bodies if b.get("id") == oparl_body]
        if not chosen:
            raise SourceError(
                f"--oparl-body {oparl_body} is not a body of {url} (bodies: {', '.join(ids)})"
            )
    elif len(bodies) != 1:
        listed = ", ".join(ids) or "none"
        raise SourceError(
            f"{url} has {len(bodies)} bodies; choose one with --oparl-body ID (bodies: {listed})"
        )
    else:
        chosen = bodies
    _fatal(str(chosen[0].get("id")), chosen[0], "Body")
    return entry, chosen[0]


def _fatal(url: str, obj: Any, kind: str) -> None:
    found = problems(obj, kind)
    if found:
        raise SourceError(f"{url}: not an OParl 1.1 {kind}: {'; '.join(found)}")


@dataclass
class Harvester:
    """Reads one run's objects into a Harvest."""

    client: Client
    harvest: Harvest
    #: Organizations whose committee the ledger already knows (not read again by URL).
    known_organizations: frozenset[str] = frozenset()

    def run(self, since: str | None, needs_seats: Callable[[Harvest], bool]) -> Harvest:
        """Reads the lists (filtered by `since`), then what they reference."""
        body = self.harvest.body
        params = {"modified_since": since} if since else {}
        self._list(body.get("organization"), "Organization", params, self._organization)
        self._list(body.get("meeting"), "Meeting", params, self._meeting)
        self._list(body.get("paper"), "Paper", params, self._paper)
        if since:
            # OParl 1.1's lists of formerly embedded objects: read for their deletions only
            # (the changed ones come embedded in their meetings and papers).
            self._list(body.get("agendaItem"), "AgendaItem", params, _ignore)
            self._list(body.get("consultation"), "Consultation", params, _ignore)
        self._references()
        if needs_seats(self.harvest):
            self.harvest.memberships = self._memberships()
        return self.harvest

    # -- lists ---------------------------------------------------------------------------

    def _list(
        self, url: Any, kind: str, params: dict[str, str], take: Callable[[dict[str, Any]], None]
    ) -> None:
        if not isinstance(url, str):
            return
        try:
            for obj in self.client.objects(url, kind, params):
                self._take(obj, kind, url, take)
        except FetchError as exc:
            raise SourceError(f"cannot read the list of {kind} objects: {exc}") from None

    def _take(
        self, obj: Any, kind: str, where: str, take: Callable[[dict[str, Any]], None]
    ) -> bool:
        """Checks an object; keeps it (or notes its deletion); False if it is bad."""
        url = obj.get("id") if isinstance(obj, dict) and isinstance(obj.get("id"), str) else where
        found = problems(obj, kind)
        if found:
            self.harvest.bad.append(BadObject(str(url), f"{kind}: {'; '.join(found)}"))
            return False
        if obj.get("deleted") is True:
            self.harvest.deleted[obj["id"]] = (kind, obj)
            self.harvest.count(f"deleted {kind}")
            return True
        take(obj)
        return True

    def _organization(self, obj: dict[str, Any]) -> None:
        self.harvest.organizations[obj["id"]] = obj
        self.harvest.count("Organization")

    def _meeting(self, obj: dict[str, Any]) -> None:
        self.harvest.meetings[obj["id"]] = obj
        self.harvest.count("Meeting")
        for index, item in enumerate(_listed(obj.get("agendaItem"))):
            where = f"{obj['id']} (agendaItem {index + 1})"
            self._take(item, "AgendaItem", where, lambda i: self._item(i, obj["id"]))

    def _item(self, obj: dict[str, Any], meeting: str | None) -> None:
        self.harvest.items[obj["id"]] = (obj, meeting or _text(obj.get("meeting")))
        self.harvest.count("AgendaItem")

    def _paper(self, obj: dict[str, Any]) -> None:
        self.harvest.papers[obj["id"]] = obj
        self.harvest.count("Paper")
        for index, item in enumerate(_listed(obj.get("consultation"))):
            where = f"{obj['id']} (consultation {index + 1})"
            self._take(item, "Consultation", where, lambda c: self._consultation(c, obj["id"]))

    def _consultation(self, obj: dict[str, Any], paper: str | None) -> None:
        self.harvest.consultations[obj["id"]] = (obj, paper or _text(obj.get("paper")))
        self.harvest.count("Consultation")

    # -- references ----------------------------------------------------------------------

    def _fetch(self, url: str, kind: str, referrer: str, attribute: str) -> dict[str, Any] | None:
        """An object read by its URL and checked; None (and a bad object) if it cannot be."""
        try:
            obj = self.client.get(url)
        except FetchError as exc:
            reason = f"its {attribute} {url} cannot be read: {exc.reason}"
            self.harvest.bad.append(BadObject(referrer, reason))
            return None
        found = problems(obj, kind)
        if found:
            self.harvest.bad.append(BadObject(url, f"{kind}: {'; '.join(found)}"))
            return None
        if obj.get("deleted") is True:
            self.harvest.deleted.setdefault(url, (kind, obj))
            return None
        return dict(obj)

    def _references(self) -> None:
        """Reads what the lists' objects reference and the lists did not hold."""
        h = self.harvest
        # Agenda items of changed meetings whose consultation (and paper) did not change.
        for item, _ in list(h.items.values()):
            wanted = _text(item.get("consultation"))
            if wanted and wanted not in h.consultations:
                read = self._fetch(wanted, "Consultation", item["id"], "consultation")
                if read is not None:
                    self._consultation(read, None)
        # Papers of consultations read by their URL.
        for consultation, paper in list(h.consultations.values()):
            if paper and paper not in h.papers and paper not in h.deleted:
                found = self._fetch(paper, "Paper", consultation["id"], "paper")
                if found is not None:
                    # with its consultations: one missing from it now was deleted
                    self._paper(found)
        # Agenda items and meetings of consultations whose meeting did not change.
        for consultation, _ in list(h.consultations.values()):
            self._meeting_of(consultation)
        for organization in self._organizations_named():
            if organization not in h.organizations and organization not in h.deleted:
                found = self._fetch(organization, "Organization", organization, "organization")
                if found is not None:
                    h.organizations[organization] = found

    def _meeting_of(self, consultation: dict[str, Any]) -> None:
        h = self.harvest
        item_url = _text(consultation.get("agendaItem"))
        meeting = _text(consultation.get("meeting"))
        if item_url and item_url not in h.items and item_url not in h.deleted:
            item = self._fetch(item_url, "AgendaItem", consultation["id"], "agendaItem")
            if item is None:
                return
            self._item(item, None)
        if item_url in h.items:
            meeting = h.items[item_url][1] or meeting
            if meeting and h.items[item_url][1] is None:
                h.items[item_url] = (h.items[item_url][0], meeting)
        if meeting and meeting not in h.meetings and meeting not in h.deleted:
            found = self._fetch(meeting, "Meeting", item_url or consultation["id"], "meeting")
            if found is not None:
                self._meeting(found)  # with its agenda items, as for the list's meetings

    def _organizations_named(self) -> list[str]:
        """The organizations named by the consultations (else their meetings)."""
        h = self.harvest
        named: list[str] = []
        for consultation, _ in h.consultations.values():
            found = _texts(consultation.get("organization"))
            item = h.items.get(_text(consultation.get("agendaItem")) or "")
            meeting = h.meetings.get((item[1] if item else None) or "")
            if not found and meeting is not None:
                found = _texts(meeting.get("organization"))
            named.extend(found[:1])
        return [o for o in dict.fromkeys(named) if o not in self.known_organizations]

    def _memberships(self) -> Memberships:
        """The body's memberships: its membership list, else those embedded in its persons."""
        body = self.harvest.body
        pairs: list[tuple[dict[str, Any], str | None]] = []
        try:
            if isinstance(body.get("membership"), str):
                for obj in self.client.objects(body["membership"], "Membership"):
                    if self._checked(obj, "Membership", body["membership"]):
                        pairs.append((obj, None))
            elif isinstance(body.get("person"), str):
                for person in self.client.objects(body["person"], "Person"):
                    if not self._checked(person, "Person", body["person"]):
                        continue
                    for obj in _listed(person.get("membership")):
                        if isinstance(obj, dict):
                            pairs.append((obj, person["id"]))
        except FetchError as exc:
            raise SourceError(f"cannot read the body's memberships: {exc}") from None
        return collect(pairs)

    def _checked(self, obj: Any, kind: str, where: str) -> bool:
        found = problems(obj, kind)
        if found:
            url = obj.get("id") if isinstance(obj, dict) else where
            self.harvest.bad.append(BadObject(str(url or where), f"{kind}: {'; '.join(found)}"))
            return False
        return bool(obj.get("deleted") is not True)


def _ignore(obj: dict[str, Any]) -> None:
    """Takes nothing from an object that is not deleted."""


def _listed(value: Any) -> Iterable[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _texts(value: Any) -> list[str]:
    return [v for v in _listed(value) if isinstance(v, str) and v]
