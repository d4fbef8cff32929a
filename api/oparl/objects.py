"""The ledger's records as OParl 1.1 objects.

- Body per ledger body; Organization (a Gremium) per committee, its seats as
  `votingMemberCount`;
- Paper (a Beschlussvorlage) per resolution, embedding a Consultation per vote or decision;
- Meeting per committee and meeting date of a vote or decision, embedding an AgendaItem
  per resolution decided there, whose `result` says the outcome and the known counts in
  words ("beschlossen (Ja 9, Nein 0, Enthaltungen 0, befangen 0)").

A meeting's time of day is not in the ledger: `start` is midnight UTC of its date. A
retracted record is an object with `deleted: true` and nothing but id, type, created and
modified (OParl 1.1, 2.8); a meeting whose every vote and decision was retracted too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from api.oparl.readmodel import BodyData, Record, Snapshot, Tally
from ledger.importers.oparl.outcome import result_text

TYPE = "https://schema.oparl.org/1.1/"
VERSION = "https://schema.oparl.org/1.1/"
EPOCH = datetime(1970, 1, 1).isoformat() + "+00:00"


def stamp(moment: datetime) -> str:
    """A time as OParl writes it (RFC 3339, UTC)."""
    return moment.isoformat()


def segment(text: str, *, slashes: bool = False) -> str:
    """A key as a URL path segment: percent-encoded ("V 123/2018" as V%20123/2018 when its
    slashes stay, as the routes' {reference:path} reads it back)."""
    return quote(text, safe="/" if slashes else "")


@dataclass(frozen=True)
class Links:
    """The URLs of the served objects under one base (e.g. http://host/oparl/v1); every key
    in them percent-encoded (a reference may hold spaces)."""

    base: str

    def system(self) -> str:
        """The System."""
        return f"{self.base}/system"

    def bodies(self) -> str:
        """The list of bodies."""
        return f"{self.base}/bodies"

    def body(self, body: str, *rest: str) -> str:
        """A body, or something under it (`rest`: segments already encoded)."""
        return "/".join([f"{self.base}/body/{segment(body)}", *rest])

    def organization(self, body: str, committee: str) -> str:
        """A committee."""
        return self.body(body, "organization", segment(committee))

    def meeting(self, body: str, committee: str, day: date) -> str:
        """A committee's meeting on a date."""
        return self.body(body, "meeting", segment(committee), day.isoformat())

    def item(self, body: str, tally: Tally) -> str:
        """The agenda item of a resolution in a meeting."""
        parts = (segment(tally.committee), tally.day.isoformat())
        return self.body(body, "agendaitem", *parts, segment(tally.reference, slashes=True))

    def consultation(self, body: str, tally: Tally) -> str:
        """The consultation of a resolution in a meeting."""
        parts = (segment(tally.committee), tally.day.isoformat())
        return self.body(body, "consultation", *parts, segment(tally.reference, slashes=True))

    def paper(self, body: str, reference: str) -> str:
        """A resolution's paper."""
        return self.body(body, "paper", segment(reference, slashes=True))


def deleted(
    identifier: str, kind: str, created: datetime, modified: datetime, **kept: Any
) -> dict[str, Any]:
    """A deleted object: id, type, created, modified, `deleted: true`, and what the schema
    of its type requires beyond id and type (`kept`), so that it still validates."""
    return {
        "id": identifier,
        "type": TYPE + kind,
        "created": stamp(created),
        "modified": stamp(modified),
        "deleted": True,
        **kept,
    }


def system(links: Links, snap: Snapshot) -> dict[str, Any]:
    """The System: this ledger."""
    records = [d.body for d in snap.bodies.values()]
    created = min((r.created for r in records), default=None)
    modified = max((r.modified for r in records), default=None)
    out: dict[str, Any] = {
        "id": links.system(),
        "type": TYPE + "System",
        "oparlVersion": VERSION,
        "name": "ledger: Beschlüsse und Abstimmungen",
        "body": links.bodies(),
    }
    out["created"] = stamp(created) if created else EPOCH
    out["modified"] = stamp(modified) if modified else EPOCH
    return out


def body(links: Links, data: BodyData) -> dict[str, Any]:
    """A Body with the URLs of its lists."""
    record = data.body
    slug = record.key
    url = links.body(slug)
    name = str((record.current or record.rows[-1]).get("name") or slug)
    if record.current is None:
        names = ("organization", "person", "meeting", "paper")
        lists: dict[str, Any] = {n: links.body(slug, f"{n}s") for n in names}
        kept = {"name": name, "legislativeTerm": [], **lists}
        return deleted(url, "Body", record.created, record.modified, **kept)
    return {
        "id": url,
        "type": TYPE + "Body",
        "system": links.system(),
        "name": name,
        "shortName": slug,
        "organization": links.body(slug, "organizations"),
        "person": links.body(slug, "persons"),
        "meeting": links.body(slug, "meetings"),
        "paper": links.body(slug, "papers"),
        "agendaItem": links.body(slug, "agendaitems"),
        "consultation": links.body(slug, "consultations"),
        "legislativeTerm": [],
        "created": stamp(record.created),
        "modified": stamp(record.modified),
    }


def organization(links: Links, body: str, record: Record) -> dict[str, Any]:
    """A committee as an Organization (Gremium)."""
    url = links.organization(body, record.key)
    if record.current is None:
        return deleted(url, "Organization", record.created, record.modified)
    out: dict[str, Any] = {
        "id": url,
        "type": TYPE + "Organization",
        "body": links.body(body),
        "name": str(record.current.get("name") or record.key),
        "shortName": record.key,
        "organizationType": "Gremium",
        "classification": "Ausschuss",
        "created": stamp(record.created),
        "modified": stamp(record.modified),
    }
    seats = record.current.get("seats")
    if isinstance(seats, int) and seats > 0:
        out["votingMemberCount"] = seats
    return out


def consultation(links: Links, body: str, tally: Tally) -> dict[str, Any]:
    """A vote or decision as the Consultation of its paper (the deciding one)."""
    url = links.consultation(body, tally)
    if tally.deleted:
        return deleted(url, "Consultation", tally.created, tally.modified)
    return {
        "id": url,
        "type": TYPE + "Consultation",
        "paper": links.paper(body, tally.reference),
        "agendaItem": links.item(body, tally),
        "meeting": links.meeting(body, tally.committee, tally.day),
        "organization": [links.organization(body, tally.committee)],
        "authoritative": True,
        "role": "Entscheidung",
        "created": stamp(tally.created),
        "modified": stamp(tally.modified),
    }


def agenda_item(
    links: Links, body: str, tally: Tally, order: int, resolution: Record | None
) -> dict[str, Any]:
    """A resolution on a meeting's agenda, its result in words."""
    url = links.item(body, tally)
    if tally.deleted:
        return deleted(url, "AgendaItem", tally.created, tally.modified, order=order)
    current = resolution.current if resolution is not None else None
    out: dict[str, Any] = {
        "id": url,
        "type": TYPE + "AgendaItem",
        "meeting": links.meeting(body, tally.committee, tally.day),
        "number": str(order),
        "order": order,
        "name": str((current or {}).get("title") or tally.reference),
        "consultation": links.consultation(body, tally),
        "result": result_text(tally.outcome, tally.counts, tally.wording),
        "created": stamp(tally.created),
        "modified": stamp(tally.modified),
    }
    if current is not None:
        out["public"] = bool(current.get("public"))
    if tally.wording:
        out["resolutionText"] = tally.wording
    return out


def meeting(
    links: Links, data: BodyData, committee: str, day: date, tallies: list[Tally]
) -> dict[str, Any]:
    """A committee's meeting on a date with its agenda items (deleted: all were retracted)."""
    slug = data.body.key
    url = links.meeting(slug, committee, day)
    created = min(t.created for t in tallies)
    modified = max(t.modified for t in tallies)
    standing = sorted((t for t in tallies if not t.deleted), key=lambda t: t.reference)
    if not standing:
        return deleted(url, "Meeting", created, modified)
    record = data.committees.get(committee)
    name = str(record.current.get("name") if record and record.current else committee)
    items = [
        agenda_item(links, slug, t, n, data.resolutions.get(t.reference))
        for n, t in enumerate(standing, start=1)
    ]
    return {
        "id": url,
        "type": TYPE + "Meeting",
        "name": f"Sitzung {name} am {day.strftime('%d.%m.%Y')}",
        "meetingState": "durchgeführt",
        "start": f"{day.isoformat()}T00:00:00+00:00",
        "organization": [links.organization(slug, committee)],
        "agendaItem": items,
        "created": stamp(created),
        "modified": stamp(modified),
    }


def paper(links: Links, data: BodyData, record: Record) -> dict[str, Any]:
    """A resolution as a Paper (Beschlussvorlage) with its consultations."""
    slug = data.body.key
    url = links.paper(slug, record.key)
    if record.current is None:
        return deleted(url, "Paper", record.created, record.modified)
    current = record.current
    tallies = sorted(
        (t for t in data.tallies if t.reference == record.key and not t.deleted),
        key=lambda t: (t.day, t.committee),
    )
    out: dict[str, Any] = {
        "id": url,
        "type": TYPE + "Paper",
        "body": links.body(slug),
        "name": str(current.get("title") or record.key),
        "reference": record.key,
        "paperType": "Beschlussvorlage",
        "consultation": [consultation(links, slug, t) for t in tallies],
        "created": stamp(record.created),
        "modified": stamp(record.modified),
    }
    proposed = current.get("proposed_on")
    if isinstance(proposed, date):
        out["date"] = proposed.isoformat()
    return out


def meetings_of(data: BodyData) -> dict[tuple[str, date], list[Tally]]:
    """The tallies of a body by meeting (committee, date)."""
    out: dict[tuple[str, date], list[Tally]] = {}
    for tally in data.tallies:
        out.setdefault((tally.committee, tally.day), []).append(tally)
    return out


def times(obj: dict[str, Any]) -> tuple[str, str]:
    """(created, modified) of a served object, for the list filters."""
    return str(obj.get("created", EPOCH)), str(obj.get("modified", EPOCH))


def all_tallies(data: BodyData) -> Iterable[Tally]:
    """The body's tallies in a stable order."""
    return sorted(data.tallies, key=lambda t: (t.committee, t.day, t.reference))
