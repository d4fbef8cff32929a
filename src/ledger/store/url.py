"""The one storage setting, LEDGER_DATABASE_URL, and its eventsourcing and SQLAlchemy forms."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal
from urllib.parse import quote, unquote, urlsplit

from ledger import settings
from ledger.store.chain import StoreError

ENV_VAR: Final = "LEDGER_DATABASE_URL"
SQLITE_LOCK_TIMEOUT: Final = "30"
POSTGRES_CONNECT_TIMEOUT: Final = "10"
#: Seconds a PostgreSQL write waits for the events table's write lock before it fails.
LOCK_TIMEOUT_VAR: Final = settings.PG_LOCK_TIMEOUT.name
DEFAULT_LOCK_TIMEOUT: Final = settings.PG_LOCK_TIMEOUT.default
#: Seconds one statement of a PostgreSQL write may run before the server cancels it.
STATEMENT_TIMEOUT_VAR: Final = settings.PG_STATEMENT_TIMEOUT.name
DEFAULT_STATEMENT_TIMEOUT: Final = settings.PG_STATEMENT_TIMEOUT.default
#: The PostgreSQL schema of the ledger's tables (the read side joins them there).
POSTGRES_SCHEMA: Final = "public"

_RULE: Final = (
    f"{ENV_VAR} must be sqlite:///PATH (a file; relative to the working directory, "
    "or absolute as sqlite:////abs/path) or postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME"
)


class StoreConfigError(StoreError):
    """Raised when LEDGER_DATABASE_URL (or a URL given instead) is not usable."""


@dataclass(frozen=True)
class StoreURL:
    """A parsed database URL: SQLite file path or PostgreSQL connection parameters."""

    backend: Literal["sqlite", "postgresql"]
    path: Path | None = None
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = ""
    dbname: str = ""

    @property
    def url(self) -> str:
        """The canonical URL (password masked) for messages and logs."""
        if self.backend == "sqlite":
            return f"sqlite:///{self.path}"
        auth = quote(self.user, safe="") + (":***" if self.password else "")
        return f"postgresql://{auth}@{self.host}:{self.port}/{quote(self.dbname, safe='')}"


def default_url() -> str:
    """The default URL: a ledger.db file in the current working directory (absolute path)."""
    return f"sqlite:///{Path.cwd().resolve() / 'ledger.db'}"


def database_url() -> str:
    """The configured database URL: $LEDGER_DATABASE_URL, else sqlite:///<cwd>/ledger.db."""
    value = os.environ.get(ENV_VAR, "").strip()
    return value or default_url()


def _fail(url: str, problem: str) -> StoreConfigError:
    shown = url
    parts = urlsplit(url) if "://" in url else None
    if parts is not None and parts.password:
        shown = url.replace(f":{parts.password}@", ":***@", 1)
    return StoreConfigError(f"{ENV_VAR}={shown!r}: {problem}. {_RULE}")


def parse_url(url: str | None = None) -> StoreURL:
    """Parse a database URL (default: database_url()); StoreConfigError naming the rule if bad."""
    url = database_url() if url is None else url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise _fail(url, "no scheme")
    scheme = scheme.lower()
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise _fail(url, "a SQLite URL needs a file path after sqlite:///")
        raw = rest[1:]
        if "?" in raw or "#" in raw:
            raise _fail(url, "query parameters are not supported")
        if raw.startswith((":memory:", "file:")):
            raise _fail(url, "the ledger needs a database file, not an in-memory database")
        path = Path(unquote(raw)).expanduser()
        if not path.is_absolute():
            path = Path.cwd().resolve() / path
        if path.exists() and path.is_dir():
            raise _fail(url, f"{path} is a directory")
        return StoreURL("sqlite", path=path)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        try:
            parts = urlsplit("postgresql://" + rest)
            port = parts.port or 5432
        except ValueError as e:
            raise _fail(url, f"malformed PostgreSQL URL ({e})") from None
        if parts.query or parts.fragment:
            raise _fail(url, "query parameters are not supported")
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname or "/" in dbname:
            raise _fail(url, "a PostgreSQL URL needs a database name after the host")
        return StoreURL(
            "postgresql",
            host=unquote(parts.hostname or ""),
            port=port,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            dbname=dbname,
        )
    raise _fail(url, f"unsupported scheme {scheme!r}")


def postgres_timeouts() -> tuple[float, float]:
    """(lock, statement) timeouts of PostgreSQL writes in seconds: LEDGER_PG_LOCK_TIMEOUT and
    LEDGER_PG_STATEMENT_TIMEOUT, else 30 and 300; StoreConfigError naming a bad one."""
    try:
        return (
            settings.value(settings.PG_LOCK_TIMEOUT),
            settings.value(settings.PG_STATEMENT_TIMEOUT),
        )
    except settings.SettingError as e:
        raise StoreConfigError(str(e)) from None


def application_env(url: str | None = None) -> dict[str, str]:
    """The eventsourcing environment for an Application on this URL (chained recorder)."""
    parsed = parse_url(url)
    if parsed.backend == "sqlite":
        assert parsed.path is not None
        return {
            "PERSISTENCE_MODULE": "ledger.store.sqlite:ChainedSQLiteFactory",
            "APPLICATION_RECORDER_TOPIC": "ledger.store.sqlite:ChainedSQLiteApplicationRecorder",
            "SQLITE_DBNAME": str(parsed.path),
            "SQLITE_LOCK_TIMEOUT": SQLITE_LOCK_TIMEOUT,
            "ORIGINATOR_ID_TYPE": "uuid",
            "CREATE_TABLE": "yes",
        }
    lock_timeout, statement_timeout = postgres_timeouts()
    return {
        "PERSISTENCE_MODULE": "ledger.store.postgres:ChainedPostgresFactory",
        "APPLICATION_RECORDER_TOPIC": "ledger.store.postgres:ChainedPostgresApplicationRecorder",
        "POSTGRES_DBNAME": parsed.dbname,
        "POSTGRES_HOST": parsed.host,
        "POSTGRES_PORT": str(parsed.port),
        "POSTGRES_USER": parsed.user,
        "POSTGRES_PASSWORD": parsed.password,
        # eventsourcing's own setting (whole seconds); the chained recorder's writes use
        # the two below.
        "POSTGRES_LOCK_TIMEOUT": str(math.ceil(lock_timeout)),
        LOCK_TIMEOUT_VAR: repr(lock_timeout),
        STATEMENT_TIMEOUT_VAR: repr(statement_timeout),
        "POSTGRES_CONNECT_TIMEOUT": POSTGRES_CONNECT_TIMEOUT,
        "POSTGRES_ENABLE_DB_FUNCTIONS": "no",
        "POSTGRES_SCHEMA": POSTGRES_SCHEMA,
        "ORIGINATOR_ID_TYPE": "uuid",
        "CREATE_TABLE": "yes",
    }


def sqlalchemy_url(url: str | None = None) -> str:
    """The SQLAlchemy URL of the same database (sqlite:////abs/path or postgresql+psycopg://)."""
    parsed = parse_url(url)
    if parsed.backend == "sqlite":
        return f"sqlite:///{parsed.path}"
    auth = quote(parsed.user, safe="")
    if parsed.password:
        auth += ":" + quote(parsed.password, safe="")
    host = parsed.host
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    at = f"{auth}@" if auth else ""
    return f"postgresql+psycopg://{at}{host}:{parsed.port}/{quote(parsed.dbname, safe='')}"
