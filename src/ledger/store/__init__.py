"""The hash-chained event store: settings, chained recorders, verify, export and import."""

from __future__ import annotations

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from ledger.store.base import ChainedRecorder, ChainReader, ChainRow, ChainWriter
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
    "StoreURL",
    "TransferError",
    "VerifyReport",
    "application_env",
    "database_url",
    "event_bytes",
    "export",
    "format_recorded_at",
    "import_events",
    "link_hash",
    "open_recorder",
    "parse_recorded_at",
    "parse_url",
    "sqlalchemy_url",
    "verify",
    "verify_export",
]
