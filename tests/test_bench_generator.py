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

from bench.generator import generate  # noqa: E402
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


def test_a_tiny_benchmark_runs_and_reports_ratios() -> None:
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
            "--skip",
            "http",
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
    assert "ingest" in done.stdout
    assert "of bare" in done.stdout
