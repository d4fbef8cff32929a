"""Small things of issue 20 point 8: `ledger log --type` and `/v1/events?type=` refuse an
unknown type naming the known ones; `as_of` takes German dates; `ledger log` has a header."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import BODY, TestClient, api_client, record_demo

from ledger.cli import main
from ledger.cli.record import demo_text, record_text
from ledger.domain.event_types import event_types


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo case, recorded and projected once for the module."""
    url = f"sqlite:///{tmp_path_factory.mktemp('small') / 'ledger.db'}"
    record_demo(url)
    return url


@pytest.fixture(scope="module")
def client(demo_url: str) -> Iterator[TestClient]:
    with api_client(demo_url) as test_client:
        yield test_client


@pytest.fixture
def ledger_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ledger.db"
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{path}")
    assert record_text(demo_text(), "demo.yaml")
    return path


def test_the_event_types_are_the_records_events() -> None:
    types = event_types()
    assert {"Resolution.VoteRecorded", "Measure.StatusUpdated", "Body.Registered"} <= types
    assert "Measure.Event" not in types  # the base eventsourcing makes, never stored


def test_log_refuses_an_unknown_type_naming_the_known_ones(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["log", "--type", "VoteRecordet"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--type: unknown event type 'VoteRecordet'" in captured.err
    assert "VoteRecorded" in captured.err and "StatusUpdated" in captured.err


def test_log_takes_a_known_type_in_full_or_its_last_part(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["log", "--type", "Resolution.VoteRecorded", "--format", "json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1
    assert main(["log", "--type", "VoteRecorded", "--format", "json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_events_refuse_an_unknown_type_naming_the_parameter(client: TestClient) -> None:
    response = client.get("/v1/events?type=VoteRecordet")
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["query", "type"]
    assert "unknown event type 'VoteRecordet'" in detail["msg"]
    assert "VoteRecorded" in detail["msg"]
    assert len(client.get("/v1/events?type=VoteRecorded").json()["events"]) == 1


def test_as_of_takes_a_german_date_as_command_files_do(client: TestClient) -> None:
    url = f"/v1/bodies/{BODY}/certification"
    moment = "known_at=2030-01-01T00:00:00Z"  # the same transaction time for both
    german = client.get(f"{url}?as_of=31.12.2018&{moment}")
    assert german.status_code == 200, german.text
    assert german.json() == client.get(f"{url}?as_of=2018-12-31&{moment}").json()
    assert german.json() != client.get(f"{url}?as_of=2014-12-31&{moment}").json()


@pytest.mark.parametrize("value", ["31.02.2018", "2018-12-31T10:00:00", "31/12/2018"])
def test_as_of_refuses_what_is_no_date_naming_the_parameter(client: TestClient, value: str) -> None:
    response = client.get(f"/v1/bodies/{BODY}/certification", params={"as_of": value})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "as_of"]


def test_log_prints_a_header_and_each_record_key(
    ledger_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["log"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "POS", "RECORDED", "(UTC)", "EFFECTIVE", "BODY", "KEY", "TYPE", "VER", "DATA"
    ]  # fmt: skip
    assert len(lines) == 1 + 41
    by_type: dict[str, str] = {}
    for line in lines[1:]:
        by_type.setdefault(line.split()[5], line.split()[4])  # the first of each type
    assert by_type["Body.Registered"] == BODY
    assert by_type["CertificationProcess.Started"] == "audit-fgk/2015"
    assert by_type["BudgetLine.Opened"] == "2018/01.4953.7187"
    assert by_type["Finding.Recorded"] == "audit-fgk/2015/1"
    assert main(["log", "--format", "json", "--type", "Opened"]) == 0
    keys = {json.loads(line)["key"] for line in capsys.readouterr().out.splitlines()}
    assert {"audit-fgk/2015", "2018/01.4953.7187"} <= keys


def test_an_empty_log_prints_no_header(ledger_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["log", "--body", "no-such-body"]) == 0
    assert capsys.readouterr().out == ""
