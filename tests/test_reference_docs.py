"""The docs' settings and command-line references are generated from the code and current."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from ledger import settings
from ledger.cli import config, reference
from ledger.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[1]


def generated(page: str, markers: tuple[str, str]) -> str:
    return reference.generated_part((ROOT / page).read_text(encoding="utf-8"), markers)


def test_the_settings_reference_is_the_settings_module() -> None:
    assert generated(config.REFERENCE, config.MARKERS) == config.reference_markdown(), (
        f"{config.REFERENCE} is out of date: run `make reference`"
    )


def test_the_settings_reference_names_every_setting_its_default_and_rule() -> None:
    page = generated(config.REFERENCE, config.MARKERS)
    for setting in settings.SETTINGS:
        line = next(row for row in page.splitlines() if f"| `{setting.name}` |" in row)
        assert setting.doc in line
    assert "a whole number &gt;= 0" in page  # LEDGER_AGREEMENT_CACHE's rule


def test_the_cli_reference_is_the_parsers() -> None:
    parser = build_parser()
    markdown = reference.cli_markdown(parser)
    assert generated(reference.CLI_REFERENCE, reference.CLI_MARKERS) == markdown.strip(), (
        f"{reference.CLI_REFERENCE} is out of date: run `make reference`"
    )


def test_the_cli_reference_has_every_command_and_import_kind() -> None:
    page = generated(reference.CLI_REFERENCE, reference.CLI_MARKERS)
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name in commands.choices:
        assert f"### `ledger {name}`" in page
    for kind in ("events", "budget", "bookings", "oparl"):
        assert f"### `ledger import {kind}`" in page
    assert "| `--body BODY` | the body's slug, e.g. kyffhaeuserkreis (required) |" in page


def test_writing_a_page_without_markers_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# no markers\n", encoding="utf-8")
    with pytest.raises(ValueError, match="markers"):
        reference.write_generated(page, reference.CLI_MARKERS, "text")


def test_the_operations_guide_links_to_the_settings_reference() -> None:
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert "(reference/settings.md)" in operations
    assert "| `LEDGER_PG_LOCK_TIMEOUT` |" not in operations, "the table lives in the reference"
    assert "reference/settings.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
