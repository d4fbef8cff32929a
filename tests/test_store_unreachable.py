"""Exit codes mean one thing: a store that cannot be reached is exit 2 with one line naming
it (without its password) for every command, never a traceback and never exit 1 (which
means a broken chain or a difference found)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.cli import main

PG_DOWN = "postgresql://postgres:secret@127.0.0.1:1/x"  # nothing listens on port 1
SHOWN = "postgresql://postgres:***@127.0.0.1:1/x"


def commands(tmp: Path) -> list[list[str]]:
    """Every command that reads or writes the store, with arguments that are fine."""
    batch = tmp / "batch.yaml"
    batch.write_text(
        "- {record: body, body: b, name: B, kind: landkreis, land: TH, effective: 2020-01-01}\n",
        encoding="utf-8",
    )
    budget = tmp / "budget.csv"
    budget.write_text("HH-Stelle;Bezeichnung;Art;Ansatz\n01.0001.0001;Z;Ausgabe;1,00\n", "utf-8")
    export = tmp / "export.jsonl"
    export.write_text("", encoding="utf-8")
    return [
        ["verify"],
        ["head"],
        ["log"],
        ["export", "--out", str(tmp / "out.jsonl")],
        ["import", str(export)],
        ["record", str(batch)],
        ["demo"],
        ["import", "budget", str(budget), "--body", "b", "--year", "2020"],
        ["project"],
        ["project", "--follow"],
        ["rebuild"],
        ["show", "certification", "--body", "b"],
        ["report", "annual", "--body", "b", "--process", "audit-fgk/2015", "--year", "2019"],
        ["reconcile", "--body", "b", "--year", "2020"],
        ["serve", "--port", "1"],
    ]


@pytest.mark.parametrize("index", range(15))
def test_an_unreachable_postgresql_is_exit_2_with_one_line(
    index: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", PG_DOWN)
    argv = commands(tmp_path)[index]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith(f"ledger {argv[0]}: error: cannot reach the store {SHOWN}: ")
    assert "Connection refused" in captured.err
    assert "secret" not in captured.err + captured.out
    assert "Traceback" not in captured.err


def test_an_unreachable_sqlite_file_is_exit_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "ledger.db"
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{missing}")
    for argv in (["verify"], ["head"], ["project"], ["show", "certification", "--body", "b"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err == (
            f"ledger {argv[0]}: error: cannot reach the store sqlite:///{missing}: "
            "unable to open database file\n"
        )
