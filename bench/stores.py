"""Fresh stores for one run: a SQLite file under bench/out/ or PostgreSQL databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

OUT = Path(__file__).resolve().parent / "out"
# The server the PostgreSQL runs use; databases ledger_bench_<random> are created on it.
ADMIN_URL = os.environ.get("LEDGER_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass(frozen=True)
class Store:
    """One fresh store: its ledger URL and the eventsourcing env of the bare baseline beside it."""

    backend: str
    url: str
    bare_env: dict[str, str]
    path: Path | None = None

    def size_bytes(self) -> int | None:
        """The size of the ledger's database (SQLite file with its WAL), if known."""
        if self.path is None:
            return None
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))


def _admin() -> Any:
    import psycopg

    parts = urlsplit(ADMIN_URL)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or "",
        dbname=parts.path.lstrip("/") or "postgres",
        autocommit=True,
        connect_timeout=5,
    )


def postgres_available() -> str | None:
    """None if the PostgreSQL server answers, else why not."""
    try:
        with _admin() as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any failure means: cannot run on PostgreSQL
        return f"PostgreSQL at {ADMIN_URL} does not answer ({type(exc).__name__}: {exc})"
    return None


def _pg_url(dbname: str) -> str:
    parts = urlsplit(ADMIN_URL)
    auth = parts.username or "postgres"
    if parts.password:
        auth += f":{parts.password}"
    return f"postgresql://{auth}@{parts.hostname or '127.0.0.1'}:{parts.port or 5432}/{dbname}"


def _pg_env(dbname: str) -> dict[str, str]:
    parts = urlsplit(ADMIN_URL)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": parts.username or "postgres",
        "POSTGRES_PASSWORD": parts.password or "",
        "CREATE_TABLE": "yes",
    }


@contextmanager
def fresh_store(backend: str, label: str = "run", *, keep: bool = False) -> Iterator[Store]:
    """An empty ledger store and an empty bare-eventsourcing store on the same backend.

    Both are removed afterwards, unless `keep` (the ledger's store stays, for profiling).
    """
    token = uuid.uuid4().hex[:10]
    if backend == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f"ledger-{label}-{token}.db"
        bare = OUT / f"bare-{label}-{token}.db"
        try:
            yield Store(
                backend,
                f"sqlite:///{path}",
                {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(bare)},
                path,
            )
        finally:
            for p in (bare,) if keep else (path, bare):
                for f in p.parent.glob(p.name + "*"):
                    f.unlink(missing_ok=True)
        return
    from psycopg import sql

    names = [f"ledger_bench_{token}", f"ledger_bench_{token}_bare"]
    with _admin() as conn:
        for name in names:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield Store(backend, _pg_url(names[0]), _pg_env(names[1]))
    finally:
        with _admin() as conn:
            for name in names[1:] if keep else names:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
