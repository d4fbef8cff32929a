"""The `ledger` command line: exit codes, messages, and the chain commands end to end."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.cli import main
from ledger.cli.record import demo_text, record_text


@pytest.fixture
def ledger_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """LEDGER_DATABASE_URL pointing at a fresh SQLite file."""
    path = tmp_path / "ledger.db"
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{path}")
    return path


def run(*args: str) -> int:
    return main(list(args))


def demo_recorded() -> None:
    """The demo case in one batch (fast; `ledger demo` itself is tested on its own)."""
    assert record_text(demo_text(), "demo.yaml")


def test_demo_then_verify_exits_zero(ledger_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("demo") == 0
    assert run("verify") == 0
    assert "chain intact: 41 events" in capsys.readouterr().out


def test_demo_twice_appends_nothing(ledger_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run("demo")
    run("head")
    first = capsys.readouterr().out.splitlines()[-1]
    assert run("demo") == 0
    assert "nothing new" in capsys.readouterr().out
    run("head")
    assert capsys.readouterr().out.strip() == first


def test_verify_names_the_position_of_a_changed_byte(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_recorded()
    with sqlite3.connect(ledger_db) as db:
        (state,) = db.execute("select state from stored_events where rowid = 7").fetchone()
        changed = state.replace(b'"yes":9', b'"yes":8')
        assert changed != state
        db.execute("update stored_events set state = ? where rowid = 7", (changed,))
    capsys.readouterr()
    assert run("verify") == 1
    captured = capsys.readouterr()
    assert "position 7" in captured.err
    assert "first bad position: 7" in captured.out


def test_verify_with_an_earlier_digest_passes_after_more_events(
    ledger_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_recorded()
    capsys.readouterr()
    run("head")
    digest = capsys.readouterr().out.strip()
    more = tmp_path / "more.json"
    more.write_text(
        json.dumps(
            [
                {
                    "record": "annual-report",
                    "body": "kyffhaeuserkreis",
                    "process": "audit-fgk/2018",
                    "year": 2018,
                    "effective": "2019-02-28",
                }
            ]
        )
    )
    assert run("record", str(more)) == 0
    assert run("verify", "--digest", digest) == 0


def test_malformed_digest_is_bad_input(ledger_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demo_recorded()
    assert run("verify", "--digest", "12:xyz") == 2
    assert "POSITION:HASH" in capsys.readouterr().err


def test_export_and_import_reproduce_the_digest(
    ledger_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    demo_recorded()
    run("head")
    head = capsys.readouterr().out.strip().splitlines()[-1]
    export = tmp_path / "export.jsonl"
    assert run("export", "--out", str(export)) == 0
    assert len(export.read_text().splitlines()) == 41
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'copy.db'}")
    assert run("import", str(export)) == 0
    assert run("import", str(export)) == 0
    capsys.readouterr()
    run("head")
    assert capsys.readouterr().out.strip() == head


def test_log_filters_by_body_and_type(ledger_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demo_recorded()
    capsys.readouterr()
    assert run("log", "--type", "VoteRecorded", "--format", "json") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["data"]["yes"] == 9 and entry["body"] == "kyffhaeuserkreis"
    assert run("log", "--body", "no-such-body") == 0
    assert capsys.readouterr().out == ""


def test_bad_command_file_exits_2_with_a_message_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "- record: vote\n  body: kyffhaeuserkreis\n  resolution: 2018/6/067\n"
        "  committee: jugendhilfeausschuss\n  effective: 2018-06-19\n"
        "  yes: 9\n  no: -1\n  abstentions: 0\n  recused: 0\n"
    )
    env = {**os.environ, "LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'l.db'}"}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("ledger")), "record", str(bad)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "command 1 (vote)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_file_exits_2(ledger_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("record", "no-such-file.yaml") == 2
    assert "no such file" in capsys.readouterr().err


def test_invalid_yaml_exits_2(ledger_db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- record: vote\n  yes: [unclosed\n")
    assert run("record", str(bad)) == 2


def test_bad_database_url_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", "mysql://localhost/ledger")
    assert run("head") == 2
    assert "LEDGER_DATABASE_URL" in capsys.readouterr().err


def test_demo_records_its_correction_later_so_known_at_can_ask_before_it(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("demo") == 0
    hint = capsys.readouterr().out.strip().splitlines()[-1]
    before = hint.rsplit("--known-at ", 1)[1]
    assert run("log", "--type", "Corrected", "--format", "json") == 0
    corrected_at = json.loads(capsys.readouterr().out)["recorded_at"]
    assert before < corrected_at
    assert run("log", "--format", "json") == 0
    others = [json.loads(line)["recorded_at"] for line in capsys.readouterr().out.splitlines()]
    assert max(others[:-1]) < before
