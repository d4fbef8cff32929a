"""A per-process cache of what a target-agreement query needs, answered at any as_of.

An entry holds, for one process of one body at one read-model generation and position, and
for one kind of reader (anonymous or with a read token), the timelines *as known now* of
the agreement, its measures and its findings (every row, whatever its valid time), and
which resolution references an anonymous reader may see. A query at any as_of with known_at = now is
then answered from memory: per record, the row whose valid-time interval holds as_of
(a bisection), exactly the row `projections.engine.visible.visible` would select.

Honesty:

- The key has the generation and the position (what `X-Ledger-Position` shows). A query
  reads the current position in its own snapshot first and only uses an entry built at
  that very position; the projector changes rows only in transactions that advance the
  position (or, on a rebuild, the generation), so an entry is the database's answer.
- An entry is used only for known_at at or after the moment it was built, and only when
  every row read then was already known and not yet closed at that moment (otherwise a
  clock disagreement makes "known now" move: the query goes to the database).
- What an anonymous reader may see is decided as `projections.models.visibility.anonymous_records`
  decides it on every route: a finding (resolution) only if the last row of its timeline
  known now is published (public), whatever its dates. An entry built on another day
  (UTC) is not used either.
- Anonymous entries never hold a finding whose last row is unpublished, nor any
  resolution row; entries with and without a token are kept under different keys.
- An LRU of a few entries bounds memory; entries of older positions are dropped as soon as
  a newer position is seen.

Cost: building an entry reads every row of the process known now (a few uncached queries'
worth), so a process is built only on its third query at a position, and when entries
keep being dropped before they paid for themselves (more processes asked than the LRU
holds, or a projector that moves on after every few queries) the cache waits for more
queries before building, down to little more than the cost of no cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from projections.engine.axes import Axes
from projections.engine.visible import Timeline, known_now, records_exist, shown_now, timelines

if TYPE_CHECKING:
    from projections.engine.store import ReadModel, View

#: Entries kept per process (worker): each is a process's timelines for one kind of reader.
DEFAULT_SIZE = 16

#: An entry is built on this many queries of a process at one position; the ones before
#: go to the database. Building reads every row of the process known now (about five
#: uncached queries' worth), so a position that changes after every query or two (a busy
#: projector) costs little more than no cache.
BUILD_AFTER = 3
#: An entry dropped before it answered this many queries cost more than it saved.
WORTH_BUILDING = 8
#: The most misses a key waits for (when entries keep being dropped unused: thrashing).
MAX_BUILD_AFTER = 64
#: At most this many keys are counted towards BUILD_AFTER.
MAX_COUNTED = 4096


@dataclass(frozen=True, slots=True)
class AgreementEntry:
    """What an agreement query needs that does not depend on as_of, at one position."""

    position: int
    #: The moment (naive UTC) the timelines were read; known_at must not be earlier.
    built: datetime
    #: The day (UTC) the entry was built on; it is used on that day only.
    today: date
    include_private: bool
    agreement: Timeline | None
    measures: list[Timeline]
    #: Without include_private: only the findings published in their last row known now.
    findings: list[Timeline]
    #: The references the agreement's rows mention that are public in their last row known now
    #: (anonymous only).
    public: frozenset[str]
    #: What a renderer derived from the whole entry once (e.g. the order of the measures).
    memo: dict[str, Any] = field(default_factory=dict)

    def usable(self, ax: Axes) -> bool:
        """Whether this entry answers a query at these axes (known_at now, same day)."""
        return self.built <= ax.known_at_naive and self.today == ax.known_at.date()

    def findings_at(self, as_of: date) -> list[dict[str, Any]]:
        """The finding rows on as_of the reader may see, by (process, number)."""
        findings = [r for r in (t.at(as_of) for t in self.findings) if r is not None]
        if not self.include_private:
            findings = [r for r in findings if r["published"]]
        findings.sort(key=lambda r: (str(r["process"]), int(r["number"])))
        return findings

    def at(
        self, as_of: date
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]], list[dict[str, Any]]]:
        """(agreement row, measure rows, finding rows) on as_of, as `agreement` reads them."""
        found = self.agreement.at(as_of) if self.agreement is not None else None
        measures = [r for r in (t.at(as_of) for t in self.measures) if r is not None]
        measures.sort(key=lambda r: int(r["id"]))  # as the database returns them
        return found, measures, self.findings_at(as_of)


def build_entry(
    view: View, body: str, process: str, include_private: bool, ax: Axes
) -> AgreementEntry | None:
    """Reads an entry in the view's snapshot; None when the query must go to the database
    (no such body or process, or rows that are no plain timeline as known now)."""
    schema = view.schema
    if schema is None:
        return None
    found_body, found_agreement, found_process = records_exist(
        view.conn,
        schema.entities,
        body,
        [("body", None), ("agreement", process), ("process", process)],
    )
    if not found_body or not (found_agreement or found_process):
        return None
    conn, entities = view.conn, schema.entities
    built = ax.known_at_naive
    today = ax.known_at.date()

    def read(model: str, **where: Any) -> list[Timeline] | None:
        rows = known_now(conn, schema.table(model), entities, model, ax, body=body, **where)
        return timelines(rows, built)

    agreements = read("agreement", keys=[process])
    measures = read("measure", scope=process)
    findings = read("finding", scope=process)
    if agreements is None or measures is None or findings is None or len(agreements) > 1:
        return None
    public: frozenset[str] = frozenset()
    if not include_private:
        # anonymous_records' rule, read from the timelines: they hold exactly the rows
        # known now (see `timelines`), so their last row is the one it reads.
        findings = [t for t in findings if shown_now(t, "published")]
        references = sorted(
            {r["adopted_by"] for t in agreements for r in t.rows if r["adopted_by"]}
        )
        if references:
            resolutions = read("resolution", keys=references, columns=("reference", "public"))
            if resolutions is None:
                return None
            public = frozenset(
                r["reference"]
                for t in resolutions
                if shown_now(t, "public")
                for r in t.rows
                if r["reference"]
            )
    return AgreementEntry(
        view.position,
        built,
        today,
        include_private,
        agreements[0] if agreements else None,
        measures,
        findings,
        public,
    )


class AgreementCache:
    """An LRU of agreement entries by (generation, position, body, process, with token)."""

    def __init__(self, size: int = DEFAULT_SIZE, build_after: int = BUILD_AFTER) -> None:
        self.size = size
        #: Misses of a key at one position before it is built; adapts (see `_drop`).
        self.build_after = build_after
        self.least_build_after = build_after
        #: Queries each kept entry has answered.
        self._answered: dict[tuple[Any, ...], int] = {}
        self._entries: OrderedDict[tuple[Any, ...], AgreementEntry] = OrderedDict()
        #: Misses per key at the current position, until one of them builds the entry.
        self._misses: dict[tuple[Any, ...], int] = {}
        self._lock = threading.Lock()
        #: Entries built and entries answered from memory (for tests and diagnostics).
        self.builds = 0
        self.hits = 0

    def __len__(self) -> int:
        return len(self._entries)

    def current(
        self, rm: ReadModel, body: str, process: str, include_private: bool, ax: Axes
    ) -> AgreementEntry | None:
        """The entry for the read model's current generation and position, if one is kept.

        Reads the generation and position in one statement (as ReadModel.view does, without
        building its statement each time); None on a miss (then use `entry` in a view).
        """
        with self._lock:
            if not any(k[2:] == (body, process, include_private) for k in self._entries):
                return None
        found = rm.current()
        if found is None:
            return None
        key = (*found, body, process, include_private)
        return self._hit(key, ax)

    def _hit(self, key: tuple[Any, ...], ax: Axes) -> AgreementEntry | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or not found.usable(ax):
                return None
            self._entries.move_to_end(key)
            self._answered[key] = self._answered.get(key, 0) + 1
            self.hits += 1
            return found

    def entry(
        self, view: View, body: str, process: str, include_private: bool, ax: Axes
    ) -> AgreementEntry | None:
        """The entry for the view's generation and position, read in the view on a miss.

        None when the query must go to the database: the first `build_after` - 1 misses of
        a key at a position, and see `build_entry` and `AgreementEntry.usable`.
        """
        if view.schema is None:
            return None
        generation = view.schema.generation
        key = (generation, view.position, body, process, include_private)
        found = self._hit(key, ax)
        if found is not None:
            return found
        with self._lock:
            misses = self._misses.get(key, 0) + 1
            if misses < self.build_after:
                if len(self._misses) >= MAX_COUNTED or any(
                    k[:2] != key[:2] for k in self._misses
                ):  # counts of another position, or too many keys: start again
                    self._misses.clear()
                self._misses[key] = misses
                return None
            self._misses.pop(key, None)
        built = build_entry(view, body, process, include_private, ax)
        if built is None:
            return None
        with self._lock:
            self.builds += 1
            # Entries of another generation or an older position are of no further use.
            for old in [k for k in self._entries if k[0] != generation or k[1] < view.position]:
                self._drop(old)
            if key in self._entries:
                self._drop(key)
            self._entries[key] = built
            self._answered[key] = 1
            while len(self._entries) > self.size:
                self._drop(next(iter(self._entries)))
        return built

    def _drop(self, key: tuple[Any, ...]) -> None:
        """Drops an entry (lock held). One that answered fewer queries than building it
        cost (evicted by others, or its position passed) makes the next builds wait for
        twice as many misses; one that paid off halves the wait again."""
        del self._entries[key]
        if self._answered.pop(key, 0) < WORTH_BUILDING:
            self.build_after = min(self.build_after * 2, MAX_BUILD_AFTER)
        else:
            self.build_after = max(self.least_build_after, self.build_after // 2)

    def clear(self) -> None:
        """Drops every entry."""
        with self._lock:
            self._entries.clear()
            self._answered.clear()
            self._misses.clear()
