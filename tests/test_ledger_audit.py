"""tools/ledger-audit.py, the auditor's standalone verifier, on a real `ledger demo` export.

The checkpoints are made here with ledger.tlog; the tool shares no code with it, so each
intact case checks one implementation against the other.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import subprocess
import sys
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ledger.store.chain import GENESIS, link_hash
from ledger.store.transfer import read_export
from ledger.tlog.checkpoint import (
    Checkpoint,
    cosignature_verifier,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from ledger.tlog.leaf import leaf_data, row_leaf_hash
from ledger.tlog.merkle import MemoryNodes, consistency_proof, tree_hash, verify_inclusion
from ledger.tlog.note import PrivateKey, generate_key, parse_signature_line

if TYPE_CHECKING:
    from collections.abc import Iterator

TOOL = Path(__file__).resolve().parent.parent / "tools" / "ledger-audit.py"
ORIGIN = "bars.example/ledger"


class Log:
    """A demo export with the log's key and checkpoints signed over its first N events."""

    def __init__(self, directory: Path, key: PrivateKey) -> None:
        self.dir = directory
        self.key = key
        self.events = directory / "events.jsonl"
        self.vkey = directory / "log.pub"
        self.vkey.write_text(key.vkey + "\n")
        self.lines = self.events.read_text().splitlines()

    def leaves(self, lines: list[str] | None = None) -> list[bytes]:
        """The leaf hashes of export lines (ledger.tlog's leaf)."""
        rows = read_export(lines if lines is not None else self.lines)
        return [row_leaf_hash(row) for _, row in rows]

    def checkpoint(self, size: int, name: str, lines: list[str] | None = None) -> Path:
        """A checkpoint file signed by the log over the first `size` events."""
        root = tree_hash(self.leaves(lines)[:size])
        signed = sign_checkpoint(Checkpoint(ORIGIN, size, root), [self.key.signer()])
        path = self.dir / name
        path.write_text(signed.format())
        return path

    def write(self, name: str, lines: list[str]) -> Path:
        """An export file with these lines."""
        path = self.dir / name
        path.write_text("".join(line + "\n" for line in lines))
        return path


def audit(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the tool as an auditor would; never a traceback."""
    done = subprocess.run(
        [sys.executable, str(TOOL), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`ledger demo` then `ledger export`, the real commands, on a fresh SQLite store."""
    directory = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "LEDGER_DATABASE_URL": f"sqlite:///{directory / 'ledger.db'}"}
    ledger = [sys.executable, "-c", "from ledger.cli import main; raise SystemExit(main())"]
    for command in (["demo"], ["export", "--out", str(directory / "events.jsonl")]):
        subprocess.run([*ledger, *command], env=env, check=True, capture_output=True, timeout=300)
    return directory / "events.jsonl"


@pytest.fixture
def log(demo_export: Path, tmp_path: Path) -> Iterator[Log]:
    (tmp_path / "events.jsonl").write_bytes(demo_export.read_bytes())
    yield Log(tmp_path, generate_key(ORIGIN))


def rechain(lines: list[str]) -> list[str]:
    """The export lines with every chain hash recomputed (what a rewriting operator does)."""
    previous = GENESIS
    out = []
    for text in lines:
        event = json.loads(text)
        previous = link_hash(
            previous,
            event["position"],
            event["recorded_at"],
            event["originator_id"].replace("-", ""),
            event["originator_version"],
            event["topic"],
            base64.b64decode(event["state"]),
        )
        event["hash"] = previous.hex()
        out.append(json.dumps(event, separators=(",", ":"), ensure_ascii=False))
    return out


