"""Server-rendered German pages under /ui that mirror the API (`router`; see README "Pages").

Each page answers the question its /v1 route answers, through the same projections
queries, with the same `as_of` and `known_at` parameters, and links to that JSON.
Mount with `app.include_router(pages.router)`: the pages, their static files, the login,
and the redirect of `/` to `/ui/`.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from api.pages import bodies, login, money, trail
from api.pages.render import error_page

router = APIRouter(include_in_schema=False)
for _module in (login, bodies, money, trail):
    router.include_router(_module.router)


@router.get("/ui/{rest:path}")
def unknown_page(request: Request, rest: str) -> Response:
    """Any other address under /ui: a German 404 page (registered last)."""
    return error_page(request, 404, "Diese Seite gibt es nicht.")


__all__ = ["router"]
