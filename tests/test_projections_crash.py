"""A projector killed (SIGKILL) in the middle of catching up resumes exactly where it stopped."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from typing import Any

import pytest

from ledger.application import LedgerApplication
from ledger.store import application_env, open_recorder
from projections.queries import ReadModel
from projections.registry import Projector

BODY = "crashtest"
PROCESS = "audit-fgk/2020"


def history(size: int, seed: int = 7) -> list[dict[str, Any]]:
    """About `size` valid commands: measures updated (some backdated), corrected and
    retracted; budget lines with payments; one event each."""
    rnd = random.Random(seed)
    start = date(2020, 1, 1)
    process = {"body": BODY, "process": PROCESS}
    commands: list[dict[str, Any]] = [
        {"record": "body", "body": BODY, "name": "Crash", "effective": "2020-01-01"},
        {
            "record": "process",
            **process,
            "kind": "certification",
            "planned_from": "2020-01-01",
            "planned_until": "2022-12-31",
            "partner": "Verein",
            "effective": "2020-01-01",
        },
        {"record": "agreement", **process, "catalogue": "fgk-2015", "effective": "2020-01-01"},
        {"record": "field", **process, "field": "steuerung", "effective": "2020-01-01"},
        {
            "record": "goal",
            **process,
            "goal": "Z1",
            "field": "steuerung",
            "title": "Ziel",
            "effective": "2020-01-01",
        },
    ]
    measures = [f"M{i}" for i in range(1, 21)]
    updates: dict[str, list[int]] = {}
    versions: dict[str, int] = {}
    for code in measures:
        commands.append(
            {
                "record": "measure",
                **process,
                "measure": code,
                "goal": "Z1",
                "title": f"Maßnahme {code}",
                "responsible": "Amt",
                "period": "2020–2022",
                "effective": "2020-01-01",
            }
        )
        versions[code] = 1
        updates[code] = []
    lines = [f"01.0000.{i:04d}" for i in range(1, 6)]
    for code in lines:
        commands.append(
            {
                "record": "budget-line",
                "body": BODY,
                "year": 2021,
                "line": code,
                "title": f"Line {code}",
                "effective": "2020-01-01",
            }
        )
    day = 0
    serial = 0
    while len(commands) < size:
        day += rnd.randint(0, 2)
        roll = rnd.random()
        code = rnd.choice(measures)
        if roll < 0.45:
            backdate = rnd.randint(0, 60) if rnd.random() < 0.1 else 0
            effective = start + timedelta(days=max(1, day - backdate))
            commands.append(
                {
                    "record": "measure-update",
                    **process,
                    "measure": code,
                    "status": rnd.choice(["in_progress", "delayed", "completed"]),
                    "progress": rnd.randint(0, 100),
                    "note": f"Stand {effective}",
                    "effective": effective.isoformat(),
                }
            )
            versions[code] += 1
            updates[code].append(versions[code])
        elif roll < 0.52 and updates[code]:
            target = updates[code].pop(rnd.randrange(len(updates[code])))
            fix: dict[str, Any] = {
                "body": BODY,
                "target": "measure",
                "process": PROCESS,
                "measure": code,
                "version": target,
                "effective": (start + timedelta(days=day)).isoformat(),
            }
            if rnd.random() < 0.5:
                fix |= {"record": "correction", "values": {"progress": 50}, "reason": "falsch"}
            else:
                fix |= {"record": "retraction", "reason": "irrtümlich"}
            commands.append(fix)
            versions[code] += 1
        else:
            serial += 1
            commands.append(
                {
                    "record": "payment",
                    "body": BODY,
                    "year": 2021,
                    "line": rnd.choice(lines),
                    "amount": f"{rnd.randint(1, 99999)}.{rnd.randint(0, 99):02d}",
                    "reference": f"B{serial}",
                    "effective": (start + timedelta(days=day)).isoformat(),
                }
            )
    return commands


def _project(url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ledger.cli.main", "project", *args],
        env={**os.environ, "LEDGER_DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_projector_killed_mid_catch_up_resumes_without_applying_an_event_twice(
    store_url: str,
) -> None:
    app = LedgerApplication(env=application_env(store_url))
    try:
        commands = history(3000)
        for i in range(0, len(commands), 250):
            app.record(commands[i : i + 250])
    finally:
        app.close()
    recorder = open_recorder(store_url)
    try:
        head = recorder.head()
    finally:
        recorder.close()
    assert head is not None and head.position == 3000

    rm = ReadModel(store_url)
    try:
        victim = _project(store_url, "--batch-size", "4")
        try:
            # Wait until it has committed some batches, then kill it without warning.
            while rm.position() < 200 and victim.poll() is None:
                time.sleep(0.005)
            victim.send_signal(signal.SIGKILL)
        finally:
            victim.communicate(timeout=30)
        killed_at = rm.position()
        assert victim.returncode == -signal.SIGKILL
        assert 200 <= killed_at < head.position, "killed in the middle of catching up"

        resumed = _project(store_url)
        out, err = resumed.communicate(timeout=120)
        assert resumed.returncode == 0, err
        assert out.strip() == f"position {head.position}"
        caught_up = rm.dump()

        with Projector(store_url) as projector:
            projector.rebuild()
        rebuilt = rm.dump()
    finally:
        rm.close()

    assert sorted(row[0] for row in caught_up["event"]) == list(range(1, head.position + 1))
    assert caught_up.keys() == rebuilt.keys()
    for table in rebuilt:
        assert caught_up[table] == rebuilt[table], table


@pytest.mark.parametrize("size", [200])
def test_history_is_valid_and_has_fixes(size: int) -> None:
    """The generated history holds corrections, retractions and backdated updates."""
    commands = history(size)
    kinds = {c["record"] for c in commands}
    assert {"correction", "retraction", "measure-update", "payment"} <= kinds


def test_records_evicted_from_memory_are_restored_from_the_tables(store_url: str) -> None:
    app = LedgerApplication(env=application_env(store_url))
    try:
        commands = history(600, seed=11)
        # Small ledger batches, so that the events of different records interleave
        # (a batch stores each record's events together).
        for i in range(0, len(commands), 3):
            app.record(commands[i : i + 3])
    finally:
        app.close()
    rm = ReadModel(store_url)
    try:
        with Projector(store_url, batch_size=25, cache_records=5) as projector:
            assert projector.catch_up() == 600
        forgetful = rm.dump()
        with Projector(store_url) as projector:
            projector.rebuild()
        assert rm.dump() == forgetful
    finally:
        rm.close()
