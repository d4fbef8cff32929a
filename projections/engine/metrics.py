"""Prometheus metrics of the read side: projector batches, and the ledger's state when scraped.

`BATCH_SECONDS` is observed by the projector in its own process (in-memory, or in the files
of PROMETHEUS_MULTIPROC_DIR when the server runs several processes). Everything else is
read from the database when scraped (`LedgerCollector`), so that every process that
answers a scrape answers the same:

- ``ledger_head_position``: the position of the ledger's last event;
- ``ledger_read_model_position``: the last position the read model reflects;
- ``ledger_projection_lag_events``: head − read model position;
- ``ledger_projector_stuck``: 1 while a projector cannot project an event (``rm_failure``,
  what /readyz reports), with ``ledger_projector_failing_position``;
- ``ledger_events_appended_total{record}``: the events by record kind (Resolution,
  Measure, ...), counted in the read model, so up to its position (it trails the head by
  the lag); non-public events count too;
- ``ledger_store_up``: 0 when the scrape could not reach the store (then only this).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from typing import Final

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Histogram,
    disable_created_metrics,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from projections.engine.schema import Catalog
from projections.engine.store import ReadModel

log = logging.getLogger("ledger.metrics")
#: Set (to an empty directory) for processes that share their metrics through files.
MULTIPROC_VAR: Final = "PROMETHEUS_MULTIPROC_DIR"

# No `_created` series beside each counter and histogram (a time stamp per series that
# doubles the output; Prometheus detects counter resets without it).
disable_created_metrics()  # type: ignore[no-untyped-call]

#: From reading a batch of events to its commit (seconds); a catch-up writes one batch of up
#: to --batch-size events (default 5000) at a time.
BATCH_SECONDS: Final = Histogram(
    "ledger_projector_batch_duration_seconds",
    "Seconds the projector took for a batch of events, from reading it to its commit.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)


def observe_batch(seconds: float) -> None:
    """Notes the duration of one committed projector batch."""
    BATCH_SECONDS.observe(seconds)


class EventCounts:
    """The read model's events by record kind, counted incrementally: a scrape counts only
    the events projected since the last one (all of them again after a rebuild's swap)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._position = 0
        self._counts: dict[str, int] = {}

    def read(self, read_model: ReadModel) -> tuple[int, dict[str, int]]:
        """(the read model's position, events by record kind up to it), from one snapshot."""
        with self._lock, read_model.view() as view:
            if view.schema is None:
                return view.position, {}
            if view.schema.generation != self._generation or view.position < self._position:
                self._generation, self._position, self._counts = view.schema.generation, 0, {}
            if view.position > self._position:
                events = view.schema.events
                rows = view.conn.execute(
                    select(events.c.record, func.count())
                    .where(events.c.position > self._position, events.c.position <= view.position)
                    .group_by(events.c.record)
                )
                for record, count in rows:
                    name = str(record or "")
                    self._counts[name] = self._counts.get(name, 0) + int(count)
                self._position = view.position
            return view.position, dict(self._counts)


class LedgerCollector(Collector):
    """The ledger's positions, the projector's failure and the events by kind, read from the
    database at each scrape."""

    def __init__(self, read_model: ReadModel, head: Callable[[], int]) -> None:
        self.read_model = read_model
        self.head = head
        self.counts = EventCounts()

    def collect(self) -> Iterator[Metric]:
        """The metrics as of now (only `ledger_store_up 0` when the store cannot be reached)."""
        try:
            head = self.head()
            position, counts = self.counts.read(self.read_model)
            failure = self.read_model.projector_failure()
        except Exception as exc:  # a scrape must answer; the gauge says what failed
            log.warning("metrics: cannot read the store (%s)", type(exc).__name__)
            yield _gauge("ledger_store_up", "Whether the scrape could read the store.", 0)
            return
        yield _gauge("ledger_store_up", "Whether the scrape could read the store.", 1)
        yield _gauge("ledger_head_position", "The position of the ledger's last event.", head)
        yield _gauge(
            "ledger_read_model_position",
            "The last ledger position the read model reflects.",
            position,
        )
        yield _gauge(
            "ledger_projection_lag_events",
            "Events the read model is behind the ledger (head - read model position).",
            max(head - position, 0),
        )
        yield _gauge(
            "ledger_projector_stuck",
            "1 while a projector cannot project an event (see /readyz), else 0.",
            0 if failure is None else 1,
        )
        if failure is not None:
            yield _gauge(
                "ledger_projector_failing_position",
                "The position of the event the projector cannot project.",
                failure.failing,
            )
        appended = CounterMetricFamily(
            "ledger_events_appended",
            "Events in the ledger by record kind, as far as the read model reflects it.",
            labels=["record"],
        )
        for record in sorted(counts):
            appended.add_metric([record], counts[record])
        yield appended


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class _ThisProcess(Collector):
    """The metrics this process keeps in memory (the default registry's)."""

    def collect(self) -> Iterator[Metric]:
        """Every metric of the default registry."""
        yield from REGISTRY.collect()


def registry(*collectors: Collector) -> CollectorRegistry:
    """A registry to expose: this process's metrics (or, with PROMETHEUS_MULTIPROC_DIR set,
    those of every process writing there) and `collectors`."""
    exposed = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_VAR):
        multiprocess.MultiProcessCollector(exposed)  # type: ignore[no-untyped-call]
    else:
        exposed.register(_ThisProcess())
    for collector in collectors:
        exposed.register(collector)
    return exposed


def serve(address: tuple[str, int], url: str | None, catalog: Catalog) -> None:
    """Serves /metrics on (host, port) from a background thread, for `ledger project
    --follow`: its batch durations and the ledger's state (read with connections of its own,
    from the read models of `catalog`)."""
    from ledger.store import open_recorder

    recorder = open_recorder(url)

    def head() -> int:
        digest = recorder.head()
        return digest.position if digest is not None else 0

    host, port = address
    start_http_server(
        port, addr=host, registry=registry(LedgerCollector(ReadModel(url, catalog), head))
    )
    log.info("metrics on http://%s:%d/metrics", host, port)
