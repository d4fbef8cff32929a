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
        """The stored event of a domain event, its state carrying a new salt."""
        # The base mapper encodes vars(event); a shallow copy of the event with the salt
        # added to its attributes lets it do exactly that, without repeating its steps.
        salted = object.__new__(type(domain_event))
        object.__setattr__(salted, "__dict__", {**vars(domain_event), SALT_KEY: new_salt()})
        return super().to_stored_event(salted)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        """The domain event of a stored event, without its salt."""
        event = super().to_domain_event(stored_event)
        vars(event).pop(SALT_KEY, None)
        return event
