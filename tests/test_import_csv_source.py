"""Reading finance exports: encodings, separators, header rows, line numbers, code formats."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ledger.errors import RuleViolationError
from ledger.importers.csv_source import CsvSourceError, read_table
from ledger.importers.mapping import CodeCell, find_column, parse_source
from ledger.importers.notation import parse_amount


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Bezeichnung;Ansatz\nZuschüsse;1,00\n".encode(), "utf-8"),
        ("Bezeichnung;Ansatz\nZuschüsse;1,00\n".encode("utf-8-sig"), "utf-8-sig"),
        ("Bezeichnung;Ansatz\nZuschüsse;1,00\n".encode("cp1252"), "cp1252"),
        ("Bezeichnung;Ansatz\nZuschüsse;1,00\n".encode("utf-16"), "utf-16"),
    ],
)
def test_the_encoding_is_detected(tmp_path: Path, data: bytes, encoding: str) -> None:
    table = read_table(write(tmp_path, data))
    assert table.encoding == encoding
    assert table.header == ("Bezeichnung", "Ansatz")
    assert table.rows[0].cells == ("Zuschüsse", "1,00")


@pytest.mark.parametrize("separator", [";", ",", "\t", "|"])
def test_the_separator_is_detected_from_the_header(tmp_path: Path, separator: str) -> None:
    text = separator.join(["HH-Stelle", "Bezeichnung", "Ansatz"]) + "\n"
    text += separator.join(["01.4510.7000", '"Zuschüsse, Träger"', '"1.000,00"']) + "\n"
    table = read_table(write(tmp_path, text.encode()))
    assert table.separator == separator
    assert table.rows[0].cells == ("01.4510.7000", "Zuschüsse, Träger", "1.000,00")


def test_line_numbers_count_the_header_as_line_1_and_keep_blank_and_multiline_rows(
    tmp_path: Path,
) -> None:
    text = 'A;B\n1;x\n\n2;"two\nlines"\n3;y\n'
    table = read_table(write(tmp_path, text.encode()))
    assert [(r.line, r.cells[0]) for r in table.rows] == [(2, "1"), (4, "2"), (6, "3")]


def test_a_title_above_the_header_is_skipped_with_header_line(tmp_path: Path) -> None:
    text = "Journal 2018, Kämmerei\nA;B\n1;2\n"
    table = read_table(write(tmp_path, text.encode()), header_line=2)
    assert table.header == ("A", "B")
    assert [(r.line, r.cells) for r in table.rows] == [(3, ("1", "2"))]


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CsvSourceError, match="no header row on line 1"):
        read_table(write(tmp_path, b""))


def test_a_given_encoding_that_does_not_fit_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CsvSourceError, match="is not utf-8: byte 0xdc at offset 0"):
        read_table(write(tmp_path, "Ü;A\nü;1\n".encode("cp1252")), encoding="utf-8")


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CsvSourceError, match="no such file"):
        read_table(tmp_path / "missing.csv")


def test_code_formats_pad_digits_and_keep_text() -> None:
    kameral, plain, aligned = "{0:02}.{1:04}.{2:04}", "{0}.{1}", "{0:>3}"
    assert kameral.format(*map(CodeCell, ("1", "4953", "7187"))) == "01.4953.7187"
    assert plain.format(*map(CodeCell, ("01", "4953"))) == "01.4953"
    assert aligned.format(CodeCell("A")) == "  A"


def test_a_column_is_found_exactly_then_loosely() -> None:
    header = ["HH-Stelle", "Beleg-Nr.", "betrag"]
    assert find_column(header, "HH-Stelle") == 0
    assert find_column(header, "Belegnr") == 1
    assert find_column(header, "Betrag") == 2
    assert find_column(header, "Datum") is None


def test_a_source_joins_its_columns_with_the_format() -> None:
    source = parse_source(
        {"columns": ["EPL", "UA", "GRP"], "format": "{0:02}.{1}.{2}"}, "code", "m"
    )
    resolved = source.resolve(["GRP", "UA", "EPL"], "code", "m")
    assert resolved is not None
    assert resolved.extract(["7187", "4953", "1"]) == "01.4953.7187"
    assert resolved.extract(["7187", "", "1"]) == ""


@pytest.mark.parametrize(
    ("text", "decimal", "amount"),
    [
        ("17.655,00", "auto", "17655.00"),
        ("17655.00", "auto", "17655.00"),
        ("17655,5", "auto", "17655.50"),
        ("17.655", "comma", "17655.00"),
        ("17.655,00 €", "comma", "17655.00"),
        ("17,655.00", "point", "17655.00"),
        ("17655", "point", "17655.00"),
    ],
)
def test_amounts_in_each_notation(text: str, decimal: str, amount: str) -> None:
    assert parse_amount("amount", text, decimal) == Decimal(amount)


@pytest.mark.parametrize(
    ("text", "decimal"),
    [("17.655", "auto"), ("17655.00", "comma"), ("17.655,00", "point"), ("1,2,3", "point")],
)
def test_amounts_that_do_not_fit_the_notation_are_refused(text: str, decimal: str) -> None:
    with pytest.raises(RuleViolationError):
        parse_amount("amount", text, decimal)


@pytest.mark.parametrize("separator", [None, ";"])
def test_a_title_above_the_header_names_the_header_line_to_set(
    tmp_path: Path, separator: str | None
) -> None:
    text = (
        "Stadt Musterstadt - Buchungsjournal Haushaltsjahr 2019\r\n"
        "Zeitraum: 01.01.2019 bis 30.06.2019\r\n"
        "\r\n"
        "Haushaltsstelle;Buchungsdatum;Belegnummer;Betrag EUR\r\n"
        "01000.4000;15.03.2019;2019-00001;1.200,00\r\n"
    )
    with pytest.raises(CsvSourceError) as refused:
        read_table(write(tmp_path, text.encode("cp1252")), separator=separator)
    assert "line 1 looks like a title" in refused.value.rule
    assert "set `header_line: 4` in the mapping" in refused.value.rule
    table = read_table(write(tmp_path, text.encode("cp1252")), header_line=4)
    assert table.header[0] == "Haushaltsstelle"
