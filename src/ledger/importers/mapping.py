"""The mapping file: which column of a finance system's export is which field, and how codes form.

A mapping is YAML. Each field names its source: a column (`Bezeichnung` or
`{column: Bezeichnung}`), several columns joined by a Python format
(`{columns: [Einzelplan, Unterabschnitt, Gruppierung], format: "{0:02}.{1:04}.{2:04}"}`)
or a fixed value (`{value: expenditure}`). Without a mapping file the default mapping
recognises the common German headers (HH-Stelle, Bezeichnung, Ansatz, Buchungsdatum, ...).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from string import Formatter
from typing import Any

import yaml

from ledger.importers.columns import MappingError, find_column, header_key
from ledger.importers.row_filter import RowFilter, parse_skip, parse_where
from ledger.yaml_files import load_yaml

__all__ = [
    "Direction",
    "Mapping",
    "MappingError",
    "ResolvedSource",
    "Source",
    "default_mapping",
    "find_column",
    "header_key",
    "load_mapping",
    "parse_mapping",
]

KINDS = ("budget", "bookings")
DECIMALS = ("auto", "comma", "point")
DIRECTIONS = ("expenditure", "income")
SIGNS = ("keep", "expenditure_negative", "income_negative")
OPPOSITE_SIGNS = ("bad", "turn")
SEPARATOR_WORDS = {"semicolon": ";", "comma": ",", "tab": "\t", "bar": "|"}

BUDGET_KEYS = {
    "code",
    "title",
    "amount",
    "direction",
    "effective",
    "sum_duplicates",
    "opposite_sign",
    "empty_amount",
}
BOOKINGS_KEYS = {"code", "date", "amount", "reference", "text"}
READING_KEYS = {"kind", "encoding", "separator", "header_line", "decimal", "date_format"}
# Keys of both kinds: which rows are read, how amounts are signed, the fiscal-year column.
ROW_KEYS = {"where", "skip", "sign", "year"}

DEFAULT_DIRECTION_VALUES: dict[str, tuple[str, ...]] = {
    "expenditure": ("A", "Ausgabe", "Ausgaben", "Auszahlung", "Aufwand", "expenditure"),
    "income": ("E", "Einnahme", "Einnahmen", "Einzahlung", "Ertrag", "income"),
}


class CodeCell:
    """A cell inside a code format: digits take integer specs ({0:04}), text keeps as it is."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __format__(self, spec: str) -> str:
        if not spec:
            return self.text
        if self.text.isdigit():
            return format(int(self.text), spec)
        return format(self.text, spec)


@dataclass(frozen=True)
class Source:
    """Where a field comes from: one column, several columns and a format, or a fixed value."""

    columns: tuple[str, ...] = ()
    format: str | None = None
    value: str | None = None
    aliases: tuple[tuple[str, ...], ...] = ()
    prefixes: tuple[str, ...] = ()
    formats: tuple[str | None, ...] = ()

    def describe(self) -> str:
        """The source as the import report shows it."""
        if self.value is not None:
            return f"fixed '{self.value}'"
        if len(self.columns) == 1 and self.format is None:
            return f"column '{self.columns[0]}'"
        joined = ", ".join(f"'{c}'" for c in self.columns)
        fmt = self.format or ".".join(f"{{{i}}}" for i in range(len(self.columns)))
        return f"columns {joined} as '{fmt}'"

    def resolve(
        self, header: Sequence[str], key: str, source: str, year: int | None = None
    ) -> ResolvedSource | None:
        """Finds the columns in the header; None for a default that is absent.

        A default found by prefix ("Ansatz 2018") must be unambiguous: among several
        matching columns the one naming the fiscal year wins.
        """
        if self.value is not None:
            return ResolvedSource(self, (), self.value)
        if self.columns:
            indexes = []
            for column in self.columns:
                index = find_column(header, column)
                if index is None:
                    raise MappingError(
                        source,
                        key,
                        f"no column '{column}' in the header (columns: {', '.join(header)})",
                    )
                indexes.append(index)
            return ResolvedSource(self, tuple(indexes), None)
        for candidate, fmt in zip(self.aliases, self.formats, strict=True):
            found = [find_column(header, c) for c in candidate]
            if all(i is not None for i in found):
                named = replace(
                    self, columns=tuple(header[i] for i in found if i is not None), format=fmt
                )
                return ResolvedSource(named, tuple(i for i in found if i is not None), None)
        keys = [header_key(h) for h in header]
        matches = [i for i, name in enumerate(keys) if name.startswith(self.prefixes)]
        if len(matches) > 1 and year is not None:
            matches = [i for i in matches if str(year) in header[i]] or matches
        if len(matches) > 1:
            names = ", ".join(f"'{header[i]}'" for i in matches)
            raise MappingError(
                source, key, f"several columns could be the {key} ({names}); name one (--mapping)"
            )
        if matches:
            index = matches[0]
            return ResolvedSource(replace(self, columns=(header[index],)), (index,), None)
        return None


