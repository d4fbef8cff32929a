"""The README's reference of record kinds is the registry's, so the docs cannot drift."""

from __future__ import annotations

from pathlib import Path

from ledger.cli.kinds import vocabulary_markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_documents_every_record_kind_as_the_registry_does() -> None:
    text = README.read_text(encoding="utf-8")
    begin = text.index("<!-- kinds:begin -->") + len("<!-- kinds:begin -->")
    end = text.index("<!-- kinds:end -->")
    assert text[begin:end].strip() == vocabulary_markdown().strip(), (
        "README.md is out of date: run `ledger kinds --format markdown` and paste it "
        "between the kinds markers (`make readme`)"
    )
