"""Generated histories: command streams of many bodies over ten years, deterministic by seed.

Each body (Landkreis, Stadt, Gemeinde) gets committees, resolutions with votes, budget lines
per fiscal year with appropriations, approvals, commitments and bookings, certification
cycles with target agreements of up to ~150 measures updated monthly, auditor findings,
corrections, retractions and backdated events. Body `i` depends only on (seed, i), so the
first bodies of every size are the same and figures of different sizes compare.

Commands are ordered by the day they are recorded: the effective date plus a short delay,
or a long one for a backdated event, and never before a command they depend on. Every
prefix of the stream is therefore a valid history; a size cuts the stream after its count.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import count
from typing import Any

SIZES = {"small": 10_000, "medium": 100_000, "large": 1_000_000}
DEFAULT_SEED = 20180619  # the meeting of the Jugendhilfeausschuss in the demo document

FIRST_YEAR = 2014
LAST_DAY = date(2023, 12, 31)
BACKDATED_SHARE = 0.03

FIELDS = (
    "steuerung",
    "familie-arbeitswelt",
    "betreuung-bildung",
    "beratung-unterstuetzung",
    "wohnumfeld",
    "senioren-generationen",
)
STEMS = (
    "Ahrtal", "Altmark", "Bördeland", "Eichsfeld", "Elbaue", "Fläming", "Hainich",
    "Harzvorland", "Havelland", "Hohenlohe", "Hunsrück", "Kyffhäuser", "Lausitz", "Leinetal",
    "Mittelsachsen", "Nordfriesland", "Oberhavel", "Odenwald", "Ostalb", "Prignitz", "Rhön",
    "Saaleaue", "Schwalm", "Spreewald", "Uckermark", "Unstrut", "Vogtland", "Werratal",
    "Westerwald", "Wetterau",
)  # fmt: skip
KINDS_OF_BODY = ("Landkreis", "Stadt", "Gemeinde")
ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})
TOPICS = (
    "Kinderbetreuung in den Randzeiten",
    "Familienzentren in den Gemeinden",
    "Vereinbarkeit von Familie und Beruf in der Verwaltung",
    "Mobilität für Familien im ländlichen Raum",
    "Begegnung der Generationen",
    "Beratung für Alleinerziehende",
    "Ferienbetreuung für Schulkinder",
    "Barrierefreie Spielplätze",
    "Pflegende Angehörige entlasten",
    "Übergang Kita – Grundschule",
    "Familienfreundliche Arbeitgeber in der Region",
    "Wohnraum für junge Familien",
    "Netzwerk Frühe Hilfen",
    "Seniorenbeiräte stärken",
    "Elternbildung und Erziehungspartnerschaft",
)
ACTIONS = (
    "Konzept erarbeiten für",
    "Modellprojekt starten:",
    "Bedarfsanalyse durchführen:",
    "Arbeitsgruppe einrichten:",
    "Informationsangebot ausbauen:",
    "Kooperationsvereinbarung schließen:",
    "Fortbildungsreihe anbieten:",
    "Förderrichtlinie anpassen:",
)
RESPONSIBLE = (
    "Sozialplanung",
    "Jugendamt",
    "Fachdienst Kindertagesbetreuung",
    "Schulverwaltungsamt",
    "Gleichstellungsbeauftragte",
    "Seniorenbeauftragte",
    "Wirtschaftsförderung",
    "Bauamt",
)
NOTES = (
    "Planung abgeschlossen",
    "Termine mit den Trägern vereinbart",
    "Erste Angebote laufen",
    "Rückmeldungen der Eltern ausgewertet",
    "Abstimmung mit den Gemeinden",
    "Haushaltsmittel bereitgestellt",
    "Personal eingestellt",
    "Öffentlichkeitsarbeit gestartet",
    "Zwischenbericht im Ausschuss",
    "Fachkräftemangel verzögert die Umsetzung",
)
PAYEES = (
    "Honorar Referentin",
    "Miete Gemeinschaftsraum",
    "Druckkosten Elternbrief",
    "Zuschuss Träger",
    "Fahrtkosten Ehrenamt",
    "Material Ferienprogramm",
    "Verpflegung Workshop",
    "Lizenz Beratungssoftware",
)
LINES = (
    ("01.4510.7000", "Kinder- und Jugendarbeit"),
    ("01.4640.7100", "Tageseinrichtungen für Kinder"),
    ("01.4700.6500", "Familienbildung und Beratung"),
    ("01.4300.7180", "Hilfen für ältere Menschen"),
)
EXTRA_LINE = ("01.4953.7187", "Landesprogramm Familie")


class Step:
    """One command of the stream with the day it is recorded and, once ordered, its version."""

    __slots__ = ("command", "day", "fixes", "seq", "version")

    def __init__(self, day: int, seq: int, command: dict[str, Any], fixes: Step | None) -> None:
        self.day = day
        self.seq = seq
        self.command = command
        self.fixes = fixes
        self.version = 0


@dataclass
class Manifest:
    """What the history holds, for the queries: bodies, and body 0's processes and lines."""

    bodies: list[str] = field(default_factory=list)
    processes: dict[str, list[tuple[str, date, date]]] = field(default_factory=dict)
    lines: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    measures: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    findings: dict[tuple[str, str], list[int]] = field(default_factory=dict)


