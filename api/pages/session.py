"""The pages' read access: a signed, expiring session cookie set by a read-token login.

The cookie holds its expiry and a random nonce, signed with HMAC-SHA256 under the server's
session secret: LEDGER_SESSION_SECRET when set, otherwise a random secret drawn once per
process (sessions then end with the process, and several server processes need the
environment secret, or a login in one is unknown to the others). The token itself is
never stored in the cookie. The cookie is HttpOnly, SameSite=Strict, Secure when the page
was asked for over HTTPS, and expires after SESSION_SECONDS.

The login is the only POST of the pages. Cross-site requests are refused: a browser sends
`Origin` (or at least `Referer`) with a form POST, and either must name this server;
SameSite=Strict keeps the cookie off requests started by other sites.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from typing import Final
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from api.tokens import ReadTokens

SECRET_VAR: Final = "LEDGER_SESSION_SECRET"
COOKIE: Final = "ledger_session"
SESSION_SECONDS: Final = 8 * 3600
#: The largest login form read (a token is at most 200 characters).
MAX_FORM_BYTES: Final = 4096
CROSS_SITE: Final = "Die Anmeldung wurde abgelehnt: Sie kam von einer anderen Website."
_PROCESS_SECRET: Final = secrets.token_bytes(32)


class LoginRefusedError(Exception):
    """A login that is not accepted: the HTTP status and a German sentence."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


def secret() -> bytes:
    """The signing key: from LEDGER_SESSION_SECRET, else this process's random secret."""
    configured = os.environ.get(SECRET_VAR, "")
    if configured:
        return hashlib.sha256(b"ledger-session\0" + configured.encode("utf-8")).digest()
    return _PROCESS_SECRET


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _sign(payload: str, key: bytes) -> str:
    return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


def new_session(now: float | None = None) -> str:
    """A cookie value: `expiry.nonce.signature`."""
    expires = int((time.time() if now is None else now) + SESSION_SECONDS)
    payload = f"{expires}.{_b64(secrets.token_bytes(12))}"
    return f"{payload}.{_sign(payload, secret())}"


def valid_session(value: str | None, now: float | None = None) -> bool:
    """Whether a cookie value is signed by this server and not expired."""
    if not value or len(value) > 200:
        return False
    payload, _, signature = value.rpartition(".")
    expires, _, _nonce = payload.partition(".")
    if not expires.isdigit():
        return False
    if not hmac.compare_digest(signature, _sign(payload, secret())):
        return False
    return int(expires) > (time.time() if now is None else now)


def signed_in(request: Request) -> bool:
    """Whether the request carries a valid session (read access to non-public records)."""
    return valid_session(request.cookies.get(COOKIE))


def _same_origin(request: Request, url: str) -> bool:
    parts = urlsplit(url)
    host = request.headers.get("host", "")
    return parts.scheme in ("http", "https") and bool(host) and parts.netloc == host


def check_origin(request: Request) -> None:
    """Refuses a POST whose Origin (or, without it, Referer) names another site."""
    origin = request.headers.get("origin")
    if origin is not None:
        if not _same_origin(request, origin):
            raise LoginRefusedError(403, CROSS_SITE)
        return
    referer = request.headers.get("referer")
    if referer is not None and not _same_origin(request, referer):
        raise LoginRefusedError(403, CROSS_SITE)


async def login_form(request: Request) -> dict[str, str]:
    """The fields of an url-encoded login form (bounded in size)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise LoginRefusedError(415, "Die Anmeldung erwartet ein Formular (Feld „token“).")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise LoginRefusedError(413, "Das Anmeldeformular ist zu groß.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise LoginRefusedError(413, "Das Anmeldeformular ist zu groß.")
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=8)
    except (UnicodeDecodeError, ValueError):
        raise LoginRefusedError(400, "Das Anmeldeformular ist nicht lesbar.") from None
    return {name: values[0] for name, values in fields.items() if values}


def accept_token(tokens: ReadTokens, token: str | None) -> None:
    """Refuses a missing or wrong read token with a German message."""
    token = (token or "").strip()
    if not token:
        raise LoginRefusedError(422, "Bitte geben Sie ein Lese-Token ein.")
    if len(token) > 200 or not tokens.accepts(token):
        raise LoginRefusedError(
            401,
            "Die Anmeldung ist fehlgeschlagen: Das Lese-Token ist nicht gültig. "
            "Bitte prüfen Sie es und versuchen Sie es erneut.",
        )


def set_session(response: Response, request: Request) -> None:
    """Sets the session cookie on a response."""
    response.set_cookie(
        COOKIE,
        new_session(),
        max_age=SESSION_SECONDS,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def end_session(response: Response, request: Request) -> None:
    """Clears the session cookie."""
    response.delete_cookie(
        COOKIE, path="/", secure=request.url.scheme == "https", httponly=True, samesite="strict"
    )


def safe_next(target: str | None) -> str:
    """Where to go after login: a page of this site under /ui, else the start page."""
    if (
        target
        and target.startswith("/ui")
        and "\\" not in target
        and target.isprintable()
        and len(target) <= 1000
    ):
        return target
    return "/ui/"
