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

import secrets
from typing import Any, Final
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent

#: The key of the salt in an event's stored state (no event class has a field of this name).
SALT_KEY: Final = "salt"
#: Random bytes per event: 128 bits, beyond any brute force.
SALT_BYTES: Final = 16


def new_salt() -> str:
    """A fresh salt: SALT_BYTES random bytes as unpadded base64url (22 characters)."""
    return secrets.token_urlsafe(SALT_BYTES)


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
