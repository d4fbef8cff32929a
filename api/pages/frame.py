"""What every page shows around its content: its axes, ledger position, JSON link, trail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from api.pages.params import Axes


def frame(
    title: str,
    document: dict[str, Any],
    json_url: str | None,
    crumbs: list[tuple[str, str]],
    *,
    asked: Axes | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The context every page template gets: title, the axes it answers for, where it is.

    `document` is the query's document: its `as_of`, `known_at` and `position` are what the
    page states (a document without axes answers for today and now).
    """
    now = datetime.now(UTC)
    return {
        "title": title,
        "as_of": document.get("as_of") or now.date().isoformat(),
        "known_at": document.get("known_at") or now.isoformat(),
        "axes_default": "as_of" not in document,
        "position": document.get("position"),
        "json_url": json_url,
        "crumbs": crumbs,
        "asked": asked or Axes(None, None),
        "axes_query": (asked or Axes(None, None)).query(),
        "body": body,
        # Query parameters the axes form keeps (a page's own filters).
        "form_keep": [],
    }
