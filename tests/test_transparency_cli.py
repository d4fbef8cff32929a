"""`ledger keygen`, `checkpoint`, `proof`, `witness add` and `export --bundle`, end to end.

Proofs and checkpoints are checked with transparency_support (RFC 9162 and C2SP written
again, sharing nothing with ledger.tlog); the bundle with tools/ledger-audit.py as an
auditor runs it, in a subprocess.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from storage import raw_sql
from transparency_support import (
    b64,
    checkpoint_fields,
    export_leaves,
    mth,
    signed_by,
    verify_consistency,
    verify_inclusion,
)

from ledger.cli import main
from ledger.cli.record import demo_text, record_text
from ledger.store import open_recorder
from ledger.store.bundle import verifier_source
from ledger.tlog.checkpoint import generate_cosigner
from ledger.tlog.keys import (
    INTERVAL_VAR,
    WITNESS_KEYS_VAR,
    KeyConfigError,
    checkpoint_interval,
    witness_verifiers,
)
from ledger.tlog.note import generate_key

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "ledger-audit.py"
ORIGIN = "bars.example/ledger"
MORE = """\
- {record: committee, body: kyffhaeuserkreis, committee: kreisausschuss, name: Kreisausschuss,
   seats: 12, effective: 2014-07-01}
- {record: budget-line, body: kyffhaeuserkreis, year: 2019, line: 01.4953.7187,
   title: Landesprogramm Familie, effective: 2019-01-01}
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `ledger ARGS` in this process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def audit(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """tools/ledger-audit.py as an auditor runs it."""
    return subprocess.run(
        [sys.executable, str(TOOL), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def keyed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    """A SQLite store and the log's key made by `ledger keygen` (LEDGER_SIGNING_KEY_FILE)."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    assert run(capsys, "keygen", "--origin", ORIGIN, "--out", str(tmp_path / "log"))[0] == 0
    monkeypatch.setenv("LEDGER_SIGNING_KEY_FILE", str(tmp_path / "log.key"))
    return tmp_path


def leaves_of(capsys: pytest.CaptureFixture[str]) -> tuple[list[int], list[bytes]]:
    code, out, _ = run(capsys, "export")
    assert code == 0
    return export_leaves(out.splitlines())


# -- keys --------------------------------------------------------------------------------


def test_keygen_writes_a_secret_key_0600_and_the_verifier_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = os.umask(0o022)
    try:
        code, out, _ = run(capsys, "keygen", "--origin", ORIGIN, "--out", str(tmp_path / "k"))
    finally:
        os.umask(old)
    assert code == 0
    secret, public = tmp_path / "k.key", tmp_path / "k.pub"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert secret.read_text().startswith(f"PRIVATE+KEY+{ORIGIN}+")
    vkey = public.read_text().strip()
    assert vkey.startswith(f"{ORIGIN}+") and vkey in out
    assert str(secret.resolve()) in out
    # Never overwritten; a name that is no key name is refused.
    before = secret.read_bytes()
    code, _, err = run(capsys, "keygen", "--origin", ORIGIN, "--out", str(tmp_path / "k"))
    assert code == 2 and "never overwritten" in err and secret.read_bytes() == before
    code, _, err = run(capsys, "keygen", "--origin", "has space", "--out", str(tmp_path / "x"))
    assert code == 2 and "--origin" in err and not (tmp_path / "x.key").exists()


@pytest.mark.parametrize(
    ("setting", "rule"),
    [
        ("{dir}/missing.key", "cannot read"),
        ("{dir}/log.pub", "not a C2SP private key"),
    ],
)
def test_a_bad_signing_key_setting_is_exit_2_naming_it(
    keyed: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    setting: str,
    rule: str,
) -> None:
    monkeypatch.setenv("LEDGER_SIGNING_KEY_FILE", setting.format(dir=keyed))
    code, out, err = run(capsys, "checkpoint")
    assert (code, out) == (2, "")
    assert "LEDGER_SIGNING_KEY_FILE" in err and rule in err
    assert "Traceback" not in err


def test_checkpoint_without_a_key_says_how_to_make_one(
    keyed: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LEDGER_SIGNING_KEY_FILE")
    code, _, err = run(capsys, "checkpoint")
    assert code == 2 and "ledger keygen" in err


# -- checkpoints and proofs --------------------------------------------------------------


def test_checkpoints_and_every_proof_verify_independently(
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", store_url)
    assert run(capsys, "keygen", "--origin", ORIGIN, "--out", str(tmp_path / "log"))[0] == 0
    monkeypatch.setenv("LEDGER_SIGNING_KEY_FILE", str(tmp_path / "log.key"))
    vkey = (tmp_path / "log.pub").read_text()
    assert record_text(demo_text(), "demo.yaml")
    code, first, _ = run(capsys, "checkpoint")
    assert code == 0 and signed_by(first, vkey)
    assert record_text(MORE, "more.yaml")
    code, second, _ = run(capsys, "checkpoint")
    assert code == 0 and signed_by(second, vkey)
    positions, leaves = leaves_of(capsys)
    origin, s1, r1 = checkpoint_fields(first)
    _, s2, r2 = checkpoint_fields(second)
    assert (origin, s1, s2) == (ORIGIN, len(leaves) - 2, len(leaves))
    assert (r1, r2) == (mth(leaves[:s1]), mth(leaves))

    for index, position in enumerate(positions):
        for size in {index + 1, s1, s2} - set(range(index + 1)):
            code, out, _ = run(capsys, "proof", "inclusion", str(position), "--size", str(size))
            assert code == 0
            doc = json.loads(out)
            assert (doc["position"], doc["leaf_index"], doc["tree_size"]) == (position, index, size)
            assert b64(doc["leaf_hash"]) == leaves[index]
            proof = [b64(h) for h in doc["hashes"]]
            assert verify_inclusion(index, size, leaves[index], proof, mth(leaves[:size]))
    # Without --size: the latest checkpoint's size; text: the hashes, one a line.
    code, out, _ = run(capsys, "proof", "inclusion", "7", "--format", "text")
    proof = [b64(line) for line in out.splitlines()]
    assert code == 0 and verify_inclusion(6, s2, leaves[6], proof, r2)

    for m in range(1, s2 + 1):
        code, out, _ = run(capsys, "proof", "consistency", str(m), str(s2))
        doc = json.loads(out)
        assert code == 0 and (doc["from"], doc["to"]) == (m, s2)
        proof = [b64(h) for h in doc["hashes"]]
        assert verify_consistency(m, s2, mth(leaves[:m]), r2, proof)
    code, out, _ = run(capsys, "proof", "consistency", str(s1), str(s2), "--format", "text")
    proof = [b64(line) for line in out.splitlines()]
    assert code == 0 and verify_consistency(s1, s2, r1, r2, proof)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["inclusion", "7", "--size", "0"], "--size"),
        (["inclusion", "7", "--size", "42"], "--size"),
        (["inclusion", "0"], "POSITION"),
        (["inclusion", "999"], "POSITION"),
        (["inclusion", "30", "--size", "20"], "POSITION"),
        (["consistency", "0", "5"], "M"),
        (["consistency", "3", "42"], "N"),
        (["consistency", "6", "5"], "M"),
    ],
)
def test_proofs_that_make_none_are_exit_2_naming_the_argument(
    keyed: Path, capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    assert record_text(demo_text(), "demo.yaml")  # 41 events
    code, out, err = run(capsys, "proof", *args)
    assert (code, out) == (2, "")
    assert f"error: {named} " in err


# -- witnesses ---------------------------------------------------------------------------


def test_witness_add_attaches_a_verified_cosignature(
    keyed: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert record_text(demo_text(), "demo.yaml")
    code, checkpoint, _ = run(capsys, "checkpoint")
    (keyed / "cp").write_text(checkpoint)
    assert audit("keygen", "witness.example/w1", "--out", keyed / "w").returncode == 0
    cosigned = audit(
        "cosign", keyed / "cp", "--key", keyed / "w.key", "--state", keyed / "state",
        "--vkey", keyed / "log.pub",
    )  # fmt: skip
    assert cosigned.returncode == 0, cosigned.stderr
    (keyed / "cosignature").write_text(cosigned.stdout)
    witness = (keyed / "w.pub").read_text().strip()

    monkeypatch.delenv("LEDGER_WITNESS_KEYS", raising=False)
    code, _, err = run(capsys, "witness", "add", str(keyed / "cosignature"))
    assert code == 2 and "LEDGER_WITNESS_KEYS" in err
    other = audit("keygen", "other.example/w", "--out", keyed / "o")
    assert other.returncode == 0
    monkeypatch.setenv("LEDGER_WITNESS_KEYS", (keyed / "o.pub").read_text().strip())
    code, _, err = run(capsys, "witness", "add", str(keyed / "cosignature"))
    assert code == 2 and "not by a key in LEDGER_WITNESS_KEYS" in err

    monkeypatch.setenv("LEDGER_WITNESS_KEYS", f"{(keyed / 'o.pub').read_text().strip()},{witness}")
    forged = (
        cosigned.stdout[:-10] + ("A" if cosigned.stdout[-10] != "A" else "B") + cosigned.stdout[-9:]
    )
    (keyed / "forged").write_text(forged)
    code, _, err = run(capsys, "witness", "add", str(keyed / "forged"))
    assert code == 1 and "does not verify" in err

    code, out, _ = run(capsys, "witness", "add", str(keyed / "cosignature"))
    assert code == 0 and "witness.example/w1" in out and "size 41" in out
    code, again, _ = run(capsys, "checkpoint")  # the latest, now with the cosignature
    assert code == 0
    assert signed_by(again, (keyed / "log.pub").read_text())
    assert signed_by(again, witness)
    assert cosigned.stdout.strip() in again.splitlines()


# -- the auditor's bundle ----------------------------------------------------------------


def test_the_packaged_verifier_is_tools_ledger_audit_byte_for_byte() -> None:
    assert verifier_source() == TOOL.read_bytes()
    assert (ROOT / "src" / "ledger" / "tlog" / "ledger_audit.py").read_bytes() == TOOL.read_bytes()


def test_the_bundle_verifies_offline_with_its_own_verifier(
    keyed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert record_text(demo_text(), "demo.yaml")
    code, out, _ = run(capsys, "export", "--bundle", str(keyed / "bundle"))
    assert code == 0, out
    bundle = keyed / "bundle"
    names = sorted(p.name for p in bundle.iterdir())
    assert names == [
        "README.txt",
        "bars.example_ledger.pub",
        "checkpoint",
        "events.jsonl",
        "ledger-audit.py",
    ]
    assert (bundle / "ledger-audit.py").read_bytes() == TOOL.read_bytes()
    assert (bundle / "bars.example_ledger.pub").read_text() == (keyed / "log.pub").read_text()
    assert "ledger-audit.py verify events.jsonl" in (bundle / "README.txt").read_text()
    done = audit(
        "verify", bundle / "events.jsonl", "--checkpoint", bundle / "checkpoint",
        "--vkey", bundle / "bars.example_ledger.pub",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "41 events" in done.stdout
    # A second bundle has the same checkpoint (the latest) while the ledger did not grow.
    assert run(capsys, "export", "--bundle", str(keyed / "again"))[0] == 0
    assert (keyed / "again" / "checkpoint").read_text() == (bundle / "checkpoint").read_text()


def test_a_bundle_needs_the_signing_key_and_a_new_directory(
    keyed: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert record_text(demo_text(), "demo.yaml")
    (keyed / "full").mkdir()
    (keyed / "full" / "x").write_text("")
    code, _, err = run(capsys, "export", "--bundle", str(keyed / "full"))
    assert code == 2 and "new or empty directory" in err
    monkeypatch.delenv("LEDGER_SIGNING_KEY_FILE")
    code, _, err = run(capsys, "export", "--bundle", str(keyed / "b"))
    assert code == 2 and "LEDGER_SIGNING_KEY_FILE" in err and not (keyed / "b").exists()


def test_a_rewritten_history_is_caught_by_verify_and_by_the_audit_since_an_old_checkpoint(
    keyed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = os.environ["LEDGER_DATABASE_URL"]
    assert record_text(demo_text(), "demo.yaml")
    code, old, _ = run(capsys, "checkpoint")
    (keyed / "old-checkpoint").write_text(old)
    assert record_text(MORE, "more.yaml")
    # The operator rewrites event 10 and recomputes the chain and the tree ...
    [(state,)] = raw_sql(url, "SELECT state FROM stored_events WHERE {pos} = 10")
    raw_sql(url, "UPDATE stored_events SET state = ? WHERE {pos} = 10", (bytes(state) + b" ",))
    previous = bytes(32)
    with open_recorder(url) as recorder:
        for event in recorder.select_chained(1, 1000):
            if event.position >= 10:
                previous = event.expected_hash(previous)
                raw_sql(
                    url, "UPDATE ledger_chain SET hash = ? WHERE position = ?",
                    (previous, event.position),
                )  # fmt: skip
            else:
                previous = event.hash
    raw_sql(url, "DELETE FROM ledger_tree")
    code, out, err = run(capsys, "verify")  # the stored checkpoint still says otherwise
    assert code == 1 and "first bad position: 41" in out and "checkpoint" in err
    # ... deletes the checkpoint history and signs the rewritten one.
    raw_sql(url, "DELETE FROM ledger_checkpoint")
    assert run(capsys, "verify")[0] == 0
    assert run(capsys, "export", "--bundle", str(keyed / "bundle"))[0] == 0
    bundle = keyed / "bundle"
    args: list[Any] = [
        "verify", bundle / "events.jsonl", "--checkpoint", bundle / "checkpoint",
        "--vkey", keyed / "log.pub",
    ]  # fmt: skip
    assert audit(*args).returncode == 0  # self-consistent on its own
    caught = audit(*args, "--since", keyed / "old-checkpoint")
    assert caught.returncode == 1
    assert "rewritten" in caught.stderr


def test_witness_keys_and_the_interval_come_from_the_environment() -> None:
    cosigner, plain = generate_cosigner("w.example/one"), generate_key("w.example/two")
    found = witness_verifiers({WITNESS_KEYS_VAR: f"{cosigner.vkey},\n{plain.vkey}\n"})
    assert [(v.name, v.key_id) for v in found] == [
        ("w.example/one", cosigner.key_id),
        ("w.example/two", plain.key_id),
    ]
    with pytest.raises(KeyConfigError, match=f"{WITNESS_KEYS_VAR}: key 2"):
        witness_verifiers({WITNESS_KEYS_VAR: f"{cosigner.vkey}, not-a-key"})
    assert checkpoint_interval({}) == 60.0
    assert checkpoint_interval({INTERVAL_VAR: "2.5"}) == 2.5
    for bad in ("0", "-1", "soon", "inf", "nan"):
        with pytest.raises(KeyConfigError, match=INTERVAL_VAR):
            checkpoint_interval({INTERVAL_VAR: bad})


def test_a_witness_key_cannot_sign_the_log(
    keyed: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (keyed / "w.key").write_text(generate_cosigner("w.example/one").text() + "\n")
    monkeypatch.setenv("LEDGER_SIGNING_KEY_FILE", str(keyed / "w.key"))
    code, _, err = run(capsys, "checkpoint")
    assert code == 2 and "type 0x04" in err
