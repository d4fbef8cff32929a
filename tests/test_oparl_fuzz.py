"""Schemathesis against the OParl routes: no input gives a 5xx, every answer fits its schema.

As tests/test_api_schema.py does for /v1, with the OParl router included the way api/app.py
is to include it; positive cases also get the demo's keys (body, committee, meeting date,
reference), so that generated filters and pages reach the snapshot instead of a 404.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_support import BODY, TOKEN, record_demo
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from api.app import create_app
from api.tokens import hash_token
from projections.queries import ReadModel

KNOWN: dict[str, Any] = {
    "body": BODY,
    "committee": "jugendhilfeausschuss",
    "day": "2018-06-19",
    "reference": "2018/6/067",
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


STORE = Path(tempfile.mkdtemp(prefix="ledger-oparl-schema-"))
URL = f"sqlite:///{STORE / 'ledger.db'}"
READ_MODEL = ReadModel(URL)
APP = create_app(READ_MODEL, tokens=[hash_token(TOKEN)])
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).include(path_regex="^/oparl/")
schema.hook("flatmap_case")(pin_known_keys)


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
def test_anonymous_oparl_requests_get_no_5xx_and_match_the_schema(case: Any) -> None:
    case.call_and_validate()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
def test_oparl_requests_with_a_read_token_get_no_5xx_and_match_the_schema(case: Any) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})