@dataclass(frozen=True)
class ResolvedSource:
    """A source whose columns were found in the header: extracts a row's text."""

    source: Source
    indexes: tuple[int, ...]
    value: str | None

    def extract(self, cells: Sequence[str]) -> str:
        """The field's text in this row ('' when a column is empty or missing)."""
        if self.value is not None:
            return self.value
        parts = [cells[i].strip() if i < len(cells) else "" for i in self.indexes]
        if not all(parts):
            return ""
        if self.source.format is None:
            return ".".join(parts) if len(parts) > 1 else parts[0]
        return self.source.format.format(*(CodeCell(p) for p in parts))

    def describe(self) -> str:
        """The source as the import report shows it."""
        return self.source.describe()


@dataclass(frozen=True)
class Direction:
    """How a budget line's direction is found: a fixed value, or a column and its values.

    `patterns` (direction -> regular expression) read the direction from a column such as
    an NKF account (Sachkonto 4xxxxx Ertrag, 5xxxxx Aufwand) instead of listed values.
    """

    fixed: str | None = "expenditure"
    column: Source | None = None
    values: dict[str, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_DIRECTION_VALUES)
    patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()

    def of(self, text: str) -> str | None:
        """The direction a cell's text stands for, or None if it is none of the values."""
        if self.fixed is not None:
            return self.fixed
        if self.patterns:
            found = [d for d, pattern in self.patterns if pattern.search(text.strip())]
            return found[0] if len(found) == 1 else None
        wanted = text.strip().casefold()
        for direction, values in self.values.items():
            if wanted in (v.casefold() for v in values):
                return direction
        return None

    def known(self) -> str:
        """The values (or patterns) as a refusal lists them."""
        if self.patterns:
            return "; ".join(f"{d}: '{p.pattern}'" for d, p in self.patterns)
        return "; ".join(f"{d}: {', '.join(v)}" for d, v in self.values.items())


