"""The cost grid page and its writes: one cell (htmx answers with the cell and, out of band,
everything the save moved; without JavaScript each cell is a form whose POST redirects
back) and a block pasted from a spreadsheet (all or nothing, with an undo)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from ppm.audit import history_for
from ppm.htmx import HtmxHttpRequest, render_page, wants_fragment
from ppm.params import parse_int
from projects.forms.costs import (
    CostCellForm,
    CostPasteForm,
    encode_versions,
)
from projects.models import CostLine, Project
from projects.selectors.costs import (
    AMOUNT_FIELDS,
    CATEGORY_LABELS,
    EXPENSE_LABELS,
    MEASURE_LABELS,
    CellConflict,
    CostGrid,
    amount_text,
    cell_key,
    cost_grid,
    parse_row_key,
    total_text,
)
from projects.services import ConflictError, DomainError
from projects.services.costs import (
    CellKey,
    block_lines,
    cost_cell_set,
    cost_import_apply,
    cost_paste_preview,
    parse_amount,
)
from projects.views.common import load_project, section_context

GRID = "projects/costs/grid.html"


@dataclass
class Status:
    """The line above the grid saying what the last action did (read out by screen readers)."""

    kind: str  # "ok", "error" or "conflict"
    text: str
    errors: list[str] = field(default_factory=list)
    undo: dict[str, str] | None = None  # hidden fields of the "Undo paste" form


# --- Helpers ------------------------------------------------------------------------------


def _today() -> date:
    """The day the grid highlights and pages around, in the site's time zone."""
    return timezone.localdate()


def _requested_year(request: HtmxHttpRequest) -> str:
    year = request.GET.get("year", "")
    if year == "all":
        return year
    return year if parse_int(year, min_value=1000, max_value=9999) is not None else ""


def _rows_being_added(values: list[str]) -> list[tuple[str, str]]:
    return [row for v in values if (row := parse_row_key(v))]


def _year_query(year: str) -> str:
    return f"?{urlencode({'year': year})}" if year else ""


def _grid_url(project: Project, year: str, anchor: str = "") -> str:
    """The grid page (of fiscal year `year`, if the grid is paged), at a cell."""
    url = f"{reverse('projects:costs', args=[project.pk])}{_year_query(year)}"
    return f"{url}#c-{anchor}" if anchor else url


def _context(
    request: HtmxHttpRequest, project: Project, grid: CostGrid, **extra: Any
) -> dict[str, Any]:
    # The window shown travels with every write, so the answer's totals are the page's.
    year = _year_query(grid.year_param if grid.paged else "")
    adding = [f"{e}.{c}" for e, c in _rows_being_added(request.GET.getlist("add"))]
    return {
        **section_context(request, project, "costs"),
        "grid": grid,
        "kpis": grid.kpis,
        "cell_url": f"{reverse('projects:costs-cell', args=[project.pk])}{year}",
        "paste_url": f"{reverse('projects:costs-paste', args=[project.pk])}{year}",
        "adding": adding,
        "as_of": timezone.localtime(),
        **extra,
    }


def _cell_label(key: CellKey, measure: str) -> str:
    grid_row = f"{EXPENSE_LABELS[key.expense_type]} · {CATEGORY_LABELS[key.category]}"
    return f"{grid_row} · {MEASURE_LABELS[measure]} · {key.month:%b %Y}"


def _conflict(current: CostLine, measure: str) -> CellConflict:
    latest = history_for(current, limit=1)
    return CellConflict(
        who=latest[0].user_name if latest else "Someone",
        when=latest[0].when if latest else None,
        theirs=total_text(getattr(current, measure)),
        line=[(MEASURE_LABELS[m], total_text(getattr(current, m))) for m in AMOUNT_FIELDS],
    )


# --- The grid -----------------------------------------------------------------------------


