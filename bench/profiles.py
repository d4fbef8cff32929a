"""`python -m bench.profiles`: cProfile of each hot path on a generated store, for PROFILES.md.

Paths: ingest (LedgerApplication.record), verify, catch-up (the projector from 0), as-of
(the three queries), http (the agreement route in-process through FastAPI's TestClient,
so the profile shows the route, the query, the response model and the JSON encoding, not
the network) and pages (each /ui page kind of `make bench` the same way, one profile per
kind). Each profile is written to bench/out/profile-PATH.txt (top functions by cumulative
and by own time) and its head is printed.

`--store URL` profiles pages on a store `python -m bench --keep` left (with the same
`--events`, so the generated history names what is in it) instead of generating one.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from bench import asof
from bench.generator import DEFAULT_SEED, History, generate
from bench.stores import OUT, fresh_store

PATHS = ("ingest", "verify", "catch-up", "asof", "http", "pages")


def profiled(name: str, run: Callable[[], Any], top: int) -> float:
    """Runs `run` under cProfile; writes and prints the report; returns the wall time."""
    profile = cProfile.Profile()
    began = time.perf_counter()
    profile.enable()
    run()
    profile.disable()
    elapsed = time.perf_counter() - began
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.strip_dirs()
    out.write(f"# {name}: {elapsed:.2f} s under cProfile\n\n## by cumulative time\n")
    stats.sort_stats("cumulative").print_stats(top)
    out.write("\n## by own time\n")
    stats.sort_stats("tottime").print_stats(top)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"profile-{name}.txt"
    path.write_text(out.getvalue(), encoding="utf-8")
    print(f"== {name}: {elapsed:.2f} s (profiled), full report in {path}")
    print("\n".join(out.getvalue().splitlines()[: 12 + top // 2]))
    return elapsed


def main(argv: list[str] | None = None) -> int:
    """Generates a store and profiles the chosen hot paths on it."""
    p = argparse.ArgumentParser(prog="python -m bench.profiles", description=__doc__)
    p.add_argument("--events", type=int, default=20_000)
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--paths", default=",".join(PATHS))
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--queries", type=int, default=100)
    p.add_argument(
        "--store",
        help="URL of a projected store `python -m bench --keep` left (pages only): "
        "profile its pages instead of generating a store",
    )
    p.add_argument("--kinds", help="pages: comma-separated page kinds (default: all)")
    args = p.parse_args(argv)
    paths = {x.strip() for x in args.paths.split(",") if x.strip()}
    history = generate(args.events, DEFAULT_SEED)
    kinds = [k.strip() for k in args.kinds.split(",")] if args.kinds else None
    if args.store:
        pages(args.store, history, args.queries, args.top, kinds)
        return 0
    from ledger.application import LedgerApplication
    from ledger.commands.handlers import load_handlers
    from ledger.store import application_env

    load_handlers()  # imports the command modules, as bench.ingest does: not part of the profile

    with fresh_store(args.backend, "profile") as store:
        app = LedgerApplication(env=application_env(store.url))
        try:

            def ingest() -> None:
                for batch in history.batches(500):
                    app.record(batch)

            if "ingest" in paths:
                profiled("ingest", ingest, args.top)
            else:
                ingest()
            if "verify" in paths:
                from ledger.store import open_recorder, verify

                recorder = open_recorder(store.url)
                profiled("verify", lambda: verify(recorder), args.top)
                recorder.close()
            if paths & {"catch-up", "asof", "http", "pages"}:
                from projections import registry as projector

                if "catch-up" in paths:
                    profiled("catch-up", lambda: projector.catch_up(store.url), args.top)
                else:
                    projector.catch_up(store.url)
            s = asof.subject(history.manifest, history.last_day)
            rng = random.Random(1)
            dates = asof.days(rng, s.process_from, s.process_until, args.queries)
            if "asof" in paths:
                from projections import queries as q

                rm = q.ReadModel(store.url)

                def queries() -> None:
                    for d in dates:
                        q.agreement(rm, s.body, s.process, as_of=d)
                        q.budget(rm, s.body, s.year, as_of=date(s.year, d.month, 1))
                        q.certification(rm, s.body, as_of=d)

                queries()  # warm
                profiled("asof", queries, args.top)
                rm.close()
            if "http" in paths:
                http(store.url, s, dates, args.top)
            if "pages" in paths:
                pages(store.url, history, args.queries, args.top, kinds)
        finally:
            app.close()
    return 0


def http(url: str, s: asof.Subject, dates: list[date], top: int) -> None:
    """The agreement route in-process (FastAPI TestClient), profiled."""
    os.environ["LEDGER_DATABASE_URL"] = url
    os.environ["LEDGER_SERVE_PROJECT"] = "no"
    from fastapi.testclient import TestClient

    from api.app import create_app

    programme, cycle = s.process.split("/")
    base = f"/v1/bodies/{s.body}/processes/{programme}/{cycle}/target-agreement?as_of="
    with TestClient(create_app()) as client:
        client.get(base + dates[0].isoformat())

        def requests() -> None:
            for d in dates:
                client.get(base + d.isoformat()).raise_for_status()

        profiled("http", requests, top)


def pages(url: str, history: History, n: int, top: int, kinds: list[str] | None) -> None:
    """Each /ui page kind of the bench's page figures, its handler called in this thread
    (cProfile sees only its own thread; the app runs as under TestClient, lifespan included);
    the unprofiled time per page (p50, p95, one caller, no concurrency) is printed first."""
    os.environ["LEDGER_DATABASE_URL"] = url
    os.environ["LEDGER_SERVE_PROJECT"] = "no"
    from fastapi.testclient import TestClient

    from api.app import create_app
    from bench.load import PAGES, page_paths

    chosen = page_paths(history, n=n)
    app = create_app()
    with TestClient(app) as client:
        for kind in kinds or list(PAGES):
            paths = chosen[kind] * max(1, n // len(chosen[kind]))
            client.get(paths[0]).raise_for_status()  # as the server has it: the app started
            for path in paths[:3]:  # warm: templates compiled, caches as a server has them
                call_page(app, path)
            times = []
            for path in paths:  # each path's best of 3: what the page costs, less the noise
                best = float("inf")
                for _ in range(3):
                    began = time.perf_counter()
                    call_page(app, path)
                    best = min(best, time.perf_counter() - began)
                times.append(best)
            times.sort()
            p50, p95 = times[len(times) // 2], times[max(0, int(len(times) * 0.95) - 1)]
            print(
                f"== page {kind}: {len(paths)} pages, p50 {p50 * 1e3:.1f} ms, "
                f"p95 {p95 * 1e3:.1f} ms (handler in this thread, unprofiled, best of 3 per page)"
            )

            def requests(paths: list[str] = paths) -> None:
                for path in paths:
                    call_page(app, path)

            with statement_times() as times_of:
                requests()
            slowest = sorted(times_of.items(), key=lambda item: -item[1][1])[:3]
            for statement, (count, seconds) in slowest:
                print(f"   {seconds / count * 1e3:6.3f} ms a run, {count} runs: {statement[:160]}")
            profiled(f"page-{kind}", requests, top)


@contextmanager
def statement_times() -> Iterator[dict[str, tuple[int, float]]]:
    """The SQL statements run meanwhile, as {statement: (runs, seconds)}."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    found: dict[str, tuple[int, float]] = {}
    began: dict[int, float] = {}

    def before(conn: Any, cursor: Any, *_: Any) -> None:
        began[id(cursor)] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        key = " ".join(statement.split())
        runs, seconds = found.get(key, (0, 0.0))
        found[key] = (runs + 1, seconds + time.perf_counter() - began.pop(id(cursor)))

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    try:
        yield found
    finally:
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Engine, "after_cursor_execute", after)


def endpoints(routes: list[Any]) -> Iterator[Any]:
    """The routes with an endpoint, those of included routers (no prefixes here) in place."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from endpoints(route.original_router.routes)
        else:
            yield route


def call_page(app: Any, path: str) -> None:
    """Calls the page handler of `path` (a GET) in this thread; raises unless it answers 200."""
    from urllib.parse import unquote, urlsplit

    from starlette.requests import Request
    from starlette.routing import Match

    parts = urlsplit(path)
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": unquote(parts.path),
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "headers": [(b"host", b"testserver")],
        "app": app,
        "scheme": "http",
        "server": ("testserver", 80),
        "root_path": "",
    }
    for route in endpoints(app.router.routes):
        match, child = route.matches(scope)
        if match == Match.FULL:
            scope.update(child)
            response = route.endpoint(Request(scope), **scope["path_params"])
            if response.status_code != 200:
                raise RuntimeError(f"{response.status_code} on {path}")
            return
    raise LookupError(f"no route for {path}")


if __name__ == "__main__":
    raise SystemExit(main())
