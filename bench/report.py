"""Percentiles, the budgets of DESIGN.md §8 / issue item 7, and the readable results table."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation between the closest ranks.

    The same definition as numpy's default; with 40 samples p95 lies between the 38th and
    39th smallest, so one slow outlier does not decide it alone.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure, its budget (if it has one) and whether it was met."""

    label: str
    key: str
    unit: str = ""
    target: str = ""
    check: Callable[[Any, Mapping[str, Any]], bool] | None = None


def _le(limit: float) -> Callable[[Any, Mapping[str, Any]], bool]:
    return lambda value, results: value is not None and value <= limit


def _ge(limit: float) -> Callable[[Any, Mapping[str, Any]], bool]:
    return lambda value, results: value is not None and value >= limit


def _lt(limit: float) -> Callable[[Any, Mapping[str, Any]], bool]:
    return lambda value, results: value is not None and value < limit


def _same_as(other: str) -> Callable[[Any, Mapping[str, Any]], bool]:
    def check(value: Any, results: Mapping[str, Any]) -> bool:
        return value is not None and results.get(other) is not None and value == results[other]

    return check


ROWS: tuple[Row, ...] = (
    Row("(a) full recompute, all projects", "rollup_full_s", "s"),
    Row("(a) same figures, one SQL SELECT", "rollup_sql_floor_s", "s"),
    Row("(a) full recompute / SQL floor", "rollup_ratio", "×", "≤ 2", _le(2)),
    Row("(b) edit visible, p50", "edit_visible_p50_s", "s"),
    Row("(b) edit visible, p95", "edit_visible_p95_s", "s", "≤ 0.5 s", _le(0.5)),
    Row("(c) burst: edits issued", "burst_edits", ""),
    Row("(c) burst: recompute runs", "burst_recomputes", ""),
    Row("(c) burst: drained after last edit", "burst_drain_s", "s", "≤ 2 s", _le(2)),
    Row("(c) burst: S-curve series current after", "burst_series_drain_s", "s"),
    Row("(c) burst: series rebuild runs", "burst_series_rebuilds", ""),
    Row(
        "(c) burst: equal to a full recompute",
        "burst_equal_full",
        "",
        "true",
        lambda value, results: value is True,
    ),
    Row("(d) dashboard p50, small", "dashboard_p50_ms_small", "ms"),
    Row("(d) dashboard p95, small", "dashboard_p95_ms_small", "ms", "≤ 150 ms", _le(150)),
    Row("(d) dashboard p50, large", "dashboard_p50_ms_large", "ms"),
    Row("(d) dashboard p95, large", "dashboard_p95_ms_large", "ms", "≤ 100 ms", _le(100)),
    Row(
        "(d) dashboard p95 drawn afresh, large",
        "dashboard_cold_p95_ms_large",
        "ms",
        "≤ 150 ms",
        _le(150),
    ),
    Row("(d) dashboard p95 drawn afresh, small", "dashboard_cold_p95_ms_small", "ms"),
    Row("(d) dashboard SQL queries, small", "dashboard_queries_small", ""),
    Row("(d) dashboard SQL queries drawn afresh, small", "dashboard_cold_queries_small", ""),
    Row(
        "(d) dashboard SQL queries, large",
        "dashboard_queries_large",
        "",
        "= small",
        _same_as("dashboard_queries_small"),
    ),
    Row(
        "(d) dashboard SQL queries drawn afresh, large",
        "dashboard_cold_queries_large",
        "",
        "= small",
        _same_as("dashboard_cold_queries_small"),
    ),
    Row("(e) worker peak memory (all processes)", "worker_peak_mb", "MB", "< 500 MB", _lt(500)),
    Row("(f) My approvals p50, 500 open reviews", "approvals_p50_ms", "ms"),
    Row("(f) My approvals p95, 500 open reviews", "approvals_p95_ms", "ms", "≤ 100 ms", _le(100)),
    Row("(f) My approvals SQL queries", "approvals_queries", ""),
    Row("(h) API project list p95, 50 rows", "api_list_p95_ms", "ms", "≤ 100 ms", _le(100)),
    Row("(h) API project list, requests/s", "api_list_rps", "/s"),
    Row("(h) bare .values() view, requests/s", "api_values_rps", "/s"),
    Row("(h) API / bare view throughput", "api_ratio", "×", "≥ 0.5", _ge(0.5)),
    Row("(h) API SQL queries, 50 rows", "api_queries_page50", ""),
    Row(
        "(h) API SQL queries, 10 rows",
        "api_queries_page10",
        "",
        "= 50 rows",
        _same_as("api_queries_page50"),
    ),
    Row("(g) health pack pages", "pdf_pack_pages", "", "≈ 10"),
    Row("(g) health pack PDF, one core", "pdf_pack_s", "s", "≤ 3 s", _le(3)),
    Row("(g) dashboard p95, idle", "dashboard_p95_ms_idle", "ms"),
    Row(
        "(g) dashboard p95 while packs render",
        "dashboard_p95_ms_during_pdf",
        "ms",
        "≤ 1.5 × idle",
        lambda value, results: (
            value is not None
            and results.get("dashboard_p95_ms_idle") is not None
            and value <= 1.5 * results["dashboard_p95_ms_idle"]
        ),
    ),
)

