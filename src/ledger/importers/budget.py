"""Import of the adopted budget (Haushaltsplan): one line and its appropriation per CSV row.

A budget imported again (with a new --effective, or a supplementary budget) appends only what
changed: new lines and appropriations that differ from the one standing on the effective
date. Lines recorded for the year but missing from the file are reported, and set to 0.00
only with `close_missing`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from eventsourcing.utils import get_topic

from ledger.application import LedgerApplication
from ledger.commands.batch import Batch
from ledger.commands.budget import OpenLine, SetAppropriation
from ledger.domain.budget_line import BudgetLine
from ledger.errors import RuleViolationError
from ledger.importers.amounts import budget_amount
from ledger.importers.csv_source import read_table
from ledger.importers.mapping import Mapping, ResolvedSource
from ledger.importers.report import (
    BadRow,
    ImportRefusedError,
    ImportReport,
    Progress,
    lines_named,
    plural,
)
from ledger.importers.row_fields import RowFields
from ledger.importers.row_filter import selected_rows
from ledger.importers.trial import trial_run

# The most codes and titles a note lists before it says how many more there are.
LISTED = 20


@dataclass(frozen=True)
class BudgetEntry:
    """A budget line as the file gives it; `lines` are the file lines it was read from."""

    lines: tuple[int, ...]
    code: str
    title: str
    direction: str
    amount: Decimal
    opened: bool = False

    def commands(self, body: str, year: int, effective: date) -> list[OpenLine | SetAppropriation]:
        """Opens the line (unless it is already open) and sets its appropriation (Ansatz).

        A row without a title opens its line with the code as title: the domain needs one,
        and the code says truthfully what the file said, where a made-up text would not.
        """
        appropriation = SetAppropriation(
            body=body, year=year, line=self.code, effective=effective, amount=self.amount
        )
        if self.opened:
            return [appropriation]
        opening = OpenLine(
            body=body,
            year=year,
            line=self.code,
            effective=effective,
            title=self.title or self.code,
            direction=self.direction,
        )
        return [opening, appropriation]


def import_budget(
    app: LedgerApplication,
    path: Path,
    *,
    body: str,
    year: int,
    mapping: Mapping,
    effective: date | None = None,
    skip_bad: bool = False,
    dry_run: bool = False,
    close_missing: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Records the budget of `year` from a CSV export in one batch (all or nothing).

    Bad rows refuse the whole file (ImportRefusedError) unless `skip_bad`; then they are
    left out and listed in the report. Rows `where` does not select and rows a `skip` rule
    drops are counted, not bad. `close_missing`: recorded lines of the year that the file
    lacks get an appropriation of 0.00 from the effective date.
    """
    table = read_table(
        path,
        encoding=mapping.encoding,
        separator=mapping.separator,
        header_line=mapping.header_line,
    )
    resolved = mapping.resolve(table.header, year)
    row_filter = mapping.rows.resolve(table.header, mapping.source)
    when = effective or mapping.effective or date(year, 1, 1)
    batch = Batch(app.repository)
    body_record = batch.body(body)
    report = ImportReport(
        kind="budget",
        source=str(path),
        reading=table.describe(),
        mapping=describe(mapping, resolved, when),
        rows=len(table.rows),
        skip_bad=skip_bad,
        dry_run=dry_run,
    )
    steps = Progress(progress, len(table.rows)) if progress else None
    entries: list[BudgetEntry] = []
    faulty: dict[int, str] = {}  # file line -> its valid code, for rows with faults
    turned: list[int] = []
    for row in selected_rows(table.rows, row_filter, report, steps):
        fields = RowFields(row, len(table.header), resolved)
        code = fields.text("code")
        if code:
            try:
                body_record.check_line_code(code)
            except RuleViolationError as exc:
                fields.fault("code", exc.rule)
                code = ""
        title = fields.text("title", required=False)
        amount, direction = budget_amount(fields, mapping, turned)
        fields.check_year(year)
        if fields.faults:
            report.bad.append(BadRow(row.line, "; ".join(fields.faults)))
            if code:
                faulty[row.line] = code
            continue
        assert amount is not None and direction is not None
        entries.append(BudgetEntry((row.line,), code, title, direction, amount))
    note_untitled(entries, report)
    if turned:
        report.notes.append(
            f"{plural(len(turned), 'row')} written with the opposite sign "
            f"({lines_named(turned)}): recorded as "
            f"{'a negative appropriation' if len(turned) == 1 else 'negative appropriations'} "
            f"(opposite_sign: turn)"
        )
    in_file = {e.code for e in entries} | set(faulty.values())
    entries = merge_duplicates(entries, faulty, mapping.sum_duplicates, report)
    if steps:
        steps.stage(f"checking {plural(len(entries), 'line')} against the ledger")
    unchanged = Unchanged()
    kept = (opened_lines(batch, e, body, year, when, report, unchanged) for e in entries)
    entries = [e for e in kept if e is not None]
    if unchanged.opened:  # a re-import: say which recorded lines the file lacks
        entries += missing_lines(app, batch, body, year, when, in_file, report, close_missing)
    outcome = trial_run(app, [(i, e.commands(body, year, when)) for i, e in enumerate(entries)])
    for index, reason in outcome.refused.items():
        entry = entries[index]
        report.bad.extend(BadRow(line, reason) for line in entry.lines)
        if not entry.lines:  # a line closed for missing from the file has no file line
            report.bad.append(BadRow(0, f"closing {entry.code}: {reason}"))
    good = [e for i, e in enumerate(entries) if i not in outcome.refused]
    changing = [i for i in outcome.changing if i not in outcome.refused]
    settled = sum(1 for i in outcome.settled if i not in outcome.refused)
    report.closed = sum(1 for i in changing if not entries[i].lines)
    report.new = len(changing) - report.closed
    report.settled = unchanged.settled + settled
    report.already_recorded = unchanged.standing + len(good) - len(changing) - settled
    if report.bad and not skip_bad:
        raise ImportRefusedError(report)
    if not dry_run and (report.new or report.closed):
        commands = [c for e in good for c in e.commands(body, year, when)]
        if steps:
            steps.stage(f"recording {plural(len(commands), 'command')}")
        report.positions = app.record(commands)
    return report


