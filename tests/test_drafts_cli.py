"""`ledger draft` as a subcommand: its parser, exit codes, and that it appends nothing."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from ledger.cli import main
from ledger.drafts.cli import register

SEED = Path(__file__).parent / "data" / "drafts" / "000_5cabd54293241374.txt"


def parser() -> argparse.ArgumentParser:
    """A `ledger`-like parser with only the draft subcommand registered."""
    root = argparse.ArgumentParser(prog="ledger")
    register(root.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return root


def run(*argv: str) -> int:
    args = parser().parse_args(list(argv))
    code: int = args.handler(args)
    return code


def test_draft_parses_files_body_format_and_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "draft.json"
    assert run("draft", str(SEED), "--body", "kyffhaeuserkreis", "--format", "json",
               "--out", str(out)) == 0  # fmt: skip
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["source"] == str(SEED)
    assert any(c["record"] == "vote" for c in document["commands"])


def test_several_files_give_one_json_document_each(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("draft", str(SEED), str(SEED), "--body", "kyffhaeuserkreis", "--format", "json") == 0
    documents = json.loads(capsys.readouterr().out)
    assert [d["source"] for d in documents] == [str(SEED), str(SEED)]


def test_the_body_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run("draft", str(SEED))
    assert exit_.value.code == 2
    assert "--body" in capsys.readouterr().err


def test_drafting_appends_nothing_to_the_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    assert main(["demo"]) == 0
    capsys.readouterr()
    assert main(["head"]) == 0
    before = capsys.readouterr().out
    assert run("draft", str(SEED), "--body", "kyffhaeuserkreis") == 0
    capsys.readouterr()
    assert main(["head"]) == 0
    assert capsys.readouterr().out == before
