"""Answers remembered per store and read-model position (Gedächtnis einer Abfrage).

A query that reads the read model as the ledger knows it now gives, at one position of one
generation, the same answer every time: the projector changes the position with every
change it makes. Such answers are kept per engine (one store; a process may open several)
and per (generation, position, question), least recently used first out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import TYPE_CHECKING, Generic, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine

if TYPE_CHECKING:
    from projections.engine.store import View

T = TypeVar("T")


class Remembered(Generic[T]):
    """At most `size` answers per store, each for its view's generation and position."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._stores: WeakKeyDictionary[Engine, OrderedDict[Hashable, T]] = WeakKeyDictionary()

    def _key(self, view: View, question: Hashable) -> Hashable:
        generation = view.schema.generation if view.schema is not None else None
        return (generation, view.position, question)

    def get(self, view: View, question: Hashable) -> T | None:
        """The answer kept for `question` at the view's position, or None."""
        key = self._key(view, question)
        with self._lock:
            answers = self._stores.get(view.conn.engine)
            if answers is None or key not in answers:
                return None
            answers.move_to_end(key)
            return answers[key]

    def put(self, view: View, question: Hashable, answer: T) -> None:
        """Keeps `answer` to `question` at the view's position (the caller must not change it)."""
        key = self._key(view, question)
        with self._lock:
            answers = self._stores.setdefault(view.conn.engine, OrderedDict())
            answers[key] = answer
            while len(answers) > self.size:
                answers.popitem(last=False)
