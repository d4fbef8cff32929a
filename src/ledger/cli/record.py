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

from ledger.application import Recorded
from ledger.cli.session import ledger_application
from ledger.errors import UsageError
from ledger.importers.report import appended
from ledger.yaml_files import MAX_DEPTH, MAX_FILE_BYTES, FileLimitError, integer, load_yaml

DEMO_FILE = "kyffhaeuserkreis.yaml"


def load_commands(text: str, source: str) -> list[Any]:
    """Parses a YAML or JSON command file into a list of command mappings.

    Refuses a file over MAX_FILE_BYTES, nested deeper than MAX_DEPTH, or with a key given
    twice in one mapping, naming the command and the field where it can.
    """
    if len(text) > MAX_FILE_BYTES:
        raise UsageError(f"{source}: {_too_large(len(text))}")
    try:
        data = load_json(text) if source.endswith(".json") else load_yaml(text)
    except FileLimitError as exc:
        mark = exc.problem_mark
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise UsageError(f"{source}: {line}{where(exc.path)}{exc.problem}") from None
    except (ValueError, yaml.YAMLError) as exc:
        raise UsageError(f"{source}: not valid YAML/JSON: {exc}") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise UsageError(f"{source}: must hold a list of commands (mappings with 'record: KIND')")
    return data


def load_json(text: str) -> Any:
    """Parses a JSON command file with the limits of a YAML one (raises FileLimitError).

    json's C scanner recurses once per level of nesting and stops with RecursionError at the
    interpreter's limit (about 1,000 levels), so a deeper file is caught as that error; a
    shallower one is measured after parsing, without recursion.
    """
    try:
        data = json.loads(
            text, object_pairs_hook=_JsonObject.of, parse_int=integer, parse_constant=_constant
        )
    except RecursionError:
        raise FileLimitError(_nested(), None, ()) from None
    _check_tree(data)
    return data


class _JsonObject(dict[str, Any]):
    """A JSON object that had a key twice (the last value kept, as json does)."""

    duplicate = ""

    @classmethod
    def of(cls, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        marked = cls(obj)
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                marked.duplicate = key
                break
            seen.add(key)
        return marked


def _constant(name: str) -> Any:
    raise ValueError(f'{name} is not a JSON number (amounts are strings such as "17655.00")')


def _check_tree(data: Any) -> None:
    """Refuses nesting deeper than MAX_DEPTH and an object with a key given twice."""
    stack: list[tuple[Any, int, tuple[int | str, ...]]] = [(data, 1, ())]
    while stack:
        value, depth, path = stack.pop()
        if depth > MAX_DEPTH:
            raise FileLimitError(_nested(), None, path)
        if isinstance(value, _JsonObject):
            raise FileLimitError("is given twice", None, (*path, value.duplicate))
        children = value.items() if isinstance(value, dict) else enumerate(value)
        nested = [(c, depth + 1, (*path, k)) for k, c in children if isinstance(c, dict | list)]
        stack.extend(reversed(nested))  # the first in the file is checked first


def _nested() -> str:
    return f"nests lists and mappings more than {MAX_DEPTH} levels deep"


def _too_large(size: int) -> str:
    return f"is {size:,} bytes; a command file may hold at most {MAX_FILE_BYTES:,} bytes"


def where(path: tuple[int | str, ...]) -> str:
    """ "command N, field 'F': " for a path into a command file, or "" for its root."""
    parts = list(path)
    if not parts:
        return ""
    first = parts[0]
    index = 0
    if isinstance(first, int):
        index = first
        parts.pop(0)
    label = f"command {index + 1}"
    if parts:
        label += f", field {str(parts[0])[:60]!r}"
    return label + ": "


def record_text(text: str, source: str) -> list[int]:
    """Records the commands of one file; returns the positions appended."""
    return record_file(text, source).positions


def record_file(text: str, source: str) -> Recorded:
    """Records the commands of one file; the positions appended and the commands settled."""
    commands = load_commands(text, source)
    app = ledger_application()
    try:
        return app.record_batch(commands)
    finally:
        app.close()


def demo_text() -> str:
    """The demo command file shipped with the package."""
    return files("ledger.demo").joinpath(DEMO_FILE).read_text(encoding="utf-8")


def run_record(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    # Measured before reading, so that a huge file is refused without being loaded.
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UsageError(f"{path}: {_too_large(size)}")
    recorded = record_file(path.read_text(encoding="utf-8"), str(path))
    _report(recorded.positions, recorded.settled)
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


def _report(positions: list[int], settled: int = 0) -> None:
    # A command that repeats a retracted or corrected fact appends nothing: say so, or the
    # reader of "already recorded" takes the retracted fact to stand.
    note = f" ({settled} settled by a retraction or correction)" if settled else ""
    if not positions:
        print(f"nothing new: every command was already recorded{note}")
    else:
        print(f"{appended(positions)}{note}")


def register(commands: Any) -> None:
    """Adds `record` and `demo`."""
    p = commands.add_parser("record", help="append a YAML or JSON command file (all or nothing)")
    p.add_argument("file", help="the command file")
    p.set_defaults(handler=run_record)
    p = commands.add_parser("demo", help="record the Kyffhäuserkreis demo case (idempotent)")
    p.set_defaults(handler=run_demo)
