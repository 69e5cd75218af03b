"""The portfolio reports' figures: the executive summary and the health pack.

The KPI tiles are made from the catalogue (every entry with `tile=True`, through
`reporting.figures.tile_figures`) and written with the dashboard's own filters, so each tile
reads exactly as the dashboard shows it, to the cent (reporting/tests/test_pdf_documents.py
compares the two). The charts are the dashboard's chart definitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import F
from django.template.defaultfilters import floatformat, pluralize
from django.utils import timezone

from governance.choices import ReviewKind, ReviewState
from governance.models import Review
from ppm.templatetags.conductor import (
    format_money,
    fy,
    money_delta,
    percent,
    signed_days,
)
from projects.choices import LifecycleState
from projects.models import Milestone, Risk
from projects.selectors import IN_FLIGHT_STATES
from reporting.changes import KINDS, Changes, what_changed
from reporting.dashboard import Dashboard, portfolio_dashboard, selection_of, top_slips
from reporting.dashboard_charts import bubble_chart, capacity_heatmap, s_curve
from reporting.figures import Figure, tile_figures
from reporting.kpis import CATALOGUE, Kpi, Unit
from reporting.models import ProjectRollup, ReportRun
from reporting.pdf.documents import budget_change_pct, header, since_of, svg
from reporting.selectors import open_high_risks

# The summary's short lists (it stays within two pages).
SUMMARY_SLIPS = 5
SUMMARY_ATTENTION = 6
SUMMARY_CHANGE_LINES = 6
# The pack's lists beyond the one-line-per-project table.
PACK_RISKS = 15
PACK_SLIPS = 15
# Which tiles sit together (the dashboard's sections); a new catalogue tile lands in "Other".
TILE_GROUPS = {
    "slipping": "Schedule",
    "on_time": "Schedule",
    "worst_slip": "Schedule",
    "exposure": "Risk and reporting",
    "high_risks": "Risk and reporting",
    "status_overdue": "Risk and reporting",
}
NA = "n/a"
# The project table's health badge as one text box (shape and word, as conductor's rag_badge
# draws them): WeasyPrint lays out every inline box, and this table can run to hundreds of rows.
RAG_WORDS = {"green": "● Green", "amber": "▲ Amber", "red": "■ Red", "none": "Not rated"}


# --- KPI tiles ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str
    note: str
    alert: bool


@dataclass
class TileGroup:
    title: str
    tiles: list[Tile] = field(default_factory=list)


def tile_value(kpi: Kpi, figure: Figure) -> str:
    """The figure as the dashboard tile writes it (templates/reporting/dashboard.html)."""
    value = figure.value
    if kpi.unit == Unit.DAYS:
        return signed_days(value)
    if value is None:
        return NA
    if kpi.unit == Unit.MONEY:
        return format_money(value, figure.currency or "")  # the |money filter
    if kpi.unit == Unit.RATIO:
        return floatformat(value, 2)
    if kpi.unit == Unit.PERCENT:
        return percent(value)
    return str(value)


def _n(count: int, word: str) -> str:
    return f"{count} {word}{pluralize(count)}"


def _note(d: Dashboard, kpi: Kpi, currency: str | None, fy_start: int) -> tuple[str, bool]:
    """The tile's note and whether the dashboard marks it as an alert."""
    money = next((m for m in d.money if m.currency == currency), None)
    key = kpi.key
    if money is not None:
        evm, c = money.evm, money.currency
        if key == "bac":
            year = fy(money.fiscal_year, fy_start)
            plan = f"{year} plan in flight {format_money(money.year_plan, c)}"
            share = money.envelope_share
            if share is None:
                return f"{plan}; no envelope set", False
            envelope = format_money(money.envelope, c)
            return f"{plan}: {percent(share, 1)} of the {envelope} envelope", share > 100
        if key == "ac":
            ev, pv = format_money(evm.ev, c), format_money(evm.pv, c)
            return f"Earned value {ev} · planned value {pv}", False
        if key == "eac":
            vac = money_delta(evm.vac, c) if evm.vac is not None else NA
            overrun = _n(d.overrunning, "project")
            return f"Variance {vac} · {overrun} overrunning", evm.vac is not None and evm.vac < 0
        if key == "cpi":
            below = _n(d.cpi_below_one, "project")
            return f"{below} below 1.00 · CV {money_delta(evm.cv, c)}", bool(
                evm.cpi is not None and evm.cpi < 1
            )
        if key == "spi":
            below = _n(d.spi_below_one, "project")
            return f"{below} below 1.00 · SV {money_delta(evm.sv, c)}", bool(
                evm.spi is not None and evm.spi < 1
            )
    if key == "slipping":
        return f"in {_n(d.projects_slipping, 'project')} in flight", bool(d.milestones_slipping)
    if key == "on_time":
        achieved = f"{d.milestones_on_time} of {d.milestones_achieved} achieved"
        return f"{achieved} on or before baseline", False
    if key == "worst_slip":
        return "Open (forecast) or achieved (actual) vs baseline", False
    if key == "exposure":
        emv = "".join(f" · EMV {format_money(v, c)}" for c, v in d.emv_by_currency.items())
        return f"Σ probability × impact of {_n(d.open_risks, 'open risk')}{emv}", False
    if key == "high_risks":
        where = _n(d.projects_with_high_risks, "project")
        return f"Score ≥ {d.high_risk_score} (PMO policy), in {where}", bool(d.high_risks)
    if key == "status_overdue":
        return (
            f"of {d.in_flight} in flight have no report for {d.report_due:%b %Y}",
            bool(d.no_current_report),
        )
    return "", False


