"""`python -m bench.servers` compares the same load on each way of serving."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import servers  # noqa: E402


def test_an_unknown_variant_is_refused_naming_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        servers.main(["--variants", "ledger serve,nginx"])
    assert exited.value.code == 2
    assert "unknown nginx (known: ledger serve, gunicorn, gunicorn-unshared)" in (
        capsys.readouterr().err
    )


def test_both_variants_run_the_same_processes_on_their_own_sockets() -> None:
    ours = servers.ledger_serve(8123, 3)
    theirs = servers.gunicorn(8123, 3)
    assert ours[ours.index("--workers") + 1] == theirs[theirs.index("--workers") + 1] == "3"
    assert "--reuse-port" in theirs
    assert "uvicorn_worker.UvicornWorker" in theirs
    assert "--no-project" in ours