@dataclass
class History:
    """A generated history: the commands in recording order and what they contain."""

    seed: int
    commands: list[dict[str, Any]]
    manifest: Manifest
    kinds: dict[str, int]
    backdated: int
    first_day: date
    last_day: date

    def batches(self, size: int, start: int = 0, stop: int | None = None) -> Iterator[list[Any]]:
        """The commands in batches of `size`."""
        end = len(self.commands) if stop is None else min(stop, len(self.commands))
        for i in range(start, end, size):
            yield self.commands[i : min(i + size, end)]


def aggregate_key(command: dict[str, Any]) -> tuple[Any, ...]:
    """The record a command appends to (kind and natural key), as the generator counts versions."""
    kind = command["record"]
    body = command["body"]
    if kind in ("correction", "retraction"):
        kind = {
            "body": "body",
            "committee": "committee",
            "resolution": "proposal",
            "budget-line": "budget-line",
            "process": "process",
            "agreement": "agreement",
            "measure": "measure",
            "finding": "finding",
        }[command["target"]]
    group = KIND_GROUPS[kind]
    if group == "body":
        return (group, body)
    if group == "committee":
        return (group, body, command["committee"])
    if group == "resolution":
        return (group, body, command["resolution"])
    if group == "line":
        return (group, body, command["year"], command["line"])
    if group in ("process", "agreement"):
        return (group, body, command["process"])
    if group == "measure":
        return (group, body, command["process"], command["measure"])
    return (group, body, command["process"], command["finding"])


KIND_GROUPS: dict[str, str] = {
    "body": "body",
    **dict.fromkeys(("committee", "seats"), "committee"),
    **dict.fromkeys(("proposal", "vote", "execution", "amendment", "revocation"), "resolution"),
    **dict.fromkeys(
        (
            "budget-line",
            "appropriation",
            "supplementary",
            "funding",
            "funding-received",
            "commitment",
            "payment",
            "treasury-statement",
        ),
        "line",
    ),
    **dict.fromkeys(
        (
            "process",
            "contract",
            "auditor",
            "workshop",
            "annual-report",
            "certificate",
            "certificate-expired",
            "certificate-withdrawn",
            "process-completed",
            "process-abandoned",
        ),
        "process",
    ),
    **dict.fromkeys(
        ("agreement", "field", "goal", "goal-revised", "goal-dropped", "agreement-adopted"),
        "agreement",
    ),
    **dict.fromkeys(("measure", "measure-revised", "measure-dropped", "measure-update"), "measure"),
    **dict.fromkeys(
        ("finding", "finding-answered", "finding-closed", "finding-withdrawn"), "finding"
    ),
}


