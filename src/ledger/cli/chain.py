"""`ledger verify`, `ledger head`, `ledger export` and `ledger import events`: the chain."""

from __future__ import annotations

import argparse
import sys
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger.errors import UsageError
from ledger.progress import Progress
from ledger.store import Digest, export, import_events, open_recorder, verify

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from ledger.store.base import ChainedRecorder

VERIFY_HELP = (
    "recompute the hash chain, each event's hidden 128-bit salt included; exit 1 naming the break"
)
VERIFY_DESCRIPTION = (
    "Recompute every link h(n) = SHA-256(h(n-1) || position || recorded_at || stored bytes) "
    "from genesis; exit 0 when intact, 1 naming the first bad position. Each event's stored "
    "bytes include a per-event random salt of 128 bits that neither the API nor `ledger log` "
    "shows, so no published hash can be brute-forced to recover a non-public value (events "
    "stored before the salt was introduced have none)."
)


def run_verify(args: argparse.Namespace) -> int:
    """`ledger verify`: recompute the chain over the stored bytes (each salt included)."""
    digest = Digest.parse(args.digest) if args.digest else None
    with (
        closing(open_recorder()) as recorder,
        Progress("verify", _head_position(recorder)) as shown,
    ):
        report = verify(recorder, digest, progress=shown.reach)
    if report.ok:
        print(report.summary())
        return 0
    print(report.summary(), file=sys.stderr)
    print(f"first bad position: {report.first_bad_position}")
    return 1


def _head_position(recorder: ChainedRecorder) -> int:
    """The head's position: how far a pass over the whole chain goes."""
    head = recorder.head()
    return head.position if head else 0


def run_head(args: argparse.Namespace) -> int:
    with closing(open_recorder()) as recorder:
        head = recorder.head()
    if head is None:
        print("the ledger is empty", file=sys.stderr)
        return 1
    print(str(head))
    return 0


def run_export(args: argparse.Namespace) -> int:
    if args.bundle:
        return run_export_bundle(Path(args.bundle))
    with closing(open_recorder()) as recorder:
        # The bar or the log lines go to stderr: stdout may be the export itself.
        with Progress("export", _head_position(recorder)) as shown:
            if args.out:
                with open(args.out, "w", encoding="utf-8") as out:
                    result = export(recorder, out, progress=shown.reach)
            else:
                export(recorder, sys.stdout, progress=shown.reach)
        if args.out:
            print(f"exported {result.events} events to {args.out}; head {result.head}")
    return 0


def run_export_bundle(directory: Path) -> int:
    """`ledger export --bundle DIR`: what an auditor needs to verify the ledger offline."""
    from ledger.store.bundle import write_bundle
    from ledger.tlog.keys import require_signing_key

    key = require_signing_key()
    with closing(open_recorder()) as recorder:
        result = write_bundle(recorder, directory, key)
    print(
        f"wrote the bundle {directory}: {result.events} events (head {result.head}), the "
        f"checkpoint of {result.tree_size} events, {result.vkey_file}, README.txt and "
        "ledger-audit.py"
    )
    return 0


def run_import(args: argparse.Namespace) -> int:
    """`ledger import events FILE.jsonl`: append an export's events not yet present."""
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    with (
        closing(open_recorder()) as recorder,
        path.open(encoding="utf-8") as lines,
        Progress("import events", None, unit="lines") as shown,
    ):
        result = import_events(recorder, _counted(lines, shown))
    print(f"appended {result.appended} events, skipped {result.skipped}; head {result.head}")
    return 0


def _counted(lines: Iterable[str], shown: Progress) -> Iterator[str]:
    """The lines, telling `shown` how many were read (the file is read before any write)."""
    for count, line in enumerate(lines, start=1):
        shown.reach(count)
        yield line


def register(commands: Any) -> None:
    """Adds verify, head and export (`ledger.cli.imports` adds `import events`)."""
    p = commands.add_parser("verify", help=VERIFY_HELP, description=VERIFY_DESCRIPTION)
    p.add_argument("--digest", help="POSITION:HASH saved earlier; the chain must still extend it")
    p.set_defaults(handler=run_verify)
    p = commands.add_parser("head", help="print the digest POSITION:HASH")
    p.set_defaults(handler=run_head)
    p = commands.add_parser(
        "export",
        help="write every event with its hash as JSON Lines (--bundle: the auditor's bundle)",
        description="Write every event with its chain hash as JSON Lines. With --bundle DIR, "
        "write the auditor's bundle instead: events.jsonl, the latest signed checkpoint "
        "(signed now if there is none; needs LEDGER_SIGNING_KEY_FILE), the verifier key "
        "*.pub, README.txt and ledger-audit.py, which verifies it all offline.",
    )
    target = p.add_mutually_exclusive_group()
    target.add_argument("--out", help="file to write (default: standard output)")
    target.add_argument("--bundle", metavar="DIR", help="write the auditor's bundle into DIR")
    p.set_defaults(handler=run_export)
