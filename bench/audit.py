"""The auditor's verify: `ledger-audit.py verify` on the bench's bundle vs hashlib alone.

The bundle is written as `ledger export --bundle` writes it (`ledger.store.bundle`), with a
key made for the run. The verifier runs as the auditor runs it, `python3 ledger-audit.py
verify events.jsonl --checkpoint checkpoint --vkey KEY.pub --timing`, in a process of its
own (with its worker processes); the rate is the one its `--timing` line reports: the
events over the seconds of its pass over the export (parsing, every chain hash, the tree),
without the interpreter's start. The process's whole wall time, and the rate per second of CPU it
and its workers used (one core's rate, whatever else runs), are in the note. The
baseline is bench.verification's: SHA-256 of the chain's bytes with hashlib alone, in this
process, over the same events. The target: ≥ 200,000 events/s.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.verification import hash_only_seconds

ORIGIN = "bench.example/ledger"
_TIMING = re.compile(
    r"timing: (\d+) events in ([0-9.]+) s.*CPU ([0-9.]+) s here, ([0-9.]+) s in workers"
)


@dataclass
class AuditFigure:
    """ledger-audit.py verify rates (events/s) and the hashlib baseline's, over repeats."""

    events: int = 0
    rates: list[float] = field(default_factory=list)
    wall_seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    hash_rates: list[float] = field(default_factory=list)
    export_bytes: int = 0
    output: str = ""

    @property
    def rate(self) -> float:
        """Median events/s of the verifier's pass."""
        return statistics.median(self.rates) if self.rates else 0.0

    @property
    def hash_rate(self) -> float:
        """Median events/s of hashlib alone."""
        return statistics.median(self.hash_rates) if self.hash_rates else 0.0

    @property
    def cpu_rate(self) -> float:
        """Events per second of CPU the verifier used (its process and its workers): what
        one core would do, whatever else the machine runs."""
        cpu = statistics.median(self.cpu_seconds) if self.cpu_seconds else 0.0
        return self.events / cpu if cpu else 0.0

    @property
    def wall(self) -> float:
        """Median wall seconds of the whole verifier process."""
        return statistics.median(self.wall_seconds) if self.wall_seconds else 0.0


def measure_audit(url: str, repeats: int = 3) -> AuditFigure:
    """Writes the bundle, then runs the verifier and the baseline `repeats` times each."""
    from ledger.store import open_recorder
    from ledger.store.bundle import CHECKPOINT, EVENTS, VERIFIER, write_bundle
    from ledger.tlog.note import generate_key

    figure = AuditFigure()
    recorder = open_recorder(url)
    try:
        with tempfile.TemporaryDirectory(prefix="ledger-audit-bench-") as tmp:
            bundle = Path(tmp) / "bundle"
            written = write_bundle(recorder, bundle, generate_key(ORIGIN))
            figure.export_bytes = (bundle / EVENTS).stat().st_size
            command = [
                sys.executable,
                str(bundle / VERIFIER),
                "verify",
                str(bundle / EVENTS),
                "--checkpoint",
                str(bundle / CHECKPOINT),
                "--vkey",
                str(bundle / written.vkey_file),
                "--timing",
            ]
            for _ in range(repeats):
                began = time.perf_counter()
                run = subprocess.run(command, capture_output=True, text=True, check=False)
                figure.wall_seconds.append(time.perf_counter() - began)
                found = _TIMING.search(run.stdout)
                if run.returncode != 0 or found is None:
                    msg = f"ledger-audit.py verify exited {run.returncode}: {run.stderr[-500:]}"
                    raise RuntimeError(msg)
                figure.events = int(found.group(1))
                seconds = float(found.group(2))
                figure.rates.append(figure.events / seconds if seconds else 0.0)
                figure.cpu_seconds.append(float(found.group(3)) + float(found.group(4)))
                figure.output = run.stdout.splitlines()[0]
                events, spent = hash_only_seconds(recorder)
                figure.hash_rates.append(events / spent if spent else 0.0)
    finally:
        recorder.close()
    return figure
