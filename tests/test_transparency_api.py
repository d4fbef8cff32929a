"""The verifiable log over HTTP: /checkpoint, the history, inclusion and consistency proofs.

Every proof is verified with transparency_support (RFC 9162 written again), against the
roots of the checkpoints the log signed. Anonymous callers get no inclusion proof of an
event the audit trail hides from them.
"""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from api_support import api_client, bearer, record, record_demo
from transparency_support import (
    b64,
    checkpoint_fields,
    export_leaves,
    mth,
    signed_by,
    verify_consistency,
    verify_inclusion,
)

from api.app import _follow, checkpoint_schedule
from ledger.store import export, open_recorder
from ledger.store.checkpoints import sign_current
from ledger.tlog.keys import SIGNING_KEY_VAR
from ledger.tlog.note import generate_key
from projections.queries import ReadModel, catch_up

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi.testclient import TestClient

    from ledger.tlog.note import PrivateKey

pytestmark = pytest.mark.storage

MORE = [
    {
        "record": "committee",
        "body": "kyffhaeuserkreis",
        "committee": "kreisausschuss",
        "name": "Kreisausschuss",
        "seats": 12,
        "effective": "2014-07-01",
    }
]


class Log:
    """The demo with its non-public records, two checkpoints, and one event after them."""

    def __init__(self, url: str, key: PrivateKey) -> None:
        record_demo(url, private=True)
        with open_recorder(url) as recorder:
            self.first = sign_current(recorder, key).format()
            record(url, MORE)
            self.second = sign_current(recorder, key).format()
            record(url, [{**MORE[0], "committee": "finanzausschuss", "name": "Finanzausschuss"}])
            out = io.StringIO()
            export(recorder, out)
        catch_up(url)
        self.lines = out.getvalue().splitlines()
        self.positions, self.leaves = export_leaves(self.lines)
        self.size1 = checkpoint_fields(self.first)[1]
        self.size2 = checkpoint_fields(self.second)[1]
        self.vkey = key.vkey

    def root(self, size: int) -> bytes:
        return mth(self.leaves[:size])

    def hidden(self) -> list[int]:
        """Positions of the events of the non-public resolution and unpublished finding."""
        found = []
        for line in self.lines:
            event = json.loads(line)
            state = base64.b64decode(event["state"]).replace(b" ", b"")
            if b'"public":false' in state or b'"published":false' in state:
                found.append(event["position"])
        return found


@pytest.fixture
def log(store_url: str) -> Log:
    return Log(store_url, generate_key("api.example/ledger"))


@pytest.fixture
def client(log: Log, store_url: str) -> Iterator[TestClient]:
    with api_client(store_url) as c:
        yield c


def test_checkpoint_serves_the_latest_signed_note(client: TestClient, log: Log) -> None:
    answer = client.get("/checkpoint")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text == log.second
    assert signed_by(answer.text, log.vkey)
    assert checkpoint_fields(answer.text)[1:] == (log.size2, log.root(log.size2))
    assert int(answer.headers["X-Ledger-Position"]) == log.positions[-1]


def test_no_checkpoint_yet_is_a_404(store_url: str) -> None:
    record_demo(store_url)
    with api_client(store_url) as client:
        answer = client.get("/checkpoint")
    assert answer.status_code == 404
    assert "ledger checkpoint" in answer.json()["detail"]


def test_the_checkpoint_history_pages_by_tree_size(client: TestClient, log: Log) -> None:
    page = client.get("/v1/ledger/checkpoints").json()
    assert [c["checkpoint"] for c in page["checkpoints"]] == [log.first, log.second]
    assert [c["tree_size"] for c in page["checkpoints"]] == [log.size1, log.size2]
    assert [b64(c["root"]) for c in page["checkpoints"]] == [
        log.root(log.size1),
        log.root(log.size2),
    ]
    assert page["next_after"] == log.size2
    later = client.get("/v1/ledger/checkpoints", params={"after": log.size1}).json()
    assert [c["tree_size"] for c in later["checkpoints"]] == [log.size2]
    one = client.get("/v1/ledger/checkpoints", params={"limit": 1}).json()
    assert [c["tree_size"] for c in one["checkpoints"]] == [log.size1]


def test_every_inclusion_proof_verifies_against_the_checkpoints(
    client: TestClient, log: Log
) -> None:
    for index, position in enumerate(log.positions[: log.size2]):
        for size in (None, log.size1, index + 1):
            if size is not None and size <= index:
                continue
            params: dict[str, Any] = {"position": position}
            if size is not None:
                params["size"] = size
            answer = client.get("/v1/ledger/proof/inclusion", params=params, headers=bearer())
            assert answer.status_code == 200, answer.text
            doc = answer.json()
            expected_size = log.size2 if size is None else size  # default: the latest checkpoint
            assert set(doc) == {"position", "leaf_index", "tree_size", "leaf_hash", "hashes"}
            assert (doc["position"], doc["leaf_index"], doc["tree_size"]) == (
                position,
                index,
                expected_size,
            )
            assert b64(doc["leaf_hash"]) == log.leaves[index]
            proof = [b64(h) for h in doc["hashes"]]
            assert verify_inclusion(
                index, expected_size, log.leaves[index], proof, log.root(expected_size)
            )


