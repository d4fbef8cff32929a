"""Logging, configured in one place: readable lines on stderr, or JSON lines for containers.

Every process of the ledger (`ledger` commands, the server and its worker processes, uvicorn
itself) logs through the standard `logging` module to one handler on the root logger, set up
here. LEDGER_LOG_FORMAT selects how a record is written:

- ``text`` (the default): ``ledger project: the store is not reachable ...``, the command
  first (as the commands' error lines), ``error:`` before errors, no time stamp (journald
  and docker add their own);
- ``json``: one JSON object a line with ``time`` (UTC, ISO 8601), ``level``, ``logger``,
  ``message``, ``process`` (the pid) and whatever the record carries as `extra` (a request's
  method, route, path, status, duration and ledger position, say).

Command results (a position, a report) are printed on stdout, not logged.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, TextIO

from ledger import settings
from ledger.errors import LedgerError

FORMAT_VAR: Final = "LEDGER_LOG_FORMAT"
FORMATS: Final = ("text", "json")
#: The attributes every LogRecord has; any other attribute came with `extra`.
_STANDARD: Final = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's coloured copy of the message
}
#: Marks the handler `configure` installs, so that configuring again replaces it.
_MARK: Final = "_ledger_handler"
#: Libraries that log every HTTP request they make at INFO: only their warnings are shown.
QUIET: Final = ("httpx", "httpcore")


class LogConfigError(LedgerError):
    """LEDGER_LOG_FORMAT names no known format."""


def log_format(environ: Mapping[str, str] | None = None) -> str:
    """The format LEDGER_LOG_FORMAT selects: `text` (default) or `json`."""
    try:
        return settings.value(settings.LOG_FORMAT, environ)
    except settings.SettingError as e:
        raise LogConfigError(str(e)) from None


class TextFormatter(logging.Formatter):
    """`LABEL: message`, with `error: ` before errors; LABEL names the process (`ledger serve`)."""

    def __init__(self, label: str = "ledger") -> None:
        super().__init__()
        self.label = label

    def format(self, record: logging.LogRecord) -> str:
        """The record as one readable line (and its traceback, if it has one)."""
        level = "error: " if record.levelno >= logging.ERROR else ""
        line = f"{self.label}: {level}{record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, process and the record's extras."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON object on one line."""
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                document[key] = value
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is when a record comes (a progress bar or a test may
    have replaced it since the handler was made)."""

    @property
    def stream(self) -> TextIO:
        """The current standard error."""
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass  # always the current sys.stderr


def make_handler(label: str = "ledger", fmt: str = "text") -> logging.Handler:
    """The one handler: stderr, as text or JSON (used by `configure` and by uvicorn's config)."""
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter(label))
    setattr(handler, _MARK, True)
    return handler


def configure(
    label: str = "ledger", level: int | str = logging.INFO, fmt: str | None = None
) -> None:
    """Sends every logger's records (from `level` up) to stderr in the LEDGER_LOG_FORMAT format.

    Configuring again replaces the handler installed before; handlers others installed (a
    test's) stay.
    """
    chosen = log_format() if fmt is None else fmt
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
    root.addHandler(make_handler(label, chosen))
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def dict_config(label: str, level: str = "info", fmt: str | None = None) -> dict[str, Any]:
    """The same configuration as a `logging.config.dictConfig` mapping (JSON-serialisable),
    for uvicorn's `log_config`: its loggers write through the root logger's one handler."""
    chosen = log_format() if fmt is None else fmt
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {
            "ledger": {"()": "ledger.logs.make_handler", "label": label, "fmt": chosen},
        },
        "root": {"handlers": ["ledger"], "level": upper},
        "loggers": {
            **{
                name: {"handlers": [], "propagate": True, "level": upper}
                for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
            },
            **{name: {"level": "WARNING"} for name in QUIET},
        },
    }
