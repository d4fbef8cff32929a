"""The figures of a run: their records, the per-size JSON history, the table and RESULTS.md."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS_MD = HERE / "RESULTS.md"
RESULTS_JSON = HERE / "results.json"
SIZE_ORDER = ("small", "medium", "large")

Figure = dict[str, Any]


def figure(
    label: str,
    value: float,
    unit: str,
    *,
    baseline_label: str = "",
    baseline: float | None = None,
    baseline_unit: str = "",
    ratio: float | None = None,
    ratio_label: str = "",
    target: str = "",
    met: bool | None = None,
    note: str = "",
    **extra: Any,
) -> Figure:
    """One measured figure with its baseline, their ratio and its target."""
    return {
        "status": "measured",
        "label": label,
        "value": value,
        "unit": unit,
        "baseline_label": baseline_label,
        "baseline": baseline,
        "baseline_unit": baseline_unit or unit,
        "ratio": ratio,
        "ratio_label": ratio_label,
        "target": target,
        "met": met,
        "note": note,
        **extra,
    }


def unavailable(label: str, reason: str, target: str = "") -> Figure:
    """A figure whose code has not landed yet (nothing is faked)."""
    return {"status": "not yet available", "label": label, "note": reason, "target": target}


def failed(label: str, error: BaseException, target: str = "") -> Figure:
    """A figure whose measurement raised."""
    return {
        "status": "failed",
        "label": label,
        "note": f"{type(error).__name__}: {error}",
        "target": target,
    }


def fmt(value: float | None, unit: str = "") -> str:
    """A number for people: thousands separated, sensible precision."""
    if value is None:
        return "–"
    if unit == "ms":
        text = f"{value:.2f}" if value < 10 else f"{value:.1f}"
    elif unit == "×":
        text = f"{value:.2f}" if value < 10 else f"{value:,.0f}"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    else:
        text = f"{value:.1f}"
    return f"{text} {unit}".strip() if unit != "×" else f"{text}×"


def _met(value: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "–"}[value]


def rows(figures: dict[str, Figure]) -> list[list[str]]:
    """The figure table: figure, ledger, baseline, ratio, target, met."""
    out = []
    for fig in figures.values():
        if fig["status"] != "measured":
            out.append([fig["label"], fig["status"], "", "", fig.get("target", ""), "–"])
            continue
        baseline = ""
        if fig.get("baseline") is not None:
            baseline = f"{fmt(fig['baseline'], fig['baseline_unit'])} ({fig['baseline_label']})"
        ratio = ""
        if fig.get("ratio") is not None:
            ratio = f"{fmt(fig['ratio'], '×')} {fig['ratio_label']}".strip()
        out.append(
            [
                fig["label"],
                fmt(fig["value"], fig["unit"]),
                baseline,
                ratio,
                fig.get("target", ""),
                _met(fig.get("met")),
            ]
        )
    return out


HEADER = ["figure", "ledger", "baseline (same run)", "ratio", "target", "met"]


def table_text(figures: dict[str, Figure]) -> str:
    """The figure table for the terminal."""
    body = [HEADER, *rows(figures)]
    widths = [max(len(r[i]) for r in body) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in body]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _md_table(header: list[str], body: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in body]
    return lines


def load_history(path: Path = RESULTS_JSON) -> dict[str, Any]:
    """The recorded runs: {backend: {size: run}}."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_history(run: dict[str, Any], path: Path = RESULTS_JSON) -> dict[str, Any]:
    """Adds a run to the history (replacing the same backend and size) and writes it."""
    history = load_history(path)
    history.setdefault(run["backend"], {})[run["size"]] = run
    path.write_text(json.dumps(history, indent=1, sort_keys=True, default=str) + "\n", "utf-8")
    return history


def _value(run: dict[str, Any], name: str, key: str = "value") -> float | None:
    fig = run.get("figures", {}).get(name, {})
    if fig.get("status") != "measured":
        return None
    value = fig.get(key)
    return float(value) if isinstance(value, int | float) else None


def _cell(run: dict[str, Any], name: str, key: str = "value", unit: str = "") -> str:
    value = _value(run, name, key)
    return fmt(value, unit) if value is not None else "–"