# --size xlarge: 50,000 projects, against the large size's query counts.
XLARGE_ROWS: tuple[Row, ...] = (
    Row("projects generated, xlarge", "bench_projects_xlarge", ""),
    Row("(a) full recompute, xlarge", "rollup_full_s_xlarge", "s"),
    Row("(a) same figures, one SQL SELECT, xlarge", "rollup_sql_floor_s_xlarge", "s"),
    Row("(a) full recompute / SQL floor, xlarge", "rollup_ratio_xlarge", "×", "≤ 2", _le(2)),
    Row("(d) dashboard p50, xlarge", "dashboard_p50_ms_xlarge", "ms"),
    Row("(d) dashboard p95, xlarge", "dashboard_p95_ms_xlarge", "ms", "≤ 150 ms", _le(150)),
    Row(
        "(d) dashboard p95 drawn afresh, xlarge",
        "dashboard_cold_p95_ms_xlarge",
        "ms",
        "≤ 150 ms",
        _le(150),
    ),
    Row(
        "(d) dashboard SQL queries, xlarge",
        "dashboard_queries_xlarge",
        "",
        "= large",
        _same_as("dashboard_queries_large"),
    ),
    Row(
        "(d) dashboard SQL queries drawn afresh, xlarge",
        "dashboard_cold_queries_xlarge",
        "",
        "= large",
        _same_as("dashboard_cold_queries_large"),
    ),
)


def verdict(row: Row, results: Mapping[str, Any]) -> str:
    if row.key not in results or results[row.key] is None:
        return "not measured"
    if row.check is None:
        return ""
    return "met" if row.check(results[row.key], results) else "MISSED"


def _show(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
        return f"{text} {unit}".strip()
    if isinstance(value, int):
        return f"{value:,} {unit}".strip()
    return f"{value} {unit}".strip()


def table(
    results: Mapping[str, Any],
    notes: Mapping[str, str] | None = None,
    *,
    rows: tuple[Row, ...] = ROWS,
) -> str:
    """The figures as a fixed-width table: measure, measured value, target, met or missed,
    and a note saying what limits the figure (from `notes`, keyed like the results)."""
    notes = notes or {}
    lines = [
        (
            row.label,
            _show(results.get(row.key), row.unit),
            row.target,
            verdict(row, results),
            notes.get(row.key, ""),
        )
        for row in rows
    ]
    header = ("measure", "measured", "target", "verdict", "what limits it")
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(4)]

    def fmt(cells: tuple[str, ...]) -> str:
        fixed = "  ".join(cell.ljust(width) for cell, width in zip(cells[:4], widths, strict=True))
        return f"{fixed}  {cells[4]}".rstrip()

    rule = "-" * (sum(widths) + 2 * 4 + len(header[4]))
    return "\n".join([fmt(header), rule, *(fmt(line) for line in lines)])


def missed(results: Mapping[str, Any], *, rows: tuple[Row, ...] = ROWS) -> list[str]:
    """The labels of the budgets the results miss (not-measured ones included)."""
    return [row.label for row in rows if row.check and verdict(row, results) != "met"]
