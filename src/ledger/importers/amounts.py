"""A row's amount and direction: one amount column or one per direction, and the file's signs.

`sign: expenditure_negative` (or `income_negative`) says the file writes that direction's
amounts as negative numbers; the ledger stores them the other way round, so that its totals
are the file's with the sign turned. A budget row of that direction written positive
contradicts the convention and is a bad row, unless the mapping says `opposite_sign: turn`
(it is then a negative appropriation, as the file's totals count it); a booking so written
is a reversal.
With `amount: {income: A, expenditure: B}` the column that holds the amount gives the
direction.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from ledger.importers.mapping import DIRECTIONS, Mapping
from ledger.importers.notation import parse_signed_amount
from ledger.importers.row_fields import RowFields

ZERO = Decimal("0.00")


def budget_amount(
    fields: RowFields, mapping: Mapping, turned: list[int] | None = None
) -> tuple[Decimal | None, str | None]:
    """The appropriation and direction of a budget row (None where the row has a fault).

    `turned` collects the file lines written with the opposite sign and turned all the same.
    """
    amount: Decimal | None
    if mapping.amounts:
        key, amount, direction = _split(fields, mapping, None)
    else:
        key = "amount"
        if mapping.empty_amount == "zero" and not fields.text("amount", required=False):
            amount = ZERO  # an empty Ansatz cell: nothing planned
        else:
            parse = partial(parse_signed_amount, decimal=mapping.decimal)
            amount = fields.parsed("amount", parse)
        direction = direction_of(fields, mapping)
    if amount is None or direction is None:
        return None, direction
    if mapping.sign == f"{direction}_negative":
        if amount > 0 and mapping.opposite_sign == "turn":
            if turned is not None:
                turned.append(fields.row.line)
        elif amount > 0:
            fields.fault(
                key,
                f"{amount} is positive, but with `sign: {mapping.sign}` the file writes "
                f"{direction} as negative numbers (is the direction right? "
                f"`opposite_sign: turn` records it as a negative appropriation)",
            )
            return None, direction
        amount = -amount + ZERO  # + ZERO: -0.00 is 0.00
    return amount, direction


def booking_amount(fields: RowFields, mapping: Mapping, direction: str | None) -> Decimal | None:
    """The amount of a booking on a line of `direction` (None if unknown): negative reverses."""
    if mapping.amounts:
        _key, amount, _found = _split(fields, mapping, direction)
    else:
        amount = fields.parsed("amount", partial(parse_signed_amount, decimal=mapping.decimal))
    if amount is None or direction is None:
        return amount
    if mapping.sign == f"{direction}_negative":
        amount = -amount + ZERO
    return amount


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
        fields.fault(
            "direction",
            f"'{text}' is none of the direction values ({mapping.direction.known()})",
        )
    return found


def _split(
    fields: RowFields, mapping: Mapping, line_direction: str | None
) -> tuple[str, Decimal | None, str | None]:
    """(key, amount, direction) from separate income and expenditure columns.

    The filled column gives the direction; with both filled, the one that is not 0. A row
    with both empty or both 0 takes the mapping's `direction` if it gives one (a budget
    line with nothing planned), else it is a bad row. A booking's column must be its line's.
    """
    parse = partial(parse_signed_amount, decimal=mapping.decimal)
    filled: list[tuple[str, Decimal]] = []
    faults = len(fields.faults)
    for direction in DIRECTIONS:
        key = f"amount.{direction}"
        if fields.text(key, required=False):
            amount = fields.parsed(key, parse)
            if amount is not None:
                filled.append((direction, amount))
    if len(fields.faults) > faults:
        return "amount", None, None
    nonzero = [(d, a) for d, a in filled if a != 0]
    columns = " and ".join(fields.resolved[f"amount.{d}"].describe() for d in DIRECTIONS)
    if len(nonzero) > 1:
        fields.fault("amount", f"both {columns} hold an amount; a row has one direction")
        return "amount", None, None
    chosen = nonzero or (filled if len(filled) == 1 else [])
    given = None
    if mapping.direction_given and line_direction is None:
        given = direction_of(fields, mapping)
    if not chosen:
        if line_direction is not None and filled:
            return "amount", ZERO, line_direction
        if given is not None:
            return "amount", ZERO, given
        state = "are both 0" if filled else "are both empty"
        fields.fault(
            "amount",
            f"{columns} {state}, so the row's direction is unknown"
            + ("" if line_direction else " (give `direction` in the mapping to read it as 0)"),
        )
        return "amount", None, None
    direction, amount = chosen[0]
    key = f"amount.{direction}"
    wanted = line_direction or given
    if wanted is not None and wanted != direction:
        whose = "the line's" if line_direction else "the row's"
        fields.fault(key, f"holds the amount, but {whose} direction is {wanted}")
        return key, None, None
    return key, amount, direction
