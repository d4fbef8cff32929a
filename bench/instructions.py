"""`python -m bench.instructions`: instructions executed by ingest, ledger vs bare eventsourcing.

For telling whether a change to the ingest path made it faster on a shared, noisy machine:
there, wall and CPU times of the same 10^4-event ingest vary by ±20 % from run to run, while
the count of instructions that valgrind's callgrind reports for it repeats to within a few
parts per thousand. Each mode runs in a process of its own under callgrind:

- `ledger-setup`: generate the commands, open the ledger on an empty store, exit;
- `ledger`: the same, then record every command through `LedgerApplication.record`;
- `bare-setup` and `bare`: the same with `bench.ingest.BareIngest`, the ingest baseline.

A mode's figure is its count less its setup's. bare / ledger is what the ingest ratio would be
if time followed instructions; it leaves out what the process waits for (fsync, the server on
PostgreSQL) and what the server does. `make bench` measures the ratio itself, in time.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

MODES = ("ledger-setup", "ledger", "bare-setup", "bare")
_COLLECTED = re.compile(r"Collected : (\d+)")


def child(mode: str, events: int, backend: str, batch: int) -> None:
    """Runs one mode in this process (the process callgrind counts)."""
    from bench.generator import DEFAULT_SEED, generate
    from bench.ingest import BareIngest
    from bench.stores import fresh_store
    from ledger.application import LedgerApplication
    from ledger.commands.handlers import load_handlers
    from ledger.store import application_env

    load_handlers()
    batches = list(generate(events, DEFAULT_SEED).batches(batch))
    with fresh_store(backend, "instructions") as store:
        if mode.startswith("ledger"):
            ledger = LedgerApplication(env=application_env(store.url))
            if mode == "ledger":
                for commands in batches:
                    ledger.record(commands)
            ledger.close()
        else:
            bare = BareIngest(store.bare_env)
            if mode == "bare":
                for commands in batches:
                    bare.record(commands)
            bare.close()


def count(mode: str, events: int, backend: str, batch: int, out: Path) -> int:
    """Instructions (callgrind's Ir) of one mode, run in a child process."""
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out / mode}.out",
        sys.executable,
        "-m",
        "bench.instructions",
        "--child",
        mode,
        "--events",
        str(events),
        "--backend",
        backend,
        "--batch",
        str(batch),
    ]
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    found = _COLLECTED.search(run.stderr)
    if run.returncode != 0 or found is None:
        msg = f"{mode} under callgrind failed ({run.returncode}):\n{run.stderr[-2000:]}"
        raise RuntimeError(msg)
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    """Counts the four modes (two at a time) and prints ledger, bare and their ratio."""
    p = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__)
    p.add_argument("--events", type=int, default=10_000)
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--batch", type=int, default=500, help="commands per record() batch")
    p.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child, args.events, args.backend, args.batch)
        return 0
    if shutil.which("valgrind") is None:
        print("bench.instructions needs valgrind (Debian: apt install valgrind)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(2) as pool:
        out = Path(tmp)
        runs = {m: pool.submit(count, m, args.events, args.backend, args.batch, out) for m in MODES}
        ir = {m: run.result() for m, run in runs.items()}
    ledger = ir["ledger"] - ir["ledger-setup"]
    bare = ir["bare"] - ir["bare-setup"]
    print(f"ingest of {args.events:,} events on {args.backend}, batches of {args.batch}:")
    print(f"  ledger  {ledger / 1e6:9,.0f} M instructions  ({ledger / args.events:,.0f} per event)")
    print(f"  bare    {bare / 1e6:9,.0f} M instructions  ({bare / args.events:,.0f} per event)")
    print(f"  bare / ledger = {bare / ledger:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