def flip_bit(line: str) -> str:
    """The line with one bit of its event's state flipped, re-encoded (as the check does)."""
    event = json.loads(line)
    state = bytearray(base64.b64decode(event["state"]))
    state[len(state) // 2] ^= 1
    event["state"] = base64.b64encode(bytes(state)).decode()
    return json.dumps(event)


# --- The leaf ------------------------------------------------------------------------


def test_the_leaf_is_exactly_what_the_chain_hashes_after_the_previous_link(log: Log) -> None:
    previous = GENESIS
    for _, row in read_export(log.lines):
        position, recorded_at, stored, oid, version, topic, state = row
        assert oid is not None and version is not None and topic is not None
        assert state is not None
        data = leaf_data(position, recorded_at, oid, version, topic, state)
        assert sha256(previous + data).digest() == stored
        assert row_leaf_hash(row) == sha256(b"\x00" + data).digest()
        previous = stored


# --- verify --------------------------------------------------------------------------


def test_an_intact_export_verifies_against_its_checkpoint_and_an_older_one(log: Log) -> None:
    size = len(log.lines)
    assert size >= 40
    new = log.checkpoint(size, "new.cp")
    old = log.checkpoint(size - 3, "old.cp")
    done = audit("verify", log.events, "--checkpoint", new, "--vkey", log.vkey, "--since", old)
    assert done.returncode == 0, done.stderr
    assert f"chain intact: {size} events" in done.stdout
    assert f"the tree over the first {size} events" in done.stdout
    assert f"size {size - 3}" in done.stdout and "prefix" in done.stdout


def test_events_after_the_checkpoint_are_reported_not_refused(log: Log) -> None:
    old = log.checkpoint(30, "old.cp")
    done = audit("verify", log.events, "--checkpoint", old, "--vkey", log.vkey, "--timing")
    assert done.returncode == 0, done.stderr
    assert f"{len(log.lines) - 30} events after the checkpoint (after position 30)" in done.stdout
    assert f"timing: {len(log.lines)} events in " in done.stdout


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_flipped_bit_names_its_position(log: Log, jobs: str) -> None:
    checkpoint = log.checkpoint(len(log.lines), "cp")
    lines = list(log.lines)
    lines[9] = flip_bit(lines[9])
    bad = log.write("bad.jsonl", lines)
    # Small chunks: position 10 is checked by a worker, or as a chunk's first link.
    for chunk in ("0", "700", "2500"):
        done = audit(
            "verify", bad, "--checkpoint", checkpoint, "--vkey", log.vkey,
            "--jobs", jobs, "--chunk-bytes", chunk,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        assert "first bad position: 10" in done.stdout
        assert "position 10 (events line 10)" in done.stderr


def test_every_changed_line_is_named_whatever_the_chunks(log: Log) -> None:
    checkpoint = log.checkpoint(len(log.lines), "cp")
    for index in (0, 1, 2, 17, len(log.lines) - 1):
        lines = list(log.lines)
        lines[index] = flip_bit(lines[index])
        bad = log.write("bad.jsonl", lines)
        done = audit(
            "verify", bad, "--checkpoint", checkpoint, "--vkey", log.vkey,
            "--jobs", "2", "--chunk-bytes", "1000",
        )  # fmt: skip
        position = json.loads(log.lines[index])["position"]
        assert done.returncode == 1
        assert f"first bad position: {position}" in done.stdout


def test_a_deleted_row_is_named_by_the_position_after_it(log: Log) -> None:
    checkpoint = log.checkpoint(len(log.lines), "cp")
    lines = list(log.lines)
    del lines[19]
    done = audit(
        "verify", log.write("bad.jsonl", lines), "--checkpoint", checkpoint, "--vkey", log.vkey
    )
    assert done.returncode == 1
    assert f"first bad position: {json.loads(log.lines[20])['position']}" in done.stdout


def test_a_truncated_tail_is_caught(log: Log) -> None:
    checkpoint = log.checkpoint(len(log.lines), "cp")
    short = log.write("short.jsonl", log.lines[:-3])
    done = audit("verify", short, "--checkpoint", checkpoint, "--vkey", log.vkey)
    assert done.returncode == 1
    assert "truncated" in done.stderr


def test_a_rewritten_history_verifies_alone_but_not_since_an_older_checkpoint(log: Log) -> None:
    old = log.checkpoint(30, "old.cp")
    lines = list(log.lines)
    lines[4] = flip_bit(lines[4])
    rewritten = rechain(lines)
    forged = log.write("rewritten.jsonl", rewritten)
    new = log.checkpoint(len(rewritten), "new.cp", rewritten)
    alone = audit("verify", forged, "--checkpoint", new, "--vkey", log.vkey)
    assert alone.returncode == 0, alone.stderr
    since = audit("verify", forged, "--checkpoint", new, "--vkey", log.vkey, "--since", old)
    assert since.returncode == 1
    assert "rewritten" in since.stderr
    # Against the checkpoint signed before the rewrite, the root differs.
    done = audit("verify", forged, "--checkpoint", old, "--vkey", log.vkey)
    assert done.returncode == 1 and "does not match the tree" in done.stderr


def test_a_forged_row_with_a_recomputed_chain_is_caught_by_the_checkpoint(log: Log) -> None:
    checkpoint = log.checkpoint(len(log.lines), "cp")
    lines = list(log.lines)
    forged = json.loads(lines[10])
    forged["originator_version"] += 1000
    lines.insert(11, json.dumps(forged))
    for index in range(12, len(lines)):  # positions must still increase
        event = json.loads(lines[index])
        event["position"] += 1
        lines[index] = json.dumps(event)
    event = json.loads(lines[11])
    event["position"] = json.loads(lines[10])["position"] + 1
    lines[11] = json.dumps(event)
    done = audit(
        "verify", log.write("forged.jsonl", rechain(lines)), "--checkpoint", checkpoint,
        "--vkey", log.vkey,
    )  # fmt: skip
    assert done.returncode == 1
    assert "does not match the tree" in done.stderr


def test_any_json_spelling_of_the_same_events_verifies(log: Log) -> None:
    """Other spacing, key order and escapes take the slow path and mean the same events."""
    checkpoint = log.checkpoint(len(log.lines), "cp")
    respelled = []
    for number, text in enumerate(log.lines):
        event = json.loads(text)
        if number % 2:
            event = dict(reversed(list(event.items())))
        respelled.append(json.dumps(event, ensure_ascii=bool(number % 3)))
    respelled.insert(5, "")
    done = audit(
        "verify",
        log.write("respelled.jsonl", respelled),
        "--checkpoint",
        checkpoint,
        "--vkey",
        log.vkey,
    )
    assert done.returncode == 0, done.stderr


def test_a_checkpoint_signed_by_another_key_fails(log: Log) -> None:
    checkpoint = log.checkpoint(len(log.lines), "cp")
    other = log.dir / "other.pub"
    other.write_text(generate_key(ORIGIN).vkey + "\n")
    done = audit("verify", log.events, "--checkpoint", checkpoint, "--vkey", other)
    assert done.returncode == 1
    assert "no signature by" in done.stderr
    forged = checkpoint.read_text().replace(f"\n{len(log.lines)}\n", f"\n{len(log.lines) - 1}\n")
    (log.dir / "forged.cp").write_text(forged)
    done = audit("verify", log.events, "--checkpoint", log.dir / "forged.cp", "--vkey", log.vkey)
    assert done.returncode == 1
    assert "does not verify" in done.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"position": 1}', "events line 3: field 'recorded_at' is missing"),
        ("not json", "events line 3: not valid JSON"),
        ("[1, 2]", "events line 3: expected a JSON object"),
    ],
)
def test_a_malformed_export_line_is_bad_input_naming_the_line(
    log: Log, content: str, message: str
) -> None:
    done = verify_with_line(log, 2, content)
    assert done.returncode == 2
    assert message in done.stderr


