"""LEDGER_DATABASE_URL: its default, the accepted forms, and its eventsourcing/SQLAlchemy forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.store import (
    StoreConfigError,
    application_env,
    database_url,
    parse_url,
    sqlalchemy_url,
)


def test_the_default_is_a_ledger_db_file_in_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    url = database_url()
    assert url == f"sqlite:///{tmp_path.resolve()}/ledger.db"
    assert parse_url(url).path == tmp_path.resolve() / "ledger.db"
    assert parse_url().path == tmp_path.resolve() / "ledger.db"


def test_the_setting_comes_from_ledger_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", "postgresql://u@db/ledger")
    assert database_url() == "postgresql://u@db/ledger"
    assert parse_url().dbname == "ledger"


def test_a_relative_sqlite_path_is_resolved_against_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    parsed = parse_url("sqlite:///var/ledger.db")
    assert parsed.path == tmp_path.resolve() / "var" / "ledger.db"
    assert parse_url("sqlite:////srv/ledger.db").path == Path("/srv/ledger.db")
    assert sqlalchemy_url("sqlite:///var/ledger.db") == f"sqlite:///{parsed.path}"
    assert sqlalchemy_url("sqlite:////srv/ledger.db") == "sqlite:////srv/ledger.db"


def test_sqlite_application_env_uses_the_chained_recorder_and_the_same_file(
    tmp_path: Path,
) -> None:
    env = application_env(f"sqlite:///{tmp_path}/x.db")
    assert env["PERSISTENCE_MODULE"] == "ledger.store.sqlite:ChainedSQLiteFactory"
    assert env["APPLICATION_RECORDER_TOPIC"].endswith(":ChainedSQLiteApplicationRecorder")
    assert env["SQLITE_DBNAME"] == f"{tmp_path}/x.db"
    assert int(env["SQLITE_LOCK_TIMEOUT"]) >= 5


def test_postgres_urls_give_connection_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for scheme in ("postgresql", "postgresql+psycopg", "postgres"):
        parsed = parse_url(f"{scheme}://led%40ger:p%3Ass@db.example:6543/ledger")
        assert (parsed.user, parsed.password, parsed.host, parsed.port, parsed.dbname) == (
            "led@ger",
            "p:ss",
            "db.example",
            6543,
            "ledger",
        )
    env = application_env("postgresql://ledger:secret@db/ledger")
    assert env["PERSISTENCE_MODULE"] == "ledger.store.postgres:ChainedPostgresFactory"
    assert env["APPLICATION_RECORDER_TOPIC"].endswith(":ChainedPostgresApplicationRecorder")
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db",
        "5432",
        "ledger",
    )
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("ledger", "secret")
    assert env["POSTGRES_ENABLE_DB_FUNCTIONS"] == "no"
    assert int(env["POSTGRES_LOCK_TIMEOUT"]) > 0
    assert application_env("postgresql://u@h/d")["POSTGRES_PASSWORD"] == ""


def test_postgres_sqlalchemy_url_uses_psycopg_and_keeps_escapes() -> None:
    assert (
        sqlalchemy_url("postgresql://led%40ger:p%3Ass@db:6543/ledger")
        == "postgresql+psycopg://led%40ger:p%3Ass@db:6543/ledger"
    )
    assert sqlalchemy_url("postgresql://u@db/l") == "postgresql+psycopg://u@db:5432/l"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ledger.db", "no scheme"),
        ("mysql://u@h/d", "unsupported scheme"),
        ("sqlite://", "needs a file path"),
        ("sqlite:///", "needs a file path"),
        ("sqlite:///:memory:", "not an in-memory database"),
        ("sqlite:///x.db?mode=ro", "query parameters"),
        ("postgresql://u@h", "needs a database name"),
        ("postgresql://u@h/", "needs a database name"),
        ("postgresql://u@h:99999/d", "malformed"),
        ("postgresql://u@h/d?sslmode=require", "query parameters"),
    ],
)
def test_bad_urls_are_refused_naming_the_setting_and_the_rule(url: str, problem: str) -> None:
    with pytest.raises(StoreConfigError) as info:
        parse_url(url)
    message = str(info.value)
    assert "LEDGER_DATABASE_URL" in message
    assert problem in message
    assert "sqlite:///PATH" in message and "postgresql://USER" in message


def test_a_password_is_not_shown_in_errors() -> None:
    with pytest.raises(StoreConfigError) as info:
        parse_url("postgresql://u:topsecret@h/d?x=1")
    assert "topsecret" not in str(info.value)
