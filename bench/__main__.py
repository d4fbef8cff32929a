"""`python -m bench --size small|medium|large --backend sqlite|postgres`: run, print, write."""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from bench import asof, audit, catchup, import_bookings, load, one_line, proofs, results, signing
from bench.generator import DEFAULT_SEED, SIZES, History, generate
from bench.ingest import measure_ingest
from bench.load import HTTP_PROCESSES, http_paths
from bench.machine import describe
from bench.results import Figure, failed, figure, unavailable
from bench.stores import Store, fresh_store, postgres_available
from bench.verification import measure_verify

# Per size: verify repeats, catch-up runs, naive replays per query kind.
REPEATS = {"small": (3, 3, 3), "medium": (3, 2, 3), "large": (3, 1, 1)}


class Counts(NamedTuple):
    """The sizes of the stages that do not follow the history's size."""

    one_line: int
    import_rows: int
    http_requests: int
    http_seconds: float


#: What `make bench` reports at every size (each an option of its own).
FULL = Counts(
    one_line=one_line.EVENTS, import_rows=import_bookings.ROWS, http_requests=3000, http_seconds=15
)
#: What --quick runs: enough to produce every figure, in seconds (the smoke test's run).
QUICK = Counts(one_line=40, import_rows=50, http_requests=20, http_seconds=2)


def log(message: str) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def guarded(
    figures: dict[str, Figure], name: str, label: str, target: str, run: Callable[[], Any]
) -> Any:
    """Runs one measurement; a failure is recorded as such and the run goes on."""
    try:
        return run()
    except Exception as exc:  # one broken figure must not lose the others
        traceback.print_exc(file=sys.stderr)
        figures[name] = failed(label, exc, target)
        return None


def ingest_figures(
    figures: dict[str, Figure], store: Store, history: History, args: argparse.Namespace
) -> Any:
    """Records the history through the ledger beside the bare baseline; returns the app."""
    from ledger.application import LedgerApplication
    from ledger.store import application_env

    env = application_env(store.url)
    if args.record_cache is not None:
        env["LEDGER_RECORD_CACHE"] = str(args.record_cache)
    app = LedgerApplication(env=env)
    sample = args.ingest_sample or len(history.commands)
    began = time.perf_counter()

    logged = [0]

    def progress(f: Any) -> None:
        if f.events // 50_000 > logged[0]:
            logged[0] = f.events // 50_000
            rates = f"ledger {f.ledger_rate:,.0f} ev/s, bare {f.bare_rate:,.0f} ev/s"
            log(f"  ingest {f.events:,}: {rates}")

    fig = measure_ingest(
        app, store.bare_env, history, batch_size=args.batch, stop=sample, progress=progress
    )
    rest = 0
    bulk_seconds = 0.0
    if sample < len(history.commands):
        remaining = len(history.commands) - sample
        log(f"recording the remaining {remaining:,} commands (batches of {args.bulk_batch})")
        bulk_began = time.perf_counter()
        for batch in history.batches(args.bulk_batch, start=sample):
            rest += len(app.record(batch))
            if rest % 100_000 < args.bulk_batch:
                rate = rest / (time.perf_counter() - bulk_began)
                log(f"  recorded {sample + rest:,} ({rate:,.0f} ev/s)")
        bulk_seconds = time.perf_counter() - bulk_began
    target = "≥ 0.5× bare"
    figures["ingest"] = figure(
        "ingest (LedgerApplication.record)",
        fig.ledger_rate,
        "ev/s",
        baseline_label="bare eventsourcing save",
        baseline=fig.bare_rate,
        ratio=fig.ratio,
        ratio_label="of bare",
        target=target,
        met=fig.ratio >= 0.5,
        note=(
            f"{fig.events:,} events in batches of {fig.batch_size} commands, ledger and bare "
            f"in alternating chunks of the same commands; ratio = median of "
            f"{len(fig.chunk_ratios)} per-chunk ratios (overall "
            f"{fig.ledger_rate / fig.bare_rate if fig.bare_rate else 0:.2f}); mean stored "
            f"event {fig.ledger_state_bytes:.0f} bytes (ledger) vs {fig.bare_state_bytes:.0f} "
            "bytes (bare); the bare baseline keeps its aggregates in memory and only saves; "
            f"records kept between batches (LEDGER_RECORD_CACHE): "
            f"{app.record_cache.maxsize if app.record_cache else 0:,}"
        ),
        events=fig.events,
        ledger_seconds=fig.ledger_seconds,
        bare_seconds=fig.bare_seconds,
        chunk_ratios=[round(r, 3) for r in fig.chunk_ratios],
    )
    produced = (
        f"every command recorded through LedgerApplication.record (validation and chain) in "
        f"batches of {args.batch}"
    )
    if rest:
        produced = (
            f"the first {sample:,} commands recorded through LedgerApplication.record in batches "
            f"of {args.batch} while measured against the baseline; the remaining {rest:,} "
            f"through LedgerApplication.record too, in batches of {args.bulk_batch}, at "
            f"{rest / bulk_seconds if bulk_seconds else 0:,.0f} ev/s, not timed against the "
            "baseline"
        )
    args.produced = produced + f" ({time.perf_counter() - began:.0f} s)"
    return app


