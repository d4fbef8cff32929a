"""The benchmark's generated histories: deterministic, valid for the ledger, and runnable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from uuid import UUID

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.__main__ import QUICK  # noqa: E402
from bench.generator import generate  # noqa: E402
from bench.load import PAGES  # noqa: E402
from ledger.application import LedgerApplication  # noqa: E402
from ledger.domain.budget_line import BudgetLine  # noqa: E402
from ledger.domain.measure import Measure  # noqa: E402
from ledger.store import application_env  # noqa: E402


def test_the_same_seed_gives_the_same_history() -> None:
    assert generate(1500, seed=7).commands == generate(1500, seed=7).commands


def test_another_seed_gives_another_history() -> None:
    assert generate(1500, seed=7).commands != generate(1500, seed=8).commands


def test_a_history_has_the_requested_number_of_commands_from_several_bodies() -> None:
    history = generate(4000)
    assert len(history.commands) == 4000
    assert len({c["body"] for c in history.commands}) >= 2
    assert history.kinds["measure-update"] > 0 and history.kinds["payment"] > 0


def test_every_generated_command_appends_one_event_and_fixes_the_named_event(
    tmp_path: Path,
) -> None:
    history = generate(3000)
    fixes = [c for c in history.commands if c["record"] in ("correction", "retraction")]
    assert fixes, "the history should hold corrections"
    app = LedgerApplication(env=application_env(f"sqlite:///{tmp_path / 'ledger.db'}"))
    try:
        positions = [p for batch in history.batches(500) for p in app.record(batch)]
        assert len(positions) == len(history.commands)
        topics = {
            (UUID(str(n.originator_id)), n.originator_version): n.topic
            for n in app.recorder.select_notifications(1, len(positions))
        }
    finally:
        app.close()
    for command in fixes:
        if command["target"] == "measure":
            record = Measure.id_for(command["body"], command["process"], command["measure"])
            expected = ".StatusUpdated"
        else:
            record = BudgetLine.id_for(command["body"], command["year"], command["line"])
            expected = ".PaymentBooked"
        assert topics[(record, command["version"])].endswith(expected), command


def expected_labels() -> list[str]:
    """How each figure of a --quick run starts in the printed table."""
    return [
        "ingest (LedgerApplication.record)",
        "verify (ledger.store.verify)",
        "inclusion proof p95",
        "consistency proof p95",
        "signing a checkpoint",
        "ledger-audit.py verify",
        "projector catch-up from 0",
        "rebuild peak RSS",
        "as-of agreement p50",
        "as-of budget p50",
        "as-of certification p50",
        "HTTP agreement req/s (p95",
        "HTTP agreement req/s, cache off (p95",
        *(f"HTTP {label} req/s (p95" for label in PAGES.values()),
        f"{QUICK.one_line} payments on one line ",
        f"{QUICK.one_line} payments on one line, peak RSS ",
        f"import of {QUICK.import_rows} booking rows ",
    ]


def test_a_tiny_benchmark_measures_every_figure() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--events",
            "600",
            "--quick",
            "--queries",
            "5",
            "--no-write",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "of bare" in done.stdout
    rows = done.stdout.splitlines()
    for label in expected_labels():
        found = [row for row in rows if row.startswith(label)]
        assert found, f"no figure {label!r} in:\n{done.stdout}"
        # A figure that was not measured shows its status where the value belongs.
        assert not any(s in found[0] for s in ("  failed  ", "  not yet available  ")), (
            found[0] + "\n" + done.stderr[-3000:]
        )
