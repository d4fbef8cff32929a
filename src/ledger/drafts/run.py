"""`ledger draft FILE… --body SLUG`: drafts command files; reads files, writes no ledger."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

from ledger.drafts.draft import build_draft
from ledger.drafts.model import Draft
from ledger.drafts.output import FORMATS, draft_json, draft_yaml
from ledger.drafts.text import read_source
from ledger.errors import LedgerError

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def run_draft(paths: Sequence[str], body: str, fmt: str = "yaml", out: str | None = None) -> int:
    """Drafts every file; 0 when done (with or without commands), 2 on unreadable input."""
    if not SLUG.fullmatch(body):
        return _error(f"--body must be a body's slug such as kyffhaeuserkreis, got '{body}'")
    if fmt not in FORMATS:
        return _error(f"--format must be yaml or json, got '{fmt}'")
    if not paths:
        return _error("name at least one FILE to draft from")
    drafts: list[Draft] = []
    kinds: dict[str, str] = {}
    try:
        for path in paths:
            source = read_source(path)
            kinds[path] = source.kind
            drafts.append(build_draft(source, body))
    except LedgerError as exc:
        return _error(str(exc))
    text = draft_json(drafts) if fmt == "json" else draft_yaml(drafts, kinds)
    if out is not None:
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as exc:
            return _error(f"--out {out}: cannot be written ({exc.strerror or exc})")
    else:
        sys.stdout.write(text)
    for draft in drafts:
        if not draft.commands:
            print(
                f"ledger draft: {draft.source}: no decision, vote, proposal or expenditure "
                "recognised (not a decision document?)",
                file=sys.stderr,
            )
    return 0


def _error(message: str) -> int:
    print(f"ledger draft: error: {' '.join(message.split())}", file=sys.stderr)
    return 2