def verify_with_line(log: Log, index: int, content: str) -> subprocess.CompletedProcess[str]:
    """`verify` of the export with its line `index` replaced by `content`."""
    checkpoint = log.checkpoint(len(log.lines), "cp")
    lines = list(log.lines)
    lines[index] = content
    return audit(
        "verify", log.write("bad.jsonl", lines), "--checkpoint", checkpoint, "--vkey", log.vkey
    )


@pytest.mark.parametrize(
    ("mark", "wrong"),
    [
        ('{"position":', '{"position";'),
        (',"recorded_at":"', ';"recorded_at":"'),
        ('","originator_id":"', '";"originator_id":"'),
        ('","originator_version":', '","originator_version";'),
        (',"topic":"', ';"topic":"'),
        ('"topic":"', '"topic";"'),
        ('","state":"', '";"state":"'),
        ('","hash":"', '","hash";"'),
    ],
)
def test_a_line_spelled_as_the_export_but_for_one_mark_is_not_json(
    log: Log, mark: str, wrong: str
) -> None:
    """Every mark around the fields is checked, also where the line is read without json."""
    assert log.lines[2].count(mark) == 1
    done = verify_with_line(log, 2, log.lines[2].replace(mark, wrong))
    assert done.returncode == 2, done.stdout
    assert "events line 3: not valid JSON" in done.stderr