def verify_figure(figures: dict[str, Figure], store: Store, backend: str, repeats: int) -> None:
    """verify vs hashlib."""
    fig = measure_verify(store.url, repeats)
    target = "≥ 100,000 ev/s (SQLite)"
    figures["verify"] = figure(
        "verify (ledger.store.verify)",
        fig.verify_rate,
        "ev/s",
        baseline_label="hashlib over the same bytes",
        baseline=fig.hash_rate,
        ratio=fig.ratio,
        ratio_label="of hashlib",
        target=target,
        met=fig.verify_rate >= 100_000 if backend == "sqlite" else None,
        note=f"{fig.events:,} events, median of {repeats}; {fig.summary}",
        events=fig.events,
    )


def proof_figures(figures: dict[str, Figure], store: Store, args: argparse.Namespace) -> None:
    """Inclusion and consistency proofs p95 vs reading one stored tree row."""
    full = args.size == "large"
    for lat in proofs.measure_proofs(store.url, args.queries, args.seed):
        figures[f"proof_{lat.name}"] = figure(
            f"{lat.name} proof p95 (p50 {lat.p50:.2f} ms)",
            lat.p95,
            "ms",
            baseline_label="one stored tree row, p95",
            baseline=lat.row_p95,
            ratio=lat.p95 / lat.row_p95 if lat.row_p95 else None,
            ratio_label="of one row",
            target="p95 ≤ 5 ms at 10^6",
            met=lat.p95 <= 5 if full else None,
            note=(
                f"projections.models.proofs.{lat.name} (what GET /v1/ledger/proof/{lat.name} "
                f"answers, in-process) at {len(lat.api_ms)} random positions and sizes over a "
                f"tree of {lat.tree_size:,} leaves ({statistics.mean(lat.hashes):.1f} hashes a "
                f"proof on average): p50 {lat.p50:.2f} ms, p95 {lat.p95:.2f} ms; the store's proof "
                f"as `ledger proof` reads it: p95 {lat.store_p95:.2f} ms; one tree row by its "
                f"key read as the proofs read: p95 {lat.row_p95:.2f} ms; in {proofs.ROUNDS} "
                "rounds taking turns"
            ),
            p50_ms=lat.p50,
            p95_ms=lat.p95,
            store_p95_ms=lat.store_p95,
            row_p95_ms=lat.row_p95,
        )


def signing_figure(figures: dict[str, Figure], store: Store, args: argparse.Namespace) -> None:
    """`sign_current` (ledger checkpoint) vs the Ed25519 signature alone."""
    fig = signing.measure_signing(store.url)
    full = args.size == "large"
    figures["checkpoint_signing"] = figure(
        "signing a checkpoint",
        fig.median,
        "ms",
        baseline_label="Ed25519 signature alone",
        baseline=fig.ed25519_median,
        ratio=fig.median / fig.ed25519_median if fig.ed25519_median else None,
        ratio_label="of the signature",
        target="≤ 50 ms at 10^6",
        met=fig.median <= 50 if full else None,
        note=(
            f"ledger.store.checkpoints.sign_current (`ledger checkpoint`) of the whole tree of "
            f"{fig.tree_size:,} leaves, with a checkpoint of half the tree stored before: "
            f"median {fig.median:.2f} ms, p95 {fig.p95:.2f} ms over {len(fig.sign_ms)}, "
            f"taking turns with the signature of the same note alone (median "
            f"{fig.ed25519_median:.3f} ms)"
        ),
        p95_ms=fig.p95,
    )


