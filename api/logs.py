"""The access log: one line per request (logger `ledger.access`), written by `api.metrics`.

Its fields (JSON with LEDGER_LOG_FORMAT=json, see `ledger.logs`): method, route (the
route's template, `/v1/bodies/{body}/certification`), path, query (when there is one),
status, duration_ms, position (the response's X-Ledger-Position, when it has one) and
client. uvicorn's own access log is off: this line replaces it.
"""

from __future__ import annotations

import logging
import re
from typing import Final

log = logging.getLogger("ledger.access")
#: Control characters a path may carry percent-encoded: shown escaped in the text line.
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _escaped(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def access(
    method: str,
    route: str,
    path: str,
    query: str,
    status: int,
    seconds: float,
    position: int | None,
    client: str | None,
) -> None:
    """Logs one request (INFO), unless the access log's level is above INFO."""
    if not log.isEnabledFor(logging.INFO):
        return
    milliseconds = round(seconds * 1000, 3)
    target = _escaped(f"{path}?{query}" if query else path)
    at = f" position {position}" if position is not None else ""
    extra: dict[str, object] = {
        "method": method,
        "route": route,
        "path": path,
        "status": status,
        "duration_ms": milliseconds,
        "position": position,
        "client": client,
    }
    if query:
        extra["query"] = query
    log.info("%s %s %d %.1f ms%s", method, target, status, milliseconds, at, extra=extra)
