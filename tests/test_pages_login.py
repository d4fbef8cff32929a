"""The pages' login: a read token sets a signed session cookie; logout; cross-site refusals."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import SECRET_FINDING, TOKEN, TestClient, record_demo
from pages_support import UNPUBLISHED, login, pages_client, text_of

from api.pages import session

FINDINGS = "/ui/bodies/kyffhaeuserkreis/findings"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store with the demo and the non-public records."""
    found = f"sqlite:///{Path(tmp_path_factory.mktemp('login')) / 'ledger.db'}"
    record_demo(found, private=True)
    return found


@pytest.fixture
def client(url: str) -> Iterator[TestClient]:
    """A fresh client (no cookies) on the pages over http."""
    with pages_client(url) as test_client:
        yield test_client


def set_cookie(response: object) -> str:
    """The Set-Cookie header of a response ('' when none)."""
    headers = response.headers  # type: ignore[attr-defined]
    return ";".join(headers.get_list("set-cookie"))


def test_a_read_token_signs_in_with_an_httponly_strict_cookie(client: TestClient) -> None:
    assert UNPUBLISHED not in client.get(FINDINGS).text
    response = login(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/"
    cookie = set_cookie(response)
    assert cookie.startswith(f"{session.COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert f"Max-Age={session.SESSION_SECONDS}" in cookie
    assert "Secure" not in cookie  # served over http: a Secure cookie would never come back
    assert TOKEN not in cookie
    page = client.get(FINDINGS).text
    assert UNPUBLISHED in page
    assert SECRET_FINDING in page
    assert "Lesezugang aktiv" in page


def test_logout_ends_the_session(client: TestClient) -> None:
    login(client)
    assert UNPUBLISHED in client.get(FINDINGS).text
    response = client.get("/ui/logout", follow_redirects=False)
    assert response.status_code == 303
    assert 'ledger_session=""' in set_cookie(response) or "Max-Age=0" in set_cookie(response)
    assert UNPUBLISHED not in client.get(FINDINGS).text


def test_a_wrong_token_gets_a_clear_german_message(client: TestClient) -> None:
    response = login(client, "not-the-token")
    assert response.status_code == 401
    assert "Das Lese-Token ist nicht gültig" in text_of(response.text)
    assert set_cookie(response) == ""
    assert UNPUBLISHED not in client.get(FINDINGS).text
    empty = login(client, "")
    assert empty.status_code == 422
    assert "Bitte geben Sie ein Lese-Token ein" in empty.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://elsewhere.example"},
        {"Origin": "null"},
        {"Referer": "https://elsewhere.example/form"},
        {"Origin": "http://testserver.example"},
    ],
    ids=["origin", "null-origin", "referer", "look-alike"],
)
def test_a_cross_site_login_is_refused(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post(
        "/ui/login", data={"token": TOKEN}, headers=headers, follow_redirects=False
    )
    assert response.status_code == 403
    assert "von einer anderen Website" in response.text
    assert set_cookie(response) == ""


def test_a_same_site_referer_and_no_origin_are_accepted(client: TestClient) -> None:
    same = client.post(
        "/ui/login",
        data={"token": TOKEN},
        headers={"Referer": "http://testserver/ui/login"},
        follow_redirects=False,
    )
    assert same.status_code == 303
    bare = client.post("/ui/login", data={"token": TOKEN}, follow_redirects=False)
    assert bare.status_code == 303  # a client that is no browser (the acceptance check)


def test_the_login_form_is_bounded(client: TestClient) -> None:
    huge = client.post(
        "/ui/login",
        content=b"token=" + b"x" * 10_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert huge.status_code == 413
    json = client.post("/ui/login", json={"token": TOKEN}, follow_redirects=False)
    assert json.status_code == 415
    assert set_cookie(json) == ""


def test_after_login_the_next_page_stays_on_this_site(client: TestClient) -> None:
    response = client.post(
        "/ui/login", data={"token": TOKEN, "next": FINDINGS}, follow_redirects=False
    )
    assert response.headers["location"] == FINDINGS
    for elsewhere in ("https://elsewhere.example/", "//elsewhere.example/ui", "/v1/events"):
        response = client.post(
            "/ui/login", data={"token": TOKEN, "next": elsewhere}, follow_redirects=False
        )
        assert response.headers["location"] == "/ui/", elsewhere


def test_a_forged_or_expired_cookie_is_not_a_session(client: TestClient) -> None:
    value = session.new_session()
    assert session.valid_session(value)
    expires, nonce, signature = value.split(".")
    forged = f"{int(expires) + 3600}.{nonce}.{signature}"
    assert not session.valid_session(forged)
    assert not session.valid_session(value, now=time.time() + session.SESSION_SECONDS + 1)
    assert not session.valid_session("")
    assert not session.valid_session("x" * 300)
    client.cookies.set(session.COOKIE, forged)
    assert UNPUBLISHED not in client.get(FINDINGS).text


def test_sessions_survive_only_with_the_environment_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(session.SECRET_VAR, "one secret for every server process")
    value = session.new_session()
    assert session.valid_session(value)
    monkeypatch.setenv(session.SECRET_VAR, "another secret")
    assert not session.valid_session(value)
    monkeypatch.delenv(session.SECRET_VAR)
    assert not session.valid_session(value)  # the process's own random secret


def test_over_https_the_cookie_is_secure(url: str) -> None:
    with pages_client(url, base_url="https://testserver") as secure:
        response = login(secure)
        assert response.status_code == 303
        assert "Secure" in set_cookie(response)


def test_the_login_is_the_only_post(client: TestClient) -> None:
    for path in (
        "/ui/",
        "/ui/logout",
        FINDINGS,
        "/ui/bodies/kyffhaeuserkreis/processes/audit-fgk/2015/target-agreement",
        "/ui/bodies/kyffhaeuserkreis/resolutions/2018/6/067",
        "/ui/events",
    ):
        assert client.post(path, data={"token": TOKEN}).status_code == 405, path
