"""Catch-up: the projector from position 0 in events/s vs a bare scan of the notifications.

The projector runs in a child process (`python -m bench.catchup URL`) so that its peak RSS
(VmHWM) is its own; its fold worker, if it starts one, reports its own peak, and the
memory figure is the sum of the two. The child also reports its peak RSS after the
imports, before any event, as the floor the rebuild's memory is compared with. The first
run catches a fresh read model up from position 0; further repeats rebuild it (a new
generation from position 0, the same work). The baseline pages through
`recorder.select_notifications` in the parent, decoding nothing: what reading the events
costs at all.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from projections.engine.worker import peak_rss_kb

ROOT = Path(__file__).resolve().parent.parent
PAGE = 1000


@dataclass
class CatchUpFigure:
    """Catch-up and scan rates (events/s) and the rebuild's memory."""

    events: int = 0
    runs: list[dict[str, Any]] = field(default_factory=list)
    scan_rates: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Median events/s of the projector."""
        rates = [self.events / r["seconds"] for r in self.runs if r["seconds"]]
        return statistics.median(rates) if rates else 0.0

    @property
    def scan_rate(self) -> float:
        """Median events/s of the bare scan."""
        return statistics.median(self.scan_rates) if self.scan_rates else 0.0

    @property
    def peak_rss_mb(self) -> float:
        """The highest peak RSS of the projector processes, in MB."""
        return max((r["rss_peak_kb"] for r in self.runs), default=0) / 1024

    def _of_top_run(self, name: str) -> float:
        """A figure (KB) of the run with the highest peak, in MB (0: no such run or figure)."""
        top = max(self.runs, key=lambda r: r["rss_peak_kb"], default={})
        return float(top.get(name, 0)) / 1024

    @property
    def projector_rss_mb(self) -> float:
        """Of the run with the highest peak: the projector process's own peak, in MB."""
        return self._of_top_run("rss_projector_kb")

    @property
    def worker_rss_mb(self) -> float:
        """Of the run with the highest peak: its fold worker's peak, in MB (0: none)."""
        return self._of_top_run("rss_worker_kb")

    @property
    def idle_rss_mb(self) -> float:
        """The RSS of the projector process after its imports, before any event, in MB."""
        return max((r["rss_idle_kb"] for r in self.runs), default=0) / 1024


def available() -> str | None:
    """None if the projector can be imported, else why not."""
    try:
        from projections import registry as projector

        if not callable(getattr(projector, "catch_up", None)):
            return "projections.registry has no catch_up function yet"
    except ImportError as exc:
        return f"the projector has not landed yet ({exc})"
    return None


def scan_seconds(url: str) -> tuple[int, float]:
    """Pages through every notification of the store; (events, seconds)."""
    from ledger.store import open_recorder

    recorder = open_recorder(url)
    try:
        began = time.perf_counter()
        events = 0
        start = 1
        while True:
            page = recorder.select_notifications(start, PAGE)
            if not page:
                break
            events += len(page)
            start = page[-1].id + 1
        return events, time.perf_counter() - began
    finally:
        recorder.close()


def run_child(url: str, mode: str, batch_size: int | None, root: Path = ROOT) -> dict[str, Any]:
    """Runs one catch-up or rebuild in a child process; its JSON report.

    `root` is the checkout whose code the child runs (another one: a `git worktree` of an
    older commit, see `bench.alternate`); it is the child's working directory, which
    `python -m` puts first on `sys.path`.
    """
    command = [sys.executable, "-m", "bench.catchup", url, mode]
    if batch_size:
        command.append(str(batch_size))
    own = [str(root / "src"), str(root)] if root != ROOT else [str(ROOT)]
    path = os.pathsep.join(filter(None, [*own, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    done = subprocess.run(command, capture_output=True, text=True, cwd=root, env=env, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{mode} in a child process failed: {' / '.join(tail)}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def measure_catch_up(url: str, repeats: int, batch_size: int | None = None) -> CatchUpFigure:
    """Catch-up from 0, then rebuilds, each beside a bare scan of the same store."""
    figure = CatchUpFigure()
    for i in range(repeats):
        report = run_child(url, "catch-up" if i == 0 else "rebuild", batch_size)
        figure.runs.append(report)
        events, seconds = scan_seconds(url)
        figure.events = events
        figure.scan_rates.append(events / seconds if seconds else 0.0)
    return figure


def child(url: str, mode: str, batch_size: int | None) -> None:
    """In the child: one catch-up from 0 (or a rebuild), reported as one JSON line."""
    from projections import registry as projector

    idle = peak_rss_kb()
    kwargs = {"batch_size": batch_size} if batch_size else {}
    began = time.perf_counter()
    with projector.Projector(url, **kwargs) as p:
        if mode == "rebuild":
            position, _ = p.rebuild()
        else:
            position = p.catch_up()
    seconds = time.perf_counter() - began  # with the final checkpoint and the worker's stop
    peak = peak_rss_kb()
    # The fold worker reports its own peak when it stops (0: no worker was started).
    worker = p.worker_peak_rss_kb
    print(
        json.dumps(
            {
                "mode": mode,
                "events": position,
                "seconds": seconds,
                "rss_idle_kb": idle,
                "rss_peak_kb": peak + worker,
                "rss_projector_kb": peak,
                "rss_worker_kb": worker,
            }
        )
    )


if __name__ == "__main__":
    child(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else None)
