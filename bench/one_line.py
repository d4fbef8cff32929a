"""One busy record: 100,000 payments on one budget line, recorded in one batch.

A treasury's bookings on one busy line make one record with a very long history; the
cost of each new event must not grow with it (checks of a line's bookings by reference,
the effective-date guard, the facts kept in valid-time order, collecting the events to
save). Each run records, in a child process on a fresh store (so that its peak RSS,
VmHWM, is its own): a body, one budget line with its appropriation, then N payments with
distinct booking references and booking dates through the year, in one
`LedgerApplication.record` call (one command file: all or nothing). The baseline is the
same run at a quarter of N, times four: the ratio to it is 1.0 when the time is linear in
the events of the record, 4.0 if it were quadratic.

`python -m bench.one_line` runs it alone: `--events N`, `--repeats R`, `--backend`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVENTS = 100_000
LINE = "01.4953.7187"


@dataclass
class OneLineFigure:
    """Seconds and peak RSS of the runs at N events and at N/4."""

    events: int
    runs: list[dict[str, Any]] = field(default_factory=list)
    quarter_runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        """Median seconds to record N payments."""
        return statistics.median(float(r["seconds"]) for r in self.runs)

    @property
    def quarter_seconds(self) -> float:
        """Median seconds to record N/4 payments."""
        return statistics.median(float(r["seconds"]) for r in self.quarter_runs)

    @property
    def growth(self) -> float:
        """Seconds at N over four times the seconds at N/4: 1.0 when linear."""
        quarter = self.quarter_seconds
        return self.seconds / (4 * quarter) if quarter else 0.0

    @property
    def peak_rss_mb(self) -> float:
        """The highest peak RSS of the runs at N, in MB."""
        return max(int(r["rss_peak_kb"]) for r in self.runs) / 1024

    @property
    def idle_rss_mb(self) -> float:
        """The RSS after the imports and the setup, before the commands, in MB."""
        return max(int(r["rss_idle_kb"]) for r in self.runs) / 1024

    @property
    def input_rss_mb(self) -> float:
        """The RSS once the N commands are built (the input), before recording, in MB."""
        return max(int(r["rss_input_kb"]) for r in self.runs) / 1024


def run_child(url: str, events: int) -> dict[str, Any]:
    """Records `events` payments on one line of a fresh store in a child process."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "bench.one_line", "--child", url, str(events)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"one line, {events:,} payments, failed: {' / '.join(tail)}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def measure_one_line(backend: str, events: int = EVENTS, repeats: int = 3) -> OneLineFigure:
    """Runs at N/4 and at N in turns, `repeats` times each, each on a fresh store."""
    from bench.stores import fresh_store

    figure = OneLineFigure(events)
    for _ in range(repeats):
        for count, runs in ((events // 4, figure.quarter_runs), (events, figure.runs)):
            with fresh_store(backend, "one-line") as store:
                runs.append(run_child(store.url, count))
    return figure


def setup_commands() -> list[dict[str, Any]]:
    """A body, one budget line of 2018 and its appropriation."""
    common = {"body": "bench-one-line", "effective": "2018-01-01"}
    return [
        {"record": "body", **common, "name": "Bench"},
        {"record": "budget-line", **common, "year": 2018, "line": LINE, "title": "Busy"},
        {"record": "appropriation", **common, "year": 2018, "line": LINE, "amount": "1000000.00"},
    ]


def payments(count: int) -> list[dict[str, Any]]:
    """`count` payments on the line, with distinct references, booking dates in order."""
    first = date(2018, 1, 2)
    return [
        {
            "record": "payment",
            "body": "bench-one-line",
            "year": 2018,
            "line": LINE,
            "amount": "1.00",
            "reference": f"B-{i}",
            "effective": (first + timedelta(days=i * 360 // count)).isoformat(),
        }
        for i in range(count)
    ]


def child(url: str, count: int) -> None:
    """In the child: the setup, then `count` payments in one batch; one JSON line."""
    from ledger.application import LedgerApplication
    from ledger.store import application_env
    from projections.engine.worker import peak_rss_kb

    app = LedgerApplication(env=application_env(url))
    try:
        app.record(setup_commands())
        idle = peak_rss_kb()
        commands = payments(count)
        built = peak_rss_kb()
        began = time.perf_counter()
        positions = app.record(commands)
        seconds = time.perf_counter() - began
    finally:
        app.close()
    if len(positions) != count:
        raise SystemExit(f"recorded {len(positions)} of {count} payments")
    report = {
        "events": count,
        "seconds": seconds,
        "rss_idle_kb": idle,
        "rss_input_kb": built,
        "rss_peak_kb": peak_rss_kb(),
    }
    print(json.dumps(report))


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.one_line`: the measurement alone, printed."""
    p = argparse.ArgumentParser(prog="python -m bench.one_line", description=__doc__)
    p.add_argument("--child", nargs=2, metavar=("URL", "N"), help=argparse.SUPPRESS)
    p.add_argument("--events", type=int, default=EVENTS)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = p.parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]))
        return 0
    if args.events < 4 or args.repeats < 1:
        print(
            "bench.one_line: --events must be at least 4 and --repeats at least 1", file=sys.stderr
        )
        return 2
    fig = measure_one_line(args.backend, args.events, args.repeats)
    print(
        f"{fig.events:,} payments on one line ({args.backend}): median {fig.seconds:.2f} s; "
        f"{fig.events // 4:,}: {fig.quarter_seconds:.2f} s; growth {fig.growth:.2f} "
        f"(1.00 = linear); peak RSS {fig.peak_rss_mb:.0f} MB (idle {fig.idle_rss_mb:.0f} MB, "
        f"with the commands built {fig.input_rss_mb:.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
