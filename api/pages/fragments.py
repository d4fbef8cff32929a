"""Parts of pages rendered once and remembered by everything they show (Bausteine).

A target agreement shows up to a few hundred measures, and the page at one date shows
mostly the same measure rows as the page at the next: each row is rendered from a key
that holds every value the row shows (and nothing else reaches its template), so a
remembered row is the row the template would render now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Final

from markupsafe import Markup

from api.pages.compare import Change
from api.pages.render import ENVIRONMENT

#: Rows remembered per worker process (a row is about 1 kB).
ROWS: Final = 16384
#: What findings_list.html shows of a finding.
FINDING_FIELDS: Final = (
    "kind",
    "number",
    "status",
    "published",
    "assessment",
    "recorded_on",
    "text",
    "answer",
    "answered_on",
)
#: What measure_row.html shows of a measure (besides its findings).
MEASURE_FIELDS: Final = (
    "code",
    "title",
    "dropped",
    "status_label",
    "progress",
    "note",
    "responsible",
    "period",
)

#: What start.html shows of a body.
BODY_FIELDS: Final = ("slug", "name", "land")

MeasureRow = Callable[[Mapping[str, Any], Mapping[str, Sequence[Change]], Sequence[str]], Markup]


def measure_rows(process: str, history_base: str) -> MeasureRow:
    """`measure_row(m, changed, added)` for agreement.html: a measure's table rows, with
    the comparison's mark and changes when it has them."""

    def measure_row(
        m: Mapping[str, Any], changed: Mapping[str, Sequence[Change]], added: Sequence[str]
    ) -> Markup:
        key = f"measure:{m['code']}"
        changes = changed.get(key)
        mark = "changed" if changes is not None else "added" if key in added else None
        return _measure_row(
            process,
            history_base,
            tuple(m[name] for name in MEASURE_FIELDS),
            tuple(tuple(f[name] for name in FINDING_FIELDS) for f in m["findings"]),
            mark,
            tuple((c.what, c.before, c.after) for c in changes or ()),
        )

    return measure_row


@lru_cache(maxsize=ROWS)
def _measure_row(
    process: str,
    history_base: str,
    measure: tuple[Any, ...],
    findings: tuple[tuple[Any, ...], ...],
    mark: str | None,
    changes: tuple[tuple[str, str, str], ...],
) -> Markup:
    """The rows of one measure, from exactly the values they show."""
    m = {
        **dict(zip(MEASURE_FIELDS, measure, strict=True)),
        "findings": [dict(zip(FINDING_FIELDS, f, strict=True)) for f in findings],
    }
    return Markup(
        ENVIRONMENT.get_template("measure_row.html").render(
            m=m,
            mark=mark,
            changes=[Change(*c) for c in changes],
            process=process,
            history_base=history_base,
        )
    )


def body_rows(bodies: Sequence[Mapping[str, Any]]) -> Markup:
    """The start page's table rows, one a body."""
    # Each row is Markup already: joined as text, not escaped again one by one.
    return Markup("".join(_body_row(tuple(b[name] for name in BODY_FIELDS)) for b in bodies))


@lru_cache(maxsize=ROWS)
def _body_row(body: tuple[Any, ...]) -> Markup:
    """The row of one body, from exactly the values it shows."""
    b = dict(zip(BODY_FIELDS, body, strict=True))
    return Markup(ENVIRONMENT.get_template("body_row.html").render(b=b))