@dataclass
class Unchanged:
    """Rows for lines already recorded: how many, and how many change nothing."""

    opened: int = 0
    standing: int = 0
    settled: int = 0


def note_untitled(entries: list[BudgetEntry], report: ImportReport) -> None:
    """Lists the rows without a title (a new line takes its code as its title)."""
    lines = [e.lines[0] for e in entries if not e.title]
    if lines:
        report.notes.append(
            f"{plural(len(lines), 'row')} without a title ({lines_named(lines)}): a new line "
            f"takes its code as its title, a recorded line keeps its own"
        )


def opened_lines(
    batch: Batch,
    entry: BudgetEntry,
    body: str,
    year: int,
    when: date,
    report: ImportReport,
    unchanged: Unchanged,
) -> BudgetEntry | None:
    """An entry for a line already recorded sets the appropriation only if it changed.

    A different direction is a bad row, and so is an appropriation for a line with an
    außerplanmäßige approval in that year (at whatever date: the domain checks only the
    approvals standing on the budget's effective date). The same appropriation as the one
    standing on `when` appends nothing (already recorded), and so does one that was
    retracted or corrected (settled). A different title is noted and the recorded one kept.
    """
    record = batch.find(BudgetLine, BudgetLine.id_for(body, year, entry.code))
    if record is None:
        return entry
    unchanged.opened += 1
    state = record.state_at()
    reason = None
    change = record.appropriation_change(entry.amount, when)
    if state.direction != entry.direction:
        reason = (
            f"budget line {entry.code} of {year} is recorded as {state.direction}; "
            f"the file says {entry.direction}"
        )
    elif change != "new":
        if change == "standing":
            unchanged.standing += 1
        else:
            unchanged.settled += 1
        return None
    elif entry.amount > 0 and any(a.kind == "ausserplanmaessig" for a in state.supplementary):
        reason = (
            f"budget line {entry.code} of {year} has an außerplanmäßige approval, which is "
            f"only for a line with no appropriation that year"
        )
    if reason:
        report.bad.extend(BadRow(line, reason) for line in entry.lines)
        return None
    if entry.title and state.title != entry.title:
        report.notes.append(
            f"line {entry.lines[0]}: budget line {entry.code} is recorded with the title "
            f"'{state.title}'; the file's '{entry.title}' is not recorded"
        )
    return replace(entry, opened=True)


