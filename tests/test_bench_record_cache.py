"""The records LedgerApplication keeps between batches change nothing a batch decides."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.application import LedgerApplication
from ledger.cli.record import DEMO_FILE, demo_text, load_commands
from ledger.errors import CommandError
from ledger.store import application_env

BODY = "kyffhaeuserkreis"


def app_on(url: str, cache: int | None = None) -> LedgerApplication:
    env = application_env(url)
    if cache is not None:
        env["LEDGER_RECORD_CACHE"] = str(cache)
    return LedgerApplication(env=env)


def setup_commands() -> list[dict[str, Any]]:
    return [
        {"record": "body", "body": BODY, "name": "Kyffhäuserkreis", "effective": "2013-01-24"},
        {
            "record": "committee",
            "body": BODY,
            "committee": "jha",
            "name": "Jugendhilfeausschuss",
            "seats": 15,
            "effective": "2013-01-24",
        },
        {
            "record": "proposal",
            "body": BODY,
            "resolution": "2018/6/067",
            "committee": "jha",
            "title": "Rezertifizierung",
            "public": True,
            "effective": "2018-06-01",
        },
    ]


def vote(yes: int, day: str = "2018-06-19") -> dict[str, Any]:
    return {
        "record": "vote",
        "body": BODY,
        "resolution": "2018/6/067",
        "committee": "jha",
        "yes": yes,
        "no": 0,
        "abstentions": 0,
        "recused": 0,
        "effective": day,
    }


def test_a_refused_batch_leaves_no_trace_in_the_kept_records(store_url: str) -> None:
    app = app_on(store_url)
    try:
        app.record(setup_commands())
        with pytest.raises(CommandError):
            # The first vote changes the kept resolution; the second one is refused.
            app.record([vote(9), vote(99, "2018-06-20")])
        amendment = {
            "record": "amendment",
            "body": BODY,
            "resolution": "2018/6/067",
            "title": "Rezertifizierung 2018",
            "reason": "Titel präzisiert",
            "effective": "2018-06-05",
        }
        assert len(app.record([amendment])) == 1
        topics = [n.topic.rsplit(".", 1)[-1] for n in app.recorder.select_notifications(1, 100)]
        assert topics == ["Registered", "Established", "Proposed", "Amended"]
        assert len(app.record([vote(9)])) == 1
    finally:
        app.close()


def test_a_change_by_another_writer_is_seen_by_the_next_batch(store_url: str) -> None:
    first, second = app_on(store_url), app_on(store_url)
    try:
        first.record(setup_commands())  # keeps the committee with 15 seats
        seats = {"record": "seats", "body": BODY, "committee": "jha", "seats": 5}
        second.record([{**seats, "effective": "2018-01-01"}])
        with pytest.raises(CommandError, match="seats"):
            first.record([vote(9)])
        assert first.record([vote(5)])
    finally:
        first.close()
        second.close()


def test_a_record_another_writer_created_is_not_created_again(store_url: str) -> None:
    first, second = app_on(store_url), app_on(store_url)
    try:
        first.record(setup_commands()[:1])
        renamed = {**setup_commands()[0], "name": "Landkreis Kyffhäuser"}
        with pytest.raises(CommandError, match="already recorded with name"):
            second.record([renamed, setup_commands()[1]])
        assert second.record(setup_commands()) != []
        assert second.record(setup_commands()) == []
        assert first.record(setup_commands()) == []
        topics = [n.topic.rsplit(".", 1)[-1] for n in first.recorder.select_notifications(1, 100)]
        assert topics == ["Registered", "Established", "Proposed"]
    finally:
        first.close()
        second.close()


def test_recording_the_demo_twice_appends_nothing_the_second_time(store_url: str) -> None:
    demo = load_commands(demo_text(), DEMO_FILE)
    app = app_on(store_url)
    try:
        assert len(app.record(demo)) == len(demo)
        assert app.record(demo) == []
    finally:
        app.close()


@pytest.mark.parametrize("cache", [0, 1, 20_000])
def test_the_same_history_is_stored_whatever_the_number_of_kept_records(
    store_url: str, cache: int
) -> None:
    app = app_on(store_url, cache)
    try:
        app.record(setup_commands())
        app.record([vote(9)])
        app.record(
            [
                {
                    "record": "execution",
                    "body": BODY,
                    "resolution": "2018/6/067",
                    "effective": "2018-06-20",
                }
            ]
        )
        topics = [n.topic.rsplit(".", 1)[-1] for n in app.recorder.select_notifications(1, 100)]
        assert topics == ["Registered", "Established", "Proposed", "VoteRecorded", "Executed"]
    finally:
        app.close()
