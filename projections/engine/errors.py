"""Errors of the read side: unknown things asked for, bad query parameters, a read model
out of step with the ledger."""

from __future__ import annotations

from ledger.errors import LedgerError


class NotFoundError(LedgerError):
    """A body, process, line, resolution or finding asked for is not in the read model."""


class QueryError(LedgerError):
    """A query parameter is not valid; names the parameter and the rule."""

    def __init__(self, parameter: str, rule: str) -> None:
        self.parameter = parameter
        self.rule = rule
        super().__init__(f"parameter '{parameter}': {rule}")


class ProjectionError(LedgerError):
    """The read model is out of step with the ledger (run `ledger rebuild`)."""


class FoldWorkerError(LedgerError):
    """The projector's fold worker process stopped or failed (the read model is intact: a
    batch it was part of is not written, and the projector can go on without it)."""
