"""The draft as a YAML command file with comments, or as JSON with evidence and gaps."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import yaml

from ledger.drafts.model import Command, Draft

#: The draft formats `ledger draft --format` offers.
FORMATS = ("yaml", "json")

HEADER = (
    "# Draft made by `ledger draft` from {source}. Nothing has been recorded.\n"
    "# Check every value against the document, fill in the fields marked 'unsicher',\n"
    "# then record it with `ledger record FILE`. 'Zeile' numbers count the lines of the\n"
    "# text read from the document ({kind}).\n"
)


class DraftDumper(yaml.SafeDumper):
    """Writes YAML as the ledger reads it: only true/false are booleans, so `yes:` stays a key."""

    def ignore_aliases(self, data: Any) -> bool:
        """Repeats a value instead of writing an anchor and an alias (&id001, *id001)."""
        return True


DraftDumper.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()
}
DraftDumper.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def quoted(text: str) -> str:
    """A source line in double quotes, on one line."""
    return json.dumps(" ".join(text.split()), ensure_ascii=False)


def command_yaml(index: int, command: Command) -> str:
    """One command with its evidence and gaps as comments before it."""
    out: list[str] = [f"# --- command {index + 1}: {command.record}"]
    seen: set[int] = set()
    for evidence in sorted(command.evidence, key=lambda e: e.line):
        if evidence.line not in seen:
            seen.add(evidence.line)
            out.append(f"# Zeile {evidence.line}: {quoted(evidence.text)}")
    out += [f"# {note}" for note in command.notes]
    out += [f"# unsicher: {name}: {why}" for name, why in command.unsure]
    mapping = {"record": command.record, **command.fields}
    body = yaml.dump(
        [mapping], Dumper=DraftDumper, sort_keys=False, allow_unicode=True, width=1_000_000
    )
    return "\n".join(out) + "\n" + body


def draft_yaml(drafts: list[Draft], kinds: dict[str, str]) -> str:
    """The drafts as one command file."""
    parts: list[str] = []
    for draft in drafts:
        parts.append(HEADER.format(source=draft.source, kind=kinds.get(draft.source, "text")))
        parts += [f"# unsicher: {name}: {why}" for name, why in draft.unsure]
        if not draft.commands:
            parts.append("# No decision, vote, proposal or expenditure was recognised.")
        parts += [command_yaml(i, c) for i, c in enumerate(draft.commands)]
    if not any(d.commands for d in drafts):
        parts.append("[]")
    return "\n".join(parts).rstrip("\n") + "\n"


def plain(value: Any) -> Any:
    """A value as JSON has it (dates in ISO notation)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def draft_document(draft: Draft) -> dict[str, Any]:
    """The JSON document of one draft; `command` indexes `commands` from 0 (null: none)."""
    commands = [
        {"record": c.record, **{k: plain(v) for k, v in c.fields.items()}} for c in draft.commands
    ]
    unsure: list[dict[str, Any]] = [
        {"command": None, "field": name, "why": why} for name, why in draft.unsure
    ]
    evidence: list[dict[str, Any]] = []
    for index, command in enumerate(draft.commands):
        unsure += [{"command": index, "field": n, "why": w} for n, w in command.unsure]
        evidence += [
            {"command": index, "field": e.field, "line": e.line, "text": e.text}
            for e in command.evidence
        ]
    return {"source": draft.source, "commands": commands, "unsure": unsure, "evidence": evidence}


def draft_json(drafts: list[Draft]) -> str:
    """One document for one file, a list of documents for several."""
    documents = [draft_document(d) for d in drafts]
    data: Any = documents[0] if len(documents) == 1 else documents
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