def merge_duplicates(
    entries: list[BudgetEntry], faulty: dict[int, str], sum_duplicates: bool, report: ImportReport
) -> list[BudgetEntry]:
    """Sums the rows of a code given twice when the mapping says so; otherwise all are bad.

    `faulty` (file line -> code) are rows refused for another reason: a code that also
    appears there is refused too, since its sum (or which row is right) is not known. The
    report says how many rows were summed, and lists codes whose rows differ in title (the
    first title is kept).
    """
    bad = report.bad
    summed: list[tuple[str, tuple[int, ...]]] = []
    differing: list[str] = []
    by_code: dict[str, list[BudgetEntry]] = {}
    for entry in entries:
        by_code.setdefault(entry.code, []).append(entry)
    faulty_by_code: dict[str, list[int]] = {}
    for line, code in faulty.items():
        faulty_by_code.setdefault(code, []).append(line)
    merged: list[BudgetEntry] = []
    for code, group in by_code.items():
        bad_lines = faulty_by_code.get(code, [])
        if len(group) == 1 and not bad_lines:
            merged.append(group[0])
            continue
        lines = tuple(sorted([line for e in group for line in e.lines] + bad_lines))
        named = ", ".join(str(n) for n in lines[:-1]) + f" and {lines[-1]}"
        if not sum_duplicates:
            reason = (
                f"code {code} appears on lines {named} "
                f"(give `sum_duplicates: true` in the mapping to add them up)"
            )
        elif bad_lines:
            reason = f"code {code} appears on lines {named}, and a bad row cannot be summed"
        elif len({e.direction for e in group}) > 1:
            reason = f"code {code} appears on lines {named} with different directions"
        else:
            first = group[0]
            title = next((e.title for e in group if e.title), "")
            total = sum((e.amount for e in group), Decimal("0.00"))
            merged.append(BudgetEntry(lines, code, title, first.direction, total))
            summed.append((code, lines))
            titles = list(dict.fromkeys(e.title for e in group if e.title))
            if len(titles) > 1:
                differing.append(
                    f"{code} ({', '.join(repr(t) for t in titles)}; kept {titles[0]!r})"
                )
            continue
        bad.extend(BadRow(line, reason) for line in lines)
    if summed:
        rows = sum(len(lines) for _, lines in summed)
        report.notes.append(
            f"sum_duplicates: {plural(rows, 'row')} of {plural(len(summed), 'code')} summed "
            f"({', '.join(c for c, _ in summed[:LISTED])}{more(len(summed))})"
        )
    if differing:
        report.notes.append(
            f"summed rows with different titles: {'; '.join(differing[:LISTED])}"
            f"{more(len(differing))}"
        )
    return merged


def more(count: int) -> str:
    """', ... (N in all)' past the LISTED ones."""
    return f", ... ({count:,} in all)" if count > LISTED else ""


def recorded_codes(app: LedgerApplication, body: str, year: int) -> set[str]:
    """The codes of the lines recorded for `body` in `year`: the lines opened, read by topic.

    The write side keeps no list of a year's lines, so the notifications of lines opened
    are read (one query a page); only a re-import asks.
    """
    topic = get_topic(BudgetLine.Opened)
    codes: set[str] = set()
    start = 1
    while True:
        page = app.recorder.select_notifications(start, 1000, topics=[topic])
        if not page:
            return codes
        for notification in page:
            opened = app.mapper.to_domain_event(notification)
            if getattr(opened, "body", None) == body and getattr(opened, "year", None) == year:
                codes.add(opened.code)  # type: ignore[attr-defined]
        start = page[-1].id + 1


def missing_lines(
    app: LedgerApplication,
    batch: Batch,
    body: str,
    year: int,
    when: date,
    in_file: set[str],
    report: ImportReport,
    close: bool,
) -> list[BudgetEntry]:
    """Notes the recorded lines with an appropriation that the file lacks.

    With `close` each gets an appropriation of 0.00 from `when` (returned as entries);
    without, they keep theirs. Lines without an appropriation (opened for an approval
    only) are not the budget's and are left out.
    """
    missing: list[tuple[str, BudgetLine]] = []
    for code in sorted(recorded_codes(app, body, year) - in_file):
        record = batch.find(BudgetLine, BudgetLine.id_for(body, year, code))
        if record is None:
            continue
        standing = record.state_at(when).appropriation
        if standing is not None and standing != 0:
            missing.append((code, record))
    if not missing:
        return []
    codes = ", ".join(c for c, _ in missing[:LISTED]) + more(len(missing))
    if not close:
        report.notes.append(
            f"{plural(len(missing), 'recorded line')} of {year} with an appropriation "
            f"{'is' if len(missing) == 1 else 'are'} not in the file: {codes} (they keep "
            f"it; --close-missing sets it to 0.00 from {when.isoformat()})"
        )
        return []
    report.notes.append(
        f"{plural(len(missing), 'recorded line')} not in the file closed: appropriation "
        f"0.00 from {when.isoformat()}: {codes}"
    )
    return [
        BudgetEntry((), code, r.state_at().title, r.state_at().direction, Decimal("0.00"), True)
        for code, r in missing
    ]


def describe(mapping: Mapping, resolved: dict[str, ResolvedSource], effective: date) -> list[str]:
    """The mapping as applied to this file, for the report."""
    out = [f"mapping: {mapping.source}"]
    out.extend(f"{key}: {src.describe()}" for key, src in resolved.items())
    if mapping.amounts:
        out.append("direction: the amount column that holds the amount")
    elif mapping.direction.fixed is not None:
        out.append(f"direction: fixed {mapping.direction.fixed}")
    elif "direction" not in resolved:
        out.append("direction: expenditure (no direction column)")
    if mapping.sign != "keep":
        out.append(
            f"sign: {mapping.sign} (stored with the sign turned; the opposite sign is "
            f"{'turned too' if mapping.opposite_sign == 'turn' else 'a bad row'})"
        )
    out.extend(mapping.rows.describe())
    out.append(f"effective: {effective.isoformat()}")
    out.append(f"duplicate codes: {'summed' if mapping.sum_duplicates else 'refused'}")
    return out
