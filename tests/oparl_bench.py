"""Measures `ledger import oparl` of N papers with their meetings and agenda items (not a test).

    .venv/bin/python tests/oparl_bench.py [N] [RATE]

A loopback server (tests/oparl_support.py) serves a council of five committees (15 voting
members each), N/10 meetings of ten agenda items and N papers, every second one with a
resolution file stating its counts, in pages of 100; the import runs into a fresh SQLite
file at RATE requests per second (default 0: no limit), then once more with everything
read again (it appends nothing). Prints the seconds of each run.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path

from oparl_support import Council, serve

from ledger.importers.oparl.client import Settings
from ledger.importers.oparl.run import run_import


def council_of(council: Council, papers: int) -> str:
    """Fills the council; returns its System URL."""
    system, _ = council.system_and_body()
    committees = [council.organization(f"o{i}", f"Ausschuss {i}") for i in range(5)]
    for committee in committees:
        council.members(committee, 15, "2014-01-01")
    meetings = []
    for m in range(max(1, papers // 10)):
        committee = committees[m % 5]
        start = f"{2014 + m // 400}-{1 + (m // 30) % 12:02d}-{1 + m % 28:02d}T17:00:00+01:00"
        meetings.append((council.meeting(f"m{m}", committee, start), committee))
    for p in range(papers):
        paper = council.paper(
            f"p{p}", f"{2014 + p // 4000}/{p % 4000:04d}", f"Vorlage {p}", "2014-01-01"
        )
        meeting, committee = meetings[min(p // 10, len(meetings) - 1)]
        text = "Ja 9 Nein 2 Enthaltungen 1 befangen 0" if p % 2 else None
        result = "beschlossen" if p % 3 else "zur Kenntnis genommen"
        council.consult(paper, meeting, committee, result, text=text)
    return system


def main() -> None:
    """Runs the measurement."""
    papers = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rate = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    store = f"sqlite:///{Path(tempfile.mkdtemp()) / 'ledger.db'}"
    with serve(page_size=100) as council:
        system = council_of(council, papers)
        for label, since in (("import", None), ("again", "2000-01-01")):
            out, err = io.StringIO(), io.StringIO()
            start = time.perf_counter()
            code = run_import(
                system, "bench", since=since, database_url=store,
                settings=Settings(rate=rate), out=out, err=err,
            )  # fmt: skip
            seconds = time.perf_counter() - start
            last = out.getvalue().strip().splitlines()[-1:] or err.getvalue().splitlines()[-1:]
            print(f"{label}: {papers} papers, exit {code}, {seconds:.1f} s; {last[0]}")


if __name__ == "__main__":
    main()
