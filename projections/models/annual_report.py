"""The annual progress report (Jahresbericht): the agreement's measures as of 31.12. of a year.

One row per measure with the standard German headings; as CSV it opens correctly in a
spreadsheet (UTF-8 with BOM, semicolons) and no cell runs as a formula.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from projections.engine.csv_cells import Cell, write_csv
from projections.engine.errors import QueryError
from projections.models.agreement import agreement

if TYPE_CHECKING:
    from datetime import datetime

    from projections.engine.store import ReadModel
    from projections.models.agreement_cache import AgreementCache

COLUMNS = (
    "Handlungsfeld",
    "Ziel",
    "Maßnahme",
    "Verantwortlich",
    "Zeitraum",
    "Umsetzungsstand",
    "Bemerkung",
)
DROPPED = "entfallen"


def _status(measure: dict[str, Any]) -> str:
    if measure["dropped"]:
        return DROPPED
    label = str(measure["status_label"])
    if measure["progress"] is not None:
        return f"{label} ({measure['progress']} %)"
    return label


def annual_report(
    rm: ReadModel,
    body: str,
    process: str,
    year: int | str,
    *,
    known_at: datetime | date | str | None = None,
    include_private: bool = False,
    cache: AgreementCache | None = None,
) -> dict[str, Any]:
    """The report table for `year`: the agreement as of 31.12., one row per measure (with
    a `cache`, read as `agreement` reads it)."""
    try:
        report_year = int(year)
    except (TypeError, ValueError):
        raise QueryError("year", f"must be a year such as 2018, got {year!r}") from None
    if not 1900 <= report_year <= 2200:
        raise QueryError("year", f"must be a year between 1900 and 2200, got {report_year}")
    document = agreement(
        rm,
        body,
        process,
        as_of=date(report_year, 12, 31),
        known_at=known_at,
        include_private=include_private,
        cache=cache,
    )
    rows = []
    for field in document["fields"]:
        for goal in field["goals"]:
            goal_title = f"{goal['code']} {goal['title']}"
            if goal["dropped"]:
                goal_title += f" ({DROPPED})"
            for measure in goal["measures"]:
                rows.append(
                    dict(
                        zip(
                            COLUMNS,
                            (
                                field["name"],
                                goal_title,
                                f"{measure['code']} {measure['title']}",
                                measure["responsible"],
                                measure["period"],
                                _status(measure),
                                measure["note"],
                            ),
                            strict=True,
                        )
                    )
                )
    return {
        "body": body,
        "process": process,
        "year": report_year,
        "as_of": document["as_of"],
        "known_at": document["known_at"],
        "position": document["position"],
        "columns": list(COLUMNS),
        "rows": rows,
    }


def annual_report_csv(
    rm: ReadModel,
    body: str,
    process: str,
    year: int | str,
    *,
    known_at: datetime | date | str | None = None,
    include_private: bool = False,
) -> str:
    """The report table as CSV text: BOM, semicolons, a header row of German headings;
    every cell is text, never read as a formula (see projections.engine.csv_cells)."""
    report = annual_report(
        rm, body, process, year, known_at=known_at, include_private=include_private
    )
    rows: list[list[Cell]] = [list(COLUMNS)]
    rows.extend([row[c] for c in COLUMNS] for row in report["rows"])
    return write_csv(rows)