def audit_figure(
    figures: dict[str, Figure], store: Store, args: argparse.Namespace, repeats: int
) -> None:
    """`ledger-audit.py verify` on the bundle vs hashlib."""
    fig = audit.measure_audit(store.url, repeats)
    # Below 10^6 events its fixed costs (worker processes, keys) weigh on the rate.
    full = args.size == "large"
    figures["audit_verify"] = figure(
        "ledger-audit.py verify",
        fig.rate,
        "ev/s",
        baseline_label="hashlib over the same bytes",
        baseline=fig.hash_rate,
        ratio=fig.rate / fig.hash_rate if fig.hash_rate else None,
        ratio_label="of hashlib",
        target="≥ 200,000 ev/s (at 10^6)",
        met=fig.rate >= 200_000 if full else None,
        note=(
            f"`python3 ledger-audit.py verify events.jsonl --checkpoint checkpoint --vkey "
            f"KEY.pub --timing` on the bundle of `ledger export --bundle` ({fig.events:,} "
            f"events, {fig.export_bytes / 1e6:.1f} MB), the rate of its --timing line (its "
            f"pass over the export, without the interpreter's start), median of "
            f"{len(fig.rates)}; per second of CPU of the verifier and its workers "
            f"{fig.cpu_rate:,.0f} ev/s (one core's rate); the whole process took "
            f"{fig.wall:.2f} s (median); {fig.output}"
        ),
        events=fig.events,
        wall_seconds=fig.wall,
    )


def catch_up_figures(
    figures: dict[str, Figure], store: Store, args: argparse.Namespace, runs: int
) -> None:
    """Projector catch-up and rebuild RSS."""
    fig = catchup.measure_catch_up(store.url, runs)
    figures["catch_up"] = figure(
        "projector catch-up from 0",
        fig.rate,
        "ev/s",
        baseline_label="bare select_notifications scan",
        baseline=fig.scan_rate,
        ratio=fig.rate / fig.scan_rate if fig.scan_rate else None,
        ratio_label="of scan",
        target="≥ 10,000 ev/s (SQLite)",
        met=fig.rate >= 10_000 if args.backend == "sqlite" else None,
        note=(
            f"{fig.events:,} events; runs (catch-up, then rebuilds): "
            + ", ".join(f"{r['mode']} {r['seconds']:.1f} s" for r in fig.runs)
        ),
        runs=fig.runs,
    )
    large = args.size == "large"
    figures["rebuild_rss"] = figure(
        "rebuild peak RSS",
        fig.peak_rss_mb,
        "MB",
        baseline_label="same process after imports",
        baseline=fig.idle_rss_mb,
        ratio=fig.peak_rss_mb / fig.idle_rss_mb if fig.idle_rss_mb else None,
        ratio_label="of idle",
        target="≤ 500 MB at 10^6",
        met=fig.peak_rss_mb <= 500 if large else None,
        note="peak RSS (VmHWM) of the child process that ran the catch-up / rebuild, plus "
        "the peak of its fold worker process when it started one (largest run: projector "
        f"{fig.projector_rss_mb:.0f} MB + worker {fig.worker_rss_mb:.0f} MB); "
        "ru_maxrss is not used because Linux carries it over from the forked parent"
        + ("" if large else "; the target applies at 10^6 events"),
    )


