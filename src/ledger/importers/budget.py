"""Import of the adopted budget (Haushaltsplan): one line and its appropriation per CSV row."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from ledger.application import LedgerApplication
from ledger.commands.batch import Batch
from ledger.domain.budget_line import BudgetLine
from ledger.errors import RuleViolationError
from ledger.importers.csv_source import read_table
from ledger.importers.mapping import Mapping, ResolvedSource
from ledger.importers.notation import parse_amount
from ledger.importers.report import BadRow, ImportRefusedError, ImportReport
from ledger.importers.row_fields import RowFields
from ledger.importers.trial import trial_run


@dataclass(frozen=True)
class BudgetEntry:
    """A budget line as the file gives it; `lines` are the file lines it was read from."""

    lines: tuple[int, ...]
    code: str
    title: str
    direction: str
    amount: Decimal
    opened: bool = False

    def commands(self, body: str, year: int, effective: date) -> list[dict[str, Any]]:
        """Opens the line (unless it is already open) and sets its appropriation (Ansatz)."""
        common = {"body": body, "year": year, "line": self.code, "effective": effective}
        opening = {
            "record": "budget-line",
            **common,
            "title": self.title,
            "direction": self.direction,
        }
        appropriation = {"record": "appropriation", **common, "amount": self.amount}
        return [appropriation] if self.opened else [opening, appropriation]


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
) -> ImportReport:
    """Records the budget of `year` from a CSV export in one batch (all or nothing).

    Bad rows refuse the whole file (ImportRefusedError) unless `skip_bad`; then they are
    left out and listed in the report.
    """
    table = read_table(
        path,
        encoding=mapping.encoding,
        separator=mapping.separator,
        header_line=mapping.header_line,
    )
    resolved = mapping.resolve(table.header, year)
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
    entries: list[BudgetEntry] = []
    faulty: dict[int, str] = {}  # file line -> its valid code, for rows with faults
    for row in table.rows:
        fields = RowFields(row, len(table.header), resolved)
        code = fields.text("code")
        if code:
            try:
                body_record.check_line_code(code)
            except RuleViolationError as exc:
                fields.fault("code", exc.rule)
                code = ""
        title = fields.text("title")
        amount = fields.parsed("amount", partial(parse_amount, decimal=mapping.decimal))
        direction = direction_of(fields, mapping)
        if fields.faults:
            report.bad.append(BadRow(row.line, "; ".join(fields.faults)))
            if code:
                faulty[row.line] = code
            continue
        assert amount is not None and direction is not None
        entries.append(BudgetEntry((row.line,), code, title, direction, amount))
    entries = merge_duplicates(entries, faulty, mapping.sum_duplicates, report.bad)
    entries = [e for e in (opened_lines(batch, e, body, year, report) for e in entries) if e]
    outcome = trial_run(app, [(i, e.commands(body, year, when)) for i, e in enumerate(entries)])
    for index, reason in outcome.refused.items():
        report.bad.extend(BadRow(line, reason) for line in entries[index].lines)
    good = [e for i, e in enumerate(entries) if i not in outcome.refused]
    report.new = sum(1 for i in outcome.changing if i not in outcome.refused)
    report.settled = sum(1 for i in outcome.settled if i not in outcome.refused)
    report.already_recorded = len(good) - report.new - report.settled
    if report.bad and not skip_bad:
        raise ImportRefusedError(report)
    if not dry_run and report.new:
        commands = [c for e in good for c in e.commands(body, year, when)]
        report.positions = app.record(commands)
    return report


def opened_lines(
    batch: Batch, entry: BudgetEntry, body: str, year: int, report: ImportReport
) -> BudgetEntry | None:
    """An entry for a line already recorded only sets the appropriation.

    A different direction is a bad row, and so is an appropriation for a line with an
    außerplanmäßige approval in that year (at whatever date: the domain checks only the
    approvals standing on the budget's effective date). A different title is noted and
    the recorded one kept.
    """
    record = batch.find(BudgetLine, BudgetLine.id_for(body, year, entry.code))
    if record is None:
        return entry
    state = record.state_at()
    reason = None
    if state.direction != entry.direction:
        reason = (
            f"budget line {entry.code} of {year} is recorded as {state.direction}; "
            f"the file says {entry.direction}"
        )
    elif entry.amount > 0 and any(a.kind == "ausserplanmaessig" for a in state.supplementary):
        reason = (
            f"budget line {entry.code} of {year} has an außerplanmäßige approval, which is "
            f"only for a line with no appropriation that year"
        )
    if reason:
        report.bad.extend(BadRow(line, reason) for line in entry.lines)
        return None
    if state.title != entry.title:
        report.notes.append(
            f"line {entry.lines[0]}: budget line {entry.code} is recorded with the title "
            f"'{state.title}'; the file's '{entry.title}' is not recorded"
        )
    return replace(entry, opened=True)


def direction_of(fields: RowFields, mapping: Mapping) -> str | None:
    """The row's direction: fixed by the mapping, read from its column, else expenditure."""
    if mapping.direction.fixed is not None:
        return mapping.direction.fixed
    if "direction" not in fields.resolved:
        return "expenditure"
    text = fields.text("direction")
    if not text:
        return None
    found = mapping.direction.of(text)
    if found is None:
        known = "; ".join(f"{d}: {', '.join(v)}" for d, v in mapping.direction.values.items())
        fields.fault("direction", f"'{text}' is none of the direction values ({known})")
    return found


def merge_duplicates(
    entries: list[BudgetEntry], faulty: dict[int, str], sum_duplicates: bool, bad: list[BadRow]
) -> list[BudgetEntry]:
    """Sums the rows of a code given twice when the mapping says so; otherwise all are bad.

    `faulty` (file line -> code) are rows refused for another reason: a code that also
    appears there is refused too, since its sum (or which row is right) is not known.
    """
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
            total = sum((e.amount for e in group), Decimal("0.00"))
            merged.append(BudgetEntry(lines, code, first.title, first.direction, total))
            continue
        bad.extend(BadRow(line, reason) for line in lines)
    return merged


def describe(mapping: Mapping, resolved: dict[str, ResolvedSource], effective: date) -> list[str]:
    """The mapping as applied to this file, for the report."""
    out = [f"mapping: {mapping.source}"]
    out.extend(f"{key}: {src.describe()}" for key, src in resolved.items())
    if mapping.direction.fixed is not None:
        out.append(f"direction: fixed {mapping.direction.fixed}")
    elif "direction" not in resolved:
        out.append("direction: expenditure (no direction column)")
    out.append(f"effective: {effective.isoformat()}")
    out.append(f"duplicate codes: {'summed' if mapping.sum_duplicates else 'refused'}")
    return out
