"""Import of 100,000 booking rows: `ledger import bookings` on a generated CSV export.

A treasury's year of bookings arrives as one CSV export. Each run, in a child process on a
fresh store: a body and its budget lines with their appropriations are recorded (not
timed), a CSV of N booking rows in the default bookings layout is written (booking date,
budget line, booking reference, amount with a decimal comma, text; spread over the lines,
dates through the year), then `ledger import bookings FILE --body B --year Y` runs through
the CLI's Python entry (`ledger.cli.main`): reading, mapping, checking and recording all
rows in one batch, as a clerk runs it. The baseline is bare eventsourcing saving the same
number of events (bench.ingest's BareIngest: one event per booking, on aggregates keyed by
line, one save), in a child process of its own on a fresh store. Target: <= 20 s (SQLite).

`python -m bench.import_bookings` runs it alone: `--rows N`, `--repeats R`, `--backend`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
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
ROWS = 100_000
LINES = 200
BODY = "bench-bookings"
YEAR = 2018


@dataclass
class ImportFigure:
    """Seconds of the import runs and of the bare baseline runs."""

    rows: int
    runs: list[dict[str, Any]] = field(default_factory=list)
    bare_runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        """Median seconds of `ledger import bookings` of N rows."""
        return statistics.median(float(r["seconds"]) for r in self.runs)

    @property
    def bare_seconds(self) -> float:
        """Median seconds of bare eventsourcing saving N events."""
        return statistics.median(float(r["seconds"]) for r in self.bare_runs)


def line_code(index: int) -> str:
    """The code of the index-th budget line."""
    return f"01.{4000 + index:04d}.7100"


def setup_commands(lines: int = LINES) -> list[dict[str, Any]]:
    """The body and its expenditure lines of the year, each with an appropriation."""
    common = {"body": BODY, "effective": f"{YEAR}-01-01"}
    commands: list[dict[str, Any]] = [{"record": "body", **common, "name": "Bench"}]
    for i in range(lines):
        where = {**common, "year": YEAR, "line": line_code(i)}
        commands.append({"record": "budget-line", **where, "title": f"Line {i}"})
        commands.append({"record": "appropriation", **where, "amount": "10000000.00"})
    return commands


def bookings(rows: int, lines: int = LINES) -> list[dict[str, Any]]:
    """The N bookings: distinct references, spread over the lines, dates through the year."""
    first = date(YEAR, 1, 2)
    return [
        {
            "record": "payment",
            "body": BODY,
            "year": YEAR,
            "line": line_code(i % lines),
            "amount": f"{1 + i % 997}.{i % 100:02d}",
            "reference": f"AO-{i}",
            "effective": (first + timedelta(days=i * 360 // rows)).isoformat(),
        }
        for i in range(rows)
    ]


def write_export(path: Path, rows: list[dict[str, Any]]) -> None:
    """The bookings as the default export layout: ';', dd.mm.yyyy, decimal comma."""
    out = ["Buchungsdatum;HH-Stelle;Belegnummer;Betrag;Buchungstext"]
    for b in rows:
        booked = date.fromisoformat(b["effective"]).strftime("%d.%m.%Y")
        amount = b["amount"].replace(".", ",")
        out.append(f"{booked};{b['line']};{b['reference']};{amount};Zahlung")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def run_child(mode: str, target: str, rows: int) -> dict[str, Any]:
    """One run in a child process: mode `ledger` (target: URL) or `bare` (target: env JSON)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "bench.import_bookings", "--child", mode, target, str(rows)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"import of {rows:,} booking rows ({mode}) failed: {' / '.join(tail)}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def measure_import(backend: str, rows: int = ROWS, repeats: int = 3) -> ImportFigure:
    """The import and the bare baseline in turns, `repeats` times each, on fresh stores."""
    from bench.stores import fresh_store

    figure = ImportFigure(rows)
    for _ in range(repeats):
        with fresh_store(backend, "import-bookings") as store:
            figure.runs.append(run_child("ledger", store.url, rows))
            figure.bare_runs.append(run_child("bare", json.dumps(store.bare_env), rows))
    return figure


def child_ledger(url: str, rows: int) -> dict[str, Any]:
    """In the child: the setup, the export written, then `ledger import bookings` timed."""
    import tempfile

    from ledger.application import LedgerApplication
    from ledger.cli import main as ledger_main
    from ledger.store import application_env

    app = LedgerApplication(env=application_env(url))
    try:
        app.record(setup_commands())
    finally:
        app.close()
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "bookings.csv"
        write_export(export, bookings(rows))
        os.environ["LEDGER_DATABASE_URL"] = url
        args = ["import", "bookings", str(export), "--body", BODY, "--year", str(YEAR)]
        shown = io.StringIO()
        began = time.perf_counter()
        with contextlib.redirect_stdout(shown), contextlib.redirect_stderr(shown):
            code = ledger_main(args)
        seconds = time.perf_counter() - began
    if code != 0:
        raise SystemExit(f"ledger import bookings exited {code}: {shown.getvalue()[-500:]}")
    app = LedgerApplication(env=application_env(url))
    try:
        recorded = app.recorder.max_notification_id() or 0
    finally:
        app.close()
    events = recorded - len(setup_commands())
    if events != rows:
        raise SystemExit(f"the import recorded {events} events for {rows} rows")
    return {"rows": rows, "events": events, "seconds": seconds}


def child_bare(env: dict[str, str], rows: int) -> dict[str, Any]:
    """In the child: bare eventsourcing saves one event per booking, in one save."""
    from bench.ingest import BareIngest

    bare = BareIngest(env)
    try:
        commands = bookings(rows)
        began = time.perf_counter()
        saved = bare.record(commands)
        seconds = time.perf_counter() - began
    finally:
        bare.close()
    return {"rows": rows, "events": saved, "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.import_bookings`: the measurement alone, printed."""
    p = argparse.ArgumentParser(prog="python -m bench.import_bookings", description=__doc__)
    p.add_argument("--child", nargs=3, metavar=("MODE", "TARGET", "N"), help=argparse.SUPPRESS)
    p.add_argument("--rows", type=int, default=ROWS)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = p.parse_args(argv)
    if args.child:
        mode, target, count = args.child
        report = (
            child_ledger(target, int(count))
            if mode == "ledger"
            else child_bare(json.loads(target), int(count))
        )
        print(json.dumps(report))
        return 0
    if args.rows < 1 or args.repeats < 1:
        print("bench.import_bookings: --rows and --repeats must be at least 1", file=sys.stderr)
        return 2
    fig = measure_import(args.backend, args.rows, args.repeats)
    print(
        f"import of {fig.rows:,} booking rows ({args.backend}): median {fig.seconds:.2f} s; "
        f"bare eventsourcing saving {fig.rows:,} events: {fig.bare_seconds:.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
