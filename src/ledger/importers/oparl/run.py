"""One run of `ledger import oparl`: read the source, plan, try, record, remember the sync.

All or nothing, like the CSV imports: an object that is bad (fails the OParl 1.1 schema,
references a missing object, is refused by the ledger's rules) is reported with its URL
and why; without `skip_bad` nothing of the run is recorded and the exit code is 2, with it
the other objects are recorded (exit 0). Nothing is appended for what the ledger already
holds, so a second run appends nothing. The start of a successful run is kept as the
source's last sync; the next run asks the server only for what changed since.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, date, datetime, timedelta
from typing import IO

from ledger.application import LedgerApplication
from ledger.cli.session import ledger_application
from ledger.commands.batch import Batch
from ledger.commands.handlers import load_handlers
from ledger.commands.registry import KINDS
from ledger.errors import LedgerError
from ledger.importers.oparl.client import Client, Settings, Source, open_source
from ledger.importers.oparl.harvest import BadObject, Harvest, Harvester, entry_body
from ledger.importers.oparl.mapping import PROPOSAL_RETRACTION, Mapper, Plan, Unit
from ledger.importers.oparl.report import OParlReport
from ledger.importers.oparl.state import SyncState
from ledger.importers.trial import trial_run
from ledger.store.chain import StoreError

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: The next run asks for changes since this long before the last run started: the server's
#: clock may run behind ours, and a change in the second a run starts must not be missed.
#: Reading an object again appends nothing.
OVERLAP = timedelta(minutes=5)
LABEL = "ledger import oparl"


class ImportInputError(LedgerError):
    """Bad input on the command line (exit 2)."""


def parse_since(value: str | datetime | date | None) -> datetime | None:
    """--since as an aware moment: an ISO date-time (UTC without an offset) or a date."""
    if value is None or isinstance(value, datetime):
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = value.strip().replace("z", "Z").replace("Z", "+00:00")
    try:
        moment = (
            datetime.fromisoformat(f"{text}T00:00:00+00:00")
            if len(text) == 10
            else datetime.fromisoformat(text)
        )
    except ValueError:
        raise ImportInputError(
            f"--since must be a date or date-time such as 2024-01-31 or "
            f"2024-01-31T08:00:00+01:00, got {value!r}"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def run_import(
    url: str,
    body: str,
    oparl_body: str | None = None,
    since: str | datetime | date | None = None,
    dry_run: bool = False,
    skip_bad: bool = False,
    *,
    settings: Settings | None = None,
    database_url: str | None = None,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
    source: Source | None = None,
) -> int:
    """Imports an OParl source into `body`; the exit code (0 done, 2 bad input or objects).

    `source` reads the URLs instead of the client `open_source` gives (for tests).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        if not SLUG.match(body):
            raise ImportInputError(f"--body must be a slug such as kyffhaeuserkreis, got {body!r}")
        moment = parse_since(since)
        reader = source or open_source(url, settings or Settings())
        report = _run(url, body, oparl_body, moment, dry_run, skip_bad, reader, database_url, err)
    except _RefusedError as refused:
        for line in refused.report.bad_lines():
            print(line, file=err)
        count = len(refused.report.bad_lines())
        print(
            f"{LABEL}: error: {count} bad object{'s' if count != 1 else ''}; nothing was "
            "recorded (fix the source, or give --skip-bad to record the other objects)",
            file=err,
        )
        return 2
    except (LedgerError, StoreError, OSError, ValueError) as exc:
        print(f"{LABEL}: error: {' '.join(str(exc).split())}", file=err)
        return 2
    for line in report.summary():
        print(line, file=out)
    if report.bad:
        lines = report.bad_lines()
        print(f"skipped {len(lines)} bad object{'s' if len(lines) != 1 else ''}:", file=out)
        for line in lines:
            print(f"  {line}", file=out)
    return 0


class _RefusedError(Exception):
    def __init__(self, report: OParlReport) -> None:
        self.report = report
        super().__init__("bad objects")


def _run(
    url: str,
    body: str,
    oparl_body: str | None,
    since: datetime | None,
    dry_run: bool,
    skip_bad: bool,
    reader: Source,
    database_url: str | None,
    err: IO[str],
) -> OParlReport:
    started = datetime.now(UTC)
    load_handlers()
    client = Client(reader, progress=lambda line: print(line, file=err))
    # The source first: a URL that does not answer leaves the store untouched.
    system, oparl = entry_body(client, url, oparl_body)
    source = str(oparl["id"])
    app = ledger_application(database_url)
    state = SyncState(database_url)
    try:
        if since is None:
            last = state.last_sync(source, body)
            since = datetime.fromisoformat(last) if last else None
        entries = state.entries(source, body)
        known = frozenset(k for k, v in entries.items() if v.get("record") == "committee")
        harvest = Harvester(client, Harvest(system, oparl), known).run(
            since.isoformat() if since else None, _decides
        )
        plan = Mapper(harvest, Batch(app.repository), body, entries, started.date()).build()
        report = OParlReport(
            source=url,
            body_name=str(oparl.get("name", oparl["id"])),
            since=since.isoformat() if since else None,
            read=dict(harvest.counts),
            requests=getattr(client.source, "requests", 0),
            stats=plan.stats,
            bad=[*harvest.bad, *plan.bad],
            notes=plan.notes,
            dry_run=dry_run,
            skip_bad=skip_bad,
        )
        good = _tried(app, plan, report)
        if report.bad and not skip_bad:
            raise _RefusedError(report)
        if not dry_run:
            commands = [c for unit in good for c in unit.commands]
            if report.new_units:
                report.positions = app.record(commands)
            imported = {k: v for unit in good for k, v in unit.entries.items()}
            dropped = plan.retracted & {unit.url for unit in good}
            for oparl_id in dropped:
                imported.pop(oparl_id, None)
            state.save(source, body, url, started - OVERLAP, imported, dropped)
        return report
    finally:
        state.close()
        app.close()


def _decides(harvest: Harvest) -> bool:
    """Whether a run needs the memberships: some agenda item of it has a result."""
    return any(
        isinstance(item.get("result"), str) and item["result"].strip()
        for item, _ in harvest.items.values()
    )


def _known_kinds(plan: Plan, report: OParlReport) -> list[Unit]:
    """The units whose record kinds this ledger has; a ledger without the `decision` kind
    records the decisions with all four counts (votes) only, and the report says so."""
    kept = []
    for unit in plan.units:
        unknown = sorted({str(c["record"]) for c in unit.commands} - set(KINDS))
        if unknown:
            report.stats[f"{unknown[0]} not recorded: the ledger has no '{unknown[0]}' kind"] += 1
            report.stats[unit.what] -= 1
            continue
        kept.append(unit)
    return kept


def _tried(app: LedgerApplication, plan: Plan, report: OParlReport) -> list[Unit]:
    """Tries every unit as `record` would; refused units become bad objects."""
    units = _known_kinds(plan, report)
    rows = [(index, unit.commands) for index, unit in enumerate(units)]
    outcome = trial_run(app, rows)
    good: list[Unit] = []
    for index, unit in enumerate(units):
        reason = outcome.refused.get(index)
        if reason is not None and unit.what == PROPOSAL_RETRACTION:
            report.notes.append(
                f"{unit.url}: deleted in the source; its proposal stays, the ledger refuses "
                f"to retract it: {reason}"
            )
            continue
        if reason is not None:
            report.bad.append(BadObject(unit.url, f"refused by the ledger: {reason}"))
            continue
        good.append(unit)
        if unit.commands:
            report.units += 1
            report.new_units += index in outcome.changing
    return good
