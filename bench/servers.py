"""`python -m bench.servers`: two ways to run N server processes, each on its own socket.

`ledger serve --workers N` (api/workers.py) starts N uvicorn processes, each listening on a
socket of its own bound to the port with SO_REUSEPORT, under a small supervisor of ours.
gunicorn (≥ 23) does the same with `--reuse-port`: each worker then creates its own
listening socket after the fork. This module measures the two on the same store with the
same number of processes, and the bench's HTTP load (bench/load.py: keep-alive connections,
one request at a time each, as-of target-agreement paths): both servers run side by side
and rounds alternate between them (A B, then B A, ...), so both see the same noise; the
figures are the medians of the rounds' req/s and p95 latencies, and how each round's
connections fell on the processes. Neither server projects (the store is projected before).

    python -m bench.servers --events 10000 --workers 2 --rounds 6

The store is generated (bench/generator.py, --events commands, --seed), recorded and
projected into a SQLite file in bench/out/ and removed afterwards; --store URL uses a kept
store instead (`python -m bench --keep`), projected already. bench/PROFILES.md has the
figures and what was decided.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from bench.asof import percentile
from bench.generator import DEFAULT_SEED, generate
from bench.load import ROOT, Load, drive, free_port, http_paths
from bench.stores import OUT

BIN = Path(sys.executable).parent


def ledger_serve(port: int, workers: int) -> list[str]:
    """`ledger serve --workers N`: api/workers.py's supervisor and sockets."""
    return [
        str(BIN / "ledger"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-project",
        "--log-level",
        "warning",
    ]


def gunicorn(port: int, workers: int) -> list[str]:
    """gunicorn with uvicorn's worker class and a listening socket per worker."""
    return [
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "uvicorn_worker.UvicornWorker",
        "--reuse-port",
        "--log-level",
        "warning",
        "api.app:create_app()",
    ]


@dataclass(frozen=True)
class Variant:
    """A way to serve: its command line, and whether its processes share their metrics."""

    command: Callable[[int, int], list[str]]
    #: prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, as `ledger serve`
    #: sets for N > 1), so that /metrics counts every process; without it each process
    #: answers for itself, which is wrong with N > 1 but shows what the sharing costs.
    shared_metrics: bool = True


VARIANTS = {
    "ledger serve": Variant(ledger_serve),
    "gunicorn": Variant(gunicorn),
    "gunicorn-unshared": Variant(gunicorn, shared_metrics=False),
}
DEFAULT_VARIANTS = "ledger serve,gunicorn"


@contextmanager
def running(command: list[str], env: dict[str, str]) -> Iterator[None]:
    """The server `command` until the block ends; waits for /healthz on its port."""
    port = int(command[command.index("--port") + 1]) if "--port" in command else 0
    if not port:
        port = int(command[command.index("--bind") + 1].rsplit(":", 1)[1])
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not _healthy(port):
            if process.poll() is not None or time.monotonic() > deadline:
                err = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise RuntimeError(f"{command[0]} did not start: {err.strip()[-300:]}")
            time.sleep(0.3)
        yield
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


@contextmanager
def projected_store(events: int, seed: int) -> Iterator[str]:
    """A SQLite store of a generated history, recorded and projected; removed afterwards."""
    from ledger.application import LedgerApplication
    from ledger.store import application_env
    from projections.registry import catch_up

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"servers-{uuid.uuid4().hex[:10]}.db"
    url = f"sqlite:///{path}"
    try:
        app = LedgerApplication(env=application_env(url))
        try:
            for batch in generate(events, seed).batches(500):
                app.record(batch)
        finally:
            app.close()
        catch_up(url)
        yield url
    finally:
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    """Alternating rounds against both servers; prints each round and the medians."""
    p = argparse.ArgumentParser(prog="python -m bench.servers", description=__doc__)
    p.add_argument("--events", type=int, default=10_000, help="commands of the generated store")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--store", help="a kept, projected store (LEDGER_DATABASE_URL) instead")
    p.add_argument("--workers", type=int, default=2, help="server processes of each variant")
    p.add_argument("--rounds", type=int, default=6, help="rounds of each variant")
    p.add_argument("--requests", type=int, default=3000, help="requests per round at most")
    p.add_argument("--seconds", type=float, default=10.0, help="seconds per round at most")
    p.add_argument("--concurrency", type=int, default=8, help="keep-alive connections")
    p.add_argument(
        "--variants",
        default=DEFAULT_VARIANTS,
        help=f"comma-separated, of: {', '.join(VARIANTS)} (default: {DEFAULT_VARIANTS})",
    )
    args = p.parse_args(argv)
    if min(args.rounds, args.workers, args.concurrency) < 1:
        p.error("--rounds, --workers and --concurrency must be at least 1")
    names = [name.strip() for name in args.variants.split(",") if name.strip()]
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown or not names:
        p.error(f"--variants: unknown {', '.join(unknown)} (known: {', '.join(VARIANTS)})")
    if any(VARIANTS[n].command is gunicorn for n in names) and not (BIN / "gunicorn").exists():
        print(
            "bench.servers: gunicorn is not installed (not a project dependency): "
            "pip install 'gunicorn>=23' uvicorn-worker",
            file=sys.stderr,
        )
        return 2
    loads: dict[str, list[Load]] = {name: [] for name in names}
    with ExitStack() as stack:
        url = args.store or stack.enter_context(projected_store(args.events, args.seed))
        paths = http_paths(generate(args.events, args.seed))
        env = {"LEDGER_DATABASE_URL": url, "LEDGER_SERVE_PROJECT": "no"}
        ports = {}
        for name in names:
            variant = VARIANTS[name]
            ports[name] = free_port()
            extra = {}
            if variant.shared_metrics and variant.command is not ledger_serve:
                # `ledger serve` makes its own directory; gunicorn is given one.
                shared = stack.enter_context(tempfile.TemporaryDirectory(prefix="metrics-"))
                extra = {"PROMETHEUS_MULTIPROC_DIR": shared}
            command = variant.command(ports[name], args.workers)
            stack.enter_context(running(command, {**env, **extra}))
        for port in ports.values():  # warm-up: imports, caches, connections
            drive("127.0.0.1", port, paths, total=300, seconds=10, concurrency=args.concurrency)
        for round_number in range(1, args.rounds + 1):
            for name in names if round_number % 2 else names[::-1]:
                load = drive(
                    "127.0.0.1",
                    ports[name],
                    paths,
                    total=args.requests,
                    seconds=args.seconds,
                    concurrency=args.concurrency,
                )
                loads[name].append(load)
                split = "/".join(map(str, load.split)) or "?"
                print(
                    f"round {round_number} {name}: {load.rate:,.0f} req/s, p95 "
                    f"{percentile(load.latencies, 95):.1f} ms, connections per process "
                    f"{split}, non-200: {load.errors}, load average {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
    print(
        f"medians of {args.rounds} rounds, {args.workers} processes, {args.concurrency} "
        f"connections, {args.events:,} events:"
    )
    for name, runs in loads.items():
        rate = statistics.median(x.rate for x in runs)
        p95 = statistics.median(percentile(x.latencies, 95) for x in runs)
        errors = sum(x.errors for x in runs)
        print(f"  {name}: {rate:,.0f} req/s, p95 {p95:.1f} ms, non-200: {errors}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