def tile_groups(d: Dashboard) -> list[TileGroup]:
    """Every catalogue tile: the money ones per currency (as the dashboard repeats them),
    then the schedule and risk tiles."""
    fy_start = d.selection.fy_start
    groups: dict[str, TileGroup] = {}
    several = len(d.money) > 1
    for m in d.money:
        title = f"Budget · projects in {m.currency}" if several else "Budget"
        groups[f"money:{m.currency}"] = TileGroup(title)
    for kpi in CATALOGUE:
        if not kpi.tile:
            continue
        for figure in tile_figures(d, kpi):
            if figure.currency is not None:
                group = groups[f"money:{figure.currency}"]
            else:
                name = TILE_GROUPS.get(kpi.key, "Other")
                group = groups.setdefault(name, TileGroup(name))
            note, alert = _note(d, kpi, figure.currency, fy_start)
            # A word joiner keeps a minus sign on the line of its amount.
            note = note.replace("\N{MINUS SIGN}", "\N{MINUS SIGN}\N{WORD JOINER}")
            group.tiles.append(Tile(kpi.key, kpi.label, tile_value(kpi, figure), note, alert))
    return [g for g in groups.values() if g.tiles]


# --- Shared parts ---------------------------------------------------------------------------


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _changes(run: ReportRun, ids: list[int], today: date) -> Changes:
    return what_changed(
        portfolio_ids=ids,
        since=since_of(run, today),
        today=today,
        budget_change_pct=budget_change_pct(run),
    )


def change_counts(changes: Changes) -> list[tuple[str, int]]:
    return [(heading, changes.count(kind)) for kind, heading in KINDS]


def _portfolio_parts(run: ReportRun, *, as_of: datetime) -> tuple[Dashboard, dict]:
    today = timezone.localtime(as_of).date()
    selection = selection_of(list(run.portfolio_ids))
    d = portfolio_dashboard(selection=selection, today=today)
    changes = _changes(run, selection.ids, today)
    context = {
        "header": header(
            run,
            as_of=as_of,
            scope=run.scope_label or selection.title,
            figures_at=d.freshness.computed_at,
        ),
        "d": d,
        "selection": selection,
        "tile_groups": tile_groups(d),
        "changes": changes,
        "change_counts": change_counts(changes),
        "s_curve": svg(s_curve(d)) if d.currency else "",
    }
    return d, context


# --- Executive summary -----------------------------------------------------------------------


def summary_context(run: ReportRun, *, as_of: datetime) -> dict:
    d, context = _portfolio_parts(run, as_of=as_of)
    changes = context["changes"]
    context.update(
        top_slips=d.top_slips[:SUMMARY_SLIPS],
        attention=d.attention[:SUMMARY_ATTENTION],
        change_lines=changes.lines[:SUMMARY_CHANGE_LINES],
        more_changes=max(len(changes.lines) - SUMMARY_CHANGE_LINES, 0),
    )
    return context


# --- Health pack -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectLine:
    code: str
    name: str
    manager: str
    state: str
    bac: str
    eac: str
    cpi: str
    spi: str
    slip: str
    health_rag: str  # green, amber, red or none

    @property
    def health_label(self) -> str:
        """Shape and word, not colour alone."""
        return RAG_WORDS[self.health_rag]

    @property
    def text(self) -> str:
        """The project as one line of the register, its columns padded to REGISTER widths."""
        values = (
            self.code,
            self.name,
            self.manager,
            self.state,
            self.bac,
            self.eac,
            self.cpi,
            self.spi,
            self.slip,
            self.health_label,
        )
        return _register_line(values)


# The register of projects in flight: (heading, width in characters, right-aligned). One
# line of monospaced text per project rather than a table row: WeasyPrint lays out a table
# cell in about a millisecond, so 350 projects × 10 cells took 7 of a pack's 10 seconds; a
# line of text takes a tenth of that (bench/README.md, (g)). Columns line up because every
# character has the same width; a name longer than its column is cut with "…".
REGISTER = (
    ("Code", 9, False),
    ("Project", 32, False),
    ("Manager", 17, False),
    ("State", 8, False),
    ("BAC", 12, True),
    ("EAC", 12, True),
    ("CPI", 4, True),
    ("SPI", 4, True),
    ("Slip", 6, True),
    ("Health", 9, False),
)


