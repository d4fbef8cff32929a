"""`ledger verify`, `export` and `import` (events, budget, bookings) show their progress: off a
terminal a log line on stderr (LEDGER_PROGRESS_INTERVAL=0: at every step), stdout unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from api_support import record

from ledger.cli.record import demo_text, load_commands

EXAMPLES = Path(__file__).parent.parent / "examples" / "treasury"
BODY = "kyffhaeuserkreis"


def ledger(args: list[str], url: str, interval: str = "0") -> subprocess.CompletedProcess[str]:
    """`ledger ARGS` in a process of its own (stdout and stderr: pipes, not a terminal)."""
    command = [sys.executable, "-c", "from ledger.cli import main; raise SystemExit(main())"]
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_PROGRESS_INTERVAL": interval}
    env.pop("LEDGER_PROGRESS", None)
    done = subprocess.run([*command, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def demo(tmp_path: Path, name: str = "ledger.db") -> str:
    url = f"sqlite:///{tmp_path / name}"
    record(url, load_commands(demo_text(), "demo"))
    return url


def test_verify_logs_its_progress_and_prints_the_same_result(tmp_path: Path) -> None:
    url = demo(tmp_path)
    quiet = ledger(["verify"], url, interval="3600")
    shown = ledger(["verify"], url)
    assert shown.stdout == quiet.stdout
    assert shown.stdout.startswith("chain intact: 41 events")
    assert quiet.stderr == ""
    lines = shown.stderr.splitlines()
    assert lines[0].startswith("ledger verify: verify: 41 of 41 events (100%)")
    assert lines[-1].startswith("ledger verify: verify: done, 41 events in ")


def test_export_logs_its_progress_and_writes_the_same_lines(tmp_path: Path) -> None:
    url = demo(tmp_path)
    quiet = ledger(["export"], url, interval="3600")
    shown = ledger(["export"], url)
    assert shown.stdout == quiet.stdout
    assert len(shown.stdout.splitlines()) == 41
    assert shown.stderr.splitlines()[0].startswith("ledger export: export: 41 of 41 events")


def test_import_of_events_logs_the_lines_read(tmp_path: Path) -> None:
    url = demo(tmp_path)
    exported = tmp_path / "events.jsonl"
    ledger(["export", "--out", str(exported)], url)
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    done = ledger(["import", "events", str(exported)], target)
    assert done.stdout == "appended 41 events, skipped 0; head " + done.stdout.split("head ")[1]
    lines = done.stderr.splitlines()
    assert lines[0].startswith("ledger import: import events: 1 lines, ")
    assert lines[-1].startswith("ledger import: import events: done, 41 lines in ")


def test_treasury_imports_log_the_rows_read(tmp_path: Path) -> None:
    url = demo(tmp_path)
    budget = [
        "import",
        "budget",
        str(EXAMPLES / "budget-2019-utf8.csv"),
        "--body",
        BODY,
        "--year",
        "2019",
    ]
    quiet = ledger([*budget, "--dry-run"], url, interval="3600")
    shown = ledger([*budget, "--dry-run"], url)
    assert shown.stdout == quiet.stdout
    assert quiet.stderr == ""
    lines = shown.stderr.splitlines()
    assert lines[0].startswith("ledger import: import budget: 1 of 5 rows (20%), ")
    assert lines[-1].startswith("ledger import: import budget: done, 5 rows in ")
    ledger(budget, url)
    bookings = ["import", "bookings", str(EXAMPLES / "bookings-2018-extra.csv"), "--body", BODY]
    done = ledger([*bookings, "--year", "2018"], url)
    assert "ledger import: import bookings: 1 of " in done.stderr.splitlines()[0]
