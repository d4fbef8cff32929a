"""CSV for spreadsheets, as every CSV of the ledger is written: no cell runs as a formula.

The files are UTF-8 with a BOM, ';'-separated, with CRLF line ends, so that Excel opens
them as they are. A spreadsheet evaluates a cell that starts with '=', '+', '-', '@', a
tab or a carriage return as a formula (OWASP, "CSV Injection"): a text cell starting with
one of them (or with a line feed) is written with a leading apostrophe, which
spreadsheets take to mean "show this as text". Numbers are never prefixed: whether a cell
is a number is decided by the type of its value (int or Decimal), not by its text, so a
title "-1-1" is defused while the amount -17655.00 stays the number -17655,00.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

#: A cell's value: text (defused if needed), a number (decimal comma), or None (empty).
Cell = str | int | Decimal | None
#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = frozenset("=+-@\t\r\n")


def text_cell(text: str) -> str:
    """Text as a cell that a spreadsheet shows as text, never evaluates."""
    return "'" + text if text[:1] in FORMULA_STARTS else text


def number_cell(value: int | Decimal) -> str:
    """A number as a German spreadsheet reads it: digits, a decimal comma, no exponent."""
    return f"{value:f}".replace(".", ",") if isinstance(value, Decimal) else str(value)


def cell(value: Cell) -> str:
    """Any cell's text, by the type of its value (bool is text: it is not a quantity)."""
    if value is None:
        return ""
    if isinstance(value, Decimal) or (isinstance(value, int) and not isinstance(value, bool)):
        return number_cell(value)
    return text_cell(str(value))


def write_csv(rows: Iterable[Sequence[Cell]]) -> str:
    """Rows (a header first, if any) as CSV text: BOM, ';', CRLF, every cell defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows([cell(value) for value in row] for row in rows)
    return "\ufeff" + buffer.getvalue()
