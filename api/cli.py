"""The API's `ledger` commands: `serve` (uvicorn) and `token hash|new` (read tokens)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from api import workers
from api.tokens import ReadTokens, TokenConfigError, hash_token, new_token


def run_serve(args: argparse.Namespace) -> int:
    """Serves the API with uvicorn; on SQLite the projector follows inside the server."""
    import uvicorn

    from api.app import PROJECT_VAR, agreement_cache
    from ledger.store import database_url, open_recorder, parse_url

    parse_url(database_url())  # a bad LEDGER_DATABASE_URL is exit 2 here, not a worker crash
    # A store that cannot be reached at the start is exit 2 too (one line, as for every
    # command); once serving, /readyz says not ready while it cannot be reached.
    open_recorder(database_url()).close()
    ReadTokens.from_env()  # likewise a bad token configuration
    agreement_cache()  # and a bad LEDGER_AGREEMENT_CACHE
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
    }
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
        help="uvicorn log level (default info)",
    )
    p.set_defaults(handler=run_serve)

    token = commands.add_parser("token", help="read tokens: hash one, or make a new one")
    actions = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    p = actions.add_parser("hash", help="read a token on stdin, print its SHA-256 digest")
    p.set_defaults(handler=run_token_hash)
    p = actions.add_parser("new", help="print a new random token and its digest")
    p.set_defaults(handler=run_token_new)