def _fit(value: str, width: int, right: bool) -> str:
    if len(value) > width:
        value = value[: width - 1] + "…"
    return value.rjust(width) if right else value.ljust(width)


def _register_line(values) -> str:
    return " ".join(
        _fit(str(v), width, right) for v, (_h, width, right) in zip(values, REGISTER, strict=True)
    ).rstrip()


REGISTER_HEADER = _register_line(heading for heading, _w, _r in REGISTER)
# Lines per printed block: each block starts with the column headings and is kept on one
# page, so every page of the register has its headings.
REGISTER_BLOCK = 80


def register_blocks(lines: list[ProjectLine]) -> list[list[ProjectLine]]:
    return [lines[i : i + REGISTER_BLOCK] for i in range(0, len(lines), REGISTER_BLOCK)]


def project_lines(ids: list[int]) -> list[ProjectLine]:
    """Every project in flight of the portfolios, one line each (one query), formatted here:
    a few hundred rows are written faster as strings than through template filters."""
    rows = (
        ProjectRollup.objects.filter(portfolio_id__in=ids, state__in=IN_FLIGHT_STATES)
        .select_related("project__manager", "portfolio")
        .only(
            "state",
            "bac",
            "eac",
            "cpi",
            "spi",
            "slip_days",
            "health_rag",
            "project__code",
            "project__name",
            "project__manager__username",
            "project__manager__first_name",
            "project__manager__last_name",
            "portfolio__currency",
        )
        .order_by("project__code", "project_id")
    )
    states = dict(LifecycleState.choices)
    lines = []
    for r in rows:
        currency, manager = r.portfolio.currency, r.project.manager
        lines.append(
            ProjectLine(
                code=r.project.code,
                name=r.project.name,
                manager=(manager.get_full_name() or manager.username) if manager else "—",
                state=states.get(r.state, r.state),
                bac=format_money(r.bac, currency),
                eac=format_money(r.eac, currency) if r.eac is not None else NA,
                cpi=floatformat(r.cpi, 2) if r.cpi is not None else NA,
                spi=floatformat(r.spi, 2) if r.spi is not None else NA,
                slip=signed_days(r.slip_days),
                health_rag=r.health_rag if r.health_rag in RAG_WORDS else "none",
            )
        )
    return lines


def top_risks(ids: list[int]) -> list[Risk]:
    """The open high risks of the projects in flight (the tile's definition), worst first."""
    in_scope = {"project__portfolio_id__in": ids, "project__state__in": IN_FLIGHT_STATES}
    return list(
        Risk.objects.filter(pk__in=open_high_risks(in_scope))
        .select_related("project", "owner")
        .annotate(score=F("probability") * F("impact"))
        .order_by("-score", "due_date", "pk")[:PACK_RISKS]
    )


def slipping_milestones(ids: list[int]) -> list[Milestone]:
    """Open milestones furthest behind baseline: the dashboard's top slips, a longer list."""
    return top_slips(ids, limit=PACK_SLIPS)


# Gate decisions the pack lists (the latest); the heading counts them all.
PACK_DECISIONS = 20


def gate_decisions(ids: list[int], since: date, today: date) -> tuple[list[Review], int]:
    """The latest PACK_DECISIONS gate reviews of the portfolios' projects decided after
    `since` (as "what changed" counts them), oldest first; and how many there are."""
    decided = Review.objects.filter(
        project__portfolio_id__in=ids,
        kind=ReviewKind.GATE,
        state__in=(ReviewState.APPROVED, ReviewState.REJECTED),
        decided_at__gte=_start_of(since + timedelta(days=1)),
        decided_at__lt=_start_of(today + timedelta(days=1)),
    )
    latest = list(
        decided.select_related("project", "gate").order_by("-decided_at", "-pk")[:PACK_DECISIONS]
    )
    total = len(latest) if len(latest) < PACK_DECISIONS else decided.count()
    return latest[::-1], total


# Lines of each kind of change the pack lists; the counts above them cover every line, and the
# Trends page lists them all. A week of a large portfolio can hold hundreds of slipped
# milestones: ten pages a board does not read, and most of the pack's rendering time.
PACK_CHANGE_LINES = 10


def pack_context(run: ReportRun, *, as_of: datetime) -> dict:
    d, context = _portfolio_parts(run, as_of=as_of)
    ids = d.selection.ids
    today = d.today
    context.update(
        bubbles=svg(bubble_chart(d)),
        capacity=svg(capacity_heatmap(d)),
        projects=(projects := project_lines(ids)),
        project_blocks=register_blocks(projects),
        register_header=REGISTER_HEADER,
        risks=top_risks(ids),
        slips=slipping_milestones(ids),
        decisions=(decided := gate_decisions(ids, since_of(run, today), today))[0],
        decisions_total=decided[1],
        change_groups=[
            (group, group.lines[:PACK_CHANGE_LINES], max(len(group.lines) - PACK_CHANGE_LINES, 0))
            for group in context["changes"].groups()
        ],
        portfolio_names=[p.name for p in d.selection.portfolios],
    )
    return context