def test_every_consistency_proof_verifies(client: TestClient, log: Log) -> None:
    size = len(log.leaves)
    for m in range(1, size + 1):
        answer = client.get("/v1/ledger/proof/consistency", params={"from": m, "to": size})
        assert answer.status_code == 200, answer.text
        doc = answer.json()
        assert (doc["from"], doc["to"]) == (m, size)
        proof = [b64(h) for h in doc["hashes"]]
        assert verify_consistency(m, size, log.root(m), log.root(size), proof)
    # Without `to`: up to the latest checkpoint, whose root the caller has signed.
    doc = client.get("/v1/ledger/proof/consistency", params={"from": log.size1}).json()
    assert doc["to"] == log.size2
    proof = [b64(h) for h in doc["hashes"]]
    assert verify_consistency(log.size1, log.size2, log.root(log.size1), log.root(log.size2), proof)


def test_anonymous_callers_get_no_inclusion_proof_of_a_hidden_event(
    client: TestClient, log: Log
) -> None:
    hidden = log.hidden()
    assert hidden
    unknown = client.get("/v1/ledger/proof/inclusion", params={"position": 10**6})
    assert unknown.status_code == 404
    for position in hidden:
        anonymous = client.get("/v1/ledger/proof/inclusion", params={"position": position})
        assert anonymous.status_code == 404
        assert anonymous.json() == {"detail": f"no event at position {position}"}
        reader = client.get(
            "/v1/ledger/proof/inclusion", params={"position": position}, headers=bearer()
        )
        assert reader.status_code == 200
    shown = client.get("/v1/ledger/proof/inclusion", params={"position": log.positions[0]})
    assert shown.status_code == 200
    # Checkpoints and consistency proofs are public.
    assert client.get("/v1/ledger/proof/consistency", params={"from": 1}).status_code == 200
    assert client.get("/checkpoint").status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("inclusion", {"position": 3, "size": 0}, "size"),
        ("inclusion", {"position": 3, "size": 10**9}, "size"),
        ("inclusion", {"position": 0}, "position"),
        ("inclusion", {"position": 40, "size": 5}, "position"),
        ("inclusion", {"size": 5}, "position"),
        ("consistency", {"from": 0, "to": 5}, "from"),
        ("consistency", {"from": 3, "to": 10**9}, "to"),
        ("consistency", {"from": 6, "to": 5}, "from"),
        ("consistency", {"from": "x", "to": 5}, "from"),
        ("consistency", {"to": 5}, "from"),
    ],
)
def test_sizes_that_make_no_proof_are_422_naming_the_parameter(
    client: TestClient, path: str, params: dict[str, Any], named: str
) -> None:
    answer = client.get(f"/v1/ledger/proof/{path}", params=params, headers=bearer())
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["detail"]
    assert error["loc"] == ["query", named]
    assert error["msg"]


def test_the_ledger_page_shows_the_latest_checkpoint(client: TestClient, log: Log) -> None:
    page = client.get("/ui/ledger").text
    assert log.second in page  # the whole signed note, as /checkpoint serves it
    assert "ledger-audit.py verify" in page


def test_a_record_history_links_each_event_to_its_inclusion_proof(
    client: TestClient, log: Log
) -> None:
    page = client.get("/ui/bodies/kyffhaeuserkreis/history/body?key=kyffhaeuserkreis").text
    links = re.findall(r'href="(/v1/ledger/proof/inclusion\?position=\d+)"', page)
    assert links
    for link in links:
        answer = client.get(link)  # anonymous, as the page was read
        assert answer.status_code == 200
        doc = answer.json()
        proof = [b64(h) for h in doc["hashes"]]
        root = log.root(doc["tree_size"])
        assert verify_inclusion(
            doc["leaf_index"], doc["tree_size"], b64(doc["leaf_hash"]), proof, root
        )


def test_the_servers_projector_signs_a_checkpoint_when_one_is_due(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_demo(store_url)
    key = generate_key("api.example/ledger")
    (tmp_path / "log.key").write_text(key.text() + "\n")
    monkeypatch.delenv(SIGNING_KEY_VAR, raising=False)
    assert checkpoint_schedule(store_url) is None  # no key: nothing is signed
    monkeypatch.setenv(SIGNING_KEY_VAR, str(tmp_path / "log.key"))
    schedule = checkpoint_schedule(store_url)
    assert schedule is not None and schedule.interval == 60.0
    read_model = ReadModel(store_url)
    try:
        _follow(read_model, schedule)
        with api_client(store_url) as client:
            served = client.get("/checkpoint").text
    finally:
        read_model.close()
        schedule.recorder.close()
    assert signed_by(served, key.vkey)
    with open_recorder(store_url) as recorder:
        out = io.StringIO()
        export(recorder, out)
    _, leaves = export_leaves(out.getvalue().splitlines())
    assert checkpoint_fields(served) == ("api.example/ledger", len(leaves), mth(leaves))
