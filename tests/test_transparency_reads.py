"""Proofs read without a snapshot (`ReadModel.read_log`): the proof of the tree the first
statement saw even when the tree grows before the second, and answered again after the
server dropped the connections (PostgreSQL: no ping on checkout, the read is tried again)."""

from __future__ import annotations

import io
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from api_support import record, record_demo
from storage import backend_url, raw_sql
from transparency_support import b64, export_leaves, mth, verify_consistency, verify_inclusion

from ledger.store import export, open_recorder
from projections.models import proofs
from projections.queries import ReadModel

pytestmark = pytest.mark.storage


def committees(first: int, count: int) -> list[dict[str, Any]]:
    """`count` new committees of the demo's body, numbered from `first`: as many events."""
    return [
        {
            "record": "committee",
            "body": "kyffhaeuserkreis",
            "committee": f"ausschuss-{k}",
            "name": f"Ausschuss {k}",
            "seats": 5,
            "effective": "2014-07-01",
        }
        for k in range(first, first + count)
    ]


def leaves(url: str) -> tuple[list[int], list[bytes]]:
    """The positions and leaf hashes of every event of the store, from its export."""
    out = io.StringIO()
    with closing(open_recorder(url)) as recorder:
        export(recorder, out)
    return export_leaves(out.getvalue().splitlines())


def test_a_proof_whose_tree_grows_between_its_two_reads_is_the_older_trees(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_demo(store_url)
    before, _ = leaves(store_url)
    real = proofs._log_end
    sizes: list[int] = []

    def then_append(conn: Any, position: int | None = None) -> Any:
        end = real(conn, position)
        sizes.append(end.size)
        # Completes the tree's last group and writes new ones before the nodes are read.
        record(store_url, committees(40 * len(sizes), 40))
        return end

    monkeypatch.setattr(proofs, "_log_end", then_append)
    rm = ReadModel(store_url)
    try:
        last = before[-1]  # the last leaf, in the group the appends rewrite
        inclusion, _ = proofs.inclusion(rm, last, include_private=True)
        half = len(before) // 2
        consistency, _ = proofs.consistency(rm, half)
    finally:
        rm.close()
    positions, hashes = leaves(store_url)
    size = len(before)
    assert len(positions) == size + 80
    # Each proof is for the tree its first statement saw, not for the grown one.
    assert sizes == [size, size + 40]
    assert inclusion["tree_size"] == size and consistency["to"] == size + 40
    assert inclusion["leaf_index"] == size - 1
    assert verify_inclusion(
        size - 1,
        size,
        b64(inclusion["leaf_hash"]),
        [b64(h) for h in inclusion["hashes"]],
        mth(hashes[:size]),
    )
    path = [b64(h) for h in consistency["hashes"]]
    assert verify_consistency(half, size + 40, mth(hashes[:half]), mth(hashes[: size + 40]), path)


def test_a_proof_is_answered_after_the_server_dropped_its_connections(tmp_path: Path) -> None:
    """PostgreSQL only: SQLite has no connection to lose."""
    with backend_url("postgres", tmp_path) as url:
        record_demo(url)
        positions, _ = leaves(url)
        rm = ReadModel(url)
        try:
            inclusion = proofs.inclusion(rm, positions[7], include_private=True)
            consistency = proofs.consistency(rm, 9)
            for _ in range(2):
                cut = raw_sql(
                    url,
                    "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()",
                )
                assert cut[0][0] > 0  # the proofs' pooled connection among them
                assert proofs.inclusion(rm, positions[7], include_private=True) == inclusion
                assert proofs.consistency(rm, 9) == consistency
        finally:
            rm.close()
