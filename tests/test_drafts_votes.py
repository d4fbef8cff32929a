"""Vote counts and outcomes in the forms German minutes and forms state them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.drafts.outcomes import single_outcome
from ledger.drafts.run import run_draft
from ledger.drafts.votes import tallies

COUNTS = ("yes", "no", "abstentions", "recused")


def draft(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> dict[str, Any]:
    """The JSON draft of `text` written as a UTF-8 file."""
    path = tmp_path / "doc.txt"
    path.write_text(text, encoding="utf-8")
    assert run_draft([str(path)], "musterstadt", "json") == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def decided(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in document["commands"] if c["record"] in ("vote", "decision")]


def stated(command: dict[str, Any]) -> dict[str, int]:
    return {k: command[k] for k in COUNTS if k in command}


@pytest.mark.parametrize(
    ("line", "counts"),
    [
        ("Ja 9 Nein 0 Enth 0 Bef 0", {"yes": 9, "no": 0, "abstentions": 0, "recused": 0}),
        ("Ja: 9 Nein: 0 Enth:0 Bef: 0", {"yes": 9, "no": 0, "abstentions": 0, "recused": 0}),
        (
            "Der Beschluss wurde mit 44 Ja-Stimmen, 1 Nein-Stimme und 1 Enthaltung gefasst.",
            {"yes": 44, "no": 1, "abstentions": 1},
        ),
        ("JA-Stimmen: 10 NEIN-Stimmen: 0 Enthaltungen: 0", {"yes": 10, "no": 0, "abstentions": 0}),
        ("Anwesend: 28 Für: 28 Gegen: 0", {"yes": 28, "no": 0}),
        ("Die Vorlage wurde (36 JA, 1 Nein, 2 Enthaltungen) angenommen.", {
            "yes": 36, "no": 1, "abstentions": 2}),
        ("Bei 43 Ja-Stimmen und 1 Nein-Stimme beschlossen.", {"yes": 43, "no": 1}),
        ("2 Nein-Stimmen, 1 Enthaltung, ansonsten Zustimmung", {"no": 2, "abstentions": 1}),
        ("mit 2 Gegenstimmen beschlossen", {"no": 2}),
        ("einstimmig bei einer Enthaltung beschlossen", {"abstentions": 1}),
        ("Ja 12 Nein 3 Enthaltung 0 Mitwirkungsverbot gem. § 38 ThürKO: 1", {
            "yes": 12, "no": 3, "abstentions": 0, "recused": 1}),
        ("Ja-Stimmen: 7 / Nein-Stimmen: 1 / Stimmenthaltungen: 2 / befangen: 1", {
            "yes": 7, "no": 1, "abstentions": 2, "recused": 1}),
    ],
)  # fmt: skip
def test_counts_are_read_in_the_common_forms(line: str, counts: dict[str, int]) -> None:
    (tally,) = tallies([(1, line)])
    assert tally.stated() == counts


def test_counts_listed_one_per_line_form_one_tally() -> None:
    lines = ["Abstimmungsergebnis:", "Ja-Stimmen: 18", "Nein-Stimmen: 2", "", "Enthaltungen: 1"]
    (tally,) = tallies(list(enumerate(lines, start=1)))
    assert tally.stated() == {"yes": 18, "no": 2, "abstentions": 1}
    assert tally.lines == [2, 3, 5]


def test_a_header_row_over_a_row_of_numbers_is_a_tally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "Beschlussvorlage Nr. 2019/77\nBetreff: Neubau Kita\nöffentlich\n"
        "Beratungsfolge:\nGremium Datum Ja Nein Enthaltung Befangen\n"
        "Stadtrat 14.03.2019 20 3 1 0\n"
    )
    (vote,) = decided(draft(tmp_path, capsys, text))
    assert vote["record"] == "vote"
    assert stated(vote) == {"yes": 20, "no": 3, "abstentions": 1, "recused": 0}
    assert (vote["committee"], vote["effective"]) == ("stadtrat", "2019-03-14")


@pytest.mark.parametrize(
    ("words", "outcome"),
    [
        ("einstimmig beschlossen", "adopted"),
        ("Dem Beschlussvorschlag wurde mehrheitlich zugestimmt.", "adopted"),
        ("Der Antrag wurde abgelehnt.", "rejected"),
        ("Der Antrag fand keine Mehrheit.", "rejected"),
        ("Die Vorlage wurde nicht beschlossen.", "rejected"),
        ("Der Tagesordnungspunkt wird vertagt.", "deferred"),
        ("Die Angelegenheit wird zurückgestellt.", "deferred"),
        ("Die Vorlage wird in den Bauausschuss verwiesen.", "referred"),
        ("Der Bericht wird zur Kenntnis genommen.", "noted"),
        ("Abstimmungsergebnis: Zustimmung", "adopted"),
    ],
)
def test_outcome_words_map_to_the_ledger_vocabulary(words: str, outcome: str) -> None:
    found = single_outcome(words)
    assert found is not None and found.value == outcome


def test_conflicting_outcome_words_give_no_outcome() -> None:
    assert single_outcome("Der Antrag auf Vertagung wurde abgelehnt; beschlossen.") is None


MINUTES = """Gemeinde Musterstadt
Niederschrift über die öffentliche Sitzung des Gemeinderates am 12.03.2019

TOP 1 Bebauungsplan "Am Mühlbach"
Vorlage: 2019/045
Beschluss:
Der Gemeinderat beschließt den Bebauungsplan als Satzung.
Abstimmungsergebnis:
Ja-Stimmen: 18
Nein-Stimmen: 2
Enthaltungen: 1
Befangen: 0

