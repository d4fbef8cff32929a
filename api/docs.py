"""/docs (Swagger UI) and /redoc (ReDoc) served with their own files: nothing comes from outside.

FastAPI's own pages load their scripts, styles and fonts from CDNs, so they stay blank
without the internet. These load them from /docs/assets/, files of the pinned
`fastapi-offline` package (1.7.7: Swagger UI 5.32.6, ReDoc 2.5.3; MIT, their licences in
the package): create the app with `docs_url=None, redoc_url=None` and mount `router`. Swagger
UI's online validator badge is off too (it would send the address of the OpenAPI away).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Final

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from starlette.exceptions import HTTPException

router = APIRouter(include_in_schema=False)

ASSETS_PATH: Final = "/docs/assets"
#: The files the pages load, with their media types (nothing else is served from there).
ASSETS: Final = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
#: Pinned with the package: browsers may keep them a day.
CACHE: Final = "public, max-age=86400"


def _folder() -> Path:
    return Path(str(files("fastapi_offline") / "static"))


def _urls(request: Request) -> tuple[str, str]:
    """(the OpenAPI document's URL, the assets' URL prefix), under the app's root path."""
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return f"{root}{request.app.openapi_url}", f"{root}{ASSETS_PATH}"


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI on the API's OpenAPI document."""
    openapi, assets = _urls(request)
    return get_swagger_ui_html(
        openapi_url=openapi,
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=f"{assets}/swagger-ui-bundle.js",
        swagger_css_url=f"{assets}/swagger-ui.css",
        swagger_favicon_url=f"{assets}/favicon.png",
        swagger_ui_parameters={**(request.app.swagger_ui_parameters or {}), "validatorUrl": None},
    )


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """ReDoc on the API's OpenAPI document (without Google's fonts)."""
    openapi, assets = _urls(request)
    return get_redoc_html(
        openapi_url=openapi,
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{assets}/redoc.standalone.js",
        redoc_favicon_url=f"{assets}/favicon.png",
        with_google_fonts=False,
    )


@router.get(ASSETS_PATH + "/{name}")
def asset(name: str) -> FileResponse:
    """One of the pages' files (404 for any other name)."""
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(404, f"no such file under {ASSETS_PATH}")
    return FileResponse(_folder() / name, media_type=media_type, headers={"Cache-Control": CACHE})
