"""Test helpers for the API: the demo case in a fresh store, non-public records on top, clients."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # starlette asks for httpx2 in its test client; httpx is what the project pins.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient as TestClient

from api.app import create_app
from api.tokens import hash_token
from ledger.application import LedgerApplication
from ledger.cli.record import demo_text, load_commands
from ledger.store import application_env
from projections.queries import ReadModel, catch_up

BODY = "kyffhaeuserkreis"
TOKEN = "a-read-token-for-the-tests"
SECRET_REFERENCE = "2018/7/113"
SECRET_TITLE = "Ankauf der Liegenschaft Gartenstraße 9 (nichtöffentlich)"
SECRET_FINDING = "Vertrauliche Prüfbemerkung zur Steuerungsgruppe"
SECRET_LINE = "01.4600.9400"

# A non-public (nichtöffentliche) resolution with a vote, an überplanmäßige approval on
# another line that names it, a target agreement adopted by it, a process it authorises,
# and an unpublished finding: none of it may reach an anonymous reader.
PRIVATE_COMMANDS: list[dict[str, Any]] = [
    {
        "record": "proposal",
        "body": BODY,
        "resolution": SECRET_REFERENCE,
        "committee": "jugendhilfeausschuss",
        "title": SECRET_TITLE,
        "submitter": "Die Landrätin",
        "public": False,
        "items": ["Der Ankauf wird beschlossen."],
        "amount": "2500.00",
        "year": 2018,
        "line": SECRET_LINE,
        "effective": "2018-07-10",
    },
    {
        "record": "vote",
        "body": BODY,
        "resolution": SECRET_REFERENCE,
        "committee": "jugendhilfeausschuss",
        "effective": "2018-07-10",
        "yes": 8,
        "no": 2,
        "abstentions": 1,
        "recused": 0,
    },
    {
        "record": "budget-line",
        "body": BODY,
        "year": 2018,
        "line": SECRET_LINE,
        "title": "Liegenschaften, Erwerb",
        "direction": "expenditure",
        "effective": "2018-01-01",
    },
    {
        "record": "appropriation",
        "body": BODY,
        "year": 2018,
        "line": SECRET_LINE,
        "amount": "10000.00",
        "effective": "2018-01-01",
    },
    {
        "record": "supplementary",
        "body": BODY,
        "year": 2018,
        "line": SECRET_LINE,
        "kind": "ueberplanmaessig",
        "amount": "2500.00",
        "resolution": SECRET_REFERENCE,
        "effective": "2018-07-10",
    },
    {
        "record": "agreement-adopted",
        "body": BODY,
        "process": "audit-fgk/2015",
        "resolution": SECRET_REFERENCE,
        "effective": "2018-07-10",
    },
    {
        "record": "process",
        "body": BODY,
        "process": "familienbuendnis/2018",
        "kind": "certification",
        "planned_from": "2018-08-01",
        "planned_until": "2019-07-31",
        "partner": "Lokales Bündnis für Familie",
        "resolution": SECRET_REFERENCE,
        "effective": "2018-08-01",
    },
    {
        "record": "finding",
        "body": BODY,
        "process": "audit-fgk/2015",
        "finding": 3,
        "subject": "measure:M1.1.1",
        "kind": "deficiency",
        "assessment": "not_appropriate",
        "text": SECRET_FINDING,
        "published": False,
        "effective": "2018-07-11",
    },
]


def record(url: str, commands: list[dict[str, Any]]) -> None:
    """Appends commands to the store at `url` (all or nothing)."""
    app = LedgerApplication(env=application_env(url))
    try:
        app.record(commands)
    finally:
        app.close()


def record_demo(url: str, *, private: bool = False) -> None:
    """Records the demo case (and, if asked, the non-public records) and projects them."""
    record(url, load_commands(demo_text(), "demo"))
    if private:
        record(url, PRIVATE_COMMANDS)
    catch_up(url)


@contextmanager
def api_client(url: str) -> Iterator[TestClient]:
    """A TestClient on the API over `url`, TOKEN being the one valid read token."""
    read_model = ReadModel(url)
    try:
        with TestClient(create_app(read_model, tokens=[hash_token(TOKEN)])) as client:
            yield client
    finally:
        read_model.close()


def bearer(token: str = TOKEN) -> dict[str, str]:
    """The Authorization header of a read token."""
    return {"Authorization": f"Bearer {token}"}