@login_required
@require_GET
def costs(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The monthly grid of one fiscal year (or the whole span): inputs for those who may
    change the project, figures for everyone else."""
    project = load_project(request, pk)
    grid = cost_grid(
        project=project,
        today=_today(),
        year=_requested_year(request),
        extra_rows=_rows_being_added(request.GET.getlist("add")),
    )
    return render_page(request, GRID, _context(request, project, grid), partial="grid")


@login_required
@require_POST
def cost_cell(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Save one cell. htmx gets the cell back plus, out of band, the sibling cells' line
    version, the row, group and grand totals, the variance rows and the figures above the
    grid. A plain POST redirects back to the grid (or shows it with the message at the cell).
    """
    project = load_project(request, pk, write=True)
    form = CostCellForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Not a cell of this cost grid.")
    key, measure = form.cleaned_data["cell"]
    seen_version = form.cleaned_data["version"] or None
    typed = form.cleaned_data["amount"] or ""
    label = _cell_label(key, measure)
    today = _today()
    error = ""
    conflict: CellConflict | None = None
    try:
        amount = parse_amount(typed, field_name=measure)
        cost_cell_set(
            project=project,
            key=key,
            amount_field=measure,
            amount=amount,
            by=request.user,
            expected_version=seen_version,
            today=today,
        )
    except DomainError as exc:
        error = exc.message
    except ConflictError as exc:
        conflict = _conflict(exc.current, measure)

    if not error and not conflict and not wants_fragment(request):
        messages.success(request, f"Saved {label}: {total_text(amount)}.")
        name = cell_key(key.month, key.expense_type, key.category, measure)
        return redirect(_grid_url(project, _requested_year(request), name))

    row = (key.expense_type, key.category)
    grid = cost_grid(project=project, today=today, year=_requested_year(request), extra_rows=[row])
    name = cell_key(key.month, key.expense_type, key.category, measure)
    if name not in grid.cells:  # a page of another year: show the cell's own year
        grid = cost_grid(project=project, today=today, year=str(key.month.year), extra_rows=[row])
    if name not in grid.cells:  # only a forged or very stale form names such a month
        return HttpResponseBadRequest("That month is outside the project's cost grid.")
    cell = grid.cells[name]
    if error:
        cell.typed, cell.error = typed, error
        # Keep the version the user saw: fixing the amount must not skip a conflict check.
        cell.version = seen_version
        status = Status("error", f"Not saved — {label}: {error}")
    elif conflict:
        cell.typed, cell.conflict = typed, conflict
        now = " · ".join(f"{measure_label} {value}" for measure_label, value in conflict.line)
        status = Status(
            "conflict",
            f"Not saved — {conflict.who} changed {label} since you loaded the page; it is "
            f"now {conflict.theirs} (the line: {now}). Your {typed.strip() or '0'} is kept "
            "in the cell: press Enter there to apply it, or Esc to take theirs.",
        )
    else:
        cell.css += " is-saved"
        status = Status("ok", f"Saved {label}: {cell.saved_text or '0'}.")
    context = _context(request, project, grid, status=status, feedback_cell=cell)
    if not wants_fragment(request):
        return render(request, GRID, context)
    context.update(
        sibling_cells=[
            grid.cells[cell_key(key.month, key.expense_type, key.category, m)]
            for m in AMOUNT_FIELDS
            if m != measure
        ]
        if not (error or conflict)
        else [],
        changed_rows=grid.rows_of(key.expense_type, key.category),
        changed_summaries=grid.summaries_for(key.expense_type),
    )
    return render(request, f"{GRID}#cell-response", context)


@login_required
@require_POST
def cost_paste(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Apply a block pasted from a spreadsheet from its top-left cell rightwards and
    downwards, all or nothing. Nothing is saved when a value is bad (each is listed) or when
    a line under the block changed since the user loaded the grid."""
    project = load_project(request, pk, write=True)
    form = CostPasteForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Not a paste onto this cost grid.")
    anchor, measure = form.cleaned_data["anchor"]
    today = _today()
    year = _requested_year(request)
    extra = [
        *_rows_being_added(request.POST.getlist("add")),
        (anchor.expense_type, anchor.category),
    ]
    grid = cost_grid(project=project, today=today, year=year, extra_rows=extra)
    rows = [(r.expense_type, r.category, r.measure) for r in grid.rows]
    months = [c.month for c in grid.months]
    start = (anchor.expense_type, anchor.category, measure)
    if start not in rows or anchor.month not in months:
        return HttpResponseBadRequest("The pasted block starts outside the grid.")
    rows, months = rows[rows.index(start) :], months[months.index(anchor.month) :]
    plan = {
        (cell_month, expense_type, category): grid.cells[
            cell_key(cell_month, expense_type, category, "planned")
        ].amount
        for expense_type, category, measure in rows
        if measure == "planned"
        for cell_month in months
    }
    preview = cost_paste_preview(
        text=form.cleaned_data["text"],
        months=months,
        rows=rows,
        today=today,
        plan=plan,
        fixed_through=grid.fixed_through,
    )
    anchor_name = cell_key(anchor.month, anchor.expense_type, anchor.category, measure)

    if preview.errors:
        status = Status(
            "error",
            "Nothing was pasted: fix these in the spreadsheet and paste again.",
            errors=[f"Row {e.row}: {e.message}" for e in preview.errors],
        )
        return _paste_answer(request, project, grid, status, anchor_name, only_status=True)

    # The block's old values, in its own shape, make the "Undo" paste.
    shape = [line.split("\t") for line in block_lines(form.cleaned_data["text"])]
    undo_text = "\n".join(
        "\t".join(
            amount_text(grid.cells[cell_key(months[c], *rows[r])].amount)
            for c in range(len(values))
        )
        for r, values in enumerate(shape)
    )
    seen = form.cleaned_data["versions"]
    try:
        count = cost_import_apply(
            project=project,
            preview=preview,
            by=request.user,
            seen_versions={k: seen.get(k) for k, _, _ in preview.cells},
            reason="Pasted from a spreadsheet",
            today=today,
        )
    except ConflictError as exc:
        who = history_for(exc.current, limit=1)
        grid = cost_grid(project=project, today=today, year=year, extra_rows=extra)
        status = Status(
            "conflict",
            f"Nothing was pasted: {who[0].user_name if who else 'someone'} changed "
            f"{exc.current.get_expense_type_display()} · {exc.current.get_category_display()} "
            f"for {exc.current.month:%b %Y} since you loaded the page. The grid now shows the "
            "current values — paste again to apply yours.",
        )
        return _paste_answer(request, project, grid, status, anchor_name)
    except DomainError as exc:
        status = Status("error", f"Nothing was pasted: {exc.message}")
        return _paste_answer(request, project, grid, status, anchor_name, only_status=True)

    grid = cost_grid(project=project, today=today, year=year, extra_rows=extra)
    touched = {k for k, _, _ in preview.cells}
    width = max(len(values) for values in shape)
    block = (
        f"{len(shape)} row{'s' if len(shape) != 1 else ''} × {width} "
        f"month{'s' if width != 1 else ''} from {_cell_label(anchor, measure)}"
    )
    if form.cleaned_data["undo"]:
        status = Status("ok", f"Paste undone: the previous values are back ({block}).")
    else:
        status = Status(
            "ok",
            f"Pasted {count} value{'s' if count != 1 else ''} ({block}).",
            undo={
                "anchor": anchor_name,
                "text": undo_text,
                "versions": encode_versions(
                    {
                        k: grid.cells[
                            cell_key(k.month, k.expense_type, k.category, "planned")
                        ].version
                        for k in touched
                    }
                ),
            },
        )
    for key, pasted, _ in preview.cells:
        grid.cells[cell_key(key.month, key.expense_type, key.category, pasted)].css += " is-saved"
    return _paste_answer(request, project, grid, status, anchor_name)


def _paste_answer(
    request: HtmxHttpRequest,
    project: Project,
    grid: CostGrid,
    status: Status,
    anchor: str,
    *,
    only_status: bool = False,
) -> HttpResponse:
    if not wants_fragment(request):
        # Pasting needs the page's script; a plain POST only gets here from a replayed form.
        level = messages.SUCCESS if status.kind == "ok" else messages.ERROR
        messages.add_message(request, level, " ".join([status.text, *status.errors]))
        return redirect(_grid_url(project, _requested_year(request), anchor))
    context = _context(request, project, grid, status=status, focus=anchor)
    if only_status:
        response = render(request, f"{GRID}#status", context)
        return reswap(retarget(response, "#cost-status"), "outerHTML")
    return render(request, f"{GRID}#grid", context)