def month_end(year: int, month: int) -> date:
    """The last day of a month."""
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def add_months(day: date, months: int) -> tuple[int, int]:
    """(year, month) `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def money(cents: int) -> str:
    """Cents as a plain EUR string ("1234.56")."""
    return f"{cents // 100}.{cents % 100:02d}"


class BodyHistory:
    """Generates the history of one body into a shared list of steps."""

    def __init__(
        self, steps: list[Step], seq: Iterator[int], seed: int, index: int, manifest: Manifest
    ) -> None:
        self.steps = steps
        self.seq = seq
        self.rng = random.Random(f"{seed}:{index}")
        self.index = index
        self.manifest = manifest
        stem = STEMS[index % len(STEMS)]
        kind = KINDS_OF_BODY[0] if index < 3 else self.rng.choice(KINDS_OF_BODY)
        self.name = f"{kind} {stem}"
        if index >= len(STEMS):
            self.name += f" {index // len(STEMS) + 1}"
        self.slug = f"{stem.translate(ASCII).lower()}-{index}"
        # The first body is a large Landkreis with full target agreements of 150 measures.
        self.big = index == 0 or self.rng.random() < 0.25
        self.start_year = FIRST_YEAR if index == 0 else FIRST_YEAR + self.rng.randint(0, 2)
        self.resolution_numbers: dict[int, int] = {}
        self.backdated = 0
        manifest.bodies.append(self.slug)
        manifest.processes[self.slug] = []
        manifest.lines[self.slug] = []

    # -- emitting ------------------------------------------------------------------------------

    def delay(self, backdate: bool = True) -> int:
        """Days between effective date and recording: short, or long for a backdated event."""
        if backdate and self.rng.random() < BACKDATED_SHARE:
            self.backdated += 1
            return self.rng.randint(30, 400)
        return self.rng.randint(0, 6)

    def emit(
        self,
        record: str,
        effective: date,
        /,
        *,
        after: Iterable[Step | None] = (),
        backdate: bool = False,
        fixes: Step | None = None,
        **fields: Any,
    ) -> Step | None:
        """Appends a command (None if it falls after the history or a dependency is missing)."""
        if effective > LAST_DAY:
            return None
        day = effective.toordinal() + self.delay(backdate)
        for dep in after:
            if dep is None:
                return None
            day = max(day, dep.day)
        command = {
            "record": record,
            "body": self.slug,
            **fields,
            "effective": effective.isoformat(),
        }
        step = Step(day, next(self.seq), command, fixes)
        self.steps.append(step)
        return step

    def day_in(self, start: date, end: date) -> date:
        """A random day in [start, end]."""
        span = max(0, (end - start).days)
        return start + timedelta(days=self.rng.randint(0, span))

    # -- the body ------------------------------------------------------------------------------

    def build(self) -> None:
        """The whole history of the body."""
        rng = self.rng
        registered = date(self.start_year, 1, 2)
        self.body_step = self.emit(
            "body",
            registered,
            name=self.name,
            land=rng.choice(("Thüringen", "Sachsen", "Hessen", "Brandenburg", "Niedersachsen")),
        )
        self.committees: dict[str, tuple[Step | None, list[tuple[date, int]]]] = {}
        for slug, name, seats in (
            ("kreistag", "Kreistag" if self.name.startswith("Landkreis") else "Rat", 40),
            ("jugendhilfeausschuss", "Jugendhilfeausschuss", 15),
            ("finanzausschuss", "Finanzausschuss", 11),
        ):
            seats += rng.randint(-3, 6)
            step = self.emit(
                "committee",
                registered,
                after=[self.body_step],
                committee=slug,
                name=name,
                seats=seats,
            )
            self.committees[slug] = (step, [(registered, seats)])
        # After the local elections of 2019 the council has a different size.
        council_step, council_seats = self.committees["kreistag"]
        new_seats = council_seats[0][1] + rng.choice((-2, 2, 4))
        election = date(2019, 7, 1)
        changed = self.emit(
            "seats", election, after=[council_step], committee="kreistag", seats=new_seats
        )
        if changed is not None:
            # Later proposals to the council are recorded after the change of its seats.
            council_seats.append((election, new_seats))
            self.committees["kreistag"] = (changed, council_seats)
        for year in range(self.start_year, LAST_DAY.year + 1):
            self.routine_resolutions(year)
            self.budget_year(year)
        self.certification_cycles()

    # -- resolutions ---------------------------------------------------------------------------

    def reference(self, year: int, meeting: date) -> str:
        """The next resolution reference of the year, e.g. 2018/6/067."""
        number = self.resolution_numbers.get(year, 0) + 1
        self.resolution_numbers[year] = number
        return f"{year}/{meeting.month}/{number:03d}"

    def seats_on(self, committee: str, day: date) -> int:
        """The committee's voting seats on a day."""
        return [s for since, s in self.committees[committee][1] if since <= day][-1]

    def resolution(
        self,
        meeting: date,
        title: str,
        *,
        committee: str | None = None,
        adopted: bool | None = None,
        effect: tuple[int, int, str] | None = None,
        after: Iterable[Step | None] = (),
    ) -> tuple[str, Step | None, Step | None]:
        """A proposal, its vote and, if adopted, its execution; (reference, vote, execution)."""
        rng = self.rng
        committee = committee or rng.choice(tuple(self.committees))
        reference = self.reference(meeting.year, meeting)
        proposed = meeting - timedelta(days=rng.randint(7, 21))
        fields: dict[str, Any] = {
            "resolution": reference,
            "title": title,
            "committee": committee,
            "submitter": "Die Landrätin" if rng.random() < 0.5 else "Der Bürgermeister",
            "public": rng.random() < 0.8,
            "items": [
                f"{i}. {rng.choice(ACTIONS)} {rng.choice(TOPICS)}"
                for i in range(1, rng.randint(1, 3) + 1)
            ],
        }
        if effect is not None:
            cents, year, line = effect
            fields.update(amount=money(cents), year=year, line=line)
        proposal = self.emit(
            "proposal",
            proposed,
            after=[self.body_step, self.committees[committee][0], *after],
            **fields,
        )
        seats = self.seats_on(committee, meeting)
        present = seats - rng.randint(0, 3)
        adopted = rng.random() < 0.9 if adopted is None else adopted
        recused = 1 if rng.random() < 0.05 else 0
        abstentions = rng.randint(0, max(0, present // 6))
        rest = present - recused - abstentions
        if adopted:
            no = rng.randint(0, max(0, rest // 2 - 1))
            yes = rest - no
        else:
            yes = rng.randint(0, max(0, rest // 2 - 1))
            no = rest - yes
        vote = self.emit(
            "vote",
            meeting,
            after=[proposal],
            resolution=reference,
            committee=committee,
            yes=yes,
            no=no,
            abstentions=abstentions,
            recused=recused,
        )
        execution = None
        if adopted:
            execution = self.emit(
                "execution",
                meeting + timedelta(days=rng.randint(1, 10)),
                after=[vote],
                resolution=reference,
            )
            if rng.random() < 0.03:
                self.emit(
                    "amendment",
                    meeting + timedelta(days=rng.randint(20, 120)),
                    after=[execution],
                    resolution=reference,
                    title=f"{title} (geänderte Fassung)",
                    reason="Redaktionelle Anpassung nach Hinweis der Kommunalaufsicht",
                )
            elif rng.random() < 0.01:
                self.emit(
                    "revocation",
                    meeting + timedelta(days=rng.randint(60, 300)),
                    after=[execution],
                    resolution=reference,
                    reason="Aufgehoben durch späteren Beschluss",
                )
        return reference, vote, execution

    def routine_resolutions(self, year: int) -> None:
        """The committees' everyday decisions of a year."""
        rng = self.rng
        for _ in range(rng.randint(8, 16)):
            meeting = self.day_in(date(year, 1, 15), date(year, 12, 15))
            self.resolution(meeting, f"{rng.choice(ACTIONS)} {rng.choice(TOPICS)}")

    # -- budget --------------------------------------------------------------------------------

    def budget_year(self, year: int) -> None:
        """The budget lines of a fiscal year: appropriation, approvals, commitments, bookings."""
        rng = self.rng
        adopted = date(year, 1, rng.randint(2, 20))
        count_lines = rng.randint(2, 4)
        for code, title in LINES[:count_lines]:
            opened = self.emit(
                "budget-line",
                adopted,
                after=[self.body_step],
                year=year,
                line=code,
                title=title,
            )
            self.manifest.lines[self.slug].append((year, code))
            base = rng.randint(20_000, 400_000) * 100
            appropriation = self.emit(
                "appropriation",
                adopted,
                after=[opened],
                year=year,
                line=code,
                amount=money(base),
            )
            if rng.random() < 0.15:
                extra = rng.randint(1_000, 30_000) * 100
                meeting = self.day_in(date(year, 4, 1), date(year, 10, 31))
                reference, vote, _ = self.resolution(
                    meeting,
                    f"Überplanmäßige Ausgabe auf der Haushaltsstelle {code}",
                    committee="finanzausschuss",
                    adopted=True,
                    effect=(extra, year, code),
                )
                self.emit(
                    "supplementary",
                    meeting,
                    after=[vote, appropriation],
                    year=year,
                    line=code,
                    kind="ueberplanmaessig",
                    amount=money(extra),
                    resolution=reference,
                    cover="Deckung durch Minderausgaben bei 01.4510.7000",
                )
            for n in range(1, rng.randint(2, 4) + 1):
                self.emit(
                    "commitment",
                    self.day_in(date(year, 2, 1), date(year, 9, 30)),
                    after=[opened],
                    year=year,
                    line=code,
                    amount=money(rng.randint(500, 20_000) * 100),
                    reference=f"V-{year}-{n:03d}",
                    text=f"Vertrag {rng.choice(PAYEES)}",
                )
            self.bookings(year, code, opened, rng.randint(15, 45))

    def bookings(
        self, year: int, code: str, opened: Step | None, number: int, since: date | None = None
    ) -> None:
        """Payments booked on a line during the year (not before `since`); a few fixed later."""
        rng = self.rng
        first = max(date(year, 1, 20), since or date(year, 1, 20))
        days = sorted(self.day_in(first, date(year, 12, 28)).toordinal() for _ in range(number))
        for n, ordinal in enumerate(days, start=1):
            day = date.fromordinal(ordinal)
            cents = rng.randint(2_000, 900_000)
            payment = self.emit(
                "payment",
                day,
                after=[opened],
                backdate=True,
                year=year,
                line=code,
                amount=money(cents),
                reference=f"{year}-{code[-4:]}-{n:05d}",
                text=f"{rng.choice(PAYEES)}, Rechnung {rng.randint(1000, 99999)}",
            )
            roll = rng.random()
            if roll < 0.004:
                self.emit(
                    "correction",
                    day + timedelta(days=rng.randint(5, 60)),
                    after=[payment],
                    fixes=payment,
                    target="budget-line",
                    year=year,
                    line=code,
                    version=None,
                    values={"amount": money(cents + rng.randint(1, 9_999))},
                    reason="Zahlendreher bei der Erfassung",
                )
            elif roll < 0.006:
                self.emit(
                    "retraction",
                    day + timedelta(days=rng.randint(5, 60)),
                    after=[payment],
                    fixes=payment,
                    target="budget-line",
                    year=year,
                    line=code,
                    version=None,
                    reason="Fehlbuchung: gehört zu einer anderen Haushaltsstelle",
                )

    def extra_line(self, year: int) -> None:
        """An außerplanmäßig opened line for Land funds, as in the demo document."""
        rng = self.rng
        code, title = EXTRA_LINE
        meeting = self.day_in(date(year, 5, 1), date(year, 6, 30))
        amount = rng.randint(5_000, 25_000) * 100
        opened = self.emit(
            "budget-line", meeting, after=[self.body_step], year=year, line=code, title=title
        )
        self.manifest.lines[self.slug].append((year, code))
        reference, vote, _ = self.resolution(
            meeting,
            "Außerplanmäßige Ausgabe für das Landesprogramm Familie",
            committee="jugendhilfeausschuss",
            adopted=True,
            effect=(amount, year, code),
        )
        self.emit(
            "supplementary",
            meeting,
            after=[vote, opened],
            year=year,
            line=code,
            kind="ausserplanmaessig",
            amount=money(amount),
            resolution=reference,
        )
        self.emit(
            "funding",
            meeting,
            after=[opened],
            year=year,
            line=code,
            grantor="Land",
            programme="Landesprogramm Familie",
            amount=money(amount),
        )
        self.emit(
            "funding-received",
            meeting + timedelta(days=rng.randint(20, 60)),
            after=[opened],
            year=year,
            line=code,
            amount=money(amount),
            reference=f"LPF-{year}",
        )
        self.emit(
            "treasury-statement",
            meeting,
            after=[opened],
            year=year,
            line=code,
            text="Die Finanzierung erfolgt aus Fördermitteln des Landes und stellt keine "
            "finanzielle Mehrbelastung dar.",
        )
        self.bookings(year, code, opened, rng.randint(5, 20), since=meeting)

    # -- certification -------------------------------------------------------------------------

    def certification_cycles(self) -> None:
        """Certification, then recertification every three years (or a lapse)."""
        rng = self.rng
        year = self.start_year + (1 if self.index == 0 else rng.randint(1, 2))
        first = True
        while year <= LAST_DAY.year:
            if not self.cycle(year, first):
                break
            first = False
            year += 3

    def cycle(self, year: int, first: bool) -> bool:
        """One process with its agreement; False if the body let its certificate lapse."""
        rng = self.rng
        process = f"audit-fgk/{year}"
        planned_from = date(year, rng.randint(2, 5), 1) if first else date(year, 7, 1)
        planned_until = date(year + 3, 6, 30)
        reference, _, execution = self.resolution(
            planned_from - timedelta(days=rng.randint(20, 60)),
            "Durchführung des "
            + ("Zertifizierungsprozesses" if first else "Rezertifizierungsprozesses")
            + " zum Audit „Familiengerechte Kommune“",
            committee="jugendhilfeausschuss",
            adopted=True,
        )
        if not first:
            self.extra_line(year)
        started = self.emit(
            "process",
            planned_from,
            after=[self.body_step, execution],
            process=process,
            kind="certification" if first else "recertification",
            planned_from=planned_from.isoformat(),
            planned_until=planned_until.isoformat(),
            partner="Familiengerechte Kommune e.V.",
            resolution=reference,
        )
        if started is None:
            return False
        self.manifest.processes[self.slug].append((process, planned_from, planned_until))
        after = [started]
        self.emit(
            "contract",
            planned_from + timedelta(days=rng.randint(1, 10)),
            after=after,
            process=process,
            partner="Familiengerechte Kommune e.V.",
        )
        self.emit(
            "auditor",
            planned_from + timedelta(days=rng.randint(5, 20)),
            after=after,
            process=process,
            auditor=f"Auditorin {rng.choice(('Berger', 'Krause', 'Lehmann', 'Vogel'))}",
        )
        strategy = planned_from + timedelta(days=rng.randint(25, 40))
        self.emit("workshop", strategy, after=after, process=process, kind="strategy")
        agreed = strategy + timedelta(days=rng.randint(20, 40))
        self.emit("workshop", agreed, after=after, process=process, kind="target_agreement")
        measures = self.agreement(process, agreed, planned_until, started)
        certified = agreed + timedelta(days=rng.randint(40, 90))
        certificate = self.emit(
            "certificate",
            certified,
            after=after,
            process=process,
            valid_from=certified.isoformat(),
            valid_until=planned_until.isoformat(),
        )
        for report_year in range(year + 1, year + 3):
            due = date(report_year, 3, rng.randint(1, 28))
            self.emit("workshop", due, after=after, process=process, kind="annual")
            self.emit("annual-report", due, after=after, process=process, year=report_year - 1)
            self.findings(process, due, started, measures)
        lapse = not first and rng.random() < 0.08
        if lapse:
            withdrawn = date(year + 2, rng.randint(4, 9), 1)
            self.emit(
                "certificate-withdrawn",
                withdrawn,
                after=[certificate],
                process=process,
                reason="Der Landkreis hat die Umsetzung der Zielvereinbarung eingestellt",
            )
            self.emit(
                "process-abandoned",
                withdrawn + timedelta(days=1),
                after=after,
                process=process,
                reason="Beschluss des Kreistags, das Audit nicht fortzuführen",
            )
            return False
        self.emit(
            "workshop",
            planned_until - timedelta(days=rng.randint(30, 60)),
            after=after,
            process=process,
            kind="balance",
        )
        self.emit("process-completed", planned_until, after=after, process=process)
        return True

    def agreement(
        self, process: str, agreed: date, until: date, started: Step | None
    ) -> list[tuple[str, str, date, Step | None]]:
        """The target agreement: fields, goals, measures and their monthly status updates."""
        rng = self.rng
        opened = self.emit("agreement", agreed, after=[started], process=process)
        defined = {
            f: self.emit("field", agreed, after=[opened], process=process, field=f) for f in FIELDS
        }
        total = 150 if self.big else rng.randint(30, 110)
        per_field = [total // 6 + (1 if i < total % 6 else 0) for i in range(6)]
        goals: list[tuple[str, Step | None]] = []
        codes: list[str] = []
        measures: list[tuple[str, str, date, Step | None]] = []
        for f_index, (f, number) in enumerate(zip(FIELDS, per_field, strict=True), start=1):
            goal_count = max(1, round(number / 6))
            for g in range(1, goal_count + 1):
                code = f"Z{f_index}.{g}"
                goal = self.emit(
                    "goal",
                    agreed,
                    after=[defined[f]],
                    process=process,
                    goal=code,
                    field=f,
                    title=f"{rng.choice(TOPICS)} ({f_index}.{g})",
                )
                goals.append((code, goal))
            for m in range(1, number + 1):
                goal_code, goal = goals[-goal_count + (m - 1) % goal_count]
                code = f"M{goal_code[1:]}.{m}"
                added_on = agreed + timedelta(days=rng.randint(0, 30))
                step = self.emit(
                    "measure",
                    added_on,
                    after=[goal],
                    process=process,
                    measure=code,
                    goal=goal_code,
                    title=f"{rng.choice(ACTIONS)} {rng.choice(TOPICS)}",
                    responsible=rng.choice(RESPONSIBLE),
                    period=f"{added_on.year}–{added_on.year + rng.randint(0, 2)}",
                )
                codes.append(code)
                measures.append((code, goal_code, added_on, step))
                self.status_updates(process, code, added_on, until, step)
        spare = f"Z{len(FIELDS)}.9"
        spare_goal = self.emit(
            "goal",
            agreed,
            after=[defined[FIELDS[-1]]],
            process=process,
            goal=spare,
            field=FIELDS[-1],
            title="Generationenübergreifendes Wohnen",
        )
        self.emit(
            "goal-dropped",
            agreed + timedelta(days=rng.randint(100, 300)),
            after=[spare_goal],
            process=process,
            goal=spare,
            reason="In der Bilanz zusammengelegt mit Ziel 6.1",
        )
        if goals and rng.random() < 0.5:
            code, goal = rng.choice(goals)
            self.emit(
                "goal-revised",
                agreed + timedelta(days=rng.randint(60, 200)),
                after=[goal],
                process=process,
                goal=code,
                title=f"{rng.choice(TOPICS)} (überarbeitet)",
            )
        meeting = agreed + timedelta(days=rng.randint(14, 45))
        reference, vote, _ = self.resolution(
            meeting,
            f"Zielvereinbarung {process}",
            committee="jugendhilfeausschuss",
            adopted=True,
        )
        self.emit(
            "agreement-adopted",
            meeting,
            after=[opened, vote],
            process=process,
            resolution=reference,
        )
        self.manifest.measures[(self.slug, process)] = codes
        return measures

    def status_updates(
        self, process: str, code: str, added_on: date, until: date, added: Step | None
    ) -> None:
        """Monthly status of a measure while it runs; some delayed, dropped or corrected."""
        rng = self.rng
        if rng.random() < 0.1:
            return  # planned, never started
        start = rng.randint(0, 20)
        months = rng.randint(2, 12)
        drop_at = rng.randint(1, months) if rng.random() < 0.03 else None
        delayed = rng.random() < 0.15
        if rng.random() < 0.02:
            self.emit(
                "measure-revised",
                added_on + timedelta(days=rng.randint(30, 200)),
                after=[added],
                process=process,
                measure=code,
                responsible=rng.choice(RESPONSIBLE),
            )
        for k in range(months + 1):
            year, month = add_months(added_on, start + k + 1)
            day = month_end(year, month)
            if day > until:
                return
            if drop_at is not None and k == drop_at:
                self.emit(
                    "measure-dropped",
                    day,
                    after=[added],
                    process=process,
                    measure=code,
                    reason="Ziel auf anderem Weg erreicht",
                )
                return
            done = k == months
            progress = 100 if done else min(95, (k + 1) * 100 // (months + 1))
            status = "completed" if done else "in_progress"
            if delayed and not done and k == months // 2:
                status = "delayed"
            update = self.emit(
                "measure-update",
                day,
                after=[added],
                backdate=True,
                process=process,
                measure=code,
                status=status,
                progress=progress,
                note=rng.choice(NOTES),
            )
            if update is not None and rng.random() < 0.01:
                self.emit(
                    "correction",
                    day + timedelta(days=rng.randint(10, 120)),
                    after=[update],
                    fixes=update,
                    target="measure",
                    process=process,
                    measure=code,
                    version=None,
                    values={
                        "status": "in_progress",
                        "progress": max(0, progress - 10),
                        "note": "Stand laut Jahresbericht berichtigt",
                    },
                    reason="Der Monatsbericht meldete einen zu hohen Umsetzungsstand",
                )

    def findings(
        self,
        process: str,
        visit: date,
        started: Step | None,
        measures: list[tuple[str, str, date, Step | None]],
    ) -> None:
        """The auditor's findings at an annual visit, their answers and closings."""
        rng = self.rng
        numbers = self.manifest.findings.setdefault((self.slug, process), [])
        for _ in range(rng.randint(2, 6)):
            number = len(numbers) + 1
            existing = [m for m in measures if m[2] <= visit]
            roll = rng.random()
            if roll < 0.5 and existing:
                code, _, _, step = rng.choice(existing)
                subject, after = f"measure:{code}", [started, step]
            elif roll < 0.8 and existing:
                _, goal, _, step = rng.choice(existing)
                subject, after = f"goal:{goal}", [started, step]
            else:
                subject, after = "process", [started]
            finding = self.emit(
                "finding",
                visit,
                after=after,
                process=process,
                finding=number,
                subject=subject,
                kind=rng.choice(("observation", "recommendation", "deficiency")),
                assessment=rng.choice(("appropriate", "feasible", "not_feasible", "none")),
                text=f"Zu {subject}: {rng.choice(NOTES)}; die Umsetzung ist zu dokumentieren.",
                published=rng.random() < 0.7,
            )
            if finding is None:
                continue
            numbers.append(number)
            if rng.random() < 0.03:
                self.emit(
                    "finding-withdrawn",
                    visit + timedelta(days=rng.randint(5, 30)),
                    after=[finding],
                    process=process,
                    finding=number,
                    reason="Missverständnis beim Vor-Ort-Termin",
                )
                continue
            if rng.random() < 0.8:
                answered = visit + timedelta(days=rng.randint(20, 90))
                answer = self.emit(
                    "finding-answered",
                    answered,
                    after=[finding],
                    process=process,
                    finding=number,
                    text=f"Die Verwaltung hat reagiert: {rng.choice(NOTES)}.",
                )
                if rng.random() < 0.6:
                    self.emit(
                        "finding-closed",
                        answered + timedelta(days=rng.randint(30, 200)),
                        after=[answer],
                        process=process,
                        finding=number,
                    )


def generate(target: int, seed: int = DEFAULT_SEED) -> History:
    """About `target` commands (each appends one event) of as many bodies as that takes."""
    steps: list[Step] = []
    seq = count()
    manifest = Manifest()
    backdated = 0
    index = 0
    while len(steps) < target:
        body = BodyHistory(steps, seq, seed, index, manifest)
        body.build()
        backdated += body.backdated
        index += 1
    steps.sort(key=lambda s: (s.day, s.seq))
    del steps[target:]
    versions: dict[tuple[Any, ...], int] = {}
    kinds: dict[str, int] = {}
    for step in steps:
        key = aggregate_key(step.command)
        step.version = versions.get(key, 0) + 1
        versions[key] = step.version
        if step.fixes is not None:
            step.command["version"] = step.fixes.version
        kind = step.command["record"]
        kinds[kind] = kinds.get(kind, 0) + 1
    commands = [s.command for s in steps]
    late = sum(
        1 for s in steps if s.day - date.fromisoformat(s.command["effective"]).toordinal() >= 30
    )
    return History(
        seed=seed,
        commands=commands,
        manifest=manifest,
        kinds=dict(sorted(kinds.items(), key=lambda kv: -kv[1])),
        backdated=late,
        first_day=date.fromordinal(steps[0].day) if steps else LAST_DAY,
        last_day=date.fromordinal(steps[-1].day) if steps else LAST_DAY,
    )