def history_lines(history: dict[str, Any]) -> list[str]:
    """The runs of every backend and size, and the growth of the as-of latency."""
    lines: list[str] = []
    for backend in sorted(history):
        runs = [history[backend][s] for s in SIZE_ORDER if s in history[backend]]
        if not runs:
            continue
        lines += ["", f"### {backend}", ""]
        body = []
        for run in runs:
            body.append(
                [
                    run["size"],
                    f"{run.get('events', 0):,}",
                    _cell(run, "ingest", unit="ev/s")
                    + " ("
                    + _cell(run, "ingest", "ratio", "×")
                    + ")",
                    _cell(run, "catch_up", unit="ev/s"),
                    _cell(run, "rebuild_rss", unit="MB"),
                    _cell(run, "asof_agreement", "p50_ms", "ms")
                    + " / "
                    + _cell(run, "asof_agreement", "p95_ms", "ms"),
                    _cell(run, "asof_budget", "p95_ms", "ms"),
                    _cell(run, "asof_certification", "p95_ms", "ms"),
                    _cell(run, "asof_agreement", "ratio", "×"),
                    _cell(run, "verify", unit="ev/s"),
                    _cell(run, "proof_inclusion", "p95_ms", "ms")
                    + " / "
                    + _cell(run, "proof_consistency", "p95_ms", "ms"),
                    _cell(run, "checkpoint_signing", unit="ms"),
                    _cell(run, "audit_verify", unit="ev/s"),
                    _cell(run, "http", unit="req/s") + " / " + _cell(run, "http", "p95_ms", "ms"),
                    str(run.get("date", ""))[:16],
                    str(run.get("machine", {}).get("commit", "")),
                ]
            )
        lines += _md_table(
            [
                "size",
                "events",
                "ingest (ratio to bare)",
                "catch-up",
                "rebuild RSS",
                "agreement p50 / p95",
                "budget p95",
                "certification p95",
                "agreement vs naive",
                "verify",
                "inclusion / consistency proof p95",
                "checkpoint signing",
                "ledger-audit verify",
                "HTTP req/s / p95",
                "date (UTC)",
                "commit",
            ],
            body,
        )
        small, large = history[backend].get("small"), history[backend].get("large")
        if small and large:
            growth = []
            for name in ("asof_agreement", "asof_budget", "asof_certification"):
                a, b = _value(small, name, "p95_ms"), _value(large, name, "p95_ms")
                if a and b:
                    growth.append(f"{name.removeprefix('asof_')} p95 ×{b / a:.2f}")
            if growth:
                lines += [
                    "",
                    "Growth of the as-of p95 from 10^4 to 10^6 events: " + ", ".join(growth),
                ]
    return lines


def write_markdown(run: dict[str, Any], history: dict[str, Any], path: Path = RESULTS_MD) -> None:
    """Writes RESULTS.md: this run in full, then every recorded run."""
    m = run["machine"]
    h = run["history"]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{run['command']}` on {run['date']} (UTC). Every figure is measured "
        "beside its baseline in the same run, on the same backend and the same store; "
        "the machine is shared and noisy, so rates are medians over repeats or chunks. "
        "Profiles of the hot paths and recommendations: [PROFILES.md](PROFILES.md).",
        "",
        "## Machine",
        "",
        f"- {m['cores']} cores ({m.get('usable_cores')} usable), {m['cpu']}, "
        f"{m['ram_gib']} GiB RAM, {m['os']}",
        f"- Python {m['python']}, SQLite {m['sqlite']}"
        + (f", PostgreSQL {m['postgres']}" if m.get("postgres") else ""),
        f"- load average at start: {m['load_at_start']}; commit {m['commit']}",
        "",
        "## This run",
        "",
        f"- backend: **{run['backend']}**, size: **{run['size']}** "
        f"(target {run['target_events']:,} events), actual events: **{run['events']:,}**",
        f"- history: seed {h['seed']}, {h['bodies']} bodies, effective dates "
        f"{h['first_day']} … {h['last_day']}, {h['backdated']:,} backdated "
        f"(recorded ≥ 30 days after their effective date), {h['corrections']:,} corrections "
        f"and retractions; generated in {h['seconds']:.1f} s",
        f"- commands by kind: {h['kinds']}",
        f"- how the store was produced: {run['produced']}",
        f"- whole run: {run['seconds']:.0f} s",
        "",
        *_md_table(HEADER, rows(run["figures"])),
        "",
        "### Notes",
        "",
    ]
    for fig in run["figures"].values():
        if fig.get("note"):
            lines.append(f"- **{fig['label']}**: {fig['note']}")
    lines += ["", "## Every recorded run (bench/results.json)", *history_lines(history), ""]
    path.write_text("\n".join(lines), encoding="utf-8")
