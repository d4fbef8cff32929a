"""Salts are drawn from the operating system in bulk: still never handed out twice."""

from __future__ import annotations

import base64
import os
import re
from concurrent.futures import ThreadPoolExecutor

from ledger.store.salt import SALT_BYTES, SALTS_AT_ONCE, new_salt


def test_salts_are_distinct_22_character_base64url_texts_of_16_bytes() -> None:
    drawn = [new_salt() for _ in range(3 * SALTS_AT_ONCE + 5)]
    assert len(set(drawn)) == len(drawn)
    for text in drawn:
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", text), text
        assert len(base64.urlsafe_b64decode(text + "==")) == SALT_BYTES


def test_threads_drawing_at_once_never_get_the_same_salt() -> None:
    def draw(_: int) -> list[str]:
        return [new_salt() for _ in range(2 * SALTS_AT_ONCE)]

    with ThreadPoolExecutor(8) as pool:
        drawn = [s for batch in pool.map(draw, range(8)) for s in batch]
    assert len(set(drawn)) == len(drawn)


def test_a_forked_child_does_not_repeat_the_salts_its_parent_hands_out_next() -> None:
    new_salt()  # the parent now holds salts drawn and not handed out yet
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.close(read)
        os.write(write, "".join(new_salt() for _ in range(5)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        text = pipe.read().decode()
    os.waitpid(child, 0)
    in_child = {text[i : i + 22] for i in range(0, len(text), 22)}
    in_parent = {new_salt() for _ in range(5)}
    assert len(in_child) == 5
    assert not in_child & in_parent
