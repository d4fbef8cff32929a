"""The outcome of a decision from an AgendaItem's German `result` text, and back to words.

beschlossen, zugestimmt, angenommen, einstimmig, mehrheitlich -> adopted; abgelehnt, nicht
beschlossen -> rejected; vertagt, zurückgestellt -> deferred; verwiesen, überwiesen ->
referred; zurückgezogen -> withdrawn; zur Kenntnis genommen, Kenntnisnahme -> noted.
Anything else (or words that state two outcomes) gives no outcome: the text is kept as
the decision's wording. The words are read by the draft extractor's outcome patterns
(ledger.drafts.outcomes), so minutes and OParl results read alike.
"""

from __future__ import annotations

import re

from ledger.drafts.outcomes import single_outcome

OUTCOMES = ("adopted", "rejected", "deferred", "referred", "noted", "withdrawn")
WITHDRAWN = re.compile(r"(?<![\wäöüß])zur(?:ü|ue)ckgezogen(?![\wäöüß])", re.IGNORECASE)
MARKER = re.compile(r"(?<![\wäöüß])(?:einstimmig|mehrheitlich)(?![\wäöüß])", re.IGNORECASE)
NOTED = re.compile(r"(?<![\wäöüß])Kenntnisnahme(?![\wäöüß])", re.IGNORECASE)
#: The words the served OParl gives each outcome (AgendaItem.result).
WORDS = {
    "adopted": "beschlossen",
    "rejected": "abgelehnt",
    "deferred": "vertagt",
    "referred": "verwiesen",
    "noted": "zur Kenntnis genommen",
    "withdrawn": "zurückgezogen",
}
COUNT_WORDS = (
    ("yes", "Ja"),
    ("no", "Nein"),
    ("abstentions", "Enthaltungen"),
    ("recused", "befangen"),
)


def outcome_of(text: str | None) -> str | None:
    """The outcome a result text states, or None when it states none or several."""
    if not text or not text.strip():
        return None
    withdrawn = WITHDRAWN.search(text) is not None
    found = single_outcome(text)
    if withdrawn:
        return "withdrawn" if found is None else None
    if found is not None:
        return found.value
    if NOTED.search(text):
        return "noted"
    if MARKER.search(text):
        return "adopted"  # "einstimmig" alone: the proposal was carried unanimously
    return None


def result_text(outcome: str | None, counts: dict[str, int], wording: str = "") -> str:
    """An AgendaItem's result in words: "beschlossen (Ja 9, Nein 0, Enthaltungen 0, befangen 0)".

    Only the counts that are known are named; without an outcome the wording stands first.
    """
    head = WORDS.get(outcome or "", "") or " ".join(wording.split()) or "ohne Ergebnis"
    stated = [f"{word} {counts[name]}" for name, word in COUNT_WORDS if name in counts]
    return f"{head} ({', '.join(stated)})" if stated else head
