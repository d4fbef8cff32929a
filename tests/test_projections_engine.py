"""The read side's engine knows no read model, and `projections/` has no import circle.

Every import counts, those under `if TYPE_CHECKING:` too: a circle of names is a circle
of design even where Python never runs it. (lint-imports checks the same for imports that
run; this also sees the ones only mypy reads.)
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "projections"
#: What the engine must not reach: the read models and what names or serves them.
ABOVE_ENGINE = ("projections.models", "projections.registry", "projections.queries")


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Per module of projections/, the modules of projections/ it imports."""
    paths = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
        graph[name] = (found & set(paths)) - {name}
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
    engine = [name for name in graph if name.startswith("projections.engine.")]
    assert "projections.engine.projector" in engine
    for name in engine:
        reached = {m for m in _reachable(graph, name) if m.startswith(ABOVE_ENGINE)}
        assert not reached, name


def test_every_read_model_lives_in_the_models_package() -> None:
    models = {p.stem for p in (PACKAGE / "models").glob("*.py")}
    assert {"agreement", "bodies", "budget", "certification", "findings", "resolutions"} <= models
    assert {"trail", "reconciliation", "annual_report"} <= models


def test_no_module_of_projections_imports_itself_back() -> None:
    graph = _imports()
    # a package's __init__ imports nothing here, so a module reaching its package is no circle
    assert [name for name in sorted(graph) if name in _reachable(graph, name)] == []
