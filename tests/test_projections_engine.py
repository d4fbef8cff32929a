"""The read side's engine knows no read model, and `projections/` has no import circle.

Every import counts, those under `if TYPE_CHECKING:` too: a circle of names is a circle
of design even where Python never runs it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "projections"
#: The generic engine: tables, generations, snapshots, the as-of lookup.
ENGINE = ("axes", "bitemporal", "columns", "errors", "schema", "store", "visible")
#: The read models and what names them.
MODELS = ("agreement", "bodies", "budget", "certification", "findings", "registry")


def _imports() -> dict[str, set[str]]:
    """Per module of projections/, the modules of projections/ it imports."""
    names = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    graph: dict[str, set[str]] = {}
    for name in names:
        tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "projections":
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module.removeprefix("projections."))
            elif isinstance(node, ast.Import):
                found.update(a.name.removeprefix("projections.") for a in node.names)
        graph[name] = (found & names) - {name}
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph[name])
    return seen


def test_the_engine_imports_no_read_model() -> None:
    graph = _imports()
    for name in ENGINE:
        assert not _reachable(graph, name) & set(MODELS), name


def test_no_module_of_projections_imports_itself_back() -> None:
    graph = _imports()
    assert [name for name in sorted(graph) if name in _reachable(graph, name)] == []