@dataclass(frozen=True)
class Mapping:
    """A mapping for one kind of export (budget or bookings) and how to read the file."""

    kind: str
    source: str
    fields: dict[str, Source]
    optional: frozenset[str] = frozenset()
    encoding: str | None = None
    separator: str | None = None
    header_line: int = 1
    decimal: str = "auto"
    date_format: str | None = None
    direction: Direction = field(default_factory=Direction)
    #: Whether the mapping file gave `direction` (with split amounts it settles a 0 row).
    direction_given: bool = False
    effective: date | None = None
    sum_duplicates: bool = False
    rows: RowFilter = field(default_factory=RowFilter)
    #: keep | expenditure_negative | income_negative: how the file signs its amounts.
    sign: str = "keep"
    #: bad | turn: a budget row written with the other sign than `sign` says (a negative
    #: appropriation in a file of negative expenditures) is a bad row, or turned too.
    opposite_sign: str = "bad"
    #: bad | zero: a budget row whose amount cell is empty is a bad row, or an Ansatz of 0.
    empty_amount: str = "bad"
    #: Separate amount columns by direction (`amount: {income: A, expenditure: B}`).
    amounts: tuple[tuple[str, Source], ...] = ()

    def resolve(self, header: Sequence[str], year: int | None = None) -> dict[str, ResolvedSource]:
        """Finds every field's columns in the header; a missing required one is an error."""
        resolved: dict[str, ResolvedSource] = {}
        for direction, src in self.amounts:
            key = f"amount.{direction}"
            found = src.resolve(header, key, self.source, year)
            assert found is not None  # a named column is found or refused
            resolved[key] = found
        for key, src in self.fields.items():
            found = src.resolve(header, key, self.source, year)
            if found is None:
                if key in self.optional:
                    continue
                raise MappingError(
                    self.source,
                    key,
                    f"no column for {key} in the header (columns: {', '.join(header)}); "
                    f"name it in a mapping file (--mapping)",
                )
            resolved[key] = found
        if self.direction.column is not None:
            found = self.direction.column.resolve(header, "direction.column", self.source)
            if found is not None:
                resolved["direction"] = found
        return resolved


# -- defaults -------------------------------------------------------------------------------


def _aliases(*names: str) -> tuple[tuple[str, ...], ...]:
    return tuple((n,) for n in names)


CODE_DEFAULT = Source(
    aliases=(
        *_aliases("HH-Stelle", "Haushaltsstelle", "HHSt", "Buchungsstelle", "Code", "Line"),
        ("Einzelplan", "Unterabschnitt", "Gruppierung"),
    ),
    formats=(None, None, None, None, None, None, "{0:02}.{1:04}.{2:04}"),
)
TITLE_DEFAULT = Source(
    aliases=_aliases("Bezeichnung", "Titel", "Zweckbestimmung", "Text", "Title"),
    formats=(None,) * 5,
)
APPROPRIATION_DEFAULT = Source(
    aliases=_aliases("Ansatz", "Haushaltsansatz", "Planansatz", "Betrag", "Amount"),
    formats=(None,) * 5,
    prefixes=("ansatz", "haushaltsansatz"),
)
DIRECTION_DEFAULT = Source(
    aliases=_aliases("Art", "E/A", "Einnahme/Ausgabe", "Ein/Aus", "Richtung", "Direction"),
    formats=(None,) * 6,
)
BOOKING_DATE_DEFAULT = Source(
    aliases=_aliases(
        "Buchungsdatum", "Buchungstag", "Datum", "Belegdatum", "Zahlungsdatum", "Date"
    ),
    formats=(None,) * 6,
)
BOOKING_AMOUNT_DEFAULT = Source(
    aliases=_aliases("Betrag", "Betrag EUR", "Betrag in EUR", "Ist", "Anordnungsbetrag", "Amount"),
    formats=(None,) * 6,
    prefixes=("betrag",),
)
REFERENCE_DEFAULT = Source(
    aliases=_aliases(
        "Belegnummer",
        "Beleg-Nr.",
        "Buchungsnummer",
        "Buchungs-Nr.",
        "Buchungsreferenz",
        "Referenz",
        "Reference",
        "Beleg",
    ),
    formats=(None,) * 8,
)
TEXT_DEFAULT = Source(
    aliases=_aliases("Buchungstext", "Verwendungszweck", "Text", "Bezeichnung"),
    formats=(None,) * 4,
)


def default_mapping(kind: str) -> Mapping:
    """The mapping used without --mapping: common German headers of finance systems."""
    if kind == "budget":
        return Mapping(
            kind="budget",
            source="default mapping",
            fields={"code": CODE_DEFAULT, "title": TITLE_DEFAULT, "amount": APPROPRIATION_DEFAULT},
            direction=Direction(fixed=None, column=DIRECTION_DEFAULT),
        )
    return Mapping(
        kind="bookings",
        source="default mapping",
        fields={
            "code": CODE_DEFAULT,
            "date": BOOKING_DATE_DEFAULT,
            "amount": BOOKING_AMOUNT_DEFAULT,
            "reference": REFERENCE_DEFAULT,
            "text": TEXT_DEFAULT,
        },
        optional=frozenset({"text"}),
    )


