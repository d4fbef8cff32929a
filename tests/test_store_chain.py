"""The chain's byte encoding, recorded_at text and digests."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.store import (
    GENESIS,
    ChainedEvent,
    Digest,
    DigestError,
    event_bytes,
    format_recorded_at,
    link_hash,
    parse_recorded_at,
)
from ledger.store.chain import canonical_originator_id, next_recorded_at

OID = UUID(int=1)
AT = "2018-06-19T10:00:00.000000Z"


def test_link_hash_is_sha256_over_the_documented_encoding() -> None:
    preimage = (
        bytes(32)  # h(0): genesis
        + (1).to_bytes(8, "big")  # position
        + (27).to_bytes(4, "big")
        + AT.encode("ascii")  # recorded_at
        + (32).to_bytes(4, "big")
        + b"00000000000000000000000000000001"  # originator_id as UUID.hex
        + (1).to_bytes(8, "big", signed=True)  # originator_version
        + (1).to_bytes(4, "big")
        + b"t"  # topic
        + (2).to_bytes(4, "big")
        + b"{}"  # state
    )
    expected = hashlib.sha256(preimage).digest()
    assert link_hash(GENESIS, 1, AT, OID.hex, 1, "t", b"{}") == expected
    assert preimage[40:] == (27).to_bytes(4, "big") + AT.encode() + event_bytes(
        OID.hex, 1, "t", b"{}"
    )
    # Pinned, so that an accidental change of the encoding cannot go unnoticed.
    assert expected.hex() == "f71e56b9c1a59095f789b8cb7f5a224f02b21259204737f9b5d9db946884114d"


def test_length_prefixes_keep_field_boundaries_unambiguous() -> None:
    assert link_hash(GENESIS, 1, AT, OID.hex, 1, "ab", b"c") != link_hash(
        GENESIS, 1, AT, OID.hex, 1, "a", b"bc"
    )


@given(
    position=st.integers(1, 2**63 - 1),
    version=st.integers(0, 2**63 - 1),
    topic=st.text(max_size=40),
    state=st.binary(max_size=200),
    previous=st.binary(min_size=32, max_size=32),
)
def test_every_field_changes_the_hash(
    position: int, version: int, topic: str, state: bytes, previous: bytes
) -> None:
    base = link_hash(previous, position, AT, OID.hex, version, topic, state)
    assert len(base) == 32
    flipped = bytes(b ^ 1 for b in previous)
    assert link_hash(flipped, position, AT, OID.hex, version, topic, state) != base
    assert link_hash(previous, position ^ 1, AT, OID.hex, version, topic, state) != base
    other_at = "2018-06-19T10:00:00.000001Z"
    assert link_hash(previous, position, other_at, OID.hex, version, topic, state) != base
    assert link_hash(previous, position, AT, UUID(int=2).hex, version, topic, state) != base
    assert link_hash(previous, position, AT, OID.hex, version ^ 1, topic, state) != base
    assert link_hash(previous, position, AT, OID.hex, version, topic + "x", state) != base
    assert link_hash(previous, position, AT, OID.hex, version, topic, state + b"\0") != base


def test_recorded_at_text_is_utc_with_microseconds_and_round_trips() -> None:
    moment = datetime(2018, 6, 19, 12, 0, 0, 5, tzinfo=timezone(timedelta(hours=2)))
    text = format_recorded_at(moment)
    assert text == "2018-06-19T10:00:00.000005Z"
    assert len(text) == 27
    assert parse_recorded_at(text) == moment
    assert parse_recorded_at(text).tzinfo == UTC


@pytest.mark.parametrize(
    "text", ["2018-06-19T10:00:00Z", "2018-06-19T10:00:00.000000+00:00", "2018-06-19", ""]
)
def test_non_canonical_recorded_at_text_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="recorded_at must look like"):
        parse_recorded_at(text)


def test_naive_datetimes_are_refused_as_recorded_at() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_recorded_at(datetime(2018, 6, 19))


def test_next_recorded_at_never_goes_below_the_previous_one() -> None:
    assert next_recorded_at(AT, None) == AT
    later = "2018-06-19T10:00:01.000000Z"
    assert next_recorded_at(AT, later) == later
    assert next_recorded_at(later, AT) == later


def test_originator_ids_are_hashed_as_uuid_hex() -> None:
    assert canonical_originator_id(OID) == "0" * 31 + "1"
    assert canonical_originator_id(str(OID)) == OID.hex


def test_chained_event_expected_hash_uses_the_canonical_fields() -> None:
    event = ChainedEvent(1, parse_recorded_at(AT), OID, 1, "t", b"{}", b"")
    assert event.recorded_at_text == AT
    assert event.expected_hash(GENESIS) == link_hash(GENESIS, 1, AT, OID.hex, 1, "t", b"{}")


def test_digest_parses_and_prints_as_position_colon_hash() -> None:
    text = "12:" + "AB" * 32
    digest = Digest.parse(text)
    assert digest == Digest(12, "ab" * 32)
    assert str(digest) == "12:" + "ab" * 32
    assert digest.hash_bytes == bytes.fromhex("ab" * 32)
    assert Digest.parse(f"  {digest}\n") == digest


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12",
        "12:",
        ":" + "ab" * 32,
        "0:" + "ab" * 32,
        "-1:" + "ab" * 32,
        "x:" + "ab" * 32,
        "12:" + "ab" * 31,
        "12:" + "zz" * 32,
        "12:" + "ab" * 32 + ":3",
    ],
)
def test_malformed_digests_are_refused_with_the_rule(text: str) -> None:
    with pytest.raises(DigestError, match="POSITION:HASH") as info:
        Digest.parse(text)
    assert isinstance(info.value, ValueError)
