"""The API's `ledger` commands: `serve` (uvicorn) and `token hash|new` (read tokens)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from api import workers
from api.tokens import ReadTokens, TokenConfigError, hash_token, new_token
from ledger import logs

LABEL: Final = "ledger serve"
#: Where prometheus-client's processes share their metrics (see api.metrics).
MULTIPROC_VAR: Final = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def shared_metrics(processes: int) -> Iterator[None]:
    """For several server processes: a new, empty PROMETHEUS_MULTIPROC_DIR they all write
    their metrics to (so that any of them answers /metrics for all), removed at the end.
    A directory the environment names already is used as it is (and kept)."""
    if processes < 2 or os.environ.get(MULTIPROC_VAR):
        yield
        return
    folder = tempfile.mkdtemp(prefix="ledger-metrics-")
    os.environ[MULTIPROC_VAR] = folder
    try:
        yield
    finally:
        del os.environ[MULTIPROC_VAR]
        shutil.rmtree(folder, ignore_errors=True)


def run_serve(args: argparse.Namespace) -> int:
    """Serves the API with uvicorn; on SQLite the projector follows inside the server."""
    import uvicorn

    from api.app import PROJECT_VAR, agreement_cache
    from ledger.store import database_url, open_recorder, parse_url
    from ledger.tlog.keys import signing_key

    fmt = logs.log_format()  # a bad LEDGER_LOG_FORMAT is exit 2 here
    logs.configure(LABEL, args.log_level, fmt)
    parse_url(database_url())  # a bad LEDGER_DATABASE_URL is exit 2 here, not a worker crash
    # A store that cannot be reached at the start is exit 2 too (one line, as for every
    # command); once serving, /readyz says not ready while it cannot be reached.
    open_recorder(database_url()).close()
    ReadTokens.from_env()  # likewise a bad token configuration
    agreement_cache()  # and a bad LEDGER_AGREEMENT_CACHE
    signing_key()  # and an unreadable or malformed LEDGER_SIGNING_KEY_FILE
    if args.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {args.workers}")
    if args.project is not None:
        os.environ[PROJECT_VAR] = "yes" if args.project else "no"
    options: dict[str, Any] = {
        "app": "api.app:create_app",
        "factory": True,
        "proxy_headers": True,
        "server_header": False,
        "log_level": args.log_level,
        # Every process logs through ledger.logs; api.metrics writes the access log.
        "log_config": logs.dict_config(LABEL, args.log_level, fmt),
        "access_log": False,
    }
    with shared_metrics(args.workers):
        if args.workers > 1 and workers.supported():
            # A listening socket per process, so that connections spread over them.
            return workers.serve(args.host, args.port, args.workers, options)
        uvicorn.run(host=args.host, port=args.port, workers=args.workers, **options)
    return 0


def run_token_hash(args: argparse.Namespace) -> int:
    """Reads a token on stdin and prints its SHA-256 digest (what the server is configured with)."""
    token = sys.stdin.read().strip()
    if not token:
        raise TokenConfigError("token hash: no token on standard input")
    print(hash_token(token))
    return 0


def run_token_new(args: argparse.Namespace) -> int:
    """Prints a fresh random token and, on the second line, its digest."""
    token = new_token()
    print(token)
    print(hash_token(token))
    return 0


def register(commands: Any) -> None:
    """Adds `ledger serve` and `ledger token` to the `ledger` parser."""
    p = commands.add_parser(
        "serve",
        help="serve the read-only HTTP API (uvicorn); on SQLite the projector follows in-process",
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    project = p.add_mutually_exclusive_group()
    project.add_argument(
        "--project",
        dest="project",
        action="store_true",
        default=None,
        help="run the projector inside the server (the default on SQLite)",
    )
    project.add_argument(
        "--no-project",
        dest="project",
        action="store_false",
        help="do not project (the default on PostgreSQL: run `ledger project --follow`)",
    )
    p.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="log level of the server and uvicorn (default info; LEDGER_LOG_FORMAT=json for "
        "JSON lines)",
    )
    p.set_defaults(handler=run_serve)

    token = commands.add_parser("token", help="read tokens: hash one, or make a new one")
    actions = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    p = actions.add_parser("hash", help="read a token on stdin, print its SHA-256 digest")
    p.set_defaults(handler=run_token_hash)
    p = actions.add_parser("new", help="print a new random token and its digest")
    p.set_defaults(handler=run_token_new)
