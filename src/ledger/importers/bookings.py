"""Import of the treasury's bookings (Ist): one payment per CSV row, keyed by booking reference.

The booking reference is the idempotency key on its line: a row whose reference is already
recorded on that line (same amount and date) is skipped, so importing the same export
twice, or an overlapping later export, adds only what is new. A row repeating a booking
that was retracted or corrected since is skipped too, and counted as settled: a reversal
recorded in the ledger stands. A negative row is a reversal (Storno) under its own
reference: the line's payments go down by it. A booking on a line with neither an
appropriation nor an approval is recorded, as `ledger record` records it; `reconcile`
reports it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from ledger.application import LedgerApplication
from ledger.commands.batch import Batch
from ledger.commands.budget import BookPayment
from ledger.domain.budget_line import BudgetLine
from ledger.domain.repeats import NEW, Repeat
from ledger.errors import CommandError, RuleViolationError
from ledger.importers.amounts import booking_amount
from ledger.importers.csv_source import read_table
from ledger.importers.mapping import Mapping
from ledger.importers.notation import parse_booking_date
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


@dataclass(frozen=True)
class Booking:
    """A booking as the file gives it, with its line in the file."""

    line: int
    code: str
    booked_on: date
    amount: Decimal
    reference: str
    text: str

    def command(self, body: str, year: int) -> BookPayment:
        """The payment command (a receipt on an income line)."""
        return BookPayment(
            body=body,
            year=year,
            line=self.code,
            amount=self.amount,
            reference=self.reference,
            text=self.text,
            effective=self.booked_on,
        )


class LineBook:
    """The budget lines of one body and year as recorded, with the bookings they hold."""

    def __init__(self, batch: Batch, body: str, year: int) -> None:
        self.batch = batch
        self.body = body
        self.year = year
        self._lines: dict[str, BudgetLine | None] = {}
        self._directions: dict[str, str | None] = {}

    def line(self, code: str) -> BudgetLine | None:
        """The recorded line `code`, or None."""
        if code not in self._lines:
            self._lines[code] = self.batch.find(
                BudgetLine, BudgetLine.id_for(self.body, self.year, code)
            )
        return self._lines[code]

    def refusal(self, code: str) -> str | None:
        """Why no booking can go on line `code` (it was never recorded), or None if it can.

        A line without appropriation or approval takes bookings: `reconcile` reports them
        as payments without authorisation, which is what it is there to show.
        """
        if self.line(code) is None:
            return (
                f"no budget line {code} in {self.year} has been recorded "
                f"(import the budget, or record the line and its approval, first)"
            )
        return None

    def direction(self, code: str) -> str | None:
        """The recorded direction of line `code` (expenditure or income), or None."""
        if code not in self._directions:
            record = self.line(code)
            self._directions[code] = record.state_at().direction if record else None
        return self._directions[code]

    def repeat(self, booking: Booking) -> Repeat:
        """How a row relates to the bookings its line holds under its reference.

        `standing`: recorded with the same amount and date; `settled`: a booking with these
        values was retracted, or corrected since; `contradicts`: the reference stands with
        another amount or date; `new` otherwise. The booking text is not compared.
        """
        record = self.line(booking.code)
        if record is None:
            return NEW
        return record.find_repeat(
            BudgetLine.PaymentBooked,
            reference=booking.reference,
            amount=booking.amount,
            effective=booking.booked_on,
        )


def import_bookings(
    app: LedgerApplication,
    path: Path,
    *,
    body: str,
    year: int,
    mapping: Mapping,
    skip_bad: bool = False,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Records the new bookings of a CSV export in one batch (all or nothing).

    Bad rows refuse the whole file (ImportRefusedError) unless `skip_bad`. Rows `where`
    does not select and rows a `skip` rule drops are counted, not bad; so is a row of
    another fiscal year by the mapping's `year` column. Bookings dated outside the fiscal
    year are recorded and noted.
    """
    table = read_table(
        path,
        encoding=mapping.encoding,
        separator=mapping.separator,
        header_line=mapping.header_line,
    )
    resolved = mapping.resolve(table.header, year)
    row_filter = mapping.rows.resolve(table.header, mapping.source)
    batch = Batch(app.repository)
    body_record = batch.body(body)
    book = LineBook(batch, body, year)
    report = ImportReport(
        kind="bookings",
        source=str(path),
        reading=table.describe(),
        mapping=describe(mapping, resolved),
        rows=len(table.rows),
        skip_bad=skip_bad,
        dry_run=dry_run,
    )
    steps = Progress(progress, len(table.rows)) if progress else None
    bookings: list[Booking] = []
    for row in selected_rows(table.rows, row_filter, report, steps):
        fields = RowFields(row, len(table.header), resolved)
        code = fields.text("code")
        direction = None
        if code:
            try:
                body_record.check_line_code(code)
            except RuleViolationError as exc:
                fields.fault("code", exc.rule)
            else:
                refusal = book.refusal(code)
                if refusal:
                    fields.fault("code", refusal)
                direction = book.direction(code)
        booked_on = fields.parsed(
            "date", partial(parse_booking_date, date_format=mapping.date_format)
        )
        amount = booking_amount(fields, mapping, direction)
        reference = fields.text("reference")
        text = fields.text("text", required=False)
        fields.check_year(year)
        if fields.faults:
            report.bad.append(BadRow(row.line, "; ".join(fields.faults)))
            continue
        assert booked_on is not None and amount is not None
        bookings.append(Booking(row.line, code, booked_on, amount, reference, text))
    note_other_years(bookings, year, report)
    bookings = refuse_repeated_references(bookings, report.bad)
    if steps:
        steps.stage(f"checking {plural(len(bookings), 'booking')} against the ledger")
    new: list[Booking] = []
    for booking in bookings:
        repeat = book.repeat(booking)
        recorded = repeat.fact
        if repeat.status == "new":
            new.append(booking)
        elif repeat.status == "standing":
            report.already_recorded += 1
        elif repeat.status == "settled":
            report.settled += 1
        else:
            report.bad.append(
                BadRow(
                    booking.line,
                    f"booking {booking.reference} is already recorded on line {booking.code} "
                    f"with {recorded.amount} on {recorded.effective}; this row has "
                    f"{booking.amount} on {booking.booked_on} (record a correction instead)",
                )
            )
    if report.bad and not skip_bad:
        report.new = len(new)
        raise ImportRefusedError(report)
    if dry_run:
        outcome = trial_run(app, [(i, [b.command(body, year)]) for i, b in enumerate(new)])
        report.bad.extend(BadRow(new[i].line, reason) for i, reason in outcome.refused.items())
        new = [b for i, b in enumerate(new) if i not in outcome.refused]
        report.new = len(new)
        if report.bad and not skip_bad:
            raise ImportRefusedError(report)
        return report
    if steps and new:
        steps.stage(f"recording {plural(len(new), 'booking')}")
    report.positions = record_bookings(app, new, body, year, report, skip_bad)
    return report


