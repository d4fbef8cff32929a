"""`python -m bench.alternate STORE TREE [TREE ...]`: catch-ups of checkouts, in turns.

For telling whether a change to the projector made catch-up faster on a shared, noisy
machine: each round runs, for every checkout in turn (a `git worktree` of each variant),
one catch-up from 0 on a fresh copy of the same kept SQLite ledger store, in a child
process of that checkout's code (`bench.catchup.run_child`), and prints its seconds and
peak RSS. A store to keep is made by

    python -m bench --size large --keep --skip ingest-baseline,verify,catch-up,asof,http --no-write

(it stays in bench/out/). Runs of one round are next to each other in time, so compare
them within rounds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

from bench.catchup import run_child


def main(argv: list[str] | None = None) -> None:
    """Runs the rounds and prints a line per catch-up."""
    p = argparse.ArgumentParser(prog="python -m bench.alternate", description=__doc__)
    p.add_argument("store", type=Path, help="a kept SQLite ledger store (never written)")
    p.add_argument("trees", type=Path, nargs="+", help="checkouts to run, in this order")
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args(argv)
    copy = args.store.with_name(args.store.stem + "-alternate.db")
    for round_number in range(1, args.rounds + 1):
        for tree in args.trees:
            for leftover in copy.parent.glob(copy.name + "*"):
                leftover.unlink()
            shutil.copyfile(args.store, copy)
            report = run_child(f"sqlite:///{copy.resolve()}", "catch-up", None, tree.resolve())
            load = os.getloadavg()[0]
            print(
                f"{time.strftime('%H:%M:%S')} round {round_number} {tree}: "
                f"{report['seconds']:.1f} s, {report['events'] / report['seconds']:,.0f} ev/s, "
                f"peak RSS {report['rss_peak_kb'] // 1024} MB (projector "
                f"{report['rss_projector_kb'] // 1024}, worker {report['rss_worker_kb'] // 1024})"
                f", load {load:.2f}",
                flush=True,
            )
    for leftover in copy.parent.glob(copy.name + "*"):
        leftover.unlink()


if __name__ == "__main__":
    main()