def asof_figures(
    figures: dict[str, Figure],
    store: Store,
    app: Any,
    history: History,
    args: argparse.Namespace,
    naive: int,
) -> None:
    """As-of latency of the three queries vs naive replay."""
    measured = asof.measure_asof(
        store.url,
        app,
        history.manifest,
        history.last_day,
        queries=args.queries,
        naive_repeats=naive,
        seed=history.seed,
    )
    large = args.size == "large"
    small_run = results.load_history().get(args.backend, {}).get("small")
    for lat in measured:
        name = f"asof_{lat.name}"
        met: bool | None = None
        target = "≥ 50× naive at 10^6"
        growth = ""
        if lat.name == "agreement":
            target = "p95 ≤ 20 ms and ≤ 2× its 10^4 p95, ≥ 50× naive at 10^6"
            if large:
                met = lat.p95 <= 20 and lat.speedup >= 50
                small_fig = (small_run or {}).get("figures", {}).get(name, {})
                small_p95 = small_fig.get("p95_ms")
                if small_p95:
                    growth = f"; p95 at 10^4 was {small_p95:.2f} ms (×{lat.p95 / small_p95:.2f}"
                    small_cpu = small_fig.get("cpu_p95_ms")
                    if small_cpu:
                        growth += f"; CPU p95 ×{lat.cpu_p95 / small_cpu:.2f}"
                    growth += ")"
                    met = met and lat.p95 <= 2 * small_p95
        elif large:
            met = lat.speedup >= 50
        figures[name] = figure(
            f"as-of {lat.name} p50 (p95)",
            lat.p50,
            "ms",
            baseline_label="naive replay",
            baseline=lat.naive,
            ratio=lat.speedup,
            ratio_label="faster than replay",
            target=target,
            met=met,
            note=(
                f"{lat.detail}: p50 {lat.p50:.2f} ms, p95 {lat.p95:.2f} ms over "
                f"{len(lat.query_ms)} queries at random dates, in 4 rounds taking turns with "
                f"the other two queries (CPU time of the process per query: p50 "
                f"{lat.cpu_p50:.2f} ms, p95 {lat.cpu_p95:.2f} ms); naive replay median "
                f"{lat.naive:.0f} ms over {len(lat.naive_ms)}" + growth
            ),
            p50_ms=lat.p50,
            p95_ms=lat.p95,
            cpu_p50_ms=lat.cpu_p50,
            cpu_p95_ms=lat.cpu_p95,
            naive_ms=lat.naive,
        )
        figures[name]["label"] = f"as-of {lat.name} p50 (p95 {lat.p95:.1f} ms)"


def http_rounds(args: argparse.Namespace) -> int:
    """Rounds of each HTTP load, taking turns with /healthz: one for --quick."""
    return 1 if args.quick else 2


def http_figure(
    figures: dict[str, Figure], store: Store, history: History, args: argparse.Namespace
) -> None:
    """Requests/s and p95 of as-of agreement queries over HTTP, with and without the cache."""
    paths = http_paths(history, args.http_processes, max(200, 25 * args.http_processes))
    processes = len({p.split("/target-agreement")[0] for p in paths})
    for name, env in (("http", None), ("http-uncached", {"LEDGER_AGREEMENT_CACHE": "0"})):
        fig = load.measure_http(
            store.url,
            paths,
            total=args.http_requests,
            seconds=args.http_seconds,
            rounds=http_rounds(args),
            env=env,
        )
        cached = env is None
        met = fig.rate >= 500 and fig.p95 <= 50 and fig.errors == 0
        figures[name] = figure(
            "HTTP as-of agreement req/s" + ("" if cached else ", agreement cache off"),
            fig.rate,
            "req/s",
            baseline_label="/healthz, same server",
            baseline=fig.baseline_rate,
            baseline_unit="req/s",
            ratio=fig.rate / fig.baseline_rate if fig.baseline_rate else None,
            ratio_label="of /healthz",
            target="≥ 500 req/s, p95 ≤ 50 ms" if cached else "(for comparison)",
            met=met if cached else None,
            note=(
                "`ledger serve --workers 2`"
                + ("" if cached else " with LEDGER_AGREEMENT_CACHE=0")
                + f", {len(paths)} paths over {processes} processes at random dates, "
                f"{fig.concurrency} keep-alive connections from an "
                f"asyncio generator in the bench process; {len(fig.query)} rounds of ≤ "
                f"{args.http_requests} requests / ≤ {args.http_seconds:.0f} s, alternating with "
                f"/healthz; p50 {fig.p50:.1f} ms, p95 {fig.p95:.1f} ms (/healthz p95 "
                f"{fig.baseline_p95:.1f} ms); per round: "
                + ", ".join(
                    f"{x.rate:,.0f} req/s"
                    + (
                        f" ({'/'.join(map(str, x.split))} connections per worker)"
                        if x.split
                        else ""
                    )
                    for x in fig.query
                )
                + f"; non-200 answers: {fig.errors}"
                + (
                    f" (first: {fig.query[0].first_error or fig.baseline[0].first_error})"
                    if fig.errors
                    else ""
                )
            ),
            p50_ms=fig.p50,
            p95_ms=fig.p95,
        )
        figures[name]["label"] = (
            f"HTTP agreement req/s{'' if cached else ', cache off'} (p95 {fig.p95:.1f} ms)"
        )


