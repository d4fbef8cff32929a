"""`ledger record FILE` and `ledger demo`: append command files, all or nothing."""

from __future__ import annotations

import argparse
import json
import time
from contextlib import closing
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from ledger.cli.main import UsageError
from ledger.cli.session import ledger_application
from ledger.yaml_files import load_yaml

DEMO_FILE = "kyffhaeuserkreis.yaml"


def load_commands(text: str, source: str) -> list[Any]:
    """Parses a YAML or JSON command file into a list of command mappings."""
    try:
        data = json.loads(text) if source.endswith(".json") else load_yaml(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"{source}: not valid YAML/JSON: {exc}") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise UsageError(f"{source}: must hold a list of commands (mappings with 'record: KIND')")
    return data


def record_text(text: str, source: str) -> list[int]:
    """Records the commands of one file; returns the positions appended."""
    commands = load_commands(text, source)
    app = ledger_application()
    try:
        return app.record(commands)
    finally:
        app.close()


def demo_text() -> str:
    """The demo command file shipped with the package."""
    return files("ledger.demo").joinpath(DEMO_FILE).read_text(encoding="utf-8")


def run_record(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    positions = record_text(path.read_text(encoding="utf-8"), str(path))
    _report(positions)
    return 0


def record_demo() -> tuple[list[int], datetime | None]:
    """Records the demo: the case, then its correction as a later transaction.

    The correction is recorded two clock seconds after the rest, as it would be in life,
    so that a `--known-at` to the second can ask for the ledger before it. Returns the
    positions and that moment (None when nothing was new).
    """
    commands = load_commands(demo_text(), DEMO_FILE)
    case = [c for c in commands if c.get("record") != "correction"]
    later = [c for c in commands if c.get("record") == "correction"]
    with closing(ledger_application()) as app:
        positions = app.record(case)
        before: datetime | None = None
        if positions:
            now = time.time()
            time.sleep(2 - now % 1)
            before = datetime.fromtimestamp(int(now) + 1, UTC)
        positions += app.record(later)
    return positions, before


def run_demo(args: argparse.Namespace) -> int:
    positions, before = record_demo()
    _report(positions)
    if before is not None:
        print(
            "the demo's correction was recorded last, in its own transaction; to see the "
            f"ledger as known before it: --known-at {before.isoformat(timespec='seconds')}"
        )
    return 0


def _report(positions: list[int]) -> None:
    if not positions:
        print("nothing new: every command was already recorded")
    else:
        print(f"appended {len(positions)} events at positions {positions[0]}..{positions[-1]}")
        print(" ".join(str(p) for p in positions))


def register(commands: Any) -> None:
    """Adds `record` and `demo`."""
    p = commands.add_parser("record", help="append a YAML or JSON command file (all or nothing)")
    p.add_argument("file", help="the command file")
    p.set_defaults(handler=run_record)
    p = commands.add_parser("demo", help="record the Kyffhäuserkreis demo case (idempotent)")
    p.set_defaults(handler=run_demo)
