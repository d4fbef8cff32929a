"""HTTP: `ledger serve --workers 2` under a small asyncio load generator on loopback.

The generator keeps a few HTTP/1.1 keep-alive connections busy, each sending one request
at a time, bounded by a request count and a time limit. The baseline is the same load on
the server's /healthz (no database): what the HTTP stack itself costs on this machine.
Agreement and baseline rounds alternate, so both see the same noise.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

from bench import asof
from bench.asof import percentile
from bench.generator import DEFAULT_SEED, SIZES, History, generate

ROOT = Path(__file__).resolve().parent.parent
#: How many processes (of the first bodies) the HTTP load spreads its queries over.
HTTP_PROCESSES = 8


def http_paths(history: History, processes: int = HTTP_PROCESSES, n: int = 200) -> list[str]:
    """Target-agreement paths at random dates over the first `processes` processes."""
    rng = random.Random(history.seed + 1)
    subjects = [
        (body, process, start, min(until, history.last_day))
        for body in history.manifest.bodies
        for process, start, until in history.manifest.processes[body]
    ][:processes]
    paths = []
    for i in range(n):
        body, process, start, until = subjects[i % len(subjects)]
        programme, cycle = process.split("/")
        (day,) = asof.days(rng, start, until, 1)
        paths.append(
            f"/v1/bodies/{body}/processes/{programme}/{cycle}/target-agreement"
            f"?as_of={day.isoformat()}"
        )
    rng.shuffle(paths)
    return paths


#: The page figures, in the order of their rounds: one per page kind of /ui, by its label.
PAGES = {
    "start": "start page",
    "body": "body page",
    "certification": "certification page",
    "processes": "processes page",
    "process": "process page",
    "agreement": "target-agreement page",
    "agreement_compare": "target-agreement page compared",
    "annual_report": "annual-report page",
    "history": "measure-history page",
    "budget": "budget-year page",
    "budget_line": "budget-line page",
    "resolutions": "resolutions page",
    "resolution": "resolution page",
    "findings": "findings page",
    "events": "audit-trail page",
    "ledger": "ledger page",
}


def page_paths(
    history: History, processes: int = HTTP_PROCESSES, n: int = 200
) -> dict[str, list[str]]:
    """Paths of every /ui page kind (see PAGES) over the bodies of the first `processes`
    processes: the target-agreement page at the JSON figure's dates (and compared with a
    date up to a year earlier), each body's pages at random dates of its processes, budget
    years and lines, measure histories, public resolutions (each at a random date after it
    was decided) and pages of the audit trail."""
    agreement = [p.replace("/v1/", "/ui/", 1) for p in http_paths(history, processes, n)]
    bodies = sorted({p.split("/")[3] for p in agreement})
    manifest = history.manifest
    rng = random.Random(history.seed + 2)
    subjects = [(b, *p) for b in bodies for p in manifest.processes[b]]

    def spread(make: Callable[[str, str, date], str]) -> list[str]:
        """n paths of `make(body, process, day)` at random days of random processes."""
        found = []
        for _ in range(n):
            body, process, begun, until = rng.choice(subjects)
            (day,) = asof.days(rng, begun, min(until, history.last_day), 1)
            found.append(make(f"/ui/bodies/{body}", process, day))
        return found

    compared = []
    for path in agreement:
        day = date.fromisoformat(path.rsplit("=", 1)[1])
        (earlier,) = asof.days(rng, day - timedelta(days=365), day, 1)
        compared.append(f"{path}&vs_as_of={earlier.isoformat()}")
    lines = [(b, year, code) for b in bodies for year, code in manifest.lines[b]]
    measures = [
        (b, process, code)
        for b in bodies
        for process, _, _ in manifest.processes[b]
        for code in manifest.measures.get((b, process), [])
    ]
    budget_lines = [rng.choice(lines) for _ in range(n if lines else 0)]
    return {
        "start": ["/ui/"],
        "body": [f"/ui/bodies/{b}" for b in bodies],
        "certification": spread(lambda b, _, day: f"{b}/certification?as_of={day}"),
        "processes": spread(lambda b, _, day: f"{b}/processes?as_of={day}"),
        "process": spread(lambda b, p, day: f"{b}/processes/{p}?as_of={day}"),
        "agreement": agreement,
        "agreement_compare": compared,
        "annual_report": spread(
            lambda b, p, day: f"{b}/processes/{p}/annual-report?year={day.year}"
        ),
        "history": [
            f"/ui/bodies/{b}/history/measure?scope={quote(p, safe='')}&key={quote(code, safe='')}"
            for b, p, code in (rng.choice(measures) for _ in range(n if measures else 0))
        ],
        "budget": [f"/ui/bodies/{b}/budget/{year}" for b, year, _ in budget_lines],
        "budget_line": [
            f"/ui/bodies/{b}/budget/{year}/lines/{quote(code, safe='')}"
            for b, year, code in budget_lines
        ],
        "resolutions": spread(lambda b, _, day: f"{b}/resolutions?as_of={day}"),
        "resolution": resolution_paths(history, bodies, rng, n),
        "findings": [f"/ui/bodies/{b}/findings" for b in bodies],
        "events": [f"/ui/events?after={rng.randrange(len(history.commands))}" for _ in range(n)],
        "ledger": ["/ui/ledger"],
    }


def resolution_paths(history: History, bodies: list[str], rng: random.Random, n: int) -> list[str]:
    """Public resolutions of `bodies`, each at a random date after it was decided."""
    public: dict[tuple[str, str], bool] = {}
    decided: dict[tuple[str, str], date] = {}
    for command in history.commands:
        key = (command.get("body", ""), command.get("resolution", ""))
        if key[0] not in bodies or not key[1]:
            continue
        if command["record"] == "proposal":
            public[key] = bool(command.get("public"))
        elif command["record"] == "vote" and key not in decided:
            decided[key] = date.fromisoformat(command["effective"])
    shown = sorted(k for k, day in decided.items() if public.get(k) and day <= history.last_day)
    found = []
    for _ in range(n if shown else 0):
        body, reference = rng.choice(shown)
        (day,) = asof.days(rng, decided[(body, reference)], history.last_day, 1)
        found.append(f"/ui/bodies/{body}/resolutions/{reference}?as_of={day.isoformat()}")
    return found


@dataclass
class Load:
    """One load run: requests done, wall time, latencies (ms), non-200 answers."""

    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    #: Connections per server process, largest first (from `ss`; empty when unknown).
    split: tuple[int, ...] = ()

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class HttpFigure:
    """Agreement and baseline rounds."""

    query: list[Load] = field(default_factory=list)
    baseline: list[Load] = field(default_factory=list)
    path: str = ""
    concurrency: int = 0

    @staticmethod
    def _rate(loads: list[Load]) -> float:
        return statistics.median(x.rate for x in loads) if loads else 0.0

    @staticmethod
    def _p(loads: list[Load], pct: float) -> float:
        return percentile([ms for x in loads for ms in x.latencies], pct)

    @property
    def rate(self) -> float:
        """Median agreement requests/s over the rounds."""
        return self._rate(self.query)

    @property
    def baseline_rate(self) -> float:
        """Median /healthz requests/s over the rounds."""
        return self._rate(self.baseline)

    @property
    def p50(self) -> float:
        """Median agreement latency (ms)."""
        return self._p(self.query, 50)

    @property
    def p95(self) -> float:
        """95th percentile agreement latency (ms)."""
        return self._p(self.query, 95)

    @property
    def baseline_p95(self) -> float:
        """95th percentile /healthz latency (ms)."""
        return self._p(self.baseline, 95)

    @property
    def errors(self) -> int:
        """Non-200 answers in all rounds."""
        return sum(x.errors for x in self.query + self.baseline)


async def _connection(
    host: str,
    port: int,
    paths: list[str],
    state: dict[str, int],
    total: int,
    deadline: float,
    load: Load,
    opened: asyncio.Event,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    answered = False
    try:
        while True:
            index = state["next"]
            if index >= total or time.perf_counter() > deadline:
                return
            state["next"] = index + 1
            path = paths[index % len(paths)]
            request = (
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n\r\n"
            )
            began = time.perf_counter()
            try:
                writer.write(request.encode())
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                # The server closed the connection: an error of this path, then a new one.
                load.errors += 1
                load.first_error = load.first_error or f"{exc!r} on {path}"
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            status = int(head.split(b" ", 2)[1])
            length = 0
            chunked = False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
            if chunked:
                body = b""
                while True:
                    size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                    chunk = await reader.readexactly(size + 2)
                    if size == 0:
                        break
                    body += chunk[:-2]
            else:
                body = await reader.readexactly(length)
            load.latencies.append((time.perf_counter() - began) * 1000)
            load.requests += 1
            if not answered:  # a server process has accepted this connection
                answered = True
                state["answered"] += 1
                if state["answered"] == state["connections"]:
                    opened.set()
            if status != 200:
                load.errors += 1
                if not load.first_error:
                    load.first_error = f"{status} on {path}: {body[:200]!r}"
    finally:
        writer.close()


async def _split(port: int, opened: asyncio.Event) -> tuple[int, ...]:
    """How the connections to `port` fall on the server's processes (by `ss`, once each
    connection has had an answer)."""
    await opened.wait()
    try:
        ss = await asyncio.create_subprocess_exec(
            "ss",
            "-tnpH",
            "state",
            "established",
            f"( sport = :{port} )",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        out, _ = await ss.communicate()
    except OSError:
        return ()
    pids = re.findall(r"pid=(\d+)", out.decode())
    return tuple(sorted(Counter(pids).values(), reverse=True))


async def _run(
    host: str, port: int, paths: list[str], total: int, seconds: float, concurrency: int
) -> Load:
    load = Load()
    state = {"next": 0, "answered": 0, "connections": concurrency}
    opened = asyncio.Event()
    began = time.perf_counter()
    deadline = began + seconds
    split = asyncio.create_task(_split(port, opened))
    await asyncio.gather(
        *(
            _connection(host, port, paths, state, total, deadline, load, opened)
            for _ in range(concurrency)
        )
    )
    load.seconds = time.perf_counter() - began
    opened.set()  # (a connection that never answered: count what is there)
    load.split = await split
    return load


def drive(
    host: str, port: int, paths: list[str], *, total: int, seconds: float, concurrency: int
) -> Load:
    """Sends up to `total` requests in at most `seconds` over `concurrency` connections."""
    return asyncio.run(_run(host, port, paths, total, seconds, concurrency))


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(
    url: str, workers: int = 2, env: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """`ledger serve --workers N` on a free loopback port (extra `env`), stopped afterwards."""
    port = free_port()
    ledger = Path(sys.executable).with_name("ledger")
    command = (
        [str(ledger)]
        if ledger.exists()
        else [sys.executable, "-c", "from ledger.cli import main; raise SystemExit(main())"]
    )
    command += [
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    # The server's log goes to a file: a pipe nobody reads fills up with the tracebacks of
    # failing requests, and then the server blocks on its next log line.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "LEDGER_DATABASE_URL": url, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    err = log.read().decode(errors="replace")
                    raise RuntimeError(
                        f"ledger serve exited with {process.returncode}: {err.strip()[-300:]}"
                    )
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("ledger serve did not answer /healthz within 60 s")
                time.sleep(0.3)
            yield "127.0.0.1", port
        finally:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def measure_http(
    url: str,
    paths: list[str],
    *,
    total: int,
    seconds: float,
    rounds: int = 2,
    concurrency: int = 8,
    env: dict[str, str] | None = None,
    workers: int = 2,
) -> HttpFigure:
    """Alternating rounds of agreement queries and /healthz against `ledger serve --workers N`."""
    figure = HttpFigure(path=paths[0], concurrency=concurrency)
    with server(url, workers=workers, env=env) as (host, port):
        drive(
            host, port, paths, total=min(200, total), seconds=10, concurrency=concurrency
        )  # warm-up
        for _ in range(rounds):
            figure.query.append(
                drive(host, port, paths, total=total, seconds=seconds, concurrency=concurrency)
            )
            figure.baseline.append(
                drive(
                    host, port, ["/healthz"], total=total, seconds=seconds, concurrency=concurrency
                )
            )
    return figure


def measure_pages(
    url: str,
    paths: dict[str, list[str]],
    *,
    total: int,
    seconds: float,
    rounds: int = 2,
    concurrency: int = 8,
    workers: int = 2,
) -> dict[str, HttpFigure]:
    """Rounds of each page's paths in turn, then /healthz, against one `ledger serve`; each
    page's figure shares the /healthz rounds as its baseline."""
    figures = {
        name: HttpFigure(path=found[0], concurrency=concurrency)
        for name, found in paths.items()
        if found
    }
    with server(url, workers=workers) as (host, port):
        for name in figures:  # warm-up
            drive(
                host, port, paths[name], total=min(200, total), seconds=10, concurrency=concurrency
            )
        for _ in range(rounds):
            for name, fig in figures.items():
                fig.query.append(
                    drive(
                        host,
                        port,
                        paths[name],
                        total=total,
                        seconds=seconds,
                        concurrency=concurrency,
                    )
                )
            baseline = drive(
                host, port, ["/healthz"], total=total, seconds=seconds, concurrency=concurrency
            )
            for fig in figures.values():
                fig.baseline.append(baseline)
    return figures


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.load URL`: the bench's HTTP rounds (agreement queries alternating
    with /healthz, or with `--pages` rounds of those /ui page kinds in turn) against a
    store kept by `python -m bench --keep` and projected, with a chosen number of server
    processes; prints each round's rate, p95 and how its connections fell on the
    processes. The server gets this process's environment (LEDGER_SERVE_THREADS, say)."""
    p = argparse.ArgumentParser(prog="python -m bench.load", description=main.__doc__)
    p.add_argument("url", help="LEDGER_DATABASE_URL of the kept store")
    p.add_argument("--size", choices=list(SIZES), default="small", help="the store's size")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--workers", type=int, default=2, help="`ledger serve --workers N`")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--requests", type=int, default=3000)
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument(
        "--pages", help=f"comma-separated page kinds instead of the agreement: {', '.join(PAGES)}"
    )
    args = p.parse_args(argv)
    if args.rounds < 1 or args.workers < 1:
        p.error("--rounds and --workers must be at least 1")
    kinds = [k.strip() for k in args.pages.split(",") if k.strip()] if args.pages else []
    unknown = [k for k in kinds if k not in PAGES]
    if unknown:
        p.error(f"--pages: unknown page kind {unknown[0]!r}; expected some of {', '.join(PAGES)}")
    history = generate(SIZES[args.size], args.seed)
    if kinds:
        chosen = page_paths(history)
        figures = measure_pages(
            args.url,
            {k: chosen[k] for k in kinds},
            total=args.requests,
            seconds=args.seconds,
            rounds=args.rounds,
            workers=args.workers,
        )
    else:
        figures = {
            "agreement": measure_http(
                args.url,
                http_paths(history),
                total=args.requests,
                seconds=args.seconds,
                rounds=args.rounds,
                workers=args.workers,
            )
        }
    for name, fig in figures.items():
        for x in fig.query:
            split = "/".join(map(str, x.split)) or "?"
            print(
                f"{name}: {x.rate:,.0f} req/s, p95 {percentile(x.latencies, 95):.1f} ms, "
                f"connections per process {split}, non-200: {x.errors}"
                + (f" (first: {x.first_error})" if x.errors else "")
            )
        print(f"{name}: median {fig.rate:,.0f} req/s, p95 over the rounds {fig.p95:.1f} ms")
    baseline = next(iter(figures.values())).baseline
    for x in baseline:
        print(f"/healthz: {x.rate:,.0f} req/s, p95 {percentile(x.latencies, 95):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