#: Each /ui page kind the page figures load, and its label (bench.load.page_paths).
PAGE_LABELS = load.PAGES


def page_figures(
    figures: dict[str, Figure], store: Store, history: History, args: argparse.Namespace
) -> None:
    """Requests/s and p95 of the /ui pages over HTTP beside /healthz (p95 ≤ 50 ms at 10^6)."""
    paths = load.page_paths(history, args.http_processes, max(200, 25 * args.http_processes))
    measured = load.measure_pages(
        store.url,
        paths,
        total=args.http_requests,
        seconds=args.http_seconds,
        rounds=http_rounds(args),
    )
    full = len(history.commands) >= SIZES["large"]
    for page, fig in measured.items():
        label = PAGE_LABELS[page]
        figures[f"page_{page}"] = figure(
            f"HTTP {label} req/s",
            fig.rate,
            "req/s",
            baseline_label="/healthz, same server",
            baseline=fig.baseline_rate,
            baseline_unit="req/s",
            ratio=fig.rate / fig.baseline_rate if fig.baseline_rate else None,
            ratio_label="of /healthz",
            target="p95 ≤ 50 ms" if full else "(p95 ≤ 50 ms at 10^6)",
            met=fig.p95 <= 50 and fig.errors == 0 if full else None,
            note=(
                f"`ledger serve --workers 2`, anonymous GET of {len(paths[page])} paths like "
                f"{fig.path} over the bodies of {args.http_processes} processes, "
                f"{fig.concurrency} keep-alive connections; {len(fig.query)} rounds of ≤ "
                f"{args.http_requests} requests / ≤ {args.http_seconds:.0f} s, taking turns with "
                f"the other pages and /healthz; p50 {fig.p50:.1f} ms, p95 {fig.p95:.1f} ms "
                f"(/healthz p95 {fig.baseline_p95:.1f} ms); per round: "
                + ", ".join(f"{x.rate:,.0f} req/s" for x in fig.query)
                + f"; non-200 answers: {fig.errors}"
                + (
                    f" (first: {next(x.first_error for x in fig.query + fig.baseline if x.errors)})"
                    if fig.errors
                    else ""
                )
            ),
            p50_ms=fig.p50,
            p95_ms=fig.p95,
        )
        figures[f"page_{page}"]["label"] = f"HTTP {label} req/s (p95 {fig.p95:.1f} ms)"


