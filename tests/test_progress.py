"""Progress of long commands: log lines every few seconds off a terminal, a bar on one;
`ledger project` and `ledger rebuild` report theirs (and keep stdout for their result)."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from api_support import record
from operations_support import value
from test_api_serve import free_port, wait_for

from ledger.cli import main
from ledger.cli.record import demo_text, load_commands
from ledger.progress import Progress


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def progress_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "ledger.progress"]


def test_off_a_terminal_it_logs_lines_and_a_last_one(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ledger.progress")
    with Progress("rebuild", 30, unit="events", interval=0, stream=io.StringIO()) as progress:
        for _ in range(3):
            progress.advance(10)
    lines = progress_lines(caplog)
    assert lines[0].startswith("rebuild: 10 of 30 events (33%), ")
    assert "left" in lines[0]
    assert lines[2].startswith("rebuild: 30 of 30 events (100%)")
    assert lines[-1].startswith("rebuild: done, 30 events in ")
    assert len(lines) == 4


def test_a_run_shorter_than_the_interval_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ledger.progress")
    with Progress("verify", 1000, interval=3600, stream=io.StringIO()) as progress:
        progress.advance(1000)
    assert progress_lines(caplog) == []


def test_without_a_total_it_counts(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ledger.progress")
    with Progress("import", None, unit="rows", interval=0, stream=io.StringIO()) as progress:
        progress.advance(5)
    assert progress_lines(caplog)[0].startswith("import: 5 rows, ")


def test_on_a_terminal_it_draws_a_bar(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ledger.progress")
    screen = Terminal()
    with Progress("rebuild", 200, unit="events", interval=0, stream=screen) as progress:
        progress.advance(200)
    assert "rebuild" in screen.getvalue()
    assert "200/200" in screen.getvalue()
    assert progress_lines(caplog) == []  # a bar, no log lines


def test_a_bad_interval_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    monkeypatch.setenv("LEDGER_PROGRESS_INTERVAL", "soon")
    record(f"sqlite:///{tmp_path / 'ledger.db'}", load_commands(demo_text(), "demo"))
    assert main(["project", "--batch-size", "5"]) == 2
    assert "LEDGER_PROGRESS_INTERVAL='soon'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("command", "result"),
    [
        (["project", "--batch-size", "5"], "position 41"),
        (["rebuild", "--batch-size", "5"], "generation 2 swapped in at position 41"),
    ],
)
def test_project_and_rebuild_log_their_progress_off_a_terminal(
    command: list[str], result: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record(url, load_commands(demo_text(), "demo"))
    env = {"LEDGER_DATABASE_URL": url, "LEDGER_PROGRESS_INTERVAL": "0"}
    if command[0] == "rebuild":
        run(["project"], env)
    done = run(command, env)
    assert done.stdout.splitlines() == [result]  # the result alone on stdout
    lines = done.stderr.splitlines()
    name = command[0]
    assert lines[0].startswith(f"ledger {name}: {name}: 5 of 41 positions (12%), ")
    assert any(line.startswith(f"ledger {name}: {name}: 41 of 41 positions") for line in lines)
    assert lines[-1].startswith(f"ledger {name}: {name}: done, 41 positions in ")


def test_a_short_catch_up_shows_no_progress(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record(url, load_commands(demo_text(), "demo"))
    done = run(["project"], {"LEDGER_DATABASE_URL": url, "LEDGER_PROGRESS_INTERVAL": "0"})
    assert done.stdout == "position 41\n"
    assert done.stderr == ""  # one batch (5000 events by default): over at once


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`ledger ARGS` in a process of its own, with `env` added (stdout, stderr: pipes)."""
    import os

    command = [sys.executable, "-c", "from ledger.cli import main; raise SystemExit(main())"]
    done = subprocess.run(
        [*command, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.mark.slow
def test_project_follow_serves_its_metrics(tmp_path: Path) -> None:
    import os
    import signal

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    record(url, load_commands(demo_text(), "demo"))
    port = free_port()
    command = [sys.executable, "-c", "from ledger.cli import main; raise SystemExit(main())"]
    command += ["project", "--follow", "--batch-size", "10", "--metrics", f"127.0.0.1:{port}"]
    follower = subprocess.Popen(
        command,
        env={**os.environ, "LEDGER_DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # A scrape is not atomic: the process's histogram is read before the read model's
        # position, so one scrape may show position 41 with batches still to be counted.
        text = wait_for(
            lambda: _at(httpx.get(f"http://127.0.0.1:{port}/metrics").text, 41, batches=5),
            "the follower's metrics at position 41 after 5 batches of 10",
        )
    finally:
        follower.send_signal(signal.SIGINT)
        follower.wait(timeout=30)
    assert value(text, "ledger_head_position") == 41


def _at(text: str, position: int, *, batches: int) -> str | None:
    at = value(text, "ledger_read_model_position") == position
    counted = value(text, "ledger_projector_batch_duration_seconds_count") == batches
    return text if at and counted else None


def test_metrics_need_follow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    assert main(["project", "--metrics", "9999"]) == 2
    assert "--metrics needs --follow" in capsys.readouterr().err


def test_reach_sets_how_far_it_got(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ledger.progress")
    with Progress("verify", 100, interval=0, stream=io.StringIO()) as progress:
        progress.reach(40)
        progress.advance(10)
    assert progress_lines(caplog)[0].startswith("verify: 40 of 100 events (40%)")
    assert progress_lines(caplog)[1].startswith("verify: 50 of 100 events (50%)")
