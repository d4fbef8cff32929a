"""Documents as readable text tables, for `ledger show --format table`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

WIDTH = 48


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = " ".join(str(value).split())
    return text if len(text) <= WIDTH else text[: WIDTH - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain text table with a header row and aligned columns."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )
    if not cells:
        lines.append("(none)")
    return "\n".join(lines)


def _title(document: dict[str, Any], what: str) -> str:
    return (
        f"{what} of {document['body']} as of {document['as_of']}, known at "
        f"{document['known_at']} (ledger position {document['position']})"
    )


def certification(document: dict[str, Any]) -> str:
    """The certification status and history."""
    certificate = document["certificate"]
    status = document["status"]
    if certificate is not None:
        status += (
            f" (certificate {certificate['valid_from']} – {certificate['valid_until'] or '∞'})"
        )
    rows = []
    for p in document["history"]:
        certificates = ", ".join(
            f"{c['valid_from']}–{c['valid_until'] or '∞'}"
            + (f" ended {c['ended_on']}" if c["ended_on"] else "")
            for c in p["certificates"]
        )
        rows.append(
            [p["process"], p["kind"], p["status"], p["started_on"], p["completed_on"], certificates]
        )
    return "\n".join(
        [
            _title(document, "Certification"),
            f"status: {status}",
            "",
            table(["process", "kind", "status", "started", "completed", "certificates"], rows),
        ]
    )


def agreement(document: dict[str, Any]) -> str:
    """The target agreement, one row per measure."""
    rows = []
    for field in document["fields"]:
        for goal in field["goals"]:
            for m in goal["measures"]:
                findings = ", ".join(str(f["number"]) for f in m["findings"])
                rows.append(
                    [
                        field["code"],
                        goal["code"] + (" (dropped)" if goal["dropped"] else ""),
                        m["code"] + (" (dropped)" if m["dropped"] else ""),
                        m["title"],
                        m["status"],
                        f"{m['progress']} %" if m["progress"] is not None else None,
                        m["responsible"],
                        m["note"],
                        findings or None,
                    ]
                )
    adopted = document["adopted_by"]
    return "\n".join(
        [
            _title(document, f"Target agreement {document['process']}"),
            f"adopted by: {adopted or '–'}",
            "",
            table(
                [
                    "field",
                    "goal",
                    "measure",
                    "title",
                    "status",
                    "progress",
                    "responsible",
                    "note",
                    "findings",
                ],
                rows,
            ),
        ]
    )


def budget(document: dict[str, Any]) -> str:
    """The budget overview, one row per line, approvals beneath their line."""
    rows: list[list[Any]] = []
    for line in document["lines"]:
        rows.append(
            [
                line["code"],
                line["title"],
                line["appropriation"],
                line["approved"],
                line["funding_awarded"],
                line["commitments"],
                line["payments"],
                line["available"],
                line["remaining"],
            ]
        )
        for a in line["supplementary"]:
            rows.append(
                [
                    "",
                    f"  {a['kind']} {a['amount']} on {a['approved_on']}, "
                    f"resolution {a['resolution'] or '(not public)'}",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
    return "\n".join(
        [
            _title(document, f"Budget {document['year']}"),
            "",
            table(
                [
                    "line",
                    "title",
                    "appropriation",
                    "approved",
                    "funding",
                    "commitments",
                    "payments",
                    "available",
                    "remaining",
                ],
                rows,
            ),
        ]
    )


def resolutions(document: dict[str, Any]) -> str:
    """The resolutions, one row each."""
    rows = [
        [
            r["reference"],
            r["decided_on"],
            r["committee"],
            r["status"],
            r["public"],
            r["title"],
        ]
        for r in document["resolutions"]
    ]
    return "\n".join(
        [
            _title(document, "Resolutions"),
            "",
            table(["reference", "decided", "committee", "status", "public", "title"], rows),
        ]
    )


def findings(document: dict[str, Any]) -> str:
    """The auditor's findings, one row each."""
    rows = [
        [
            f["process"],
            f["number"],
            f["subject"],
            f["kind"],
            f["status"],
            f["published"],
            f["text"],
        ]
        for f in document["findings"]
    ]
    return "\n".join(
        [
            _title(document, "Findings"),
            "",
            table(["process", "no", "subject", "kind", "status", "published", "text"], rows),
        ]
    )


def annual_report(document: dict[str, Any]) -> str:
    """The annual report table."""
    columns = document["columns"]
    rows = [[r[c] for c in columns] for r in document["rows"]]
    return "\n".join(
        [
            f"Jahresbericht {document['year']} – {document['body']} {document['process']} "
            f"(Stand {document['as_of']}, ledger position {document['position']})",
            "",
            table(columns, rows),
        ]
    )
