"""What changed in a target agreement between two points on the time axes.

Both sides are `agreement` documents; the comparison is by code (field, goal, measure)
and by finding number, and names each changed value before and after in German.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from api.pages.formats import label, percent

MEASURE_FIELDS: Final = (
    ("title", "Titel"),
    ("status_label", "Umsetzungsstand"),
    ("progress", "Fortschritt"),
    ("note", "Bemerkung"),
    ("responsible", "Verantwortlich"),
    ("period", "Zeitraum"),
    ("dropped", "gestrichen"),
)
GOAL_FIELDS: Final = (("title", "Titel"), ("dropped", "gestrichen"))
FINDING_FIELDS: Final = (
    ("status", "Status"),
    ("text", "Text"),
    ("answer", "Antwort"),
)


@dataclass
class Change:
    """One changed value: what it is, before, after."""

    what: str
    before: str
    after: str


@dataclass
class Comparison:
    """Per item (`measure:M6.1.1`, `goal:Z6.1`, `finding:audit-fgk/2015/1`): its changes."""

    changed: dict[str, list[Change]] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changed or self.added or self.removed)


def _shown(name: str, value: Any) -> str:
    if value is None or value == "":
        return "–"
    if name == "progress":
        return percent(value)
    if name == "dropped":
        return "ja" if value else "nein"
    if name == "status":
        return label(value, "finding_status")
    return str(value)


def _findings(items: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for f in items:
        yield f"finding:{f['process']}/{f['number']}", f


def items(
    document: dict[str, Any],
) -> dict[str, tuple[dict[str, Any], tuple[tuple[str, str], ...]]]:
    """Every comparable item of an agreement document by its key, with its fields."""
    found: dict[str, tuple[dict[str, Any], tuple[tuple[str, str], ...]]] = {}
    for key, f in _findings(document.get("findings", [])):
        found[key] = (f, FINDING_FIELDS)
    measures = [
        m for fld in document.get("fields", []) for g in fld["goals"] for m in g["measures"]
    ]
    measures += document.get("unplaced_measures", [])
    for fld in document.get("fields", []):
        for g in fld["goals"]:
            found[f"goal:{g['code']}"] = (g, GOAL_FIELDS)
            for key, f in _findings(g.get("findings", [])):
                found[key] = (f, FINDING_FIELDS)
    for m in measures:
        found[f"measure:{m['code']}"] = (m, MEASURE_FIELDS)
        for key, f in _findings(m.get("findings", [])):
            found[key] = (f, FINDING_FIELDS)
    return found


def compare(before: dict[str, Any], after: dict[str, Any]) -> Comparison:
    """The changes from the `before` document to the `after` document."""
    old, new = items(before), items(after)
    result = Comparison()
    for key, (item, names) in new.items():
        if key not in old:
            result.added.append(key)
            continue
        previous = old[key][0]
        changes = [
            Change(what, _shown(name, previous.get(name)), _shown(name, item.get(name)))
            for name, what in names
            if previous.get(name) != item.get(name)
        ]
        if changes:
            result.changed[key] = changes
    result.removed = [key for key in old if key not in new]
    return result
