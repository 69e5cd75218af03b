"""The cost grid: a project's monthly cost lines pivoted into rows (expense type × category ×
measure) and month columns, with row, month, group and grand totals and variance against plan.

One query reads every cost line of the project (a five-year project has at most
60 months × 10 categories = 600 lines); the pivot and the sums happen in Python, so the
page costs the same number of queries whether the project has two months of lines or sixty.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from ppm.params import parse_int
from projects.choices import ExpenseType
from projects.metrics import bottom_up_forecast
from projects.models import CostLine, Project
from projects.selectors.costs.keys import (
    CATEGORY_LABELS,
    EXPENSE_LABELS,
    MEASURE_LABELS,
    ROW_KEYS,
    ZERO,
    cell_key,
    line_key,
    months_between,
    signed_text,
    total_text,
    variance_css,
)
from projects.selectors.costs.model import (
    WHOLE_SPAN_MONTHS,
    CostGrid,
    CostKpis,
    GridCell,
    GridGroup,
    GridRow,
    MonthColumn,
    SummaryRow,
)
from projects.services.costs import AMOUNT_FIELDS, plan_fixed_through
from projects.services.dates import cost_month_range

# Shown on an actual cell of a month still to come (services.costs.check_actual_month).
FUTURE_ACTUAL = "Not yet: actuals are entered from their month on. Use Forecast for this month."
FIXED_PLAN = "A submitted status report has measured this month: its plan is fixed."


def _default_year(years: list[int], today: date) -> int:
    if today.year in years:
        return today.year
    return years[0] if today.year < years[0] else years[-1]


def _window(span: list[date], requested: str, today: date) -> int | None:
    """Which fiscal year to show (fiscal years are calendar years, as portfolio budgets are);
    None shows the whole span."""
    years = sorted({m.year for m in span})
    if len(span) <= WHOLE_SPAN_MONTHS or requested == "all":
        return None
    if (asked := parse_int(requested)) in years:
        return asked
    return _default_year(years, today)


def _summary(
    *,
    id: str,
    label: str,
    sub_label: str,
    kind: str,
    by_month: dict[date, Decimal],
    months: list[MonthColumn],
    project_total: Decimal,
) -> SummaryRow:
    cells = []
    total = ZERO
    for column in months:
        value = by_month.get(column.month, ZERO)
        total += value
        if kind == "variance":
            cells.append(
                (signed_text(value) if value else "", f"{column.css} {variance_css(value)}")
            )
        else:
            cells.append((total_text(value) if value else "", column.css))
    return SummaryRow(
        id=id,
        label=label,
        sub_label=sub_label,
        kind=kind,
        cells=cells,
        total=total,
        project_total=project_total,
    )


def cost_grid(
    *,
    project: Project,
    today: date,
    year: str = "",
    extra_rows: Iterable[tuple[str, str]] = (),
) -> CostGrid:
    """The cost grid of `project` for the fiscal year `year` ('2027', 'all', or '' for the
    sensible default: the current year, or the nearest year of the project's span).

    Rows are the (expense type, category) pairs the project has lines for, plus
    `extra_rows` the user is adding; columns run from the baseline start to the later of the
    baseline and forecast finish, widened to any month that holds a line. One query.
    """
    lines: dict[tuple[date, str, str], tuple[Decimal, Decimal, Decimal, int]] = {}
    for month, expense_type, category, planned, actual, forecast, version in (
        CostLine.objects.filter(project=project)
        .order_by()
        .values_list(
            "month", "expense_type", "category", "planned", "actual", "forecast", "version"
        )
    ):
        lines[(month, expense_type, category)] = (planned, actual, forecast, version)

    finish = max(project.baseline_finish, project.forecast_finish or project.baseline_finish)
    first = min([project.baseline_start, *(k[0] for k in lines)])
    last = max([finish, *(k[0] for k in lines)])
    # A line outside the months a cost may have (one saved before months were checked, or
    # by hand) does not stretch the grid over decades: the columns stay in the window, and
    # the page lists such lines (`outside`) while the totals still count them.
    low, high = cost_month_range(project)
    first, last = max(first, low), min(last, high)
    last = max(first, last)
    outside = sorted(k for k in lines if not low <= k[0] <= high)
    span = months_between(first, last)
    chosen = _window(span, year, today)
    window = [m for m in span if chosen is None or m.year == chosen]
    current = today.replace(day=1)
    fixed_through = plan_fixed_through(project)
    columns = [
        MonthColumn(month=m, now=m == current, year_start=m.month == 1 and i > 0)
        for i, m in enumerate(window)
    ]

    # "To date" runs to the last month with actuals, not to today: the current month's plan
    # is all there while its actuals trickle in, which would flatter the variance.
    through = max((k[0] for k, v in lines.items() if v[1] and k[0] <= current), default=None)

    in_use = {(k[1], k[2]) for k in lines} | set(extra_rows)
    row_keys = [k for k in ROW_KEYS if k in in_use]

    # Whole-project sums per (expense type, category, measure), whatever the window.
    project_totals: dict[tuple[str, str, str], Decimal] = {}
    for (_, expense_type, category), values in lines.items():
        for measure, amount in zip(AMOUNT_FIELDS, values[:3], strict=True):
            k = (expense_type, category, measure)
            project_totals[k] = project_totals.get(k, ZERO) + amount

    grid_cells: dict[str, GridCell] = {}
    grid_rows: list[GridRow] = []
    groups: list[GridGroup] = []
    grand_by_month = {m: {c.month: ZERO for c in columns} for m in AMOUNT_FIELDS}
    grand_project = dict.fromkeys(AMOUNT_FIELDS, ZERO)
    for expense_type in ExpenseType.values:
        keys = [k for k in row_keys if k[0] == expense_type]
        if not keys:
            continue
        group_by_month = {m: {c.month: ZERO for c in columns} for m in AMOUNT_FIELDS}
        group_project = dict.fromkeys(AMOUNT_FIELDS, ZERO)
        rows: list[GridRow] = []
        for _, category in keys:
            prefix = f"{EXPENSE_LABELS[expense_type]} · {CATEGORY_LABELS[category]}"
            block: list[GridRow] = []
            for index, measure in enumerate(AMOUNT_FIELDS):
                cells = []
                total = ZERO
                for column in columns:
                    month = column.month
                    line = lines.get((month, expense_type, category))
                    amount = line[index] if line else ZERO
                    total += amount
                    group_by_month[measure][month] += amount
                    cell = GridCell(
                        key=cell_key(month, expense_type, category, measure),
                        line=line_key(month, expense_type, category),
                        amount=amount,
                        version=line[3] if line else None,
                        label=f"{prefix} · {MEASURE_LABELS[measure]} · {month:%b %Y}",
                        css=column.css,
                        # A stray future actual stays editable so that it can be cleared.
                        locked=FUTURE_ACTUAL
                        if measure == "actual" and month > current and not amount
                        else FIXED_PLAN
                        if measure == "planned"
                        and fixed_through is not None
                        and month <= fixed_through
                        else "",
                    )
                    cells.append(cell)
                    grid_cells[cell.key] = cell
                project_total = project_totals.get((expense_type, category, measure), ZERO)
                group_project[measure] += project_total
                block.append(
                    GridRow(
                        expense_type=expense_type,
                        category=category,
                        measure=measure,
                        first=index == 0,
                        cells=cells,
                        total=total,
                        project_total=project_total,
                    )
                )
            planned_row, actual_row, forecast_row = block
            forecast_row.baseline = planned_row.total
            if through is not None:
                actual_row.baseline = sum(
                    (
                        c.amount
                        for c, m in zip(planned_row.cells, window, strict=True)
                        if m <= through
                    ),
                    ZERO,
                )
            rows.extend(block)
        subtotals = [
            _summary(
                id=f"s-{expense_type}-{measure}",
                label=f"{EXPENSE_LABELS[expense_type]} total",
                sub_label=MEASURE_LABELS[measure],
                kind="subtotal",
                by_month=group_by_month[measure],
                months=columns,
                project_total=group_project[measure],
            )
            for measure in AMOUNT_FIELDS
        ]
        _set_variances(subtotals, group_by_month["planned"], through)
        for measure in AMOUNT_FIELDS:
            for month, amount in group_by_month[measure].items():
                grand_by_month[measure][month] += amount
            grand_project[measure] += group_project[measure]
        groups.append(GridGroup(expense_type=expense_type, rows=rows, subtotals=subtotals))
        grid_rows.extend(rows)

    grand = [
        _summary(
            id=f"g-{measure}",
            label="Total",
            sub_label=MEASURE_LABELS[measure],
            kind="grand",
            by_month=grand_by_month[measure],
            months=columns,
            project_total=grand_project[measure],
        )
        for measure in AMOUNT_FIELDS
    ]
    _set_variances(grand, grand_by_month["planned"], through)
    to_date = dict.fromkeys(AMOUNT_FIELDS, ZERO)
    if through is not None:
        for (month, _, _), values in lines.items():
            if month <= through:
                for measure, amount in zip(AMOUNT_FIELDS, values[:3], strict=True):
                    to_date[measure] += amount
    # Forecast (bottom-up) at completion: the months before this one at their actual.
    bottom_up = bottom_up_forecast(
        ((month, values[1], values[2]) for (month, _, _), values in lines.items()), today=today
    )
    # Actual − plan only where there are actuals to compare; forecast − plan everywhere.
    variances = [
        _summary(
            id="d-actual",
            label="Variance",
            sub_label="Actual − plan",
            kind="variance",
            by_month={
                m: grand_by_month["actual"][m] - grand_by_month["planned"][m]
                for m in window
                if through is not None and m <= through
            },
            months=columns,
            project_total=to_date["actual"] - to_date["planned"],
        ),
        _summary(
            id="d-forecast",
            label="Variance",
            sub_label="Forecast − plan",
            kind="variance",
            by_month={
                m: grand_by_month["forecast"][m] - grand_by_month["planned"][m] for m in window
            },
            months=columns,
            project_total=bottom_up - grand_project["planned"],
        ),
    ]
    kpis = CostKpis(
        planned=grand_project["planned"],
        actual=grand_project["actual"],
        forecast=bottom_up,
        bac=project.budget_at_completion,
        planned_to_date=to_date["planned"],
        actual_to_date=to_date["actual"],
        through=through,
    )
    return CostGrid(
        project=project,
        fixed_through=fixed_through,
        months=columns,
        years=sorted({m.year for m in span}),
        year=chosen,
        groups=groups,
        grand=grand,
        variances=variances,
        kpis=kpis,
        addable_rows=[
            (f"{e}.{c}", f"{EXPENSE_LABELS[e]} · {CATEGORY_LABELS[c]}")
            for e, c in ROW_KEYS
            if (e, c) not in in_use
        ],
        cells=grid_cells,
        rows=grid_rows,
        span_months=span,
        outside=outside,
    )


def _set_variances(
    rows: list[SummaryRow], planned_by_month: dict[date, Decimal], through: date | None
) -> None:
    """The actual and forecast rows of a block of sums compare with its planned row: actuals
    with the plan of the months up to the latest actuals, the forecast with all of it."""
    planned, actual, forecast = rows
    forecast.variance = forecast.total - planned.total
    if through is not None:
        actual.variance = actual.total - sum(
            (v for m, v in planned_by_month.items() if m <= through), ZERO
        )