def test_bad_arguments_and_files_are_bad_input(log: Log) -> None:
    checkpoint = log.checkpoint(len(log.lines), "cp")
    gone = log.dir / "gone.jsonl"
    cases: list[tuple[list[Any], str]] = [
        (["verify", gone, "--checkpoint", checkpoint, "--vkey", log.vkey], "gone.jsonl"),
        (["verify", log.events, "--checkpoint", log.vkey, "--vkey", log.vkey], "not a signed note"),
        (["verify", log.events, "--checkpoint", checkpoint, "--vkey", checkpoint], "verifier key"),
        (["verify", log.events], "--checkpoint"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ]  # fmt: skip
    for args, message in cases:
        done = audit(*args)
        assert done.returncode == 2, args
        assert message in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr


# --- prove ---------------------------------------------------------------------------


def test_prove_prints_an_inclusion_proof_that_verifies(log: Log) -> None:
    size = len(log.lines)
    checkpoint = log.checkpoint(size, "cp")
    done = audit(
        "prove", "7", log.events, "--checkpoint", checkpoint, "--vkey", log.vkey, "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    proof = json.loads(done.stdout)
    leaves = log.leaves()
    index = [json.loads(line)["position"] for line in log.lines].index(7)
    assert proof["position"] == 7 and proof["leaf_index"] == index and proof["tree_size"] == size
    assert base64.b64decode(proof["leaf_hash"]) == leaves[index]
    root = parse_checkpoint(checkpoint.read_text()).checkpoint.root
    hashes = [base64.b64decode(h) for h in proof["hashes"]]
    assert verify_inclusion(index, size, leaves[index], hashes, root)
    text = audit("prove", "7", log.events, "--checkpoint", checkpoint, "--vkey", log.vkey)
    assert text.returncode == 0 and text.stdout.startswith("included: position 7")


def test_prove_refuses_positions_outside_the_checkpoint(log: Log) -> None:
    checkpoint = log.checkpoint(30, "cp")
    last = json.loads(log.lines[-1])["position"]
    for position, message in ((last, "after the checkpoint"), (last + 100, "not in the export")):
        done = audit(
            "prove", str(position), log.events, "--checkpoint", checkpoint, "--vkey", log.vkey
        )
        assert done.returncode == 1 and message in done.stderr
    assert (
        audit("prove", "0", log.events, "--checkpoint", checkpoint, "--vkey", log.vkey).returncode
        == 2
    )


def test_prove_on_a_tampered_export_fails(log: Log) -> None:
    checkpoint = log.checkpoint(len(log.lines), "cp")
    lines = rechain([flip_bit(line) if n == 3 else line for n, line in enumerate(log.lines)])
    done = audit(
        "prove", "20", log.write("bad.jsonl", lines), "--checkpoint", checkpoint, "--vkey", log.vkey
    )
    assert done.returncode == 1
    assert "does not verify" in done.stderr


# --- cosign (a witness) --------------------------------------------------------------


def witness(log: Log) -> tuple[Path, Path]:
    done = audit("keygen", "witness.example/w1", "--out", log.dir / "w")
    assert done.returncode == 0, done.stderr
    key = log.dir / "w.key"
    assert key.stat().st_mode & 0o777 == 0o600
    return key, log.dir / "w.pub"


def test_a_witness_cosigns_consistent_checkpoints_only(log: Log) -> None:
    key, pub = witness(log)
    state = log.dir / "witness.state"
    size = len(log.lines)
    cp20, cp30, cp_all = (log.checkpoint(n, f"cp{n}") for n in (20, 30, size))
    verifier = cosignature_verifier(pub.read_text())

    first = audit("cosign", cp20, "--key", key, "--state", state)
    assert first.returncode == 2 and "--vkey" in first.stderr  # no log key yet
    first = audit("cosign", cp20, "--key", key, "--state", state, "--vkey", log.vkey)
    assert first.returncode == 0, first.stderr
    line = first.stdout.strip()
    cosigned = parse_checkpoint(cp20.read_text()).with_signatures([parse_signature_line(line)])
    assert open_checkpoint(cosigned.format(), [verifier]).checkpoint.size == 20

    # From 20 to 30: a consistency proof is needed, and checked.
    missing = audit("cosign", cp30, "--key", key, "--state", state)
    assert missing.returncode == 2 and "consistency proof from 20 to 30" in missing.stderr
    store = MemoryNodes.of_leaves(log.leaves())
    hashes = [base64.b64encode(h).decode() for h in consistency_proof(store, 20, 30)]
    proof = {
        "from": 20,
        "to": 30,
        "hashes": hashes,
    }
    wrong = {**proof, "hashes": hashes[::-1]}
    (log.dir / "wrong.json").write_text(json.dumps(wrong))
    done = audit("cosign", cp30, "--key", key, "--state", state, "--proof", log.dir / "wrong.json")
    assert done.returncode == 1 and "does not verify" in done.stderr
    (log.dir / "proof.json").write_text(json.dumps(proof))
    done = audit("cosign", cp30, "--key", key, "--state", state, "--proof", log.dir / "proof.json")
    assert done.returncode == 0, done.stderr

    # A proof as text, one base64 hash a line (tlog-witness's "old N" line is skipped).
    cp35 = log.checkpoint(35, "cp35")
    hashes = [base64.b64encode(h).decode() for h in consistency_proof(store, 30, 35)]
    (log.dir / "proof.txt").write_text("old 30\n" + "".join(h + "\n" for h in hashes))
    done = audit("cosign", cp35, "--key", key, "--state", state, "--proof", log.dir / "proof.txt")
    assert done.returncode == 0, done.stderr

    # Older than the last cosigned: refused. The export instead of a proof: fine.
    older = audit("cosign", cp20, "--key", key, "--state", state)
    assert older.returncode == 1 and "older" in older.stderr
    done = audit("cosign", cp_all, "--key", key, "--state", state, "--events", log.events)
    assert done.returncode == 0, done.stderr
    remembered = json.loads(state.read_text())["checkpoint"]
    assert parse_checkpoint(remembered).checkpoint.size == size


def test_a_witness_refuses_a_fork_and_a_rewritten_history(log: Log) -> None:
    key, _ = witness(log)
    state = log.dir / "witness.state"
    size = len(log.lines)
    cp30 = log.checkpoint(30, "cp30")
    assert audit("cosign", cp30, "--key", key, "--state", state, "--vkey", log.vkey).returncode == 0
    rewritten = rechain([flip_bit(line) if n == 4 else line for n, line in enumerate(log.lines)])
    fork = log.checkpoint(30, "fork30", rewritten)
    done = audit("cosign", fork, "--key", key, "--state", state)
    assert done.returncode == 1 and "forked" in done.stderr
    later = log.checkpoint(size, "later", rewritten)
    done = audit(
        "cosign", later, "--key", key, "--state", state, "--events", log.write("r.jsonl", rewritten)
    )
    assert done.returncode == 1 and "not cosigned" in done.stderr
    # The state still holds the checkpoint of size 30.
    assert parse_checkpoint(json.loads(state.read_text())["checkpoint"]).checkpoint.size == 30


# --- The tool stands alone -----------------------------------------------------------


def test_the_tool_imports_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(TOOL.read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported - set(sys.stdlib_module_names) == {"cryptography"}


def test_the_tool_runs_from_anywhere_without_the_project(log: Log, tmp_path: Path) -> None:
    """No site (so no editable install of the ledger), only cryptography's directory."""
    checkpoint = log.checkpoint(len(log.lines), "cp")
    copy = tmp_path / "bundle" / "ledger-audit.py"
    copy.parent.mkdir()
    copy.write_bytes(TOOL.read_bytes())
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": _cryptography_path()}
    python = [sys.executable, "-S"]
    alone = subprocess.run(
        [*python, "-c", "import ledger"], capture_output=True, cwd=copy.parent, env=env, check=False
    )
    assert alone.returncode != 0  # the project is not importable here
    done = subprocess.run(
        [*python, str(copy), "verify", str(log.events), "--checkpoint", str(checkpoint),
         "--vkey", str(log.vkey)],
        capture_output=True, text=True, timeout=120, cwd=copy.parent, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def _cryptography_path() -> str:
    """The directory holding cryptography (and cffi), without the project on the path."""
    import cryptography

    return str(Path(cryptography.__file__).parent.parent)
