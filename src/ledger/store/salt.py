"""The per-event salt: 128 random bits in every new event's stored bytes, never shown.

The chain hash (and a Merkle leaf hash over the same bytes) is served to anonymous readers.
Without a secret in the hashed bytes, an event whose only unknown is a redacted value (a
non-public resolution's reference, say) can be recovered by hashing the few candidates:
the originator id is a uuid5 of public values, the state's JSON layout is fixed and the
timestamp is close to `recorded_at`. Each event's state therefore carries `salt`, 16 bytes
from `secrets` as unpadded base64url (22 characters), drawn when the event is stored.

The salt lives only in the stored state: decoding drops it, so domain events, the audit
trail and every read model see exactly the fields they had before. Events stored before
salting have no salt and decode and verify as before.
"""

from __future__ import annotations

import os
import secrets
from binascii import b2a_base64
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

if TYPE_CHECKING:
    from collections.abc import Iterator

#: The key of the salt in an event's stored state (no event class has a field of this name).
SALT_KEY: Final = "salt"
#: Random bytes per event: 128 bits, beyond any brute force.
SALT_BYTES: Final = 16


#: Salts drawn from the operating system at once (one getrandom call instead of one each).
SALTS_AT_ONCE: Final = 256
_URLSAFE: Final = bytes.maketrans(b"+/", b"-_")
_TEXT_LENGTH: Final = 22


def _draw() -> list[str]:
    pool = secrets.token_bytes(SALT_BYTES * SALTS_AT_ONCE)
    return [
        b2a_base64(pool[i : i + SALT_BYTES], newline=False)[:_TEXT_LENGTH]
        .translate(_URLSAFE)
        .decode("ascii")
        for i in range(0, len(pool), SALT_BYTES)
    ]


class _Drawn:
    """The salts drawn and not handed out yet. A list iterator's next() is atomic, so
    threads never get the same one; a forked child forgets them (it must not repeat the
    ones its parent hands out)."""

    salts: Iterator[str] = iter(())


def _forget_drawn() -> None:
    _Drawn.salts = iter(())


os.register_at_fork(after_in_child=_forget_drawn)


_CLASS_VERSIONS: dict[type, int] = {}


def _class_version(cls: type) -> int:
    """An event class's `class_version` as eventsourcing's mapper reads it (1 if none)."""
    version = _CLASS_VERSIONS.get(cls)
    if version is None:
        version = _CLASS_VERSIONS[cls] = getattr(cls, "class_version", 1)
    return version


def new_salt() -> str:
    """A fresh salt: SALT_BYTES random bytes as unpadded base64url (22 characters), as
    secrets.token_urlsafe(SALT_BYTES) gives it."""
    try:
        return next(_Drawn.salts)
    except StopIteration:
        salts = iter(_draw())
        salt = next(salts)
        _Drawn.salts = salts
        return salt


class SaltedMapper(Mapper[UUID]):
    """eventsourcing's mapper, adding a fresh salt to each event's state when it is stored."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        """The stored event of a domain event, its state carrying a new salt.

        The steps of eventsourcing's `Mapper.to_stored_event` (9.5), on vars(event) with the
        salt added last: the same state, key for key in the same order, so the same bytes
        (tests/test_store_salt.py compares the two). Done here rather than by handing the
        base mapper a salted copy of the event: that copied the attributes twice, and the
        base asks each event's class for `class_version`, which on a class without one
        raises and discards an AttributeError per event (bench/PROFILES.md, 1.5).
        """
        cls = type(domain_event)
        state = {**vars(domain_event), SALT_KEY: new_salt()}
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = _class_version(cls)
        if class_version > 1:
            state["class_version"] = class_version
        stored_state = self.transcoder.encode(state)
        if self.compressor:
            stored_state = self.compressor.compress(stored_state)
        if self.cipher:
            stored_state = self.cipher.encrypt(stored_state)
        return StoredEvent(originator_id, originator_version, get_topic(cls), stored_state)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        """The domain event of a stored event, without its salt."""
        event = super().to_domain_event(stored_event)
        vars(event).pop(SALT_KEY, None)
        return event
