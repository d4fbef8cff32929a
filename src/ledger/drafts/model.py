"""The draft: proposed commands, each with the source lines of its values and its gaps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Evidence:
    """The source line a field's value was read from."""

    field: str
    line: int
    text: str


@dataclass
class Command:
    """A proposed `ledger record` command; fields the text does not state are left out."""

    record: str
    fields: dict[str, Any] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    unsure: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def set(self, name: str, value: Any, line: int, text: str) -> None:
        """Sets a field with the line it was read from."""
        self.fields[name] = value
        self.evidence.append(Evidence(name, line, text))

    def doubt(self, name: str, why: str) -> None:
        """Lists a field that could not be established, and why."""
        if all(existing != name for existing, _ in self.unsure):
            self.unsure.append((name, why))


@dataclass
class Draft:
    """The draft of one source file; `unsure` holds what belongs to no command."""

    source: str
    commands: list[Command] = field(default_factory=list)
    unsure: list[tuple[str, str]] = field(default_factory=list)
