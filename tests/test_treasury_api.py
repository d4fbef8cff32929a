"""GET /v1/bodies/{body}/budget/{year}/reconciliation: the reconciliation over HTTP."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # starlette asks for httpx2 in its test client; httpx is what the project pins.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from api.app import create_app
from api.routes import reconciliation as reconciliation_routes
from api.tokens import hash_token
from ledger.application import LedgerApplication
from ledger.cli.record import demo_text, load_commands
from ledger.store import application_env
from projections.queries import ReadModel
from projections.registry import catch_up

BODY = "kyffhaeuserkreis"
LINE = "01.4953.7187"
TOKEN = "treasury-read-token"
PATH = f"/v1/bodies/{BODY}/budget/2018/reconciliation"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The API over the demo case with one booking beyond the approval."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    app = LedgerApplication(env=application_env(url))
    app.record(load_commands(demo_text(), "demo"))
    app.record(
        [
            {
                "record": "payment",
                "body": BODY,
                "year": 2018,
                "line": LINE,
                "amount": "18105.00",
                "reference": "AO-1",
                "effective": "2018-12-14",
            }
        ]
    )
    app.close()
    catch_up(url)
    read_model = ReadModel(url)
    api = create_app(read_model=read_model, tokens=[hash_token(TOKEN)])
    if not any(
        getattr(r, "path", "") == reconciliation_routes.router.prefix + "/{year}/reconciliation"
        for r in api.routes
    ):
        api.include_router(reconciliation_routes.router)
    try:
        with TestClient(api) as test_client:
            yield test_client
    finally:
        read_model.close()


def test_the_reconciliation_names_the_line_and_the_excess(client: TestClient) -> None:
    response = client.get(PATH, params={"line": LINE})
    assert response.status_code == 200
    document = response.json()
    assert response.headers["X-Ledger-Position"] == str(document["position"])
    assert document["reconciles"] is False
    (difference,) = document["differences"]
    assert (difference["code"], difference["line"], difference["excess"]) == (
        "payments-beyond-available",
        LINE,
        "450.00",
    )


def test_the_document_is_the_same_as_the_query_gives(client: TestClient, tmp_path: Path) -> None:
    from projections.models.reconciliation import reconciliation

    response = client.get(PATH, params={"as_of": "2018-12-13", "known_at": "2100-01-01"})
    rm = ReadModel(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        expected = reconciliation(rm, BODY, 2018, as_of="2018-12-13", known_at="2100-01-01")
    finally:
        rm.close()
    assert response.json() == expected
    assert expected["differences"][0]["code"] == "earmarked-funding-unspent"


def test_unknown_line_is_404_and_bad_dates_are_4xx_naming_the_parameter(
    client: TestClient,
) -> None:
    response = client.get(PATH, params={"line": "01.0000.0000"})
    assert response.status_code == 404
    assert "01.0000.0000" in response.text
    response = client.get(PATH, params={"as_of": "2018-02-30"})
    assert 400 <= response.status_code < 500
    assert "as_of" in response.text
    assert client.get(f"/v1/bodies/{BODY}/budget/18/reconciliation").status_code == 422


def test_a_read_token_is_accepted_and_a_wrong_one_refused(client: TestClient) -> None:
    ok = client.get(PATH, headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    assert ok.json()["lines"][0]["approvals"][0]["resolution"] == "2018/6/067"
    assert client.get(PATH, headers={"Authorization": "Bearer wrong"}).status_code == 401
