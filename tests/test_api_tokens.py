"""Read tokens (stored as digests, compared in constant time), `ledger token`, projector lock."""

from __future__ import annotations

import hashlib
import io
import threading
from pathlib import Path

import pytest

from api.projector import ProjectorThread, lock_path
from api.tokens import TOKEN_HASHES_VAR, TOKENS_FILE_VAR, ReadTokens, TokenConfigError, hash_token
from ledger.cli import main


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_a_configured_token_is_accepted_and_any_other_refused() -> None:
    tokens = ReadTokens([digest("alpha"), digest("beta")])
    assert tokens.accepts("alpha")
    assert tokens.accepts("beta")
    assert not tokens.accepts("gamma")
    assert not tokens.accepts("")
    assert not tokens.accepts(digest("alpha"))  # the digest itself is no token


def test_no_configured_token_accepts_nothing() -> None:
    assert not ReadTokens().accepts("anything")


def test_tokens_come_from_the_file_and_the_variable(tmp_path: Path) -> None:
    path = tmp_path / "read-tokens"
    path.write_text(f"# committee office\n{digest('alpha')}\n\n{digest('beta').upper()}\n")
    tokens = ReadTokens.from_env(
        {TOKENS_FILE_VAR: str(path), TOKEN_HASHES_VAR: f" {digest('gamma')} ,"}
    )
    assert len(tokens) == 3
    assert all(tokens.accepts(t) for t in ("alpha", "beta", "gamma"))


def test_a_line_that_is_no_digest_is_refused_naming_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "read-tokens"
    path.write_text(f"{digest('alpha')}\nplain-text-token\n")
    with pytest.raises(TokenConfigError, match=r"line 2: expected a SHA-256 hex digest"):
        ReadTokens.from_env({TOKENS_FILE_VAR: str(path)})


def test_a_missing_tokens_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TokenConfigError, match=TOKENS_FILE_VAR):
        ReadTokens.from_env({TOKENS_FILE_VAR: str(tmp_path / "missing")})


def test_a_bad_digest_in_the_variable_is_refused() -> None:
    with pytest.raises(TokenConfigError, match=TOKEN_HASHES_VAR):
        ReadTokens.from_env({TOKEN_HASHES_VAR: "abc123"})


def test_ledger_token_hash_prints_the_digest_of_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-token\n"))
    assert main(["token", "hash"]) == 0
    assert capsys.readouterr().out == digest("s3cret-token") + "\n"


def test_ledger_token_hash_refuses_an_empty_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main(["token", "hash"]) == 2
    assert "no token" in capsys.readouterr().err


def test_ledger_token_new_prints_a_token_and_its_digest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["token", "new"]) == 0
    token, token_digest = capsys.readouterr().out.split()
    assert len(token) >= 32
    assert hash_token(token) == token_digest


def test_the_lock_file_sits_beside_a_sqlite_database(tmp_path: Path) -> None:
    assert lock_path(f"sqlite:///{tmp_path / 'ledger.db'}") == tmp_path / "ledger.db.projector.lock"


def test_only_one_projector_thread_holds_the_lock_and_another_takes_over(tmp_path: Path) -> None:
    lock = tmp_path / "ledger.db.projector.lock"
    calls = {"first": threading.Event(), "second": threading.Event()}
    first = ProjectorThread(calls["first"].set, lock, interval=0.01, lock_retry=0.01)
    second = ProjectorThread(calls["second"].set, lock, interval=0.01, lock_retry=0.01)
    first.start()
    assert calls["first"].wait(30)
    second.start()
    try:
        assert second.tried.wait(30)
        assert (first.holds_lock, second.holds_lock) == (True, False)
        assert not calls["second"].is_set()  # standby while the first holds the lock
        first.stop()
        assert calls["second"].wait(30)
        assert second.holds_lock
    finally:
        first.stop()
        second.stop()
