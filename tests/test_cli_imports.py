"""No command module of `ledger.cli` imports `ledger.cli.main`: main imports them (no circle)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "ledger" / "cli"


def test_no_command_module_imports_main() -> None:
    importers = []
    for path in sorted(PACKAGE.glob("*.py")):
        if path.stem in ("__init__", "main"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "ledger.cli.main":
                importers.append(path.stem)
    assert importers == []
