"""Export to JSON Lines, offline verification, and import (all or nothing, idempotent)."""

from __future__ import annotations

import base64
import io
import json
from typing import TYPE_CHECKING
from uuid import uuid4

import pytest
from storage import BACKENDS, append, backend_url, new_events

from ledger.store import (
    Digest,
    ProblemKind,
    TransferError,
    export,
    import_events,
    open_recorder,
    verify,
    verify_export,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from ledger.store import ChainedRecorder

pytestmark = pytest.mark.storage


def exported(recorder: ChainedRecorder) -> list[str]:
    out = io.StringIO()
    export(recorder, out)
    return out.getvalue().splitlines()


def contents(recorder: ChainedRecorder) -> list[tuple[object, ...]]:
    return [
        (e.position, e.recorded_at, e.originator_id, e.originator_version, e.topic, e.state, e.hash)
        for e in recorder.select_chained(1, 10**6)
    ]


@pytest.fixture(params=BACKENDS, ids=[f"to-{b}" for b in BACKENDS])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ChainedRecorder]:
    """A second, empty store (either backend) to import into."""
    with backend_url(str(request.param), tmp_path, "target.db") as url:
        recorder = open_recorder(url)
        try:
            yield recorder
        finally:
            recorder.close()


@pytest.fixture
def source(recorder: ChainedRecorder) -> ChainedRecorder:
    """A store with 12 events in transactions of various sizes, one of them a long history."""
    append(recorder, 6, batch=3)
    originator_id = uuid4()
    recorder.insert_events(new_events(1, originator_id=originator_id))
    recorder.insert_events(new_events(5, originator_id=originator_id, first_version=2))
    return recorder


def test_export_writes_one_json_line_per_event_in_position_order(source: ChainedRecorder) -> None:
    lines = exported(source)
    assert len(lines) == 12
    records = [json.loads(line) for line in lines]
    assert list(records[0]) == [
        "position",
        "recorded_at",
        "originator_id",
        "originator_version",
        "topic",
        "state",
        "hash",
    ]
    assert [r["position"] for r in records] == list(range(1, 13))
    chained = source.select_chained(1, 100)
    assert base64.b64decode(records[4]["state"]) == chained[4].state
    assert records[4]["originator_id"] == str(chained[4].originator_id)
    head = source.head()
    assert head is not None
    assert (records[-1]["position"], records[-1]["hash"]) == (head.position, head.hash)


def test_an_export_verifies_offline_and_against_a_digest(source: ChainedRecorder) -> None:
    digest = source.head()
    lines = exported(source)
    report = verify_export(lines, digest)
    assert report.ok, report.summary()
    assert (report.checked, report.head, report.digest_verified) == (12, digest, True)
    assert not verify_export(lines, Digest(12, "ab" * 32)).ok


def test_import_into_an_empty_store_reproduces_positions_times_and_hashes(
    source: ChainedRecorder, target: ChainedRecorder
) -> None:
    result = import_events(target, exported(source))
    assert (result.appended, result.skipped) == (12, 0)
    assert result.head == target.head() == source.head()
    assert contents(target) == contents(source)
    assert verify(target).ok
    # Ordinary appends continue the imported chain.
    positions = target.insert_events(new_events(1))
    assert list(positions or []) == [13]
    assert verify(target).ok


def test_importing_the_same_file_twice_changes_nothing(
    source: ChainedRecorder, target: ChainedRecorder
) -> None:
    lines = exported(source)
    import_events(target, lines)
    before = contents(target)
    again = import_events(target, lines)
    assert (again.appended, again.skipped) == (0, 12)
    assert contents(target) == before


def test_importing_a_longer_export_extends_a_store_holding_its_prefix(
    source: ChainedRecorder, target: ChainedRecorder
) -> None:
    import_events(target, exported(source))
    append(source, 3)
    result = import_events(target, exported(source))
    assert (result.appended, result.skipped) == (3, 12)
    assert contents(target) == contents(source)


def test_importing_into_a_store_with_another_history_appends_new_links(
    source: ChainedRecorder, target: ChainedRecorder
) -> None:
    append(target, 2)
    lines = exported(source)
    result = import_events(target, lines)
    assert (result.appended, result.skipped) == (12, 0)
    assert verify(target).ok
    imported = target.select_chained(3, 100)
    assert [(e.originator_id, e.originator_version, e.state) for e in imported] == [
        (e.originator_id, e.originator_version, e.state) for e in source.select_chained(1, 100)
    ]
    assert [e.position for e in imported] == list(range(3, 15))
    again = import_events(target, lines)
    assert (again.appended, again.skipped) == (0, 12)


def test_an_event_already_present_with_other_content_refuses_the_whole_import(
    source: ChainedRecorder, target: ChainedRecorder
) -> None:
    append(target, 1)
    [other] = new_events(1, originator_id=source.select_chained(1, 1)[0].originator_id)
    target.insert_events([other])  # same id and version 1, other bytes
    head = target.head()
    with pytest.raises(TransferError, match=r"line 1: .*already in the store") as info:
        import_events(target, exported(source))
    assert info.value.line == 1
    assert target.head() == head  # all or nothing


def test_a_tampered_export_line_is_refused_naming_the_line(
    source: ChainedRecorder, target: ChainedRecorder
) -> None:
    lines = exported(source)
    record = json.loads(lines[6])
    record["state"] = base64.b64encode(b'{"forged":true}').decode()
    lines[6] = json.dumps(record)
    assert verify_export(lines).first_bad_position == 7
    with pytest.raises(TransferError, match="line 7: export refused: position 7") as info:
        import_events(target, lines)
    assert info.value.line == 7
    assert target.head() is None  # nothing was imported


def test_an_export_with_a_line_removed_is_refused(
    source: ChainedRecorder, target: ChainedRecorder
) -> None:
    lines = exported(source)
    del lines[3]
    report = verify_export(lines)
    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (5, ProblemKind.ROWS_DELETED)
    with pytest.raises(TransferError, match="line 4"):
        import_events(target, lines)
    assert target.head() is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: "not json", "line 2: not valid JSON"),
        (lambda r: json.dumps([1]), "line 2: expected a JSON object"),
        (lambda r: json.dumps({**r, "extra": 1}), "line 2: unknown field"),
        (lambda r: json.dumps({**r, "position": "2"}), "line 2: field 'position' must be a int"),
        (lambda r: json.dumps({**r, "originator_id": "x"}), "line 2: field 'originator_id'"),
        (lambda r: json.dumps({**r, "state": "***"}), "line 2: field 'state' must be base64"),
        (lambda r: json.dumps({**r, "hash": "abc"}), "line 2: field 'hash' must be 64 hex"),
        (lambda r: json.dumps({**r, "recorded_at": "2018-06-19"}), "line 2: field 'recorded_at'"),
    ],
)
def test_a_malformed_export_line_is_refused_naming_line_and_field(
    tmp_path: Path, change: Callable[[dict[str, object]], str], message: str
) -> None:
    recorder = open_recorder(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        append(recorder, 3)
        lines = exported(recorder)
    finally:
        recorder.close()
    lines[1] = change(json.loads(lines[1]))
    with pytest.raises(TransferError, match=message):
        verify_export(lines)
