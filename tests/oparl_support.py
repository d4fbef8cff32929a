"""Test helpers for OParl: a council the tests write object by object, served on loopback.

`Council` builds OParl 1.1 objects (system, body, organizations, memberships, meetings with
agenda items, papers with consultations, files with text) as a council information system
would publish them; `serve()` runs an http.server in a thread that answers for a council
with paginated lists (`links.next`), `modified_since` (deleted objects only with it, as the
specification says), 404 for anything unknown, and failures queued per path.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

SCHEMA = "https://schema.oparl.org/1.1/"
CREATED = "2018-01-02T09:00:00+01:00"


def now() -> str:
    """The current moment as OParl writes it."""
    return datetime.now(UTC).isoformat()


@dataclass
class Council:
    """An OParl source held in memory: objects by id, embedded lists built when served."""

    base: str = "http://127.0.0.1:0/oparl"
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: agenda items by meeting id, consultations by paper id (embedded when served)
    items: dict[str, list[str]] = field(default_factory=dict)
    consultations: dict[str, list[str]] = field(default_factory=dict)
    page_size: int = 3
    #: path -> statuses to answer before the object itself (e.g. [503, 503])
    failures: dict[str, list[int]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    #: (paper, meeting) -> the agenda item
    placed: dict[tuple[str, str], str] = field(default_factory=dict)

    def url(self, *parts: str) -> str:
        """An URL of this source."""
        return "/".join([self.base, *parts])

    def add(self, kind: str, key: str, **values: Any) -> str:
        """Adds an object of `kind` at `{base}/{kind lower}/{key}`; returns its id."""
        identifier = self.url(kind.lower(), key)
        obj = {"id": identifier, "type": SCHEMA + kind, "created": CREATED, "modified": CREATED}
        obj.update(values)
        self.objects[identifier] = obj
        return identifier

    def system_and_body(self, name: str = "Stadt Beispielstadt") -> tuple[str, str]:
        """The System and its one Body, with every list the Body must name."""
        body = self.add(
            "Body",
            "1",
            name=name,
            shortName="Beispielstadt",
            organization=self.url("body", "1", "organizations"),
            person=self.url("body", "1", "persons"),
            meeting=self.url("body", "1", "meetings"),
            paper=self.url("body", "1", "papers"),
            membership=self.url("body", "1", "memberships"),
            legislativeTerm=[],
        )
        system = self.add(
            "System",
            "1",
            oparlVersion="https://schema.oparl.org/1.1/",
            body=self.url("bodies"),
            name="Ratsinformationssystem",
        )
        return system, body

    def organization(self, key: str, name: str, **values: Any) -> str:
        """A committee (Gremium)."""
        return self.add("Organization", key, name=name, organizationType="Gremium", **values)

    def members(
        self,
        organization: str,
        count: int,
        start: str,
        end: str | None = None,
        *,
        voting: bool | None = True,
    ) -> None:
        """`count` memberships of `organization` from `start` (to `end`), voting or not."""
        for n in range(count):
            key = f"{organization.rsplit('/', 1)[-1]}-{start}-{voting}-{n}"
            values: dict[str, Any] = {
                "person": self.url("person", f"{key}"),
                "organization": organization,
                "startDate": start,
            }
            if voting is not None:
                values["votingRight"] = voting
            if end is not None:
                values["endDate"] = end
            self.add("Membership", key, **values)

    def meeting(self, key: str, organization: str, start: str, **values: Any) -> str:
        """A meeting of `organization` starting at `start` (an ISO date-time)."""
        meeting = self.add(
            "Meeting", key, name=f"Sitzung {key}", organization=[organization], start=start
        )
        self.objects[meeting].update(values)
        self.items.setdefault(meeting, [])
        return meeting

    def paper(self, key: str, reference: str, name: str, day: str, **values: Any) -> str:
        """A paper (Beschlussvorlage)."""
        paper = self.add(
            "Paper", key, reference=reference, name=name, date=day, paperType="Beschlussvorlage"
        )
        self.objects[paper].update(values)
        self.consultations.setdefault(paper, [])
        return paper

    def consult(
        self,
        paper: str,
        meeting: str,
        organization: str,
        result: str | None,
        *,
        authoritative: bool | None = True,
        text: str | None = None,
        public: bool = True,
    ) -> tuple[str, str]:
        """The paper on the meeting's agenda: a Consultation and its AgendaItem."""
        n = len(self.objects)
        consultation = self.url("consultation", str(n))
        item = self.add(
            "AgendaItem",
            str(n),
            meeting=meeting,
            number=str(len(self.items[meeting]) + 1),
            order=len(self.items[meeting]) + 1,
            name=self.objects[paper]["name"],
            public=public,
            consultation=consultation,
        )
        if result is not None:
            self.objects[item]["result"] = result
        if text is not None:
            self.objects[item]["resolutionFile"] = {
                "id": self.url("file", str(n)),
                "type": SCHEMA + "File",
                "name": "Beschluss",
                "accessUrl": self.url("file", str(n), "download"),
                "text": text,
                "created": CREATED,
                "modified": CREATED,
            }
        values: dict[str, Any] = {
            "paper": paper,
            "agendaItem": item,
            "meeting": meeting,
            "organization": [organization],
        }
        if authoritative is not None:
            values["authoritative"] = authoritative
        self.add("Consultation", str(n), **values)
        self.items[meeting].append(item)
        self.consultations[paper].append(consultation)
        self.placed[(paper, meeting)] = item
        return consultation, item

    def delete(self, identifier: str, when: str | None = None) -> None:
        """Marks an object deleted, as OParl does: id, type, created, modified, deleted."""
        obj = self.objects[identifier]
        moment = when or now()
        self.objects[identifier] = {
            "id": obj["id"],
            "type": obj["type"],
            "created": obj["created"],
            "modified": moment,
            "deleted": True,
        }

    def unplace(self, paper: str, meeting: str) -> None:
        """Takes a paper off a meeting's agenda: its agenda item and consultation deleted,
        the meeting and the paper modified (so that a `modified_since` sync sees them)."""
        item = self.placed[(paper, meeting)]
        consultation = self.objects[item]["consultation"]
        self.delete(item)
        self.delete(consultation)
        self.touch(meeting)
        self.touch(paper)

    def touch(self, identifier: str, when: str | None = None, **values: Any) -> None:
        """Changes an object (and its `modified`)."""
        self.objects[identifier].update(values, modified=when or now())

    def render(self, identifier: str) -> dict[str, Any]:
        """An object as served, with its embedded agenda items or consultations."""
        obj = dict(self.objects[identifier])
        if obj.get("deleted"):
            return obj
        embedded = self.items.get(identifier) or self.consultations.get(identifier)
        name = "agendaItem" if identifier in self.items else "consultation"
        if embedded is not None:
            shown = [self.objects[i] for i in embedded if not self.objects[i].get("deleted")]
            obj[name] = [dict(o) for o in shown]
        return obj

    def listed(self, kind: str) -> list[dict[str, Any]]:
        """Every object of a kind, rendered, in a stable order."""
        return [
            self.render(i) for i in sorted(self.objects) if self.objects[i]["type"] == SCHEMA + kind
        ]

    LISTS: ClassVar[dict[str, str]] = {
        "bodies": "Body",
        "body/1/organizations": "Organization",
        "body/1/meetings": "Meeting",
        "body/1/papers": "Paper",
        "body/1/memberships": "Membership",
        "body/1/persons": "Person",
    }

    def answer(self, path: str, query: str) -> tuple[int, Any]:
        """The status and JSON document for a GET of `path?query`."""
        self.requests.append(f"{path}?{query}" if query else path)
        queued = self.failures.get(path)
        if queued:
            return queued.pop(0), {"error": "queued failure"}
        prefix = urlsplit(self.base).path
        relative = path.removeprefix(prefix).strip("/")
        if relative in self.LISTS:
            return 200, self._page(path, relative, parse_qs(query))
        for identifier in self.objects:
            if urlsplit(identifier).path == path:
                return 200, self.render(identifier)
        return 404, {"error": "not found"}

    def _page(self, path: str, relative: str, params: dict[str, list[str]]) -> dict[str, Any]:
        objects = self.listed(self.LISTS[relative])
        since = params.get("modified_since", [None])[0]
        if since is None:
            objects = [o for o in objects if not o.get("deleted")]
        else:
            limit = datetime.fromisoformat(since)
            objects = [o for o in objects if datetime.fromisoformat(o["modified"]) >= limit]
        page = int(params.get("page", ["1"])[0])
        size = self.page_size
        chunk = objects[(page - 1) * size : page * size]
        links: dict[str, str] = {}
        if page * size < len(objects):
            kept = {k: v[0] for k, v in params.items() if k != "page"}
            origin = self.base[: len(self.base) - len(urlsplit(self.base).path)]
            links["next"] = f"{origin}{path}?{urlencode({**kept, 'page': page + 1})}"
        return {
            "data": chunk,
            "pagination": {"totalElements": len(objects), "elementsPerPage": size},
            "links": links,
        }


