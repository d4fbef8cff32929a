"""`ledger import KIND --help` describes that kind; `ledger import FILE.jsonl` still works."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.cli.main import main

KINDS = ("events", "budget", "bookings", "oparl")


@pytest.fixture(autouse=True)
def _store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path}/ledger.db")


def exit_code(argv: list[str]) -> int:
    """The exit code of `ledger ARGV`, returned or raised by argparse."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2


def help_text(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """What `ledger ARGV` prints, `--help` being among ARGV (exit 0)."""
    assert exit_code(argv) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("kind", KINDS)
def test_each_import_kind_has_its_own_help(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = help_text(["import", kind, "--help"], capsys)
    assert out.startswith(f"usage: ledger import {kind} ")
    others = [other for other in KINDS if other != kind]
    assert not any(f"usage: ledger import {other}" in out for other in others)


def test_import_help_lists_the_kinds_and_no_stray_file_argument(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = help_text(["import", "--help"], capsys)
    assert "positional arguments:\n  file" not in out
    for kind in KINDS:
        assert f"ledger import {kind} --help" in out or f"  {kind} " in out


def test_the_old_form_imports_and_hints_at_the_new_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["demo"]) == 0
    assert main(["export", "--out", str(tmp_path / "e.jsonl")]) == 0
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path}/copy.db")
    capsys.readouterr()
    assert main(["import", str(tmp_path / "e.jsonl")]) == 0
    captured = capsys.readouterr()
    assert "appended" in captured.out
    hint = [line for line in captured.err.splitlines() if "ledger import events" in line]
    assert len(hint) == 1, captured.err


def test_an_unknown_import_option_is_refused_with_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert exit_code(["import", "events", "--frobnicate", "x.jsonl"]) == 2
    assert "unrecognized arguments: --frobnicate" in capsys.readouterr().err
