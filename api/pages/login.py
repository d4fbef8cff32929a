"""Login with a read token (the pages' only POST), logout, the static files, the redirects."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.pages import session
from api.pages.frame import frame
from api.pages.render import HERE, SECURITY_HEADERS, error_page, page

router = APIRouter(include_in_schema=False)

STATIC: Final = HERE / "static"
MEDIA_TYPES: Final = {
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".js": "text/javascript; charset=utf-8",
}
#: The files served, read once: nothing else under the folder is reachable.
FILES: Final[dict[str, tuple[bytes, str]]] = {
    path.name: (path.read_bytes(), MEDIA_TYPES[path.suffix])
    for path in sorted(Path(STATIC).iterdir())
    if path.suffix in MEDIA_TYPES
}


@router.get("/")
def root() -> Response:
    """The start page is under /ui/."""
    return RedirectResponse("/ui/", status_code=307)


@router.get("/ui")
def ui_root() -> Response:
    """/ui without its slash."""
    return RedirectResponse("/ui/", status_code=307)


@router.get("/ui/static/{name}")
def static(name: str) -> Response:
    """A stylesheet or icon of the pages (cached for a day)."""
    found = FILES.get(name)
    if found is None:
        return Response("not found", status_code=404, media_type="text/plain")
    content, media_type = found
    headers = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}
    return Response(content, media_type=media_type, headers=headers)


def login_page(request: Request, *, status: int = 200, message: str | None = None) -> Response:
    """The login form, with a message after a refused attempt."""
    next_page = session.safe_next(request.query_params.get("next"))
    context = frame("Anmelden", {}, None, [("Anmelden", "/ui/login")])
    return page(
        request,
        "login.html",
        {**context, "message": message, "next_page": next_page},
        status=status,
    )


@router.get("/ui/login")
def login_get(request: Request) -> Response:
    """The login form."""
    return login_page(request)


@router.post("/ui/login")
async def login_post(request: Request) -> Response:
    """Checks the read token of the form and sets the session cookie (303 to the next page)."""
    try:
        session.check_origin(request)
        form = await session.login_form(request)
        tokens = request.app.state.tokens
        session.accept_token(tokens, form.get("token"))
    except session.LoginRefusedError as exc:
        if exc.status in (401, 422):
            return login_page(request, status=exc.status, message=exc.message)
        return error_page(request, exc.status, exc.message)
    response = RedirectResponse(
        session.safe_next(form.get("next")), status_code=303, headers=SECURITY_HEADERS
    )
    session.set_session(response, request)
    return response


@router.get("/ui/logout")
def logout(request: Request) -> Response:
    """Ends the session (clears the cookie) and returns to the start page."""
    response = RedirectResponse("/ui/", status_code=303, headers=SECURITY_HEADERS)
    session.end_session(response, request)
    return response
