"""The hash-chained event store: settings, chained recorders, verify, export and import."""

from __future__ import annotations

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from ledger.store.base import (
    ChainedRecorder,
    ChainReader,
    ChainRow,
    ChainWriter,
    StoreFailure,
    StoreTimeoutError,
    store_failure,
)
from ledger.store.chain import (
    CHAIN_TABLE,
    EVENTS_TABLE,
    GENESIS,
    ChainedEvent,
    ChainError,
    ChainHead,
    Digest,
    DigestError,
    StoreError,
    event_bytes,
    format_recorded_at,
    link_hash,
    parse_recorded_at,
)
from ledger.store.transfer import (
    ExportResult,
    ImportResult,
    TransferError,
    export,
    import_events,
    verify_export,
)
from ledger.store.url import (
    ENV_VAR,
    StoreConfigError,
    StoreURL,
    application_env,
    database_url,
    parse_url,
    postgres_timeouts,
    sqlalchemy_url,
)
from ledger.store.verify import Problem, ProblemKind, VerifyReport, verify


def open_recorder(url: str | None = None) -> ChainedRecorder:
    """Open the chained recorder of a database URL (default: LEDGER_DATABASE_URL); close() it.

    Creates the tables if they do not exist, exactly as an Application on
    application_env(url) would, and uses the same events table.
    """
    env = Environment("", application_env(url))
    factory = InfrastructureFactory.construct(env)
    try:
        recorder = factory.application_recorder()
    except BaseException:
        factory.close()
        raise
    if not isinstance(recorder, ChainedRecorder):  # pragma: no cover - env pins the class
        factory.close()
        msg = f"expected a chained recorder, got {type(recorder).__qualname__}"
        raise StoreConfigError(msg)
    return recorder


def shown_url(url: str | None = None) -> str:
    """The store's URL as messages show it: the password masked (the raw text if unparsable)."""
    try:
        return parse_url(url).url
    except StoreConfigError:
        return "LEDGER_DATABASE_URL (not a valid URL)"


def failure_message(failure: StoreFailure, url: str | None = None) -> str:
    """One line naming the store (password masked) and what went wrong with it.

    When the PostgreSQL connection pool only says it got no connection in time, one direct
    connection attempt says why (refused, unknown host, authentication, ...).
    """
    reason = failure.reason
    if failure.kind == "unreachable" and "couldn't get a connection" in reason:
        try:
            parsed = parse_url(url)
        except StoreConfigError:
            parsed = None
        if parsed is not None and parsed.backend == "postgresql":
            from ledger.store.postgres import connection_problem

            reason = connection_problem(parsed) or reason
    return StoreFailure(failure.kind, reason).message(shown_url(url))


__all__ = [
    "CHAIN_TABLE",
    "ENV_VAR",
    "EVENTS_TABLE",
    "GENESIS",
    "ChainError",
    "ChainHead",
    "ChainReader",
    "ChainRow",
    "ChainWriter",
    "ChainedEvent",
    "ChainedRecorder",
    "Digest",
    "DigestError",
    "ExportResult",
    "ImportResult",
    "Problem",
    "ProblemKind",
    "StoreConfigError",
    "StoreError",
    "StoreFailure",
    "StoreTimeoutError",
    "StoreURL",
    "TransferError",
    "VerifyReport",
    "application_env",
    "database_url",
    "event_bytes",
    "export",
    "failure_message",
    "format_recorded_at",
    "import_events",
    "link_hash",
    "open_recorder",
    "parse_recorded_at",
    "parse_url",
    "postgres_timeouts",
    "shown_url",
    "sqlalchemy_url",
    "store_failure",
    "verify",
    "verify_export",
]