def one_line_figures(figures: dict[str, Figure], args: argparse.Namespace, repeats: int) -> None:
    """100,000 payments on one budget line in one batch: seconds and peak RSS."""
    fig = one_line.measure_one_line(args.backend, args.one_line, repeats)
    quarter = fig.events // 4
    met_time = fig.seconds <= 30
    met_rss = fig.peak_rss_mb <= 300
    runs = ", ".join(f"{r['seconds']:.1f} s" for r in fig.runs)
    quarter_runs = ", ".join(f"{r['seconds']:.1f} s" for r in fig.quarter_runs)
    figures["one_line"] = figure(
        f"{fig.events:,} payments on one line",
        fig.seconds,
        "s",
        baseline_label=f"4 × {quarter:,} payments",
        baseline=4 * fig.quarter_seconds,
        ratio=fig.growth,
        ratio_label="of linear",
        target="≤ 30 s" if fig.events == one_line.EVENTS else "(≤ 30 s at 100,000)",
        met=met_time if fig.events == one_line.EVENTS else None,
        note=(
            f"one LedgerApplication.record batch of {fig.events:,} payments with distinct "
            "references and booking dates in order on one budget line of a fresh store, in a "
            f"child process; median of {len(fig.runs)} ({runs}); the baseline is 4 × the "
            f"median of {len(fig.quarter_runs)} runs of {quarter:,} ({quarter_runs}), taking "
            "turns with them: a ratio of 1.0 is linear time, 4.0 would be quadratic"
        ),
        runs=fig.runs,
        quarter_runs=fig.quarter_runs,
    )
    figures["one_line_rss"] = figure(
        f"{fig.events:,} payments on one line, peak RSS",
        fig.peak_rss_mb,
        "MB",
        baseline_label="same process before the batch",
        baseline=fig.idle_rss_mb,
        ratio=fig.peak_rss_mb / fig.idle_rss_mb if fig.idle_rss_mb else None,
        ratio_label="of idle",
        target="≤ 300 MB" if fig.events == one_line.EVENTS else "(≤ 300 MB at 100,000)",
        met=met_rss if fig.events == one_line.EVENTS else None,
        note=(
            "peak RSS (VmHWM) of the child process of the largest run; before the batch "
            f"(imports and setup) {fig.idle_rss_mb:.0f} MB, with the {fig.events:,} command "
            f"mappings built {fig.input_rss_mb:.0f} MB"
        ),
    )


def import_figure(figures: dict[str, Figure], args: argparse.Namespace, repeats: int) -> None:
    """`ledger import bookings` of 100,000 rows beside bare eventsourcing saving as many."""
    fig = import_bookings.measure_import(args.backend, args.import_rows, repeats)
    full = fig.rows == import_bookings.ROWS
    runs = ", ".join(f"{r['seconds']:.1f} s" for r in fig.runs)
    bare_runs = ", ".join(f"{r['seconds']:.1f} s" for r in fig.bare_runs)
    target = "≤ 20 s (SQLite)" if full else "(≤ 20 s at 100,000, SQLite)"
    figures["import_bookings"] = figure(
        f"import of {fig.rows:,} booking rows",
        fig.seconds,
        "s",
        baseline_label=f"bare eventsourcing saving {fig.rows:,} events",
        baseline=fig.bare_seconds,
        ratio=fig.seconds / fig.bare_seconds if fig.bare_seconds else None,
        ratio_label="of bare",
        target=target,
        met=fig.seconds <= 20 if full and args.backend == "sqlite" else None,
        note=(
            f"`ledger import bookings` (ledger.cli.main) of a generated CSV export of "
            f"{fig.rows:,} rows on {import_bookings.LINES} budget lines opened with their "
            f"appropriations, on a fresh store in a child process: reading, mapping, checks "
            f"and one batch; median of {len(fig.runs)} ({runs}); the baseline is bare "
            f"eventsourcing saving one event per row in one save (bench.ingest.BareIngest), "
            f"median of {len(fig.bare_runs)} ({bare_runs})"
        ),
        runs=fig.runs,
        bare_runs=fig.bare_runs,
    )


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--size", choices=list(SIZES), default="small")
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--batch", type=int, default=500, help="commands per record() batch")
    p.add_argument("--events", type=int, help="override the size's event count")
    p.add_argument(
        "--ingest-sample",
        type=int,
        help="measure ingest against the baseline on the first N commands only "
        "(default: all; large: 200,000)",
    )
    p.add_argument("--bulk-batch", type=int, default=2000, help="batch size after the sample")
    p.add_argument("--record-cache", type=int, help="LEDGER_RECORD_CACHE for the ledger")
    p.add_argument("--queries", type=int, default=200, help="as-of queries per kind")
    p.add_argument(
        "--http-requests",
        type=int,
        help=f"requests a round of the HTTP loads (default {FULL.http_requests:,}; "
        f"--quick: {QUICK.http_requests})",
    )
    p.add_argument(
        "--http-seconds",
        type=float,
        help=f"seconds a round of the HTTP loads at most (default {FULL.http_seconds:.0f}; "
        f"--quick: {QUICK.http_seconds:.0f})",
    )
    p.add_argument(
        "--http-processes",
        type=int,
        default=HTTP_PROCESSES,
        help="processes the HTTP load spreads over (more than the agreement cache's 16 "
        "entries per worker shows the uncached path)",
    )
    p.add_argument(
        "--one-line",
        type=int,
        help="payments recorded on one budget line for the one-line figure "
        f"(default {FULL.one_line:,}; --quick: {QUICK.one_line})",
    )
    p.add_argument(
        "--import-rows",
        type=int,
        help="booking rows of the CSV export for the import figure "
        f"(default {FULL.import_rows:,}; --quick: {QUICK.import_rows})",
    )
    p.add_argument(
        "--skip",
        default="",
        help="comma-separated: ingest-baseline,verify,proofs,signing,audit,catch-up,asof,http,"
        "pages,one-line,import-bookings",
    )
    p.add_argument("--keep", action="store_true", help="keep the ledger's store afterwards")
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: one repeat of everything, one round of each HTTP load, and the "
        "small counts above where no option gives them",
    )
    p.add_argument(
        "--no-write", action="store_true", help="print only; keep RESULTS.md and results.json"
    )
    args = p.parse_args(argv)
    counts = QUICK if args.quick else FULL
    for name, value in counts._asdict().items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.one_line < 4:
        p.error(f"--one-line must be at least 4, got {args.one_line}")
    if args.import_rows < 1:
        p.error(f"--import-rows must be at least 1, got {args.import_rows}")
    if args.ingest_sample is None and args.size == "large" and not args.events:
        args.ingest_sample = 200_000
    if args.record_cache is None and args.size == "large":
        # 10^6 events of 300 bodies keep ~65,000 records busy; the default 20,000 thrashes.
        args.record_cache = 100_000
    return args


