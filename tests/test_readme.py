"""The docs' reference of record kinds is the registry's, so the docs cannot drift."""

from __future__ import annotations

from pathlib import Path

from ledger.cli.kinds import BEGIN, END, REFERENCE, vocabulary_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_reference_documents_every_record_kind_as_the_registry_does() -> None:
    text = (ROOT / REFERENCE).read_text(encoding="utf-8")
    begin = text.index(BEGIN) + len(BEGIN)
    end = text.index(END)
    assert text[begin:end].strip() == vocabulary_markdown().strip(), (
        f"{REFERENCE} is out of date: run `ledger kinds --write {REFERENCE}` (`make readme`)"
    )


def test_readme_links_to_the_reference_instead_of_holding_it() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert BEGIN not in readme, "the generated reference lives in docs/, not in README.md"
    assert REFERENCE in readme
