"""/docs and /redoc work without the internet: every file they load comes from the app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import TestClient, record_demo

from api import docs
from api.app import create_app
from api.tokens import hash_token
from projections.queries import ReadModel

ATTRIBUTE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
#: Anything a page could fetch from elsewhere: a scheme, or a scheme-relative address.
OUTSIDE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record_demo(url)
    read_model = ReadModel(url)
    try:
        app = create_app(read_model, tokens=[hash_token("t")])
        with TestClient(app) as opened:
            yield opened
    finally:
        read_model.close()


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_pages_load_only_files_the_app_serves(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    loaded = ATTRIBUTE.findall(html)
    assert loaded, html
    assert [url for url in loaded if OUTSIDE.match(url)] == []
    assert "googleapis" not in html
    assert "cdn." not in html
    for url in loaded:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url
        assert "max-age" in asset.headers["cache-control"]
    assert "/openapi.json" in html
    assert client.get("/openapi.json").status_code == 200


def test_swagger_ui_sends_nothing_to_the_online_validator(client: TestClient) -> None:
    assert '"validatorUrl": null' in client.get("/docs").text


def test_the_assets_have_their_media_types(client: TestClient) -> None:
    for name, media_type in docs.ASSETS.items():
        response = client.get(f"{docs.ASSETS_PATH}/{name}")
        assert response.status_code == 200
        assert response.headers["content-type"] == media_type


@pytest.mark.parametrize("name", ["RECORD", "%2E%2E", "..%2Fcore.py", "swagger-ui.css.map"])
def test_no_other_file_is_served(client: TestClient, name: str) -> None:
    response = client.get(f"{docs.ASSETS_PATH}/{name}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"


def test_the_pages_are_not_in_the_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith(("/docs", "/redoc", "/metrics"))]
