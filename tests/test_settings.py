"""One settings module: a bad LEDGER_* value stops any command; `ledger config` masks secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger import settings
from ledger.cli.main import main

BAD = [
    ("LEDGER_AGREEMENT_CACHE", "lots", "expected a whole number >= 0"),
    ("LEDGER_PROJECTOR_WORKERS", "lots", "expected 0 or 1"),
    ("LEDGER_RECORD_CACHE", "lots", "expected a whole number >= 0"),
    ("LEDGER_PG_LOCK_TIMEOUT", "0", "seconds > 0"),
    ("LEDGER_CHECKPOINT_INTERVAL", "inf", "seconds > 0"),
    ("LEDGER_PROGRESS_INTERVAL", "-1", "seconds >= 0"),
    ("LEDGER_SERVE_PROJECT", "maybe", "expected yes, no or auto"),
    ("LEDGER_PROGRESS", "lots", "expected on or off"),
]


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for setting in settings.SETTINGS:
        monkeypatch.delenv(setting.name, raising=False)
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path}/ledger.db")


@pytest.mark.parametrize(("name", "text", "rule"), BAD)
def test_a_bad_setting_stops_any_command(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    text: str,
    rule: str,
) -> None:
    monkeypatch.setenv(name, text)
    assert main(["head"]) == 2
    err = capsys.readouterr().err
    assert f"{name}={text!r}" in err
    assert rule in err
    assert "Traceback" not in err


def test_every_setting_is_declared_once() -> None:
    names = [s.name for s in settings.SETTINGS]
    assert len(names) == len(set(names)) == 17
    assert all(s.doc for s in settings.SETTINGS)


def test_values_and_defaults() -> None:
    assert settings.value(settings.AGREEMENT_CACHE, {}) == 16
    assert settings.value(settings.AGREEMENT_CACHE, {"LEDGER_AGREEMENT_CACHE": " 4 "}) == 4
    assert settings.value(settings.SERVE_PROJECT, {"LEDGER_SERVE_PROJECT": "YES"}) is True
    assert settings.value(settings.PG_LOCK_TIMEOUT, {"LEDGER_PG_LOCK_TIMEOUT": "2.5"}) == 2.5


def test_config_masks_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", "postgresql://u:s3cret@127.0.0.1:5/x")
    monkeypatch.setenv("LEDGER_SESSION_SECRET", "hush-hush")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "LEDGER_DATABASE_URL" in out
    assert "postgresql://u:***@127.0.0.1:5/x" in out
    assert "s3cret" not in out and "hush-hush" not in out
    assert main(["config", "--format", "json"]) == 0
    shown = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert shown["LEDGER_DATABASE_URL"]["value"] == "postgresql://u:***@127.0.0.1:5/x"
    assert shown["LEDGER_SESSION_SECRET"]["value"] == "***"
    assert shown["LEDGER_AGREEMENT_CACHE"] == {
        "name": "LEDGER_AGREEMENT_CACHE",
        "value": "16",
        "source": "default",
        "doc": settings.AGREEMENT_CACHE.doc,
    }


def test_config_refuses_a_bad_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_AGREEMENT_CACHE", "lots")
    assert main(["config"]) == 2
    assert "LEDGER_AGREEMENT_CACHE='lots'" in capsys.readouterr().err


def test_import_events_and_the_old_form(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["demo"]) == 0
    assert main(["export", "--out", str(tmp_path / "e.jsonl")]) == 0
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path}/copy.db")
    capsys.readouterr()
    assert main(["import", "events", str(tmp_path / "e.jsonl")]) == 0
    assert "appended" in capsys.readouterr().out
    assert main(["import", str(tmp_path / "e.jsonl")]) == 0
    assert "skipped" in capsys.readouterr().out


def test_import_help_lists_every_kind(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    out = capsys.readouterr().out
    for kind in ("events", "budget", "bookings", "oparl"):
        assert f"  {kind} " in out
