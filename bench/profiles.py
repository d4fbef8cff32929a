"""`python -m bench.profiles`: cProfile of each hot path on a generated store, for PROFILES.md.

Paths: ingest (LedgerApplication.record), verify, catch-up (the projector from 0), as-of
(the three queries) and http (the agreement route in-process through FastAPI's TestClient,
so the profile shows the route, the query, the response model and the JSON encoding, not
the network). Each profile is written to bench/out/profile-PATH.txt (top functions by
cumulative and by own time) and its head is printed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from bench import asof
from bench.generator import DEFAULT_SEED, generate
from bench.stores import OUT, fresh_store

PATHS = ("ingest", "verify", "catch-up", "asof", "http")


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
    args = p.parse_args(argv)
    paths = {x.strip() for x in args.paths.split(",") if x.strip()}
    history = generate(args.events, DEFAULT_SEED)
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
            if paths & {"catch-up", "asof", "http"}:
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


if __name__ == "__main__":
    raise SystemExit(main())
