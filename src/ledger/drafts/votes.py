"""Vote counts as minutes and forms state them; "einstimmig" and the like give no counts.

Read forms: "Ja 9 Nein 0 Enth 0 Bef 0", "44 Ja-Stimmen, 1 Nein-Stimme und 1 Enthaltung",
"JA-Stimmen: 10 NEIN-Stimmen: 0 Enthaltungen: 0", "Anwesend: 28 Für: 28 Gegen: 0",
"(36 JA, 1 Nein, 2 Enthaltungen)", "bei 2 Gegenstimmen", "Mitwirkungsverbot: 1", and a
header row of labels over a row of numbers. Counts next to each other form one tally; a
lone count needs an unambiguous label ("2 Gegenstimmen", not "Ja 3").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ledger.drafts.masks import mask_non_counts

COUNTS = ("yes", "no", "abstentions", "recused")
MAX_COUNT = 300  # more than any municipal body has members
LETTER = "A-Za-zÄÖÜäöüß"

# (category, strong, pattern); longer spellings first so that "Ja-Stimmen" is not read as "Ja".
LABELS: tuple[tuple[str, bool, str], ...] = (
    ("yes", True, r"Ja[- ]?Stimmen|Ja[- ]?Stimme|Zustimmungen"),
    ("no", True, r"Nein[- ]?Stimmen|Nein[- ]?Stimme|Gegen[- ]?[Ss]timmen|Gegen[- ]?[Ss]timme"),
    ("abstentions", True, r"Stimmenthaltungen|Stimmenthaltung|Enthaltungen|Enthaltung"),
    (
        "recused",
        True,
        r"Befangenheit|Befangene|befangen|Mitwirkungsverbote|Mitwirkungsverbot"
        r"|Ausschluss|ausgeschlossen",
    ),
    ("present", True, r"davon\s+anwesend|Anwesende|Anwesend|anwesend"),
    ("yes", False, r"Ja|Dafür|Für"),
    ("no", False, r"Nein|Dagegen|Gegen"),
    ("abstentions", False, r"Stimmenth\.?|Enth\.?|Enthalten"),
    ("recused", False, r"Bef\.?"),
)
LABEL = "|".join(f"(?P<l{i}>{p})" for i, (_, _, p) in enumerate(LABELS))
WORDS = {
    "kein": 0, "keine": 0, "keiner": 0, "ohne": 0, "ein": 1, "eine": 1, "einer": 1, "einem": 1,
    "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9,
    "zehn": 10, "elf": 11, "zwölf": 12,
}  # fmt: skip
WORD = "|".join(sorted(WORDS, key=len, reverse=True))
NUM = rf"(?<![\d#.,{LETTER}])(?P<num>\d{{1,3}})(?![\d#{LETTER}]|[.,]\d)"  # "1O": OCR, no count
# "Ja: 9", "Enth:0", "Mitwirkungsverbot gem. § ## ThürKO: 1" (text before a colon, recusals only)
LABEL_FIRST = re.compile(
    rf"(?<![{LETTER}-])(?:{LABEL})(?P<sep>[ \t]*(?:[:=]|\.:)?[ \t]*|[^\d\n:]{{1,40}}:[ \t]*){NUM}",
    re.IGNORECASE,
)
NUMBER_FIRST = re.compile(
    rf"(?:{NUM}|(?<![{LETTER}])(?P<word>{WORD}))[ \t]+(?:weitere[nr]?[ \t]+)?(?:{LABEL})"
    rf"(?![{LETTER}])",
    re.IGNORECASE,
)
NEEDS_COLON = {"für", "dafür", "gegen", "dagegen", "enthalten"}
GAP = re.compile(
    r"[\s,;:/()\[\]\-–.|*]*(?:(?:und|bei|sowie|davon|mit|Stimmen|Stimme)\b[\s,;:/()\-–.|*]*)*",
    re.IGNORECASE,
)
MAX_GAP = 60
UNANIMOUS = re.compile(
    r"\b(einstimmig\w*|mehrheitlich\w*|ansonsten\s+Zustimmung|mit\s+(?:großer\s+)?Mehrheit"
    r"|Stimmenmehrheit)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Count:
    """One stated count: its category, value, line and the words that state it."""

    category: str
    value: int
    line: int
    start: int
    end: int
    strong: bool
    text: str


@dataclass
class Tally:
    """Counts stated together (one vote); `present` is read but is no field of a command."""

    counts: dict[str, Count] = field(default_factory=dict)

    @property
    def lines(self) -> list[int]:
        """The source lines the counts are on."""
        return sorted({c.line for c in self.counts.values()})

    def stated(self) -> dict[str, int]:
        """The counts of the command fields yes, no, abstentions, recused that are stated."""
        return {k: self.counts[k].value for k in COUNTS if k in self.counts}


def counts_in(number: int, line: str) -> list[Count]:
    """The counts stated in one line (its other numbers masked), in order of position."""
    masked = mask_non_counts(line)
    found: list[Count] = []
    for match in LABEL_FIRST.finditer(masked):
        category, strong, label = _label(match)
        if label.lower().rstrip(".") in NEEDS_COLON and ":" not in match.group("sep"):
            continue
        sep = match.group("sep")
        if sep.strip(" \t:=.") and (":" not in sep or category != "recused"):
            continue  # words between label and number: only "Mitwirkungsverbot gem. § 38: 1"
        found.append(_count(number, line, match, category, strong, int(match.group("num"))))
    taken = [(c.start, c.end) for c in found]
    for match in NUMBER_FIRST.finditer(masked):
        if any(s < match.end() and match.start() < e for s, e in taken):
            continue
        category, strong, label = _label(match)
        word = match.group("word")
        if word is not None and not strong:
            continue  # "eine Ja" is no way to state a count
        value = WORDS[word.lower()] if word is not None else int(match.group("num"))
        found.append(_count(number, line, match, category, strong, value))
    return sorted((c for c in found if c.value <= MAX_COUNT), key=lambda c: c.start)


def _label(match: re.Match[str]) -> tuple[str, bool, str]:
    for i, (category, strong, _) in enumerate(LABELS):
        label = match.group(f"l{i}")
        if label is not None:
            return category, strong, label
    raise AssertionError("a label group always matches")


def _count(
    number: int, line: str, match: re.Match[str], category: str, strong: bool, value: int
) -> Count:
    return Count(category, value, number, match.start(), match.end(), strong, line.strip())


def tallies(lines: list[tuple[int, str]]) -> list[Tally]:
    """The tallies in consecutive `(number, text)` lines: counts joined by separators only."""
    result: list[Tally] = []
    current = Tally()
    previous: Count | None = None
    text_of = dict(lines)
    for number, text in lines:
        for count in counts_in(number, text):
            joined = previous is not None and _adjacent(text_of, previous, count)
            if not joined or count.category in current.counts:
                _close(current, result)
                current = Tally()
            current.counts[count.category] = count
            previous = count
    _close(current, result)
    return result


def _adjacent(text_of: dict[int, str], before: Count, after: Count) -> bool:
    """Whether only separators stand between two counts (at most two line breaks)."""
    if after.line - before.line > 2:
        return False
    if after.line == before.line:
        gap = mask_non_counts(text_of[before.line])[before.end : after.start]
    else:
        parts = [mask_non_counts(text_of[before.line])[before.end :]]
        parts += [text_of.get(n, "") for n in range(before.line + 1, after.line)]
        parts.append(mask_non_counts(text_of[after.line])[: after.start])
        gap = "\n".join(parts)
    return len(gap) <= MAX_GAP and GAP.fullmatch(gap) is not None


def _close(tally: Tally, result: list[Tally]) -> None:
    """Keeps a tally that states a vote: two kinds of count, or one unambiguously labelled."""
    stated = [tally.counts[k] for k in COUNTS if k in tally.counts]
    if len(stated) >= 2 or (len(stated) == 1 and stated[0].strong):
        result.append(tally)


def table_tallies(lines: list[tuple[int, str]]) -> list[Tally]:
    """Tallies of a header row of labels ("Ja Nein Enthaltung") over rows of numbers."""
    result: list[Tally] = []
    for index, (_, text) in enumerate(lines):
        header = _header_labels(text)
        if header is None:
            continue
        for row_number, row in lines[index + 1 : index + 4]:
            if not row.strip():
                continue
            values = re.findall(r"(?<![\d#])\d{1,3}(?![\d#])", mask_non_counts(row))
            if len(values) != len(header):
                break  # an empty cell or another number: the columns cannot be told apart
            tally = Tally()
            for category, value in zip(header, values, strict=True):
                tally.counts[category] = Count(
                    category, int(value), row_number, 0, 0, True, f"{text.strip()} / {row.strip()}"
                )
            result.append(tally)
    return result


HEADER_LABEL = re.compile(
    r"(?<![{L}])(Ja[- ]?Stimmen|Nein[- ]?Stimmen|Gegenstimmen|Stimmenthaltungen|Enthaltungen|"
    r"Enthaltung|Befangen|Befangenheit|Ja|Nein|Enth\.?|Bef\.?|Dafür|Dagegen)(?![{L}])".replace(
        "{L}", LETTER
    ),
    re.IGNORECASE,
)


TEXT_COLUMNS = frozenset(
    {"gremium", "gremien", "datum", "sitzung", "sitzungsdatum", "am", "beratung", "ergebnis",
     "beratungsergebnis", "abstimmungsergebnis", "abstimmung", "status", "zuständigkeit",
     "beratungsfolge", "beschluss", "organ", "ausschuss"}
)  # fmt: skip


def _header_labels(text: str) -> list[str] | None:
    """The categories of a header row whose last cells are two or more vote labels."""
    labels = list(HEADER_LABEL.finditer(text))
    if len(labels) < 2 or re.search(r"\d", text[labels[0].start() :]):
        return None
    between = text[labels[0].start() :]
    if HEADER_LABEL.sub("", between).strip(" |;/:-") != "":
        return None
    before = re.findall(rf"[{LETTER}]+", text[: labels[0].start()].lower())
    if not set(before) <= TEXT_COLUMNS:
        return None  # a column such as TOP or Nr. would hold a number of its own
    categories = [_category_of(m.group(0)) for m in labels]
    if len(set(categories)) != len(categories) or not {"yes", "no"} <= set(categories):
        return None
    return categories


def _category_of(label: str) -> str:
    low = label.lower()
    if low.startswith(("ja", "dafür")):
        return "yes"
    if low.startswith(("nein", "gegen", "dagegen")):
        return "no"
    if low.startswith(("enth", "stimmenth")):
        return "abstentions"
    return "recused"


def unanimity(text: str) -> str | None:
    """ "einstimmig", "mehrheitlich" or "ansonsten Zustimmung" when stated (no counts follow)."""
    match = UNANIMOUS.search(text)
    return match.group(1) if match else None


# Bavarian minutes: "Abstimmung: 14 : 2", "mit 12:3 Stimmen" (yes : no); "12:0:1" is not read.
RATIO = re.compile(
    r"(?:\b(?:Abstimmung(?:sergebnis)?|Ergebnis)\s*:?[ \t]*|\bmit[ \t]+)"
    r"(?<![\d#])(\d{1,3})[ \t]*:[ \t]*(\d{1,3})(?![\d#]|[ \t]*:[ \t]*\d|[.,]\d)"
    r"(?P<votes>[ \t]+Stimmen)?",
    re.IGNORECASE,
)


def ratio_tallies(lines: list[tuple[int, str]]) -> list[Tally]:
    """Tallies written as yes : no after "Abstimmung:" or as "mit 12 : 3 Stimmen"."""
    result: list[Tally] = []
    for number, text in lines:
        for match in RATIO.finditer(mask_non_counts(text)):
            if match.group(0).lower().startswith("mit") and not match.group("votes"):
                continue  # "mit 3:1" without "Stimmen" may be a score or a ratio
            tally = Tally()
            for category, group in (("yes", 1), ("no", 2)):
                value = int(match.group(group))
                tally.counts[category] = Count(
                    category, value, number, match.start(), match.end(), True, text.strip()
                )
            result.append(tally)
    return result


def labelled(text: str) -> set[str]:
    """The count fields whose label appears in `text` (stated, whether or not read)."""
    found: set[str] = set()
    for match in re.finditer(rf"(?<![{LETTER}-])(?:{LABEL})(?![{LETTER}])", text, re.I):
        category, _, label = _label(match)
        if category in COUNTS and label.lower() not in NEEDS_COLON | {"ja", "nein"}:
            found.add(category)
        elif category in COUNTS and re.match(r"\s*[:=]", text[match.end() :]):
            found.add(category)  # "Ja:" and "Für:" are labels; "ja" alone is a word
    return found
