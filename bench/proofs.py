"""Proofs: RFC 9162 inclusion and consistency proofs vs reading one stored tree row.

Each proof is asked the way `GET /v1/ledger/proof/inclusion` and `/consistency` ask it
(`projections.models.proofs`, in-process: no HTTP), at positions and sizes drawn by seed over the
whole tree, and the way `ledger proof` asks it (the store's TreeCursor in a chain reader).
The baseline is the cheapest read a proof could be: one row of `ledger_tree` by its key,
read the way the proofs read (`ReadModel.read_log`), taking turns with the proofs. The
target is on the API's proofs: p95 ≤ 5 ms at 10^6 events.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from bench.asof import percentile

ROUNDS = 4


@dataclass
class ProofLatencies:
    """Latencies (ms) of one proof kind by the API and by the CLI's store path, and of the
    one-row baseline."""

    name: str
    tree_size: int = 0
    api_ms: list[float] = field(default_factory=list)
    store_ms: list[float] = field(default_factory=list)
    row_ms: list[float] = field(default_factory=list)
    hashes: list[int] = field(default_factory=list)

    @property
    def p50(self) -> float:
        """Median latency of the API's proof."""
        return statistics.median(self.api_ms) if self.api_ms else 0.0

    @property
    def p95(self) -> float:
        """95th percentile of the API's proof."""
        return percentile(self.api_ms, 95)

    @property
    def store_p95(self) -> float:
        """95th percentile of the store's proof (`ledger proof`)."""
        return percentile(self.store_ms, 95)

    @property
    def row_p95(self) -> float:
        """95th percentile of reading one stored tree row."""
        return percentile(self.row_ms, 95)


def _timed(out: list[float], run: Any, *args: Any, **kwargs: Any) -> Any:
    began = time.perf_counter()
    result = run(*args, **kwargs)
    out.append((time.perf_counter() - began) * 1000)
    return result


def measure_proofs(url: str, queries: int = 200, seed: int = 1) -> list[ProofLatencies]:
    """Inclusion and consistency proofs at random positions and sizes, `queries` of each,
    in rounds taking turns with each other and with the one-row read."""
    from sqlalchemy import bindparam, select

    from ledger.store import open_recorder
    from ledger.tlog.proofs import consistency_document, inclusion_document
    from projections.models import proofs
    from projections.queries import ReadModel

    rng = random.Random(seed)
    recorder = open_recorder(url)
    rm = ReadModel(url)
    try:
        with recorder.chain_reader() as reader:
            tree = reader.tree
            size = tree.size()
            # (position, leaf index, tree size) of each inclusion proof.
            leaves = [rng.randrange(size) for _ in range(queries)]
            asked = [(row.position, row.leaf) for leaf in leaves for row in tree.scan(leaf, 1)]
        if size == 0:
            msg = "the tree is empty: nothing to prove"
            raise ValueError(msg)
        inclusions = [(p, i, rng.randint(i + 1, size)) for p, i in asked]
        pairs = [sorted((rng.randint(1, size), rng.randint(1, size))) for _ in range(queries)]
        groups = [rng.randrange((size + 15) // 16) for _ in range(2 * queries)]
        inclusion = ProofLatencies("inclusion", size)
        consistency = ProofLatencies("consistency", size)
        tree_table, _ = proofs.log_tables(rm.engine.dialect.name)
        one_row = select(tree_table.c.grp, tree_table.c.positions, tree_table.c.hashes).where(
            tree_table.c.grp == bindparam("grp")
        )

        def read_row(grp: int) -> None:
            rm.read_log(lambda conn: conn.execute(one_row, {"grp": grp}).one())

        def store_inclusion(position: int, n: int) -> dict[str, Any]:
            with recorder.chain_reader() as r:
                t = r.tree
                t.size()
                index = t.leaf_index(position)
                assert index is not None
                return inclusion_document(t, position, index, n)

        def store_consistency(first: int, second: int) -> dict[str, Any]:
            with recorder.chain_reader() as r:
                r.tree.size()
                return consistency_document(r.tree, first, second)

        # Warm the engine's pool and the statement caches.
        proofs.inclusion(rm, *inclusions[0][::2], include_private=True)
        read_row(0)
        per_round = -(-queries // ROUNDS)
        for start in range(0, queries, per_round):
            for k in range(start, min(start + per_round, queries)):
                position, _, n = inclusions[k]
                document, _ = _timed(
                    inclusion.api_ms, proofs.inclusion, rm, position, n, include_private=True
                )
                inclusion.hashes.append(len(document["hashes"]))
                _timed(inclusion.store_ms, store_inclusion, position, n)
                _timed(inclusion.row_ms, read_row, groups[2 * k])
            for k in range(start, min(start + per_round, queries)):
                first, second = pairs[k]
                document, _ = _timed(consistency.api_ms, proofs.consistency, rm, first, second)
                consistency.hashes.append(len(document["hashes"]))
                _timed(consistency.store_ms, store_consistency, first, second)
                _timed(consistency.row_ms, read_row, groups[2 * k + 1])
        return [inclusion, consistency]
    finally:
        rm.close()
        recorder.close()


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.proofs URL`: the proof figures' latencies on a kept store (`python -m
    bench --keep`), without the rest of the bench."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m bench.proofs", description=main.__doc__)
    p.add_argument("url", help="LEDGER_DATABASE_URL of the kept store")
    p.add_argument("--queries", type=int, default=200, help="proofs of each kind")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    for lat in measure_proofs(args.url, args.queries, args.seed):
        print(
            f"{lat.name}: tree of {lat.tree_size:,} leaves, {len(lat.api_ms)} proofs; "
            f"API p50 {lat.p50:.2f} ms, p95 {lat.p95:.2f} ms; store p95 {lat.store_p95:.2f} "
            f"ms; one row p95 {lat.row_p95:.2f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
