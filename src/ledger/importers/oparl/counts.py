"""Vote counts of an agenda item from the `text` of its Files, by the draft extractor.

OParl carries no counts; a File's `text` (a resolution file, a protocol excerpt, the
meeting's results protocol) may state them. The text is read by `ledger draft`'s extractor
(ledger.drafts) and only the counts it states for this agenda item are taken:

- a File of the agenda item itself: the decision its text states for the paper's
  reference, else its only decision;
- a File of the meeting (results protocol, verbatim protocol, auxiliary files): only the
  decision stated for the paper's reference.

Files of the agenda item are read before those of the meeting; the first that states
counts for the item gives them. Decisions that disagree in one file give none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ledger.drafts.draft import build_draft
from ledger.drafts.model import Command
from ledger.drafts.text import Source, clean_line
from ledger.drafts.votes import COUNTS

ITEM_FILES = ("resolutionFile", "auxiliaryFile")
MEETING_FILES = ("resultsProtocol", "verbatimProtocol", "auxiliaryFile")


@dataclass(frozen=True)
class Counts:
    """The counts a file states for an agenda item, and the file they come from."""

    values: dict[str, int]
    file: str


@dataclass
class CountReader:
    """Reads each file's text once per run (a meeting's protocol serves all its items)."""

    body: str
    drafts: dict[str, list[Command]] = field(default_factory=dict)

    def counts(
        self, item: dict[str, Any], meeting: dict[str, Any] | None, reference: str
    ) -> Counts | None:
        """The counts stated for the agenda item `item` of the paper `reference`."""
        for own, files in ((True, files_of(item, ITEM_FILES)), (False, meeting_files(meeting))):
            for file in files:
                found = self._from_file(file, reference, own)
                if found:
                    return Counts(found, str(file.get("id", "")))
        return None

    def _from_file(self, file: dict[str, Any], reference: str, own: bool) -> dict[str, int]:
        text = file.get("text")
        if not isinstance(text, str) or not text.strip():
            return {}
        key = str(file.get("id") or id(file))
        commands = self.drafts.get(key)
        if commands is None:
            lines = tuple(clean_line(line) for line in text.splitlines())
            draft = build_draft(Source(key, lines, "text"), self.body)
            commands = [c for c in draft.commands if c.record in ("vote", "decision")]
            self.drafts[key] = commands
        wanted = _plain(reference)
        chosen = [c for c in commands if _plain(str(c.fields.get("resolution", ""))) == wanted]
        if not chosen and own and len(commands) == 1:
            chosen = commands
        stated = [{n: c.fields[n] for n in COUNTS if n in c.fields} for c in chosen]
        stated = [s for s in stated if s]
        if not stated or any(s != stated[0] for s in stated):
            return {}
        return stated[0]


def files_of(obj: dict[str, Any] | None, names: tuple[str, ...]) -> list[dict[str, Any]]:
    """The embedded File objects of `obj` under these attribute names, in that order."""
    if obj is None:
        return []
    out: list[dict[str, Any]] = []
    for name in names:
        value = obj.get(name)
        items = value if isinstance(value, list) else [value]
        out.extend(v for v in items if isinstance(v, dict) and v.get("deleted") is not True)
    return out


def meeting_files(meeting: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The embedded File objects of a meeting that may state its decisions."""
    return files_of(meeting, MEETING_FILES)


def _plain(reference: str) -> str:
    return re.sub(r"\s+", "", reference).lower()
