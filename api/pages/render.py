"""Rendering the pages: the Jinja2 environment, the response headers, and German error pages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from sqlalchemy.exc import OperationalError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from api.pages import session
from api.pages.formats import filters
from api.pages.frame import frame
from api.pages.params import PageError, bounded
from api.routes import POSITION_HEADER
from ledger.errors import LedgerError
from projections.engine.errors import NotFoundError, QueryError
from projections.queries import ReadModel

HERE: Final = Path(__file__).parent
TEMPLATES: Final = HERE / "templates"

#: Every page: nothing from elsewhere, no inline script or style, no framing.
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; "
        # htmx asks the server itself for the parts of a page.
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # A page may show non-public records: no shared cache keeps it.
    "Cache-Control": "no-store",
}

#: What `getattr` finds on a plain dict: templates that call `d.items()` get the method.
_DICT_ATTRIBUTES: Final = frozenset(dir(dict))


class PageEnvironment(Environment):
    """Jinja2's environment, with `row.name` on a plain dict looked up as a key first.

    The pages' documents are dicts, and Jinja2 tries an attribute before a key: for a dict
    every such lookup raised and caught an AttributeError first. A dict has no attribute but
    its methods, so the answer is the same; only the exception is gone.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`obj.attribute` in a template: a dict's key (unless a dict method is meant)."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


ENVIRONMENT: Final = PageEnvironment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "svg"], default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    # The templates ship with the code: compiled once per process, never checked again.
    auto_reload=False,
)
ENVIRONMENT.filters.update(filters())
#: The whole page, and the part of it htmx swaps in (see `page`).
LAYOUT: Final = "base.html"
FRAGMENT: Final = "fragment.html"
OUT_OF_BAND: Final = Markup(' hx-swap-oob="true"')


def read_model(request: Request) -> ReadModel:
    """The app's read model."""
    found: ReadModel = request.app.state.read_model
    return found


def wants_fragment(request: Request) -> bool:
    """Whether htmx asks for the part of the page that changes (HX-Request), not for a
    whole page to restore its history with."""
    headers = request.headers
    return headers.get("HX-Request") == "true" and "HX-History-Restore-Request" not in headers


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    position: int | None = None,
    partial: bool = False,
) -> HTMLResponse:
    """A rendered page with the security headers and X-Ledger-Position.

    A `partial` page's template extends `layout`: to htmx (see `wants_fragment`) it answers
    with fragment.html, the main content and, swapped out of band, what else states the axes.
    """
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    fragment = partial and wants_fragment(request)
    html = ENVIRONMENT.get_template(template).render(
        signed_in=session.signed_in(request),
        here=here,
        layout=FRAGMENT if fragment else LAYOUT,
        oob=OUT_OF_BAND if fragment else "",
        **context,
    )
    headers = dict(SECURITY_HEADERS)
    if position is not None:
        headers[POSITION_HEADER] = str(position)
    if partial:
        headers["Vary"] = "HX-Request, HX-History-Restore-Request"
    return HTMLResponse(html, status_code=status, headers=headers)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """A German error page."""
    titles = {
        400: "Anfrage nicht ausführbar",
        401: "Nicht angemeldet",
        403: "Nicht erlaubt",
        404: "Nicht gefunden",
        413: "Zu groß",
        415: "Falsches Format",
        422: "Ungültige Eingabe",
        503: "Nicht erreichbar",
    }
    context = frame(titles.get(status, "Fehler"), {}, None, [])
    # To htmx (a date the page refused) the error is the new content of the page.
    return page(
        request,
        "error.html",
        {**context, "message": message, "status": status},
        status=status,
        partial=True,
    )


def answer(request: Request, build: Callable[[], Response]) -> Response:
    """Runs a page handler: parameters bounded first, the read side's errors as pages."""
    try:
        bounded(request)
        return build()
    except PageError as exc:
        return error_page(request, exc.status, exc.message)
    except NotFoundError as exc:
        return error_page(request, 404, f"Nicht im Ledger: {exc}")
    except QueryError as exc:
        return error_page(request, 422, f"Ungültiger Parameter: {exc}")
    except LedgerError as exc:
        return error_page(request, 400, " ".join(str(exc).split()))
    except OperationalError:
        return error_page(request, 503, "Der Datenspeicher antwortet gerade nicht.")
