"""`ledger project --follow` with a signing key signs checkpoints of the tree as it follows."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ledger.cli.main import main

if TYPE_CHECKING:
    import pytest

#: The `ledger` command of this environment.
LEDGER = str(Path(sys.executable).with_name("ledger"))


def _checkpoints(db: Path) -> list[int]:
    with sqlite3.connect(db) as conn:
        try:
            return [size for (size,) in conn.execute("SELECT tree_size FROM ledger_checkpoint")]
        except sqlite3.OperationalError:
            return []


def test_the_follower_signs_a_checkpoint_when_the_tree_has_grown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "ledger.db"
    url = f"sqlite:///{db}"
    monkeypatch.setenv("LEDGER_DATABASE_URL", url)
    assert main(["keygen", "--origin", "follow.example/ledger", "--out", str(tmp_path / "k")]) == 0
    assert main(["demo"]) == 0
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": url,
        "LEDGER_SIGNING_KEY_FILE": str(tmp_path / "k.key"),
        "LEDGER_CHECKPOINT_INTERVAL": "1",
    }
    follower = subprocess.Popen(
        [LEDGER, "project", "--follow", "--interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not _checkpoints(db) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _checkpoints(db), "no checkpoint signed by ledger project --follow"
        assert follower.poll() is None
    finally:
        follower.terminate()
        follower.wait(timeout=30)


def test_serve_refuses_a_bad_signing_key_file_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    (tmp_path / "bad.key").write_text("not a key\n", encoding="utf-8")
    monkeypatch.setenv("LEDGER_SIGNING_KEY_FILE", str(tmp_path / "bad.key"))
    assert main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "LEDGER_SIGNING_KEY_FILE" in err or "key" in err
    assert "Traceback" not in err
