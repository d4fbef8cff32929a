"""The cyclic garbage collector paused around one batch, when recording or projecting.

A batch allocates many container objects that live on (records kept between batches), and
the collector would run several times inside it, scanning them: work that finds nothing,
as a batch's garbage is acyclic and freed by reference counting. The setting is global:
a thread that finds the collector paused leaves it to the one that paused it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused(*, freeze: bool = False) -> Iterator[None]:
    """Pauses the collector for one batch; it runs again afterwards. With `freeze`, what
    survived the batch is frozen first (`gc.freeze`: never scanned until `gc.unfreeze`)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if freeze:
                gc.freeze()
            gc.enable()
