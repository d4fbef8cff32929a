"""The read side's commands: `ledger project`, `rebuild`, `show` and `report annual`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.application import LedgerApplication
from ledger.cli import main
from ledger.cli.record import demo_text, load_commands
from ledger.store import application_env

BODY = "kyffhaeuserkreis"


@pytest.fixture
def demo(store_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The demo recorded on a fresh store (not yet projected); LEDGER_DATABASE_URL set."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", store_url)
    app = LedgerApplication(env=application_env(store_url))
    try:
        app.record(load_commands(demo_text(), "demo"))
    finally:
        app.close()
    return store_url


def show(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["show", *args, "--format", "json"]) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def test_show_certification_at_three_dates(demo: str, capsys: pytest.CaptureFixture[str]) -> None:
    first = show(capsys, "certification", "--body", BODY, "--as-of", "2016-01-01")
    assert first["status"] == "certified"
    assert first["certificate"] == {"valid_from": "2015-06-12", "valid_until": "2018-06-30"}
    assert show(capsys, "certification", "--body", BODY, "--as-of", "2018-12-31")["status"] == (
        "in_recertification"
    )
    assert show(capsys, "certification", "--body", BODY, "--as-of", "2015-01-01")["status"] == (
        "not_certified"
    )


def test_show_budget_line_lists_the_ausserplanmaessige_approval(
    demo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    document = show(capsys, "budget", "--body", BODY, "--year", "2018", "--line", "01.4953.7187")
    (line,) = document["lines"]
    assert [(a["kind"], a["amount"], a["resolution"]) for a in line["supplementary"]] == [
        ("ausserplanmaessig", "17655.00", "2018/6/067")
    ]
    assert {"body", "as_of", "known_at", "position"} <= document.keys()
    assert document["position"] == 41


def test_show_prints_readable_tables(demo: str, capsys: pytest.CaptureFixture[str]) -> None:
    for what, extra in [
        ("certification", []),
        ("agreement", ["--process", "audit-fgk/2015"]),
        ("budget", ["--year", "2018"]),
        ("resolutions", []),
        ("findings", []),
    ]:
        assert main(["show", what, "--body", BODY, "--as-of", "2018-12-31", *extra]) == 0
        out = capsys.readouterr().out
        assert f"of {BODY} as of 2018-12-31" in out
    assert main(["show", "agreement", "--body", BODY, "--process", "audit-fgk/2015"]) == 0
    table = capsys.readouterr().out
    assert "M6.1.1" in table and "completed" in table


def test_show_agreement_shows_unpublished_findings_to_the_operator(
    demo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    document = show(capsys, "findings", "--body", BODY)
    assert [f["number"] for f in document["findings"]] == [1, 2]


def test_project_prints_the_position_and_rebuild_the_new_generation(
    demo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["project"]) == 0
    assert capsys.readouterr().out == "position 41\n"
    assert main(["project", "--batch-size", "3"]) == 0
    assert capsys.readouterr().out == "position 41\n"
    assert main(["rebuild"]) == 0
    assert capsys.readouterr().out == "generation 2 swapped in at position 41\n"


def test_report_annual_writes_csv_with_bom_and_semicolons(
    demo: str, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    args = ["report", "annual", "--body", BODY, "--process", "audit-fgk/2015", "--year", "2018"]
    assert main(args) == 0
    data = capsysbinary.readouterr().out
    assert data.startswith("\ufeffHandlungsfeld;Ziel;Maßnahme;".encode())
    assert b"in Umsetzung (80 %)" in data
    target = tmp_path / "bericht.csv"
    assert main([*args, "--output", str(target)]) == 0
    assert target.read_bytes() == data
    assert main([*args, "--format", "json"]) == 0
    report = json.loads(capsysbinary.readouterr().out)
    assert report["as_of"] == "2018-12-31" and len(report["rows"]) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "agreement", "--body", BODY], "--process is required"),
        (["show", "budget", "--body", BODY], "--year is required"),
        (["show", "budget", "--body", BODY, "--year", "2018", "--as-of", "2018-02-30"], "as_of"),
        (["show", "certification", "--body", BODY, "--known-at", "gestern"], "known_at"),
        (["show", "certification", "--body", "nirgendwo"], "no body 'nirgendwo'"),
        (["show", "budget", "--body", BODY, "--year", "2018", "--line", "99.9999.9999"], "99.9"),
        (
            ["report", "annual", "--body", BODY, "--process", "audit-fgk/1999", "--year", "2018"],
            "audit-fgk/1999",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_it(
    demo: str, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_a_bad_worker_setting_exits_2_naming_it(
    demo: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGER_PROJECTOR_WORKERS", "2")
    assert main(["project"]) == 2
    assert "LEDGER_PROJECTOR_WORKERS='2': expected 0 or 1" in capsys.readouterr().err
    monkeypatch.setenv("LEDGER_PROJECTOR_WORKERS", "0")
    assert main(["project"]) == 0
    assert capsys.readouterr().out == "position 41\n"
