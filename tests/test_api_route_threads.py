"""How many sync routes one server process runs at once, per backend (`api.app.route_threads`)."""

from __future__ import annotations

import pytest
from anyio import to_thread
from api_support import TestClient

from api.app import SQLITE_ROUTE_THREADS, create_app, route_threads
from ledger import settings
from ledger.errors import LedgerError
from projections.engine.store import READ_CONNECTIONS
from projections.queries import ReadModel


def test_the_lifespan_limits_sync_routes_by_backend(store_url: str) -> None:
    read_model = ReadModel(store_url)
    try:
        with TestClient(create_app(read_model, tokens=[])) as client:
            portal = client.portal
            assert portal is not None
            tokens = portal.call(lambda: to_thread.current_default_thread_limiter().total_tokens)
    finally:
        read_model.close()
    expected = SQLITE_ROUTE_THREADS if store_url.startswith("sqlite") else READ_CONNECTIONS
    assert tokens == expected
    assert SQLITE_ROUTE_THREADS < READ_CONNECTIONS


def test_the_setting_chooses_and_is_bounded_by_the_read_models_connections(
    store_url: str,
) -> None:
    assert settings.MAX_SERVE_THREADS == READ_CONNECTIONS
    read_model = ReadModel(store_url)
    try:
        assert route_threads(read_model, {"LEDGER_SERVE_THREADS": "5"}) == 5
        for bad in ("0", "17", "lots"):
            with pytest.raises(LedgerError, match=r"LEDGER_SERVE_THREADS.*from 1 to 16"):
                route_threads(read_model, {"LEDGER_SERVE_THREADS": bad})
    finally:
        read_model.close()
