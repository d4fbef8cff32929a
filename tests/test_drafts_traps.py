"""Nothing is invented (issue 17, point 4): unsure beats wrong, for counts, dates and amounts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.drafts.masks import mask_non_counts
from ledger.drafts.numbers import amounts_in
from ledger.drafts.run import run_draft
from ledger.drafts.votes import tallies

COUNTS = ("yes", "no", "abstentions", "recused")


def draft(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, fmt: str = "json") -> Any:
    path = tmp_path / "doc.txt"
    path.write_text(text, encoding="utf-8")
    assert run_draft([str(path)], "musterstadt", fmt) == 0
    out = capsys.readouterr().out
    return json.loads(out) if fmt == "json" else out


def unsure_of(document: dict[str, Any], record: str) -> dict[str, str]:
    index = next(i for i, c in enumerate(document["commands"]) if c["record"] == record)
    return {u["field"]: u["why"] for u in document["unsure"] if u["command"] == index}


def only(document: dict[str, Any], record: str) -> dict[str, Any]:
    commands: list[dict[str, Any]] = document["commands"]
    (command,) = [c for c in commands if c["record"] == record]
    return command


VORLAGE = """Stadt Musterstadt
Beschlussvorlage Nr. 2019/120
öffentlich
Betreff: {subject}
Datum: 04.02.2019
{body}
"""


def test_einstimmig_gives_no_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = VORLAGE.format(
        subject="Spielplatz",
        body="Beratungsfolge:\nStadtrat 12.02.2019\nAbstimmungsergebnis: einstimmig beschlossen",
    )
    document = draft(tmp_path, capsys, text)
    decision = only(document, "decision")
    assert decision["outcome"] == "adopted"
    assert not any(name in decision for name in COUNTS)
    assert unsure_of(document, "decision")["yes"] == '"einstimmig" gives no count'


def test_ansonsten_zustimmung_gives_no_yes_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = VORLAGE.format(
        subject="Spielplatz",
        body="Abstimmungsergebnis: 2 Nein-Stimmen, 1 Enthaltung, ansonsten Zustimmung",
    )
    decision = only(draft(tmp_path, capsys, text), "decision")
    assert (decision["no"], decision["abstentions"]) == (2, 1)
    assert "yes" not in decision and "recused" not in decision
    assert "outcome" not in decision


def test_mehrheitlich_gives_no_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = VORLAGE.format(subject="Spielplatz", body="Abstimmungsergebnis: mehrheitlich zugestimmt")
    decision = only(draft(tmp_path, capsys, text), "decision")
    assert decision["outcome"] == "adopted"
    assert not any(name in decision for name in COUNTS)


def test_a_month_alone_is_no_meeting_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "Niederschrift über die Sitzung des Kreistages im Juni 2013\n"
        "TOP 1 Schulnetzplan\nVorlage: 2013/40\nJa 30 Nein 2 Enthaltung 1 Befangen 0\n"
        "TOP 2 Anfragen\nKeine.\n"
    )
    document = draft(tmp_path, capsys, text)
    vote = only(document, "vote")
    assert "effective" not in vote
    assert "Juni 2013" in unsure_of(document, "vote")["effective"]


def test_an_amount_in_dm_is_not_recorded_as_eur(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = VORLAGE.format(
        subject="Sanierung Turnhalle",
        body="Beschlussvorschlag:\nDer Stadtrat genehmigt eine außerplanmäßige Ausgabe in Höhe "
        "von 25.000,00 DM bei der Haushaltsstelle 1.2100.9400 im Haushaltsjahr 1999.",
    )
    document = draft(tmp_path, capsys, text)
    supplementary = only(document, "supplementary")
    assert "amount" not in supplementary
    assert "25.000,00 DM" in unsure_of(document, "supplementary")["amount"]
    assert "amount" not in only(document, "proposal")
    yaml_text = draft(tmp_path, capsys, text, "yaml")
    assert "# unsicher: amount: the amount is stated in DM (25.000,00 DM)" in yaml_text


def test_an_estimate_is_not_a_decided_amount(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = VORLAGE.format(
        subject="Brücke",
        body="Finanzielle Auswirkungen:\nÜberplanmäßige Ausgabe von etwa 800.000 Euro, "
        "HHSt. 1.6300.9500, Haushaltsjahr 2019",
    )
    document = draft(tmp_path, capsys, text)
    assert "amount" not in only(document, "supplementary")
    assert "estimate" in unsure_of(document, "supplementary")["amount"]


@pytest.mark.parametrize(
    "line",
    [
        "Seite 2 von 5",
        "Tel. 03632 741-234, Fax 03632 741-235, Zimmer 12",
        "Az.: 12-345/2019 vom 19.06.2018, 18:30 Uhr",
        "HH-Stelle 01.4953.7187, Haushaltsjahr 2018, TOP 3, Nr. 7",
        "gemäß § 38 Abs. 1 ThürKO und Art. 49 GO",
        "Die Antwort ist Ja 3 mal, für 12 Jahre, gegen 5 Uhr",
        "PLZ 99706 Sondershausen, Markt 8",
    ],
)
def test_codes_dates_and_page_numbers_are_no_counts(line: str) -> None:
    assert tallies([(1, line)]) == []
    assert amounts_in(line) == []


def test_numbers_that_are_not_counts_are_masked() -> None:
    assert mask_non_counts("TOP 5 Ja 9 am 19.06.2018") == "TOP # Ja 9 am ##.##.####"


def test_a_document_full_of_numbers_gives_no_counts_and_no_amounts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "Landratsamt Musterkreis, Markt 8, 99706 Sondershausen\n"
        "Tel. 03632 741-234, Zimmer 12, Az.: 12-345/2019\n"
        "Einladung zur Sitzung am 19.06.2018 um 17:00 Uhr\n"
        "HH-Stelle 01.4953.7187 Haushaltsjahr 2018\n"
        "Seite 1 von 3\n"
    )
    document = draft(tmp_path, capsys, text)
    for command in document["commands"]:
        assert not any(name in command for name in (*COUNTS, "amount"))


def test_an_earlier_vote_told_in_the_sachverhalt_is_not_drafted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = VORLAGE.format(
        subject="Radweg",
        body="Sachverhalt:\nDer Stadtrat hat am 12.05.2017 mit 15 Ja-Stimmen und 2 Nein-Stimmen "
        "die Planung beschlossen. Der Antrag wurde einstimmig angenommen.\n"
        "Beschlussvorschlag:\nDer Stadtrat beschließt den Bau des Radweges.",
    )
    document = draft(tmp_path, capsys, text)
    assert [c["record"] for c in document["commands"]] == ["proposal"]


def test_the_proposed_wording_is_no_outcome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = VORLAGE.format(
        subject="Bericht",
        body="Beschlussvorschlag:\nDer Ausschuss nimmt den Bericht zur Kenntnis und beschließt "
        "die Fortschreibung. Dem wird zugestimmt.",
    )
    assert [c["record"] for c in draft(tmp_path, capsys, text)["commands"]] == ["proposal"]


def test_more_votes_than_members_present_are_not_drafted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = VORLAGE.format(subject="Kita", body="Abstimmung: Anwesend: 12 Ja: 19 Nein: 0")
    commands = draft(tmp_path, capsys, text)["commands"]
    assert all("yes" not in c for c in commands)


def test_adopted_with_more_no_than_yes_is_not_believed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = VORLAGE.format(
        subject="Kita", body="Abstimmungsergebnis: 3 Ja-Stimmen, 9 Nein-Stimmen, beschlossen"
    )
    decision = only(draft(tmp_path, capsys, text), "decision")
    assert (decision["yes"], decision["no"]) == (3, 9)
    assert "outcome" not in decision


def test_a_dated_sentence_about_an_earlier_decision_is_not_an_outcome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = VORLAGE.format(
        subject="Kita",
        body="Die Vorlage wurde am 03.03.2018 im Bauausschuss einstimmig beschlossen.",
    )
    assert [c["record"] for c in draft(tmp_path, capsys, text)["commands"]] == ["proposal"]


def test_a_table_with_a_numbered_column_before_the_counts_is_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a TOP column (or an empty cell) the numbers cannot be told apart: none are read."""
    text = VORLAGE.format(
        subject="Kita",
        body="Beratungsergebnis:\nGremium Sitzung am TOP Ja Nein Enth. Bef.\n"
        "Stadtrat 19.03.2019 5 20 3 1 0\nHauptausschuss 05.03.2019 7 1 0\n",
    )
    commands = draft(tmp_path, capsys, text)["commands"]
    assert all("yes" not in c for c in commands)


def test_a_vote_in_a_dated_sentence_tells_of_an_earlier_meeting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = VORLAGE.format(
        subject="Kita",
        body="Der Kreistag hatte am 12.05.2017 mit 30 Ja-Stimmen und 2 Nein-Stimmen die "
        "Planung begonnen.",
    )
    assert [c["record"] for c in draft(tmp_path, capsys, text)["commands"]] == ["proposal"]


def test_a_count_ocr_misread_is_left_out_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "1O" (letter O) may be 10 or 1: no count is taken from it."""
    text = VORLAGE.format(
        subject="Kita", body="Abstimmungsergebnis: Ja-Stimmen: 1O Nein-Stimmen: 2"
    )
    document = draft(tmp_path, capsys, text)
    decision = only(document, "decision")
    assert "yes" not in decision and decision["no"] == 2
    assert "could not be read" in unsure_of(document, "decision")["yes"]
