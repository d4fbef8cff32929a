"""Reads the mapped fields of one CSV row and collects its faults, each naming field and column."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ledger.commands.fields import MAX_TEXT
from ledger.errors import RuleViolationError
from ledger.importers.csv_source import CsvRow
from ledger.importers.mapping import ResolvedSource

T = TypeVar("T")


class RowFields:
    """One row seen through the resolved mapping; `faults` lists what is wrong with it."""

    def __init__(self, row: CsvRow, width: int, resolved: dict[str, ResolvedSource]) -> None:
        self.row = row
        self.resolved = resolved
        self.faults: list[str] = []
        extra = [c for c in row.cells[width:] if c]
        if extra:
            self.faults.append(
                f"has {len(row.cells)} cells but the header has {width} columns "
                f"(is a decimal comma unquoted in a comma-separated file?)"
            )

    def text(self, key: str, *, required: bool = True) -> str:
        """The field's text; a missing required field is a fault."""
        source = self.resolved.get(key)
        if source is None:
            return ""
        value = source.extract(self.row.cells)
        if not value and required:
            self.faults.append(f"{key} ({source.describe()}): missing")
        if len(value) > MAX_TEXT:
            # Refused here, once per field, so that the row is one bad row naming the column.
            self.faults.append(
                f"{key} ({source.describe()}): must be at most {MAX_TEXT:,} characters long, "
                f"got {len(value):,}"
            )
            return ""
        return value

    def parsed(self, key: str, parse: Callable[[str, str], T]) -> T | None:
        """The field parsed by `parse(field, text)`; a refusal is a fault naming the column."""
        text = self.text(key)
        if not text:
            return None
        try:
            return parse(key, text)
        except RuleViolationError as exc:
            self.fault(key, exc.rule)
            return None

    def check_year(self, year: int) -> None:
        """A row of another fiscal year (by the mapping's `year` column) is a fault."""
        if "year" not in self.resolved:
            return
        text = self.text("year")
        if not text:
            return
        if not (text.isascii() and text.isdigit()):
            self.fault("year", f"'{text}' is not a fiscal year such as {year}")
        elif int(text) != year:
            self.fault(
                "year",
                f"the row is of {int(text)}, not of the fiscal year {year} "
                f"(to read one year of a longer file, select it with `where`)",
            )

    def fault(self, key: str, rule: str) -> None:
        """Adds a fault for field `key`, naming its column."""
        source = self.resolved.get(key)
        where = f" ({source.describe()})" if source is not None else ""
        self.faults.append(f"{key}{where}: {rule}")