class _Handler(BaseHTTPRequestHandler):
    council: Council

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        status, document = self.council.answer(parts.path, parts.query)
        body = json.dumps(document).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the council's request list instead."""


@contextmanager
def serve(page_size: int = 3) -> Iterator[Council]:
    """An empty council served on a free loopback port until the end; add objects to it."""
    council = Council(page_size=page_size)
    handler = type("Handler", (_Handler,), {"council": council})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    council.base = f"http://127.0.0.1:{server.server_address[1]}/oparl"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield council
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class Standard:
    """The ids of the council `standard` writes."""

    system: str
    body: str
    jha: str
    ka: str
    m1: str
    m2: str
    m3: str
    papers: dict[str, str]


def standard(council: Council) -> Standard:
    """A council with two committees, three meetings and five papers:

    - 2018/6/067: adopted unanimously in the Jugendhilfeausschuss (JHA) on 19.06.2018, the
      resolution file stating Ja 9 Nein 0 Enthaltungen 0 Befangen 0 (a vote);
    - 2018/6/068: deferred on 19.06.2018, rejected on 11.09.2018 with three counts stated
      (two decisions);
    - 2018/9/001: noted on 11.09.2018 (a decision without counts);
    - 2018/9/002: preliminary consultation in the JHA (not authoritative), adopted in the
      Kreisausschuss (KA) on 01.10.2018 with all four counts (a vote);
    - 2018/10/003: on the KA's agenda of 01.10.2018 without a result yet.

    The JHA has 11 voting and 2 advisory members; the KA has no memberships (seats unknown).
    """
    system, body = council.system_and_body()
    jha = council.organization("jha", "Jugendhilfeausschuss")
    ka = council.organization("ka", "Kreisausschuss")
    council.members(jha, 11, "2014-06-01")
    council.members(jha, 2, "2014-06-01", voting=False)
    m1 = council.meeting("m1", jha, "2018-06-19T17:00:00+02:00")
    m2 = council.meeting("m2", jha, "2018-09-11T17:00:00+02:00")
    m3 = council.meeting("m3", ka, "2018-10-01T16:00:00+02:00")
    p1 = council.paper("p1", "2018/6/067", "Förderung der Familienzentren", "2018-06-01")
    p2 = council.paper("p2", "2018/6/068", "Spielplatz Nordstraße", "2018-06-02")
    p3 = council.paper("p3", "2018/9/001", "Bericht der Verwaltung", "2018-09-01")
    p4 = council.paper("p4", "2018/9/002", "Neubau Kita Am Hang", "2018-09-03")
    p5 = council.paper("p5", "2018/10/003", "Haushaltssatzung 2019", "2018-09-20")
    tally = "Abstimmungsergebnis: Ja 9 Nein 0 Enthaltungen 0 Befangen 0"
    council.consult(p1, m1, jha, "einstimmig beschlossen", text=tally)
    council.consult(p2, m1, jha, "vertagt")
    council.consult(p2, m2, jha, "mehrheitlich abgelehnt", text="Ja 4, Nein 6, Enthaltungen 1")
    council.consult(p3, m2, jha, "zur Kenntnis genommen")
    council.consult(p4, m2, jha, "Empfehlung an den Kreisausschuss", authoritative=False)
    council.consult(p4, m3, ka, "beschlossen", text="Ja 7 Nein 2 Enthaltungen 0 befangen 1")
    council.consult(p5, m3, ka, None)
    papers = {"067": p1, "068": p2, "001": p3, "002": p4, "003": p5}
    return Standard(system, body, jha, ka, m1, m2, m3, papers)
