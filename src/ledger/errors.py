"""Errors for bad input; the CLI turns them into exit code 2, the API into a 4xx."""

from __future__ import annotations


class LedgerError(Exception):
    """Base class of every error the ledger reports to a user."""


class RuleViolationError(LedgerError):
    """A command or value breaks a rule; names the field and the rule."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"field '{field}': {rule}")


class RecordNotFoundError(LedgerError):
    """A command names a record (body, committee, resolution, ...) that does not exist."""

    def __init__(self, field: str, kind: str, key: str) -> None:
        self.field = field
        self.kind = kind
        self.key = key
        super().__init__(f"field '{field}': no {kind} '{key}' has been recorded")


class CommandError(LedgerError):
    """A command of a batch was refused; says which command (1-based) and why."""

    def __init__(self, index: int, kind: str, cause: LedgerError) -> None:
        self.index = index
        self.kind = kind
        self.cause = cause
        label = f"command {index}" + (f" ({kind})" if kind else "")
        super().__init__(f"{label}: {cause}")


class UsageError(LedgerError):
    """Bad input on the command line or in a file that is not a command (exit code 2)."""
