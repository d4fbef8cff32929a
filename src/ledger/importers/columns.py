"""Columns of an export's header found by name, and the error of a mapping that does not fit."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ledger.errors import LedgerError


class MappingError(LedgerError):
    """The mapping file (or the header it is applied to) does not fit; names the key and rule."""

    def __init__(self, source: str, key: str, rule: str) -> None:
        self.source = source
        self.key = key
        self.rule = rule
        super().__init__(f"{source}: '{key}': {rule}")


def header_key(name: str) -> str:
    """A header name compared loosely: case-folded, without spaces and punctuation."""
    return re.sub(r"[\W_]+", "", name.casefold())


def find_column(header: Sequence[str], name: str) -> int | None:
    """The index of column `name`: exact, then case-insensitive, then loosely compared."""
    for compare in (str.strip, lambda s: s.strip().casefold(), header_key):
        wanted = compare(name)
        for index, column in enumerate(header):
            if compare(column) == wanted and wanted:
                return index
    return None
