"""Which rows of an export are read: `where` selects by column values, `skip` drops sum rows.

A long export holds several years, or plan and actual side by side: `where: {Jahr: "2019",
Typ: Plan}` reads only the rows matching every entry, and counts the others as not
selected. Sum and footer rows (`Summe`, an empty code) are dropped by `skip: {Bezeichnung:
"^Summe"}`: a row whose cell matches the pattern is counted as skipped by that rule. Neither
is a bad row, so an import needs no --skip-bad for them, and the bad rows left are the
ones that matter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.importers.columns import MappingError, find_column
from ledger.importers.csv_source import CsvRow
from ledger.importers.report import ImportReport, Progress

# A row's verdict: read it, or not selected by `where` (the rule is the skip's description).
READ = ""
NOT_SELECTED = "where"


@dataclass(frozen=True)
class Where:
    """Rows whose cell in `column` is one of `values` (compared without case and edge spaces)."""

    column: str
    values: tuple[str, ...]

    def describe(self) -> str:
        """The entry as the report shows it."""
        return f"{self.column} = {' or '.join(repr(v) for v in self.values)}"


@dataclass(frozen=True)
class Skip:
    """Rows whose cell in `column` matches `pattern` (re.search) are sum or footer rows."""

    column: str
    pattern: str

    def describe(self) -> str:
        """The rule as the report shows it."""
        return f"{self.column} matches '{self.pattern}'"


@dataclass(frozen=True)
class RowFilter:
    """The `where` entries and `skip` rules of a mapping (and of the command line)."""

    where: tuple[Where, ...] = ()
    skip: tuple[Skip, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.where or self.skip)

    def extended(self, other: RowFilter) -> RowFilter:
        """This filter with `other`'s entries added (the command line's to the mapping's)."""
        return RowFilter(self.where + other.where, self.skip + other.skip)

    def resolve(self, header: Sequence[str], source: str) -> ResolvedFilter:
        """Finds each column in the header; a column it lacks is an error naming the key."""

        def index(key: str, column: str) -> int:
            found = find_column(header, column)
            if found is None:
                raise MappingError(
                    source,
                    f"{key}.{column}",
                    f"no column '{column}' in the header (columns: {', '.join(header)})",
                )
            return found

        where = tuple(
            (index("where", w.column), frozenset(v.casefold() for v in w.values))
            for w in self.where
        )
        skip = tuple(
            (index("skip", s.column), re.compile(s.pattern), s.describe()) for s in self.skip
        )
        return ResolvedFilter(where, skip)

    def describe(self) -> list[str]:
        """The filter as the import report shows it."""
        out = []
        if self.where:
            out.append(f"where: {', '.join(w.describe() for w in self.where)}")
        out.extend(f"skip: {s.describe()}" for s in self.skip)
        return out


@dataclass(frozen=True)
class ResolvedFilter:
    """A filter whose columns were found in the header: gives each row's verdict."""

    where: tuple[tuple[int, frozenset[str]], ...]
    skip: tuple[tuple[int, re.Pattern[str], str], ...]

    def verdict(self, cells: Sequence[str]) -> str:
        """READ, NOT_SELECTED, or the description of the skip rule the row matches."""
        for index, values in self.where:
            cell = cells[index].strip() if index < len(cells) else ""
            if cell.casefold() not in values:
                return NOT_SELECTED
        for index, pattern, rule in self.skip:
            cell = cells[index].strip() if index < len(cells) else ""
            if pattern.search(cell):
                return rule
        return READ


def selected_rows(
    rows: Iterable[CsvRow],
    flt: ResolvedFilter,
    report: ImportReport,
    progress: Progress | None = None,
) -> Iterator[CsvRow]:
    """The rows `flt` reads; the others are counted in the report (not selected, skipped)."""
    for count, row in enumerate(rows, 1):
        if progress is not None:
            progress.row(count)
        verdict = flt.verdict(row.cells)
        if verdict == READ:
            yield row
        elif verdict == NOT_SELECTED:
            report.not_selected += 1
        else:
            report.skipped.setdefault(verdict, []).append(row.line)


def parse_where(value: Any, source: str, key: str = "where") -> tuple[Where, ...]:
    """`{COLUMN: VALUE or [VALUES], ...}`: a number is read as its text ("2019")."""
    if not isinstance(value, dict) or not value:
        raise MappingError(source, key, "must map column names to a value or a list of values")
    entries = []
    for column, wanted in value.items():
        name = _cell_text(column, f"{key}", source)
        items = wanted if isinstance(wanted, list) else [wanted]
        if not items:
            raise MappingError(source, f"{key}.{name}", "must be a value or a non-empty list")
        values = tuple(_cell_text(v, f"{key}.{name}", source, empty=True) for v in items)
        entries.append(Where(name, values))
    return tuple(entries)


def parse_skip(value: Any, source: str, key: str = "skip") -> tuple[Skip, ...]:
    """`{COLUMN: REGEX or [REGEXES], ...}`: each a Python regular expression (re.search)."""
    if not isinstance(value, dict) or not value:
        raise MappingError(
            source, key, "must map column names to a regular expression (or a list of them)"
        )
    rules = []
    for column, patterns in value.items():
        name = _cell_text(column, key, source)
        for pattern in patterns if isinstance(patterns, list) else [patterns]:
            if not isinstance(pattern, str):
                raise MappingError(
                    source, f"{key}.{name}", f"must be a regular expression, got {pattern!r}"
                )
            try:
                re.compile(pattern)
            except re.error as exc:
                raise MappingError(
                    source, f"{key}.{name}", f"not a regular expression: {exc}"
                ) from None
            rules.append(Skip(name, pattern))
    return tuple(rules)


def parse_option(text: str, option: str) -> tuple[str, str]:
    """`COLUMN=VALUE` of --where / --skip, split at the first '='."""
    column, sep, value = text.partition("=")
    if not sep or not column.strip():
        raise MappingError("command line", option, f"must be COLUMN=VALUE, got '{text}'")
    return column.strip(), value.strip()


def _cell_text(value: Any, key: str, source: str, *, empty: bool = False) -> str:
    if isinstance(value, bool) or value is None:
        raise MappingError(source, key, f"must be a text or a number, got {value!r}")
    if isinstance(value, int | str):
        text = str(value).strip()
        if text or empty:
            return text
    raise MappingError(source, key, f"must be a non-empty text or a number, got {value!r}")
