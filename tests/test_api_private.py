"""Non-public records: invisible to anonymous readers through every route, visible with a token.

The routes are taken from the app's own OpenAPI, so a route added later is crawled too (and
the test fails until this module knows values for its path parameters).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import (
    BODY,
    SECRET_FINDING,
    SECRET_LINE,
    SECRET_REFERENCE,
    SECRET_TITLE,
    TestClient,
    api_client,
    bearer,
    record_demo,
)

from projections.models.agreement_cache import AgreementCache
from projections.queries import ReadModel, get_process
from projections.registry import catch_up

# The demo's own unpublished finding (number 2) must stay hidden as well.
DEMO_UNPUBLISHED_FINDING = "Das Ziel nennt keine messbaren Kriterien"
SECRETS = (SECRET_REFERENCE, SECRET_TITLE, SECRET_FINDING, DEMO_UNPUBLISHED_FINDING)
UNKNOWN_REFERENCE = "2099/9/999"

PATH_VALUES: dict[str, list[str]] = {
    "body": [BODY],
    "programme/cycle": ["audit-fgk/2015", "audit-fgk/2018", "familienbuendnis/2018"],
    "year": ["2018"],
    "code": ["01.4953.7187", SECRET_LINE],
    "reference": ["2018/6/067", SECRET_REFERENCE],
}
QUERY_VARIANTS: dict[str, list[str]] = {
    "as_of": ["", "as_of=2018-12-31"],
    "year": ["year=2018"],
    "format": ["", "format=csv"],
    "limit": ["limit=1000"],
    "process": ["", "process=audit-fgk/2015"],
    "committee": ["", "committee=jugendhilfeausschuss"],
    "line": ["", f"line={SECRET_LINE}"],
}


def crawl_urls(openapi: dict[str, Any]) -> dict[str, list[str]]:
    """Every GET route of the API (but health) with concrete URLs that exercise it."""
    found: dict[str, list[str]] = {}
    for template, item in openapi["paths"].items():
        operation = item["get"]
        if "health" in operation.get("tags", []):
            continue
        if "verifiable log" in operation.get("tags", []):
            continue  # sizes and a signed checkpoint needed: tests/test_transparency_api.py
        if "oparl" in operation.get("tags", []):
            continue  # OParl's own ids and read-token rule: tests/test_oparl_serve.py
        path = template.replace("{programme}/{cycle}", "{programme/cycle}")
        names = re.findall(r"{([^}]+)}", path)
        queries = [
            QUERY_VARIANTS[p["name"]]
            for p in operation.get("parameters", [])
            if p["in"] == "query" and p["name"] in QUERY_VARIANTS
        ]
        urls = []
        for values in itertools.product(*(PATH_VALUES[name] for name in names)):
            concrete = path
            for name, value in zip(names, values, strict=True):
                concrete = concrete.replace("{" + name + "}", value)
            for parts in itertools.product(*queries):
                query = "&".join(p for p in parts if p)
                urls.append(concrete + ("?" + query if query else ""))
        found[template] = urls
    return found


@pytest.fixture
def client(store_url: str) -> Iterator[TestClient]:
    """The API over the demo case with the non-public records recorded on top."""
    record_demo(store_url, private=True)
    with api_client(store_url) as test_client:
        # Target agreements from the per-worker cache after their first query, too.
        test_client.app.state.agreement_cache = AgreementCache(build_after=1)  # type: ignore[attr-defined]
        yield test_client


@pytest.fixture
def urls(client: TestClient) -> list[str]:
    """The crawl: every route, every interesting parameter value."""
    return [u for us in crawl_urls(client.get("/openapi.json").json()).values() for u in us]


def test_anonymous_requests_never_reveal_a_non_public_record(
    client: TestClient, urls: list[str]
) -> None:
    secret_detail = f"/resolutions/{SECRET_REFERENCE}"
    for url in urls:
        response = client.get(url)
        if url.split("?")[0].endswith(secret_detail):
            # Indistinguishable from a reference that does not exist.
            unknown = client.get(url.replace(SECRET_REFERENCE, UNKNOWN_REFERENCE))
            assert response.status_code == unknown.status_code == 404
            assert response.text.replace(SECRET_REFERENCE, "?") == unknown.text.replace(
                UNKNOWN_REFERENCE, "?"
            )
            continue
        assert response.status_code == 200, (url, response.text)
        for secret in SECRETS:
            assert secret not in response.text, (url, secret)


def test_anonymous_documents_redact_references_to_a_non_public_resolution(
    client: TestClient,
) -> None:
    line = client.get(f"/v1/bodies/{BODY}/budget/2018/lines/{SECRET_LINE}").json()["lines"][0]
    assert [a["resolution"] for a in line["supplementary"]] == [None]
    assert line["available"] == "12500.00"  # the approval itself still counts
    agreement = client.get(f"/v1/bodies/{BODY}/processes/audit-fgk/2015/target-agreement")
    assert agreement.json()["adopted_by"] is None
    process = client.get(f"/v1/bodies/{BODY}/processes/familienbuendnis/2018").json()
    assert process["resolution"] is None


def test_a_read_token_sees_the_non_public_records(client: TestClient, urls: list[str]) -> None:
    seen = ""
    for url in urls:
        response = client.get(url, headers=bearer())
        assert response.status_code == 200, (url, response.text)
        seen += response.text
    for secret in SECRETS:
        assert secret in seen, secret
    b = f"/v1/bodies/{BODY}"
    resolution = client.get(f"{b}/resolutions/{SECRET_REFERENCE}", headers=bearer()).json()
    assert (resolution["title"], resolution["public"]) == (SECRET_TITLE, False)
    assert resolution["votes"][0]["yes"] == 8
    line = client.get(f"{b}/budget/2018/lines/{SECRET_LINE}", headers=bearer()).json()
    assert line["lines"][0]["supplementary"][0]["resolution"] == SECRET_REFERENCE
    findings = client.get(f"{b}/findings", headers=bearer()).json()["findings"]
    assert SECRET_FINDING in [f["text"] for f in findings]


@pytest.fixture(scope="module")
def demo_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The API over the demo case with the non-public records, on SQLite, for the module."""
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('private')) / 'ledger.db'}"
    record_demo(url, private=True)
    with api_client(url) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "authorization",
    ["Bearer wrong-token", "Bearer ", "Bearer", "Basic dXNlcjpwYXNz", "Token abc", ""],
)
def test_a_wrong_or_malformed_token_is_401_on_every_route(
    demo_client: TestClient, authorization: str
) -> None:
    routes = crawl_urls(demo_client.get("/openapi.json").json())
    for template, urls in routes.items():
        response = demo_client.get(urls[0], headers={"Authorization": authorization})
        assert response.status_code == 401, (template, response.text)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert isinstance(response.json()["detail"], str)
        for secret in SECRETS:
            assert secret not in response.text


def test_the_process_projection_redacts_its_non_public_resolution(store_url: str) -> None:
    """The redaction is the projection's (get_process), not only the route's."""
    record_demo(store_url, private=True)
    rm = ReadModel(store_url)
    try:
        catch_up(rm)
        anonymous = get_process(rm, BODY, "familienbuendnis/2018")
        assert anonymous["exists"] and anonymous["resolution"] is None
        private = get_process(rm, BODY, "familienbuendnis/2018", include_private=True)
        assert private["resolution"] == SECRET_REFERENCE
    finally:
        rm.close()
