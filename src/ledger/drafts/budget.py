"""Über- and außerplanmäßige expenditure: kind, amount, budget line, fiscal year and cover."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ledger.drafts.numbers import Amount, amounts_in
from ledger.drafts.reference import Found

NOT_LETTER = r"(?![\wäöüß])"
# OCR spells ß and ä in many ways: "AuRerplanméafige", "aulerplanmaRig", "Uberplanmafige".
KINDS = (
    ("ausserplanmaessig", re.compile(
        rf"(?<![\wäöüß])(?:au\S{{1,3}}?erplanm\S{{0,4}}?ig(?:e[nmrs]?)?|apl\.){NOT_LETTER}",
        re.IGNORECASE)),
    ("ueberplanmaessig", re.compile(
        rf"(?<![\wäöüß])(?:(?:ü|ue|u)berplanm\S{{0,4}}?ig(?:e[nmrs]?)?|[üu]pl\.){NOT_LETTER}",
        re.IGNORECASE)),
)  # fmt: skip
EXPENDITURE = re.compile(
    r"^\W*(?:\w+\s+){0,2}?(?:Ausgaben?|Aufwendungen|Aufwendung|Aufwand|Auszahlung(?:en)?|Mittel"
    r"|Bereitstellung|Mehrausgaben?|Mehraufwendungen|Mehraufwand|Mehrauszahlung(?:en)?"
    r"|Haushaltsmittel|bereitgestellt|bereitzustellen|zur\s+Verfügung|Verpflichtungsermächtigung"
    r"|Zuschuss|Zuschüsse|Zuwendung(?:en)?|Mehrbedarf|Bedarf)",
    re.IGNORECASE,
)
CODE = re.compile(
    r"(?<![\wäöüß-])(?P<label>HH-?\s?Stellen?|Haushaltsstellen?|HHSt\.?|Hhst\.?|HH-St\.?"
    r"|Buchungsstellen?|Haushaltsposition(?:en)?|Finanzposition(?:en)?|Fipo\.?|PSP-Elemente?|PSP"
    r"|Investitionsnummer|Inv\.-Nr\.)\s*[:.]?\s*(?:Nr\.\s*)?"
    r"(?P<code>[\dA-Z][\dA-Za-z]*(?:[.\-/][\dA-Za-z]+)+|\d{4,})(?![\w.]*\d)"
)
PARTS = re.compile(
    r"(?<![\wäöüß-])(?P<label>Kostenstellen?|Kostenart(?:en)?|Sachkont(?:o|en)|Produkt(?:konto)?"
    r"|KST|KA)\s*[:.]?\s*(?P<code>\d[\d.\-/]*\d|\d)"
)
YEAR = re.compile(
    r"(?<![\wäöüß-])(?:HH-?\s?Jahr|Haushaltsjahr(?:es)?|HHJ\.?|Haushalt(?:splan)?(?:s|es)?"
    r"|Wirtschaftsjahr(?:es)?)\s*[:.]?\s*((?:19|20)\d{2})(?!\d)",
    re.IGNORECASE,
)
COVER = re.compile(
    r"(?<![\wäöüß])(?:Deckung|Deckungsvorschlag|Deckungsquelle|gedeckt)\b", re.IGNORECASE
)
# A sentence ends at a full stop before a capitalised word ("HHSt. 1.9000" goes on).
SENTENCE_END = re.compile(r"(?<=[a-zäöüß\d)]\.)\s+(?=[A-ZÄÖÜ][a-zäöüß])")
WINDOW = 6  # lines after the keyword in which its amount's line, year and cover are looked for


@dataclass
class Supplementary:
    """An über-/außerplanmäßige expenditure as stated; missing parts are in `unsure`."""

    kind: str
    keyword: Found
    amount: Amount | None = None
    amount_at: Found | None = None
    line: Found | None = None
    year: Found | None = None
    cover: Found | None = None
    unsure: list[tuple[str, str]] = field(default_factory=list)


def supplementaries(lines: list[tuple[int, str]]) -> list[Supplementary]:
    """Every über-/außerplanmäßige expenditure stated in the lines (one per keyword with EUR)."""
    found: list[Supplementary] = []
    for index, (number, text) in enumerate(lines):
        for kind, pattern in KINDS:
            for match in pattern.finditer(text):
                if not EXPENDITURE.match(text[match.end() :]):
                    continue
                item = Supplementary(kind, Found(match.group(0), number, text.strip()))
                if _read_amount(item, lines, index, match.end()):
                    _read_rest(item, lines, index)
                    found.append(item)
    return _distinct(found)


def _keyword_in(text: str) -> bool:
    return any(pattern.search(text) for _, pattern in KINDS)


def _read_amount(item: Supplementary, lines: list[tuple[int, str]], index: int, end: int) -> bool:
    """The first amount after the keyword (on its line, else the next line of its sentence)."""
    number, text = lines[index]
    candidates = [(number, text, a) for a in amounts_in(text) if a.start >= end]
    if not candidates and index + 1 < len(lines):
        next_number, next_text = lines[index + 1]
        if not _keyword_in(next_text) and not text.rstrip().endswith("."):
            candidates = [(next_number, next_text, a) for a in amounts_in(next_text)]
    if not candidates:
        return False
    at, at_text, amount = candidates[0]
    item.amount_at = Found(amount.text, at, at_text.strip())
    if amount.currency != "EUR":
        item.unsure.append(
            ("amount", f"the amount is stated in DM ({amount.text}), not in EUR; not converted")
        )
    elif amount.estimate:
        item.unsure.append(("amount", f"'{amount.text}' is an estimate, not a decided amount"))
    else:
        item.amount = amount
    return True


def _read_rest(item: Supplementary, lines: list[tuple[int, str]], index: int) -> None:
    """The budget line, fiscal year and cover stated near the keyword."""
    after = [lines[index]]
    for line in lines[index + 1 : index + WINDOW]:
        if _keyword_in(line[1]):
            break  # the next expenditure's own line, year and cover
        after.append(line)
    before: list[tuple[int, str]] = []
    for line in reversed(lines[max(0, index - WINDOW) : index]):
        if _keyword_in(line[1]) and line[1].strip() and amounts_in(line[1]):
            break
        before.insert(0, line)
    for number, text in after:
        cut = COVER.search(text)
        head = text[: cut.start()] if cut else text
        code = CODE.search(head)
        if code:
            item.line = Found(code.group("code").rstrip("."), number, text.strip())
            break
        if cut:
            break
    if item.line is None:
        parts = [
            f"{m.group('label')} {m.group('code')}"
            for _, text in after
            for m in PARTS.finditer(text)
        ]
        why = "no Haushaltsstelle is stated next to the amount"
        if parts:
            why = f"stated as {', '.join(parts)}: form the line code as the body's pattern requires"
        item.unsure.append(("line", why))
    for number, text in after + list(reversed(before)):
        year = YEAR.search(text)
        if year:
            item.year = Found(year.group(1), number, text.strip())
            break
    if item.year is None:
        item.unsure.append(("year", "no fiscal year (Haushaltsjahr) is stated next to the amount"))
    for number, text in after:
        cover = COVER.search(text)
        if cover:
            sentence = SENTENCE_END.split(text[cover.start() :], maxsplit=1)[0]
            item.cover = Found(sentence.strip(), number, text.strip())
            break


def _distinct(found: list[Supplementary]) -> list[Supplementary]:
    """One per stated expenditure: the same kind and amount on the same line counts once."""
    seen: set[tuple[str, str, str]] = set()
    result = []
    for item in found:
        key = (
            item.kind,
            item.amount.plain() if item.amount else f"?{item.keyword.line}",
            item.line.value if item.line else "",
        )
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result
