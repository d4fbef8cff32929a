"""Commands that append say what they appended in one labelled line, not bare positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.cli.main import main
from ledger.importers.report import appended


@pytest.fixture(autouse=True)
def _store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path}/ledger.db")


def test_demo_prints_a_labelled_summary_and_no_bare_positions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "appended 41 events at positions 1..41"
    assert not any(line.replace(" ", "").isdigit() for line in lines), lines


def test_record_prints_a_labelled_summary_and_no_bare_positions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    batch = tmp_path / "body.yaml"
    batch.write_text(
        "- {record: body, body: b, name: B, land: TH, effective: 2020-01-01}\n",
        encoding="utf-8",
    )
    assert main(["record", str(batch)]) == 0
    assert capsys.readouterr().out.splitlines() == ["appended 1 event at position 1"]


def test_positions_with_a_gap_are_named_as_ranges() -> None:
    assert appended([3, 4, 5, 9, 10, 12]) == "appended 6 events at positions 3..5, 9..10, 12"
    assert appended([7]) == "appended 1 event at position 7"