def command_line(argv: list[str] | None, args: argparse.Namespace) -> str:
    """How this run was started, as people would type it."""
    given = sys.argv[1:] if argv is None else argv
    if given == ["--size", args.size, "--backend", args.backend]:
        return f"make bench SIZE={args.size} BACKEND={args.backend}"
    return "python -m bench " + " ".join(given)


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark at one size on one backend."""
    args = parse(argv)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    started = time.perf_counter()
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    pg_version = None
    if args.backend == "postgres":
        why = postgres_available()
        if why:
            print(f"bench: {why}", file=sys.stderr)
            return 2
        from bench.stores import _admin

        with _admin() as conn:
            pg_version = conn.execute("SHOW server_version").fetchone()[0]
    machine = describe(pg_version)
    target = args.events or SIZES[args.size]
    log(f"generating {target:,} commands (seed {args.seed})")
    began = time.perf_counter()
    history = generate(target, args.seed)
    generated = time.perf_counter() - began
    # The history is the bench's input, alive to the end: frozen, the collector's full
    # collections no longer scan its millions of objects inside whichever measurement
    # triggers them. They still scan the ledger's kept records and the baseline's
    # aggregates (`python -m bench.collector` times them per ingest chunk).
    gc.collect()
    gc.freeze()
    bodies = len(history.manifest.bodies)
    log(f"{len(history.commands):,} commands of {bodies} bodies in {generated:.1f} s")
    verify_n, catch_up_n, naive_n = (1, 1, 1) if args.quick else REPEATS[args.size]
    figures: dict[str, Figure] = {}
    args.produced = "not produced"
    with fresh_store(args.backend, args.size, keep=args.keep) as store:
        log(f"store: {store.url}" + (" (kept afterwards)" if args.keep else ""))
        log("ingest: ledger vs bare eventsourcing")
        app = guarded(
            figures,
            "ingest",
            "ingest",
            "≥ 0.5× bare",
            lambda: ingest_figures(figures, store, history, args),
        )
        if app is None:
            print(results.table_text(figures))
            return 1
        try:
            if "verify" not in skip:
                log("verify vs hashlib")
                guarded(
                    figures,
                    "verify",
                    "verify",
                    "",
                    lambda: verify_figure(figures, store, args.backend, verify_n),
                )
            if "proofs" not in skip:
                log("inclusion and consistency proofs vs one tree row")
                guarded(
                    figures,
                    "proof_inclusion",
                    "proofs",
                    "p95 ≤ 5 ms at 10^6",
                    lambda: proof_figures(figures, store, args),
                )
            if "signing" not in skip:
                log("signing a checkpoint vs Ed25519 alone")
                guarded(
                    figures,
                    "checkpoint_signing",
                    "signing a checkpoint",
                    "≤ 50 ms at 10^6",
                    lambda: signing_figure(figures, store, args),
                )
            if "audit" not in skip:
                log("ledger-audit.py verify vs hashlib")
                guarded(
                    figures,
                    "audit_verify",
                    "ledger-audit.py verify",
                    "≥ 200,000 ev/s (at 10^6)",
                    lambda: audit_figure(figures, store, args, verify_n),
                )
            why = catchup.available()
            if why:
                figures["catch_up"] = unavailable(
                    "projector catch-up from 0", why, "≥ 10,000 ev/s (SQLite)"
                )
                figures["rebuild_rss"] = unavailable("rebuild peak RSS", why, "≤ 500 MB at 10^6")
            elif "catch-up" not in skip:
                log("projector catch-up from 0 vs scan")
                guarded(
                    figures,
                    "catch_up",
                    "projector catch-up from 0",
                    "",
                    lambda: catch_up_figures(figures, store, args, catch_up_n),
                )
            why = asof.available() or why
            if why:
                for name in ("agreement", "budget", "certification"):
                    figures[f"asof_{name}"] = unavailable(f"as-of {name}", why)
            elif "asof" not in skip:
                log("as-of queries vs naive replay")
                guarded(
                    figures,
                    "asof_agreement",
                    "as-of queries",
                    "",
                    lambda: asof_figures(figures, store, app, history, args, naive_n),
                )
            if why:
                figures["http"] = unavailable(
                    "HTTP as-of agreement", why, "≥ 500 req/s, p95 ≤ 50 ms"
                )
            elif "http" not in skip:
                log("HTTP: ledger serve --workers 2")
                guarded(
                    figures,
                    "http",
                    "HTTP as-of agreement",
                    "≥ 500 req/s, p95 ≤ 50 ms",
                    lambda: http_figure(figures, store, history, args),
                )
            if why:
                figures["page_agreement"] = unavailable("HTTP pages", why, "(p95 ≤ 50 ms at 10^6)")
            elif "pages" not in skip:
                log("HTTP pages: ledger serve --workers 2")
                guarded(
                    figures,
                    "page_agreement",
                    "HTTP pages",
                    "p95 ≤ 50 ms at 10^6",
                    lambda: page_figures(figures, store, history, args),
                )
        finally:
            app.close()
    if "one-line" not in skip:
        log(f"{args.one_line:,} payments on one budget line")
        guarded(
            figures,
            "one_line",
            f"{args.one_line:,} payments on one line",
            "≤ 30 s",
            lambda: one_line_figures(figures, args, 1 if args.quick else 3),
        )
    if "import-bookings" not in skip:
        log(f"import of {args.import_rows:,} booking rows")
        guarded(
            figures,
            "import_bookings",
            f"import of {args.import_rows:,} booking rows",
            "≤ 20 s (SQLite)",
            lambda: import_figure(figures, args, 1 if args.quick else 3),
        )
    events = figures.get("ingest", {}).get("events") or len(history.commands)
    run = {
        "size": args.size,
        "backend": args.backend,
        "date": date,
        "command": command_line(argv, args),
        "target_events": target,
        "events": len(history.commands),
        "measured_events": events,
        "machine": machine,
        "history": {
            "seed": history.seed,
            "bodies": len(history.manifest.bodies),
            "first_day": str(history.first_day),
            "last_day": str(history.last_day),
            "backdated": history.backdated,
            "corrections": history.kinds.get("correction", 0) + history.kinds.get("retraction", 0),
            "kinds": history.kinds,
            "seconds": generated,
        },
        "produced": args.produced,
        "seconds": time.perf_counter() - started,
        "figures": figures,
    }
    print()
    events_text = f"{len(history.commands):,} events"
    print(f"bench: {args.backend}, {args.size}, {events_text}, {run['seconds']:.0f} s")
    print(results.table_text(figures))
    if not args.no_write:
        if os.environ.get("BENCH_NO_HISTORY"):
            history_data = {args.backend: {args.size: run}}
        else:
            history_data = results.save_history(run)
        results.write_markdown(run, history_data)
        print(f"\nwrote {results.RESULTS_MD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
