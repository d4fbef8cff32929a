"""The outcome of a decision from the German words that state it (never from counts).

adopted: beschlossen, zugestimmt, angenommen, gefasst; rejected: abgelehnt, nicht beschlossen,
keine Mehrheit; deferred: zurückgestellt, vertagt; referred: verwiesen, überwiesen; noted: zur
Kenntnis genommen. Present-tense proposals ("Der Ausschuss beschließt ...") state no outcome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# adopted and rejected are the vote's outcomes in the ledger (ledger.domain.resolution.OUTCOMES)
OUTCOMES = ("adopted", "rejected", "deferred", "referred", "noted")
WORDS: tuple[tuple[str, str], ...] = (
    ("rejected", r"nicht\s+(?:\w+\s+){0,2}?(?:beschlossen|zugestimmt|angenommen)"),
    ("rejected", r"(?:fand|findet|erhielt|erhält|bekam)\s+keine\s+(?:\w+\s+)?Mehrheit"),
    ("rejected", r"abgelehnt|Ablehnung\s+des\s+(?:Antrag|Beschlussvorschlag)\w*"),
    ("noted", r"(?:zur\s+)?Kenntnis\s+genommen"),
    ("deferred", r"zurückgestellt|zurueckgestellt|vertagt"),
    ("referred", r"(?:zurück|über|rück)?verwiesen|überwiesen"),
    ("adopted", r"beschlossen|zugestimmt|angenommen|Beschluss(?:es)?\b[^.]{0,80}?\bgefasst"),
    ("adopted", r"(?:einstimmige|mehrheitliche)\s+Zustimmung"),
)
PATTERN = re.compile(
    "|".join(f"(?P<o{i}>(?<![\\wäöüß])(?:{p})(?![\\wäöüß]))" for i, (_, p) in enumerate(WORDS)),
    re.IGNORECASE,
)
# "Ergebnis: Zustimmung" / "Ergebnis: Ablehnung" as the whole result
LABELLED = re.compile(
    r"(?:Abstimmungsergebnis|Ergebnis|Beschlussergebnis|Votum|Beschluss)\s*:\s*"
    r"(?:(?:einstimmig|mehrheitlich)\w*\s+)?(Zustimmung|Ablehnung|Vertagung|Kenntnisnahme)\b",
    re.IGNORECASE,
)
LABEL_OUTCOME = {
    "zustimmung": "adopted",
    "ablehnung": "rejected",
    "vertagung": "deferred",
    "kenntnisnahme": "noted",
}
# A sentence about a decision: its subject, or a marker of how the vote went.
SUBJECT = re.compile(
    r"\b(?:Vorlage|Beschlussvorlage|Beschlussvorschlag|Beschlussempfehlung|Antrag|Anträge"
    r"|Tagesordnungspunkt|TOP|Punkt|Angelegenheit|Beschluss|Bericht|Information|Mitteilung"
    r"|Vorschlag|Empfehlung|einstimmig\w*|mehrheitlich\w*|Mehrheit|Abstimmung\w*|Ergebnis"
    r"|so)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Outcome:
    """An outcome and the words in the text that state it."""

    value: str
    words: str


def outcomes_in(text: str) -> list[Outcome]:
    """Every outcome stated in `text`, in order."""
    found: list[tuple[int, Outcome]] = []
    for match in PATTERN.finditer(text):
        index = next(i for i in range(len(WORDS)) if match.group(f"o{i}") is not None)
        found.append((match.start(), Outcome(WORDS[index][0], match.group(0))))
    for match in LABELLED.finditer(text):
        found.append((match.start(1), Outcome(LABEL_OUTCOME[match.group(1).lower()], match[1])))
    return [o for _, o in sorted(found, key=lambda f: f[0])]


def single_outcome(text: str) -> Outcome | None:
    """The outcome of `text` when it states exactly one (conflicting words: none)."""
    found = outcomes_in(text)
    values = {o.value for o in found}
    if len(values) != 1:
        return None
    return found[0]


def about_a_decision(sentence: str) -> bool:
    """Whether a sentence speaks of a decision (its subject or a vote marker is named)."""
    return SUBJECT.search(sentence) is not None