# -- loading --------------------------------------------------------------------------------


def load_mapping(path: Path, kind: str) -> Mapping:
    """Reads a mapping file for `kind` (budget or bookings); every error names the key."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MappingError(source, "file", "no such file") from None
    except UnicodeDecodeError:
        raise MappingError(source, "file", "a mapping file must be UTF-8") from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise MappingError(source, "file", f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise MappingError(source, "file", "must be a mapping of keys such as code, amount, title")
    return parse_mapping(data, kind, source)


def parse_mapping(data: dict[str, Any], kind: str, source: str) -> Mapping:
    """Builds a Mapping from parsed YAML; unknown keys are errors, absent fields use defaults."""
    declared = data.get("kind", kind)
    if declared not in KINDS:
        raise MappingError(source, "kind", f"must be one of {', '.join(KINDS)}")
    if declared != kind:
        raise MappingError(source, "kind", f"this mapping is for {declared}, not for {kind}")
    allowed = READING_KEYS | ROW_KEYS | (BUDGET_KEYS if kind == "budget" else BOOKINGS_KEYS)
    for key in data:
        if key not in allowed:
            raise MappingError(
                source,
                str(key),
                f"unknown key for a {kind} mapping (keys: {', '.join(sorted(allowed))})",
            )
    base = default_mapping(kind)
    fields = dict(base.fields)
    amounts: tuple[tuple[str, Source], ...] = ()
    if _is_split(data.get("amount")):
        amounts = parse_amounts(data["amount"], source)
        del fields["amount"]
    for key in fields:
        if key in data:
            fields[key] = parse_source(data[key], key, source)
    if "year" in data:
        fields["year"] = parse_source(data["year"], "year", source)
    mapping = replace(base, source=source, fields=fields, amounts=amounts)
    mapping = _row_keys(mapping, data, source)
    if "encoding" in data:
        mapping = replace(mapping, encoding=_text(data["encoding"], "encoding", source))
    if "separator" in data:
        sep = _text(data["separator"], "separator", source, strip=False)
        sep = SEPARATOR_WORDS.get(sep, sep)
        if len(sep) != 1:
            raise MappingError(
                source, "separator", "must be one character or semicolon, comma, tab, bar"
            )
        mapping = replace(mapping, separator=sep)
    if "header_line" in data:
        line = data["header_line"]
        if isinstance(line, bool) or not isinstance(line, int) or line < 1:
            raise MappingError(source, "header_line", "must be a line number ≥ 1")
        mapping = replace(mapping, header_line=line)
    if "decimal" in data:
        decimal = data["decimal"]
        if decimal not in DECIMALS:
            raise MappingError(source, "decimal", f"must be one of {', '.join(DECIMALS)}")
        mapping = replace(mapping, decimal=decimal)
    if "date_format" in data:
        fmt = _text(data["date_format"], "date_format", source)
        try:
            datetime.strptime(date(2018, 6, 19).strftime(fmt), fmt)
        except ValueError as exc:
            raise MappingError(source, "date_format", f"not a strptime format: {exc}") from None
        mapping = replace(mapping, date_format=fmt)
    if kind == "budget":
        mapping = _budget_keys(mapping, data, source)
    return mapping


def _row_keys(mapping: Mapping, data: dict[str, Any], source: str) -> Mapping:
    where = parse_where(data["where"], source) if "where" in data else ()
    skip = parse_skip(data["skip"], source) if "skip" in data else ()
    mapping = replace(mapping, rows=RowFilter(where, skip))
    if "sign" in data:
        if data["sign"] not in SIGNS:
            raise MappingError(source, "sign", f"must be one of {', '.join(SIGNS)}")
        mapping = replace(mapping, sign=data["sign"])
    return mapping


def _is_split(value: Any) -> bool:
    return isinstance(value, dict) and bool(set(value) & set(DIRECTIONS))


def parse_amounts(value: dict[str, Any], source: str) -> tuple[tuple[str, Source], ...]:
    """`{income: COLUMN, expenditure: COLUMN}`: separate amount columns by direction."""
    unknown = set(value) - set(DIRECTIONS)
    if unknown:
        raise MappingError(
            source, f"amount.{sorted(unknown)[0]}", "unknown key (income, expenditure)"
        )
    if set(value) != set(DIRECTIONS):
        missing = next(d for d in DIRECTIONS if d not in value)
        raise MappingError(
            source, f"amount.{missing}", "separate amount columns need both income and expenditure"
        )
    out = []
    for direction in DIRECTIONS:
        src = parse_source(value[direction], f"amount.{direction}", source)
        if src.value is not None:
            raise MappingError(source, f"amount.{direction}", "must name a column")
        out.append((direction, src))
    return tuple(out)


def _budget_keys(mapping: Mapping, data: dict[str, Any], source: str) -> Mapping:
    if "direction" in data:
        mapping = replace(
            mapping, direction=parse_direction(data["direction"], source), direction_given=True
        )
    if "effective" in data:
        value = data["effective"]
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                raise MappingError(source, "effective", f"'{value}' is not a date") from None
        if not isinstance(value, date) or isinstance(value, datetime):
            raise MappingError(source, "effective", "must be a date such as 2018-01-01")
        mapping = replace(mapping, effective=value)
    if "opposite_sign" in data:
        if data["opposite_sign"] not in OPPOSITE_SIGNS:
            raise MappingError(
                source, "opposite_sign", f"must be one of {', '.join(OPPOSITE_SIGNS)}"
            )
        if mapping.sign == "keep":
            raise MappingError(
                source,
                "opposite_sign",
                "applies only with sign: expenditure_negative or income_negative",
            )
        mapping = replace(mapping, opposite_sign=data["opposite_sign"])
    if "empty_amount" in data:
        if data["empty_amount"] not in ("bad", "zero"):
            raise MappingError(source, "empty_amount", "must be bad or zero")
        mapping = replace(mapping, empty_amount=data["empty_amount"])
    if "sum_duplicates" in data:
        flag = data["sum_duplicates"]
        if not isinstance(flag, bool):
            raise MappingError(source, "sum_duplicates", "must be true or false")
        mapping = replace(mapping, sum_duplicates=flag)
    return mapping


def parse_source(value: Any, key: str, source: str) -> Source:
    """A field's source: "Column", {column}, {columns, format} or {value}."""
    if isinstance(value, str | int) and not isinstance(value, bool):
        return Source(columns=(_text(value, key, source),))
    if not isinstance(value, dict):
        raise MappingError(
            source,
            key,
            "must be a column name, {column: NAME}, {columns: [...], format} or {value}",
        )
    unknown = set(value) - {"column", "columns", "format", "value"}
    if unknown:
        raise MappingError(
            source, f"{key}.{sorted(unknown)[0]}", "unknown key (column, columns, format, value)"
        )
    given = [k for k in ("column", "columns", "value") if k in value]
    if len(given) != 1:
        raise MappingError(source, key, "give exactly one of column, columns, value")
    if "value" in value:
        if "format" in value:
            raise MappingError(source, f"{key}.format", "a fixed value takes no format")
        return Source(value=_text(value["value"], f"{key}.value", source))
    if "column" in value:
        columns: tuple[str, ...] = (_text(value["column"], f"{key}.column", source),)
    else:
        raw = value["columns"]
        if not isinstance(raw, list) or not raw:
            raise MappingError(source, f"{key}.columns", "must be a non-empty list of column names")
        columns = tuple(_text(c, f"{key}.columns[{i}]", source) for i, c in enumerate(raw))
    fmt = None
    if "format" in value:
        fmt = _text(value["format"], f"{key}.format", source, strip=False)
        check_format(fmt, len(columns), f"{key}.format", source)
    return Source(columns=columns, format=fmt)


