"""`ledger keygen`, `checkpoint`, `proof` and `witness`: the verifiable log's commands.

The store keeps an RFC 9162 Merkle tree over the chain; these commands make the log's key,
sign checkpoints of the tree (C2SP tlog-checkpoint), give inclusion and consistency proofs
and attach witnesses' cosignatures.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

from ledger.errors import UsageError
from ledger.store import open_recorder
from ledger.store.checkpoints import CosignatureError, add_cosignature, sign_current
from ledger.tlog.checkpoint import CheckpointError
from ledger.tlog.keys import (
    SIGNING_KEY_VAR,
    WITNESS_KEYS_VAR,
    require_signing_key,
    witness_verifiers,
    write_key_pair,
)
from ledger.tlog.proofs import (
    ProofRequestError,
    check_consistency,
    check_inclusion,
    check_size,
    consistency_document,
    inclusion_document,
)

#: How the CLI names each proof parameter in its messages.
CLI_NAMES = {"size": "--size", "position": "POSITION", "from": "M", "to": "N"}


def run_keygen(args: argparse.Namespace) -> int:
    """`ledger keygen`: the log's Ed25519 key, PREFIX.key (0600) and PREFIX.pub."""
    secret, public, key = write_key_pair(args.origin, Path(args.out))
    print(f"wrote {secret} (secret, mode 0600: set {SIGNING_KEY_VAR}={secret.resolve()})")
    print(f"wrote {public}: {key.vkey}")
    return 0


def run_checkpoint(args: argparse.Namespace) -> int:
    """`ledger checkpoint`: sign the current tree, keep it in the history, print it."""
    key = require_signing_key()
    with closing(open_recorder()) as recorder:
        signed = sign_current(recorder, key)
    sys.stdout.write(signed.format())
    return 0


def _proof_error(e: ProofRequestError) -> UsageError:
    return UsageError(f"{CLI_NAMES.get(e.parameter, e.parameter)} {e.message}")


def _print(document: dict[str, Any], form: str) -> None:
    if form == "json":
        print(json.dumps(document))
    else:
        sys.stdout.write("".join(h + "\n" for h in document["hashes"]))


def run_inclusion(args: argparse.Namespace) -> int:
    """`ledger proof inclusion POSITION [--size N]`: the audit path of one event."""
    with closing(open_recorder()) as recorder, recorder.chain_reader() as reader:
        tree = reader.tree
        tree_size = tree.size()
        try:
            if args.size is None:
                latest = tree.latest_checkpoint()
                size = latest.tree_size if latest is not None else tree_size
                if size == 0:
                    raise ProofRequestError("position", "the tree is empty")
            else:
                size = check_size(args.size, tree_size)
            if args.position < 1:
                raise ProofRequestError("position", f"must be >= 1, got {args.position}")
            index = check_inclusion(args.position, tree.leaf_index(args.position), size)
        except ProofRequestError as e:
            raise _proof_error(e) from None
        document = inclusion_document(tree, args.position, index, size)
    _print(document, args.format)
    return 0


def run_consistency(args: argparse.Namespace) -> int:
    """`ledger proof consistency M N`: the tree of M leaves is a prefix of that of N."""
    with closing(open_recorder()) as recorder, recorder.chain_reader() as reader:
        tree = reader.tree
        try:
            check_consistency(args.first, args.second, tree.size())
        except ProofRequestError as e:
            raise _proof_error(e) from None
        document = consistency_document(tree, args.first, args.second)
    _print(document, args.format)
    return 0


def run_witness_add(args: argparse.Namespace) -> int:
    """`ledger witness add FILE`: attach a witness's verified cosignature to its checkpoint."""
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot read the cosignature ({e})") from None
    witnesses = witness_verifiers()
    try:
        with closing(open_recorder()) as recorder:
            attached = add_cosignature(recorder, text, witnesses)
    except CosignatureError as e:
        print(f"ledger witness add: {e}", file=sys.stderr)
        return 1
    except CheckpointError as e:
        raise UsageError(f"{path}: {e} ({WITNESS_KEYS_VAR} holds the witnesses' keys)") from None
    for size, name in attached:
        print(f"attached the cosignature of {name} to the checkpoint of size {size}")
    return 0


def register(commands: Any) -> None:
    """Adds keygen, checkpoint, proof and witness."""
    p = commands.add_parser(
        "keygen",
        help="make the log's signing key: PREFIX.key (mode 0600) and PREFIX.pub",
        description="Write a C2SP Ed25519 signing key PREFIX.key (mode 0600, never "
        "overwritten) and its verifier key PREFIX.pub; the key's name is the checkpoints' "
        f"origin line. Point {SIGNING_KEY_VAR} at PREFIX.key; give PREFIX.pub to auditors.",
    )
    p.add_argument("--origin", required=True, help="the log's name, e.g. example.org/ledger")
    p.add_argument("--out", required=True, help="file prefix: writes OUT.key and OUT.pub")
    p.set_defaults(handler=run_keygen)

    p = commands.add_parser(
        "checkpoint",
        help="sign a checkpoint of the Merkle tree, keep it in the history and print it",
        description="Sign a C2SP tlog-checkpoint (origin, tree size, root) of the tree over "
        f"every event with the key in {SIGNING_KEY_VAR}, keep it in the checkpoint history "
        "and print it. If the latest checkpoint already covers every event it is printed.",
    )
    p.set_defaults(handler=run_checkpoint)

    proof = commands.add_parser("proof", help="RFC 9162 inclusion and consistency proofs")
    kinds = proof.add_subparsers(dest="proof_command", required=True, metavar="KIND")
    p = kinds.add_parser(
        "inclusion",
        help="the audit path of the event at POSITION",
        description="The inclusion proof of the event at POSITION in the tree of --size "
        "leaves (default: the latest checkpoint's size, or the whole tree if none). json: "
        "position, leaf_index, tree_size, leaf_hash, hashes; text: one base64 hash a line.",
    )
    p.add_argument("position", type=int, help="the event's position")
    p.add_argument("--size", type=int, help="the tree size (default: the latest checkpoint's)")
    p.add_argument("--format", choices=("json", "text"), default="json")
    p.set_defaults(handler=run_inclusion)
    p = kinds.add_parser(
        "consistency",
        help="the proof that the tree of M leaves is a prefix of the tree of N",
        description="The consistency proof from tree size M to tree size N (1 <= M <= N <= "
        "the tree's size). json: from, to, hashes; text: one base64 hash a line.",
    )
    p.add_argument("first", type=int, metavar="M", help="the older tree size")
    p.add_argument("second", type=int, metavar="N", help="the newer tree size")
    p.add_argument("--format", choices=("json", "text"), default="json")
    p.set_defaults(handler=run_consistency)

    witness = commands.add_parser("witness", help="witnesses' cosignatures of checkpoints")
    actions = witness.add_subparsers(dest="witness_command", required=True, metavar="ACTION")
    p = actions.add_parser(
        "add",
        help="attach a cosignature after verifying it against LEDGER_WITNESS_KEYS",
        description="Attach the cosignature line(s) in FILE (as `ledger-audit.py cosign` "
        "prints them, or a whole cosigned checkpoint) to the stored checkpoint they sign, "
        f"after verifying each against the witnesses' keys in {WITNESS_KEYS_VAR}. Exit 1 if "
        "a signature verifies against no stored checkpoint.",
    )
    p.add_argument("file", help="the witness's cosignature")
    p.set_defaults(handler=run_witness_add)
