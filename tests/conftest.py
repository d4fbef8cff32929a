"""Shared fixtures: `store_url` (a fresh store per backend) and `recorder` (opened on it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from storage import BACKENDS, backend_url, drop_test_databases

from ledger.store import open_recorder

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from ledger.store import ChainedRecorder


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_test_databases() -> Iterator[None]:
    """Drop the PostgreSQL test databases when the session ends."""
    yield
    drop_test_databases()


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store as a LEDGER_DATABASE_URL: a SQLite file, or a new PG database.

    PostgreSQL tests skip when no server answers at 127.0.0.1:5432, and fail instead
    when LEDGER_REQUIRE_POSTGRES=1.
    """
    with backend_url(str(request.param), tmp_path) as url:
        yield url


@pytest.fixture
def recorder(store_url: str) -> Iterator[ChainedRecorder]:
    """The chained recorder of `store_url`, closed after the test."""
    opened = open_recorder(store_url)
    try:
        yield opened
    finally:
        opened.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that runs once per backend (uses `store_url`) as `storage`."""
    for item in items:
        if "store_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.storage)