TOP 2 Zuschuss Sportverein
Drucksache Nr. 2019/051
Der Beschluss wurde mit 44 Ja-Stimmen, 1 Nein-Stimme und 1 Enthaltung gefasst.

TOP 3 Straßenausbau Lindenweg
Vorlage: 2019/052
Einstimmig beschlossen.

TOP 4 Bericht des Bürgermeisters
Vorlage: 2019/053
Der Bericht wird zur Kenntnis genommen.

TOP 5 Parkgebühren
Vorlage: 2019/054
Der Antrag wurde mit 5 Ja-Stimmen und 14 Nein-Stimmen abgelehnt.

TOP 6 Friedhofssatzung
Vorlage: 2019/055
Die Angelegenheit wird vertagt.
"""


def test_minutes_give_one_command_per_agenda_item(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commands = decided(draft(tmp_path, capsys, MINUTES))
    got = [(c["record"], c.get("resolution"), c.get("outcome"), stated(c)) for c in commands]
    assert got == [
        ("vote", "2019/045", None, {"yes": 18, "no": 2, "abstentions": 1, "recused": 0}),
        ("decision", "2019/051", "adopted", {"yes": 44, "no": 1, "abstentions": 1}),
        ("decision", "2019/052", "adopted", {}),
        ("decision", "2019/053", "noted", {}),
        ("decision", "2019/054", "rejected", {"yes": 5, "no": 14}),
        ("decision", "2019/055", "deferred", {}),
    ]
    assert {c["committee"] for c in commands} == {"gemeinderat"}
    assert {c["effective"] for c in commands} == {"2019-03-12"}


def test_a_decision_carries_the_protocols_wording_and_lists_the_unstated_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = draft(tmp_path, capsys, MINUTES)
    index = next(i for i, c in enumerate(document["commands"]) if c.get("resolution") == "2019/052")
    assert document["commands"][index]["wording"] == "Einstimmig beschlossen."
    unsure = {u["field"]: u["why"] for u in document["unsure"] if u["command"] == index}
    assert set(unsure) == set(COUNTS)
    assert "gives no count" in unsure["yes"]


def test_a_vote_on_an_amendment_before_the_final_vote_is_not_drafted_as_the_decision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "Niederschrift über die Sitzung des Stadtrates am 02.04.2019\n"
        "TOP 1 Haushaltssatzung\nVorlage: 2019/100\n"
        "Der Änderungsantrag der Fraktion wurde mit 6 Ja-Stimmen und 15 Nein-Stimmen abgelehnt.\n"
        "Abstimmungsergebnis: Ja 15 Nein 6 Enthaltung 0 Befangen 0\n"
        "TOP 2 Verschiedenes\nKeine Wortmeldungen.\n"
    )
    document = draft(tmp_path, capsys, text)
    (vote,) = decided(document)
    assert stated(vote) == {"yes": 15, "no": 6, "abstentions": 0, "recused": 0}
    assert any("line 4" in u["why"] for u in document["unsure"] if u["command"] is None)


def test_einstimmig_alone_under_the_wording_is_a_decision_without_outcome_or_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "Niederschrift über die Sitzung des Hauptausschusses am 07.05.2019\n"
        "Ö 1 Vergabe Winterdienst\nVorlage: BV/2019/061\nBeschluss:\n"
        "Der Hauptausschuss vergibt den Winterdienst an die Firma X.\n- einstimmig -\n"
        "Ö 2 Anfragen\nKeine.\n"
    )
    (decision,) = decided(draft(tmp_path, capsys, text))
    assert decision["resolution"] == "BV/2019/061"
    assert decision["committee"] == "hauptausschuss"
    assert decision["wording"] == "- einstimmig -"
    assert "outcome" not in decision and stated(decision) == {}


HESSEN = """Gemeinde Waldtal
Niederschrift
über die 7. Sitzung der Gemeindevertretung
am Dienstag, dem 12. März 2019, 19:30 Uhr, im Bürgerhaus

TOP 1 Antrag der Fraktion: Tempo 30 in der Hauptstraße
Drucksache 14/2019
Der Antrag wird an den Bauausschuss überwiesen.
Abstimmung: einstimmig

TOP 2 Zuschuss für den Sportverein
Drucksache 15/2019
Abstimmungsergebnis: 18 dafür, 7 dagegen, 2 Enthaltungen
"""


def test_an_outcome_and_the_result_on_the_next_line_are_one_decision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = draft(tmp_path, capsys, HESSEN)
    first, second = decided(document)
    assert (first["resolution"], first["outcome"]) == ("14/2019", "referred")
    assert first["wording"] == (
        "Der Antrag wird an den Bauausschuss überwiesen. Abstimmung: einstimmig"
    )
    assert stated(second) == {"yes": 18, "no": 7, "abstentions": 2}
    assert document["unsure"] == [u for u in document["unsure"] if u["command"] is not None]


def test_the_meeting_date_may_follow_on_the_line_below_the_sitzung(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commands = decided(draft(tmp_path, capsys, HESSEN))
    assert {c["effective"] for c in commands} == {"2019-03-12"}
    assert {c["committee"] for c in commands} == {"gemeindevertretung"}


def test_items_numbered_without_top_take_the_reference_stated_before_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "Niederschrift über die Sitzung des Ortschaftsrates am 04.06.2019\n"
        "1. Bebauungsplan Kirchweg, Vorlage 2019/045\n"
        "Abstimmungsergebnis: Ja 6 Nein 1 Enthaltung 0 Befangen 0\n"
        "2. Zuschuss Heimatverein, Vorlage 2019/051\n"
        "Einstimmig beschlossen.\n"
    )
    got = [(c.get("resolution"), c.get("outcome")) for c in decided(draft(tmp_path, capsys, text))]
    assert got == [("2019/045", None), ("2019/051", "adopted")]