def check_format(fmt: str, count: int, key: str, source: str) -> None:
    """A code format must use each of the columns by position ({0}, {1:04}) and nothing else."""
    try:
        names = [name for _, name, _, _ in Formatter().parse(fmt) if name is not None]
    except ValueError as exc:
        raise MappingError(source, key, f"not a format: {exc}") from None
    if not all((n.isdigit() and int(n) < count) or n == "" for n in names):
        raise MappingError(
            source, key, f"may use only {{0}}..{{{count - 1}}} (one per column), got '{fmt}'"
        )
    try:
        fmt.format(*(CodeCell("1") for _ in range(count)))
    except (ValueError, IndexError) as exc:
        raise MappingError(source, key, f"not a usable format: {exc}") from None


def parse_direction(value: Any, source: str) -> Direction:
    """A fixed direction, or {column: NAME, values: {expenditure: [...], income: [...]}}."""
    if isinstance(value, str):
        if value not in DIRECTIONS:
            raise MappingError(
                source, "direction", f"must be {' or '.join(DIRECTIONS)}, or {{column, values}}"
            )
        return Direction(fixed=value)
    if not isinstance(value, dict):
        raise MappingError(source, "direction", "must be expenditure, income or {column, values}")
    unknown = set(value) - {"column", "values", "value", "patterns"}
    if unknown:
        raise MappingError(
            source,
            f"direction.{sorted(unknown)[0]}",
            "unknown key (column, values, patterns, value)",
        )
    if "values" in value and "patterns" in value:
        raise MappingError(source, "direction", "give values or patterns, not both")
    if "value" in value:
        return parse_direction(value["value"], source)
    if "column" not in value:
        raise MappingError(source, "direction.column", "is required (or give a fixed direction)")
    column = Source(columns=(_text(value["column"], "direction.column", source),))
    if "patterns" in value:
        return Direction(
            fixed=None, column=column, patterns=_direction_patterns(value["patterns"], source)
        )
    values = DEFAULT_DIRECTION_VALUES
    if "values" in value:
        raw = value["values"]
        if not isinstance(raw, dict) or not raw:
            raise MappingError(
                source, "direction.values", "must map expenditure and income to lists of values"
            )
        values = {}
        for direction, items in raw.items():
            if direction not in DIRECTIONS:
                raise MappingError(
                    source, f"direction.values.{direction}", "must be expenditure or income"
                )
            items = items if isinstance(items, list) else [items]
            values[direction] = tuple(
                _text(v, f"direction.values.{direction}", source) for v in items
            )
    return Direction(fixed=None, column=column, values=values)


def _direction_patterns(raw: Any, source: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """{income: REGEX, expenditure: REGEX}: which cells (re.search) stand for which."""
    if not isinstance(raw, dict) or not raw:
        raise MappingError(
            source, "direction.patterns", "must map expenditure and income to regular expressions"
        )
    out = []
    for direction, pattern in raw.items():
        key = f"direction.patterns.{direction}"
        if direction not in DIRECTIONS:
            raise MappingError(source, key, "must be expenditure or income")
        text = _text(pattern, key, source, strip=False)
        try:
            out.append((str(direction), re.compile(text)))
        except re.error as exc:
            raise MappingError(source, key, f"not a regular expression: {exc}") from None
    return tuple(out)


def _text(value: Any, key: str, source: str, *, strip: bool = True) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or (strip and not value.strip()):
        raise MappingError(source, key, f"must be a non-empty text, got {value!r}")
    return value.strip() if strip else value
