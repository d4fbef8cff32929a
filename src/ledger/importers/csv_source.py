"""Reads a finance system's CSV export: encoding, separator, header row, rows with line numbers."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import LedgerError

SEPARATORS = (";", ",", "\t", "|")
SEPARATOR_NAMES = {";": "semicolon", ",": "comma", "\t": "tab", "|": "bar"}


class CsvSourceError(LedgerError):
    """The file cannot be read as a CSV table (encoding, separator, header)."""

    def __init__(self, source: str, rule: str) -> None:
        self.source = source
        self.rule = rule
        super().__init__(f"{source}: {rule}")


@dataclass(frozen=True)
class CsvRow:
    """One data row: its line number in the file (header = line 1) and its cells."""

    line: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class CsvTable:
    """A CSV export: how it was read, its header and its data rows."""

    source: str
    encoding: str
    separator: str
    header: tuple[str, ...]
    header_line: int
    rows: tuple[CsvRow, ...]

    def describe(self) -> str:
        """How the file was read, for the import report."""
        name = SEPARATOR_NAMES.get(self.separator, repr(self.separator))
        return (
            f"{self.source}: encoding {self.encoding}, separator {name}, "
            f"{len(self.header)} columns, {len(self.rows)} rows"
        )


def decode(data: bytes, source: str, encoding: str | None = None) -> tuple[str, str]:
    """The text and its encoding: the given one, else UTF-16/UTF-8 (BOM or not), else cp1252."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise CsvSourceError(source, f"unknown encoding '{encoding}'") from None
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise CsvSourceError(
                source, f"is not {encoding}: byte {data[exc.start]:#04x} at offset {exc.start}"
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise CsvSourceError(source, "starts with a UTF-16 mark but is not UTF-16") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        return text, "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise CsvSourceError(
            source,
            f"is neither UTF-8 nor Windows-1252 (byte {data[exc.start]:#04x} at offset "
            f"{exc.start}); give the encoding in the mapping",
        ) from None


def detect_separator(header: str, sample: str, source: str) -> str:
    """The separator: the one the header line uses most, else what csv.Sniffer finds."""
    counts = {sep: _count_outside_quotes(header, sep) for sep in SEPARATORS}
    best = max(counts.values())
    winners = [sep for sep, n in counts.items() if n == best]
    if best > 0 and len(winners) == 1:
        return winners[0]
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(SEPARATORS)).delimiter
    except csv.Error:
        raise CsvSourceError(
            source,
            "cannot tell the separator from the header line; give `separator:` in the mapping",
        ) from None


def _count_outside_quotes(line: str, sep: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == sep and not quoted:
            count += 1
    return count


def parse_table(
    text: str,
    source: str,
    *,
    encoding: str,
    separator: str | None = None,
    header_line: int = 1,
) -> CsvTable:
    """Splits decoded text into header and rows; blank rows are left out, line numbers kept."""
    lines = text.splitlines()
    if len(lines) < header_line or not lines[header_line - 1].strip():
        raise CsvSourceError(source, f"has no header row on line {header_line}")
    if separator is None:
        sample = "\n".join(lines[header_line - 1 : header_line + 20])
        try:
            separator = detect_separator(lines[header_line - 1], sample, source)
        except CsvSourceError as exc:
            raise (_title_error(source, lines, header_line, None) or exc) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    header: tuple[str, ...] | None = None
    rows: list[CsvRow] = []
    previous_end = 0
    try:
        for cells in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if start < header_line:
                continue
            if header is None:
                header = tuple(c.strip().lstrip("\ufeff") for c in cells)
                continue
            if not any(c.strip() for c in cells):
                continue
            rows.append(CsvRow(start, tuple(c.strip() for c in cells)))
    except csv.Error as exc:
        raise CsvSourceError(source, f"line {reader.line_num}: {exc}") from None
    if not header or not any(header):
        raise CsvSourceError(source, f"has no header row on line {header_line}")
    if sum(1 for h in header if h) < 2:
        # One named column is a title line (a report's heading), not an export's header.
        error = _title_error(source, lines, header_line, separator)
        if error is not None:
            raise error
    return CsvTable(source, encoding, separator, header, header_line, tuple(rows))


def _title_error(
    source: str, lines: list[str], header_line: int, separator: str | None
) -> CsvSourceError | None:
    """The error for a title line where the header should be: names the likely header line."""
    found = _likely_header(lines, header_line, separator)
    if found is None:
        return None
    return CsvSourceError(
        source,
        f"line {header_line} looks like a title, not the header of the columns; the header "
        f"seems to be on line {found}: set `header_line: {found}` in the mapping",
    )


def _likely_header(lines: list[str], header_line: int, separator: str | None) -> int | None:
    """The first line below `header_line` (within 30) with 2+ cells that the next line matches.

    Quotes are not followed across lines: a title block is a few short lines.
    """
    seps = (separator,) if separator else SEPARATORS
    end = min(len(lines), header_line + 30)
    for index in range(header_line, end):
        for sep in seps:
            count = _count_outside_quotes(lines[index], sep)
            if count < 1:
                continue
            following = next((x for x in lines[index + 1 : end] if x.strip()), None)
            if following is None or _count_outside_quotes(following, sep) == count:
                return index + 1
    return None


def read_table(
    path: Path,
    *,
    encoding: str | None = None,
    separator: str | None = None,
    header_line: int = 1,
) -> CsvTable:
    """Reads a CSV export from a file, detecting what the mapping does not say."""
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CsvSourceError(source, "no such file") from None
    text, used = decode(data, source, encoding)
    return parse_table(text, source, encoding=used, separator=separator, header_line=header_line)