def describe(mapping: Mapping, resolved: dict[str, Any]) -> list[str]:
    """The mapping as applied to this file, for the report."""
    out = [f"mapping: {mapping.source}"]
    out.extend(f"{key}: {src.describe()}" for key, src in resolved.items())
    if mapping.sign != "keep":
        out.append(f"sign: {mapping.sign} (stored with the sign turned; the other sign reverses)")
    out.extend(mapping.rows.describe())
    return out


def note_other_years(bookings: list[Booking], year: int, report: ImportReport) -> None:
    """Notes the bookings dated outside the fiscal year (recorded all the same).

    A booking of the last days of a year may be paid in the next (Auslaufperiode), so the
    date alone does not make a row wrong; a `year` column does (see RowFields.check_year).
    """
    lines = [b.line for b in bookings if b.booked_on.year != year]
    if lines:
        report.notes.append(
            f"{plural(len(lines), 'booking')} dated outside {year} ({lines_named(lines)}): "
            f"recorded in the fiscal year {year}"
        )


def record_bookings(
    app: LedgerApplication,
    bookings: list[Booking],
    body: str,
    year: int,
    report: ImportReport,
    skip_bad: bool,
) -> list[int]:
    """Records the bookings in one batch; a row the ledger refuses is reported as bad.

    The rows were checked against every rule a booking has (line, amount, reference), so
    the batch is recorded directly rather than tried first: a line's bookings cost the
    domain a pass over the line's facts each, and trying would double that. A row refused
    all the same is a bad row; with --skip-bad it is left out and the rest recorded again.
    """
    remaining = list(bookings)
    while remaining:
        try:
            positions = app.record([b.command(body, year) for b in remaining])
        except CommandError as exc:
            if not 1 <= exc.index <= len(remaining):
                raise
            refused = remaining.pop(exc.index - 1)
            report.bad.append(BadRow(refused.line, str(exc.cause)))
            if not skip_bad:
                report.new = len(remaining) + 1
                raise ImportRefusedError(report) from None
            continue
        report.new = len(remaining)
        return positions
    report.new = 0
    return []


def refuse_repeated_references(bookings: list[Booking], bad: list[BadRow]) -> list[Booking]:
    """A booking reference given twice for one line in one file: both rows are bad."""
    by_key: dict[tuple[str, str], list[Booking]] = {}
    for booking in bookings:
        by_key.setdefault((booking.code, booking.reference), []).append(booking)
    kept = []
    for (code, reference), group in by_key.items():
        if len(group) == 1:
            kept.append(group[0])
            continue
        lines = [b.line for b in group]
        named = ", ".join(str(n) for n in lines[:-1]) + f" and {lines[-1]}"
        bad.extend(
            BadRow(line, f"booking {reference} on line {code} appears on lines {named}")
            for line in lines
        )
    kept.sort(key=lambda b: b.line)
    return kept
