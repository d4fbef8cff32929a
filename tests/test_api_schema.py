"""Schemathesis against the app's own OpenAPI: no input gives a 5xx, every answer fits its schema.

Generated path parameters rarely name a real record, so for positive cases the hook below
also offers the demo's keys (body, process, year, line, reference): then the generated
as_of, known_at, year and filters reach the queries instead of stopping at a 404.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_support import BODY, SECRET_REFERENCE, TOKEN, record_demo
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from api.app import create_app
from api.tokens import hash_token
from projections.queries import ReadModel

KNOWN: dict[str, Any] = {
    "body": BODY,
    "programme": "audit-fgk",
    "cycle": "2015",
    "year": 2018,
    "code": "01.4953.7187",
    "reference": SECRET_REFERENCE,
}
EXAMPLES = 20


def pin_known_keys(context: Any, case: Any) -> Any:
    """For a positive case: the case as generated, or with the demo's keys in its path."""
    meta = case.meta
    if not case.path_parameters or meta is None or not meta.generation.mode.is_positive:
        return st.just(case)
    known = {name: KNOWN.get(name, value) for name, value in case.path_parameters.items()}

    def pinned(_: object) -> Any:
        case.path_parameters = known
        return case

    return st.one_of(st.just(case), st.just(None).map(pinned))


def valid_period(context: Any, case: Any) -> bool:
    """Leaves out from > to, a 422 the schema cannot express (tested in test_api_routes)."""
    query = case.query or {}
    start, end = query.get("from"), query.get("to")
    return not (isinstance(start, str) and isinstance(end, str) and start > end) and (
        proof_within_tree(case)
    )


def proof_within_tree(case: Any) -> bool:
    """Leaves out proofs for tree sizes beyond the demo's tree (its 41 events), a `from`
    after `to` or a `position` after `size`: 422s the schema cannot express (tested in
    test_transparency_api)."""
    if not case.path.startswith("/v1/ledger/proof/"):
        return True
    query = case.query or {}
    names = ("position", "size", "from", "to")
    values = {k: int(v) for k, v in query.items() if k in names and str(v).isdecimal()}
    if any(values.get(name, 0) > 41 for name in ("size", "from", "to")):
        return False
    if values.get("from", 0) > values.get("to", 41):
        return False
    return values.get("position", 0) <= values.get("size", 41)


# schemathesis 4.32's lazy `from_fixture` loader fails on pytest 9 (Function has no _nodeid),
# so the app and its schema are made at import, on an empty store the fixture below fills.
STORE = Path(tempfile.mkdtemp(prefix="ledger-api-schema-"))
URL = f"sqlite:///{STORE / 'ledger.db'}"
READ_MODEL = ReadModel(URL)
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(READ_MODEL, tokens=[hash_token(TOKEN)])
)
schema.hook("flatmap_case")(pin_known_keys)
schema.hook("filter_case")(valid_period)


@pytest.fixture(scope="module", autouse=True)
def demo_store() -> Iterator[None]:
    """The demo case with the non-public records, in the store the app reads."""
    record_demo(URL, private=True)
    try:
        yield
    finally:
        READ_MODEL.close()
        shutil.rmtree(STORE, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
def test_anonymous_requests_get_no_5xx_and_match_the_schema(case: Any) -> None:
    case.call_and_validate()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
def test_requests_with_a_read_token_get_no_5xx_and_match_the_schema(case: Any) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})
