"""The bench's figures of the verifiable log: proofs, signing and the auditor's verify run
on a real store and measure what they name."""

from __future__ import annotations

import sys
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from storage import demo_ledger  # noqa: E402

from bench.audit import measure_audit  # noqa: E402
from bench.proofs import measure_proofs  # noqa: E402
from bench.results import history_lines  # noqa: E402
from bench.signing import measure_signing  # noqa: E402
from ledger.store import open_recorder  # noqa: E402
from ledger.store.checkpoints import latest_checkpoint  # noqa: E402


def record_demo(url: str) -> None:
    """The demo case recorded on `url` (the application closed again)."""
    for _ in demo_ledger(url):
        pass


def test_proofs_are_timed_at_every_query_beside_the_one_row_read(store_url: str) -> None:
    record_demo(store_url)
    inclusion, consistency = measure_proofs(store_url, queries=12, seed=3)
    for lat in (inclusion, consistency):
        assert lat.tree_size > 0
        assert len(lat.api_ms) == len(lat.store_ms) == len(lat.row_ms) == 12
        assert lat.p95 >= lat.p50 > 0
    assert max(inclusion.hashes) > 0


def test_signing_signs_the_whole_tree_each_repeat_after_a_checkpoint_of_half(
    store_url: str,
) -> None:
    record_demo(store_url)
    figure = measure_signing(store_url, repeats=3)
    assert len(figure.sign_ms) == len(figure.ed25519_ms) == 3
    with closing(open_recorder(store_url)) as recorder:
        latest = latest_checkpoint(recorder)
        with recorder.chain_reader() as reader:
            half = reader.tree.checkpoint_at(max(1, figure.tree_size // 2))
    assert latest is not None and latest.tree_size == figure.tree_size
    assert half is not None


def test_the_auditors_verify_reads_every_event_of_the_bundle(store_url: str) -> None:
    record_demo(store_url)
    figure = measure_audit(store_url, repeats=1)
    with closing(open_recorder(store_url)) as recorder, recorder.chain_reader() as reader:
        size = reader.tree.size()
    assert figure.events == size
    # One rate, one CPU time from its --timing line (the demo's take about 0 s: no > 0).
    assert len(figure.rates) == len(figure.cpu_seconds) == len(figure.hash_rates) == 1
    assert figure.output.startswith(f"chain intact: {size} events")


def test_the_history_table_shows_the_new_figures() -> None:
    measured = {"status": "measured", "value": 2.5, "p95_ms": 4.25}
    run = {
        "size": "small",
        "events": 10,
        "figures": {
            "proof_inclusion": measured,
            "proof_consistency": measured,
            "checkpoint_signing": {"status": "measured", "value": 3.5},
            "audit_verify": {"status": "measured", "value": 250_000.0},
        },
    }
    text = "\n".join(history_lines({"sqlite": {"small": run}}))
    assert "inclusion / consistency proof p95" in text
    assert "4.25 ms / 4.25 ms" in text
    assert "3.50 ms" in text
    assert "250,000 ev/s" in text
