"""Logging in one place: readable lines, JSON lines with LEDGER_LOG_FORMAT=json (uvicorn's
too), and an access line per request naming method, route, path, status, duration and
position."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import httpx
import pytest
from api_support import BODY, TestClient, record, record_demo
from operations_support import serve_env, serving
from test_api_serve import free_port, position_reached, wait_for

from api.app import create_app
from api.tokens import hash_token
from ledger import logs
from ledger.cli import main
from ledger.cli.record import demo_text, load_commands
from projections.queries import ReadModel


def _record(name: str, level: int, message: str, **extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord(
        {"name": name, "levelno": level, "levelname": logging.getLevelName(level), "msg": message}
    )
    record.__dict__.update(extra)
    return record


def test_json_lines_carry_time_level_logger_message_and_extras() -> None:
    line = logs.JsonFormatter().format(
        _record("ledger.access", logging.INFO, "GET /x 200", path="/x", status=200)
    )
    assert "\n" not in line
    document = json.loads(line)
    assert {"time", "level", "logger", "message", "process"} <= set(document)
    assert (document["level"], document["logger"], document["message"]) == (
        "INFO",
        "ledger.access",
        "GET /x 200",
    )
    assert (document["path"], document["status"]) == ("/x", 200)
    assert document["time"].endswith("+00:00")


def test_json_lines_keep_a_traceback_on_the_line() -> None:
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError:
        record = _record("x", logging.ERROR, "failed")
        record.exc_info = sys.exc_info()
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line
    assert "RuntimeError" in json.loads(line)["exception"]


def test_text_lines_name_the_command_and_errors() -> None:
    formatter = logs.TextFormatter("ledger project")
    assert formatter.format(_record("x", logging.WARNING, "slow")) == "ledger project: slow"
    assert formatter.format(_record("x", logging.ERROR, "bad")) == "ledger project: error: bad"


def test_configure_replaces_its_handler_and_writes_to_the_current_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    level = root.level
    try:
        logs.configure("ledger test", fmt="text")
        logs.configure("ledger test", fmt="json")
        ours = [h for h in root.handlers if isinstance(h, logs.StderrHandler)]
        assert len(ours) == 1
        logging.getLogger("ledger.test").info("hello")
        assert json.loads(capsys.readouterr().err)["message"] == "hello"
    finally:
        for handler in [h for h in root.handlers if isinstance(h, logs.StderrHandler)]:
            root.removeHandler(handler)
        root.setLevel(level)


def test_an_unknown_log_format_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    monkeypatch.setenv("LEDGER_LOG_FORMAT", "xml")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "LEDGER_LOG_FORMAT='xml'" in err
    assert "text, json" in err
    assert "Traceback" not in err


def test_each_request_is_logged_with_route_path_status_and_position(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record_demo(url)
    read_model = ReadModel(url)
    try:
        app = create_app(read_model, tokens=[hash_token("t")])
        with TestClient(app) as c, caplog.at_level(logging.INFO, logger="ledger.access"):
            c.get(f"/v1/bodies/{BODY}/certification?as_of=2016-01-01")
            c.get("/v1/bodies/nobody%0Afake line")
    finally:
        read_model.close()
    found = [r for r in caplog.records if r.name == "ledger.access"]
    assert len(found) == 2
    first, second = found
    assert first.__dict__["method"] == "GET"
    assert first.__dict__["route"] == "/v1/bodies/{body}/certification"
    assert first.__dict__["path"] == f"/v1/bodies/{BODY}/certification"
    assert first.__dict__["query"] == "as_of=2016-01-01"
    assert first.__dict__["status"] == 200
    assert first.__dict__["position"] == 41
    assert first.__dict__["duration_ms"] >= 0
    assert second.__dict__["status"] == 422  # no control characters in a key
    # A newline in the path cannot start a line of its own in the text log.
    text = logs.TextFormatter("ledger serve").format(second)
    assert "\n" not in text
    assert "\\x0a" in text


@pytest.mark.slow
def test_serve_logs_json_lines_and_one_per_request(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record(url, load_commands(demo_text(), "demo"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with serving(serve_env(tmp_path, url, LEDGER_LOG_FORMAT="json"), port, log):
        wait_for(position_reached(base, 41), "the demo to be projected")
        for _ in range(3):
            httpx.get(f"{base}/v1/bodies/{BODY}/certification")
    lines = [json.loads(line) for line in log.read_text().splitlines()]  # every line is JSON
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # uvicorn's own too
    requests = [line for line in lines if line.get("path") == f"/v1/bodies/{BODY}/certification"]
    assert len(requests) == 3
    for line in requests:
        assert (line["method"], line["status"], line["position"]) == ("GET", 200, 41)
        assert line["route"] == "/v1/bodies/{body}/certification"
        assert isinstance(line["duration_ms"], float)


@pytest.mark.slow
def test_serve_logs_readable_lines_by_default(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record(url, load_commands(demo_text(), "demo"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with serving(serve_env(tmp_path, url), port, log):
        wait_for(position_reached(base, 41), "the demo to be projected")
        httpx.get(f"{base}/v1/bodies/{BODY}/certification")
    lines = log.read_text().splitlines()
    assert lines
    assert all(line.startswith("ledger serve: ") for line in lines), lines
    assert f"ledger serve: GET /v1/bodies/{BODY}/certification 200 " in log.read_text()


def test_http_clients_log_only_their_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    level = root.level
    try:
        logs.configure("ledger test", fmt="text")
        logging.getLogger("httpx").info("HTTP Request: GET http://example.invalid/")
        logging.getLogger("ledger.test").info("kept")
        assert capsys.readouterr().err == "ledger test: kept\n"
        config = logs.dict_config("ledger serve", "info", "text")
        assert config["loggers"]["httpx"] == {"level": "WARNING"}
    finally:
        for handler in [h for h in root.handlers if isinstance(h, logs.StderrHandler)]:
            root.removeHandler(handler)
        root.setLevel(level)
        logging.getLogger("httpx").setLevel(logging.NOTSET)
