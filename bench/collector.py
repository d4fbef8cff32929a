"""`python -m bench.collector`: the cyclic garbage collector's share of the ingest chunks.

Runs the bench's ingest measurement (`bench.ingest.measure_ingest`, ledger and bare
eventsourcing in alternating chunks of the same commands, on a fresh SQLite store) with a
timer on the collector (`gc.callbacks`), and prints per chunk the ratio bare / ledger,
the seconds spent collecting and the number of full (generation 2) collections. At the
large size the ratios fall in two groups; this shows whether a full collection is what
the slow chunks have in common. `--freeze` freezes the generated history first, as
`python -m bench` does.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from typing import Any

from bench.generator import DEFAULT_SEED, generate
from bench.ingest import IngestFigure, measure_ingest
from bench.stores import fresh_store


class CollectorTimer:
    """Seconds the collector ran and full collections it made, since the last `take`."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full = 0
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._began
        if info["generation"] == 2:
            self.full += 1

    def take(self) -> tuple[float, int]:
        """(seconds, full collections) since the last call."""
        taken = (self.seconds, self.full)
        self.seconds, self.full = 0.0, 0
        return taken


def main(argv: list[str] | None = None) -> None:
    """Measures ingest with the collector timed, a line per chunk."""
    from ledger.application import LedgerApplication
    from ledger.store import application_env

    p = argparse.ArgumentParser(prog="python -m bench.collector", description=__doc__)
    p.add_argument("--events", type=int, default=1_000_000, help="commands generated")
    p.add_argument("--sample", type=int, default=200_000, help="commands measured")
    p.add_argument("--record-cache", type=int, default=100_000, help="LEDGER_RECORD_CACHE")
    p.add_argument("--freeze", action="store_true", help="freeze the generated history")
    args = p.parse_args(argv)
    history = generate(args.events, DEFAULT_SEED)
    if args.freeze:
        gc.collect()
        gc.freeze()
    timer = CollectorTimer()
    gc.callbacks.append(timer)
    try:
        with fresh_store("sqlite", "collector") as store:
            env = application_env(store.url)
            env["LEDGER_RECORD_CACHE"] = str(args.record_cache)
            app = LedgerApplication(env=env)
            timer.take()  # what generating and opening collected is no chunk's

            def progress(figure: IngestFigure) -> None:
                seconds, full = timer.take()
                chunk, ratio = len(figure.chunk_ratios) - 1, figure.chunk_ratios[-1]
                print(
                    f"chunk {chunk:2d}: ratio {ratio:.3f}, collector {seconds:.2f} s, full {full}"
                )

            figure = measure_ingest(
                app, store.bare_env, history, batch_size=500, stop=args.sample, progress=progress
            )
            app.close()
    finally:
        gc.callbacks.remove(timer)
    overall = figure.bare_seconds / figure.ledger_seconds if figure.ledger_seconds else 0.0
    print(
        f"median {statistics.median(figure.chunk_ratios):.2f}, overall {overall:.2f}, "
        f"{sum(r < 0.45 for r in figure.chunk_ratios)} of {len(figure.chunk_ratios)} below 0.45"
    )


if __name__ == "__main__":
    main()
