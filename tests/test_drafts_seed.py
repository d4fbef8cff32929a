"""`ledger draft` on the seed (Beschlussvorlage 2018/6/067): exact vote, expenditure, proposal."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger.cli.record import record_text
from ledger.commands.handlers import load_handlers
from ledger.commands.registry import parse_command
from ledger.drafts.run import run_draft
from ledger.yaml_files import load_yaml

SEED = Path(__file__).parent / "data" / "drafts" / "000_5cabd54293241374.txt"


def drafted(capsys: pytest.CaptureFixture[str], fmt: str = "json") -> Any:
    assert run_draft([str(SEED)], "kyffhaeuserkreis", fmt) == 0
    out = capsys.readouterr().out
    return json.loads(out) if fmt == "json" else out


def of_kind(document: dict[str, Any], record: str) -> list[dict[str, Any]]:
    return [c for c in document["commands"] if c["record"] == record]


def test_the_seed_gives_exactly_the_vote(capsys: pytest.CaptureFixture[str]) -> None:
    (vote,) = of_kind(drafted(capsys), "vote")
    assert vote == {
        "record": "vote",
        "body": "kyffhaeuserkreis",
        "resolution": "2018/6/067",
        "committee": "jugendhilfeausschuss",
        "yes": 9,
        "no": 0,
        "abstentions": 0,
        "recused": 0,
        "effective": "2018-06-19",
    }


def test_the_seed_gives_the_ausserplanmaessige_expenditure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (supplementary,) = of_kind(drafted(capsys), "supplementary")
    assert supplementary["kind"] == "ausserplanmaessig"
    assert Decimal(supplementary["amount"]) == Decimal("17655.00")
    assert supplementary["line"] == "01.4953.7187"
    assert supplementary["year"] == 2018
    assert supplementary["resolution"] == "2018/6/067"
    assert supplementary["effective"] == "2018-06-19"


def test_the_seed_gives_the_proposal(capsys: pytest.CaptureFixture[str]) -> None:
    (proposal,) = of_kind(drafted(capsys), "proposal")
    assert proposal["resolution"] == "2018/6/067"
    assert proposal["committee"] == "jugendhilfeausschuss"
    assert proposal["public"] is True
    assert proposal["title"].startswith("Durchfuhrung des Rezertifizierungsprozess")
    assert len(proposal["items"]) == 3
    assert proposal["submitter"] == "Die Landratin, Frau Hochwind"


def test_the_evidence_names_the_lines_of_the_vote(capsys: pytest.CaptureFixture[str]) -> None:
    document = drafted(capsys)
    index = next(i for i, c in enumerate(document["commands"]) if c["record"] == "vote")
    lines = {e["field"]: e["line"] for e in document["evidence"] if e["command"] == index}
    assert lines["yes"] == lines["recused"] == lines["effective"] == 29
    assert lines["resolution"] == 4
    seed_lines = SEED.read_text(encoding="utf-8").splitlines()
    for item in document["evidence"]:
        assert item["text"] == seed_lines[item["line"] - 1].strip()


def test_the_yaml_quotes_the_source_lines_before_each_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = drafted(capsys, "yaml")
    assert '# Zeile 29: "Jugendhilfeausschuss 19.06.2018 Ja: 9 Nein: 0 Enth:0 Bef: 0"' in text
    assert '# Zeile 44: "AuRerplanméafige Ausgabe 17.655,00 Euro"' in text


def test_the_yaml_and_the_json_draft_hold_the_same_commands(
    capsys: pytest.CaptureFixture[str],
) -> None:
    as_json = drafted(capsys)["commands"]
    as_yaml = load_yaml(drafted(capsys, "yaml"))
    for command in as_yaml:
        for name, value in command.items():
            if not isinstance(value, str | int | list):
                command[name] = value.isoformat()
    assert as_yaml == as_json


def test_every_drafted_command_is_a_valid_ledger_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    load_handlers()
    for command in load_yaml(drafted(capsys, "yaml")):
        parse_command(command)


def test_the_reviewed_draft_records_into_a_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    setup = """
- {record: body, body: kyffhaeuserkreis, name: Kyffhäuserkreis, effective: 2013-01-24,
   line_pattern: '^\\d{2}\\.\\d{4}\\.\\d{4}$'}
- {record: committee, body: kyffhaeuserkreis, committee: jugendhilfeausschuss,
   name: Jugendhilfeausschuss, seats: 15, effective: 2013-01-24}
- {record: budget-line, body: kyffhaeuserkreis, year: 2018, line: 01.4953.7187,
   title: Landesprogramm Familie, effective: 2018-06-19}
"""
    assert record_text(setup, "setup.yaml")
    draft = load_yaml(drafted(capsys, "yaml"))
    wanted = [c for c in draft if c["record"] in ("proposal", "vote", "supplementary")]
    assert len(record_text(json.dumps(wanted, default=str), "draft.json")) == 3
