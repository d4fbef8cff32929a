"""A read model built by an older version is refused with `run ledger rebuild`, not misread."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from ledger.cli.main import main

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_a_table_without_a_column_this_version_writes_asks_for_a_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "ledger.db"
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{db}")
    assert main(["demo"]) == 0
    assert main(["project"]) == 0
    with sqlite3.connect(db) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rm%_resolution'"
            )
        ]
        assert tables
        for table in tables:
            conn.execute(f"ALTER TABLE {table} DROP COLUMN decisions")
    capsys.readouterr()
    (tmp_path / "more.yaml").write_text(
        "- {record: committee, body: kyffhaeuserkreis, committee: kreisausschuss,"
        " name: Kreisausschuss, seats: 12, effective: 2014-07-01}\n",
        encoding="utf-8",
    )
    assert main(["record", str(tmp_path / "more.yaml")]) == 0
    capsys.readouterr()
    assert main(["project"]) == 2
    err = capsys.readouterr().err
    assert "decisions" in err and "ledger rebuild" in err and "Traceback" not in err
    assert main(["rebuild"]) == 0
    assert main(["project"]) == 0
