"""The HTML of each PDF report, laid out for print by static/css/report.css and turned into a
PDF by reporting.pdf.render.

`build_html(run, as_of=...)` dispatches on the run's kind to one context builder per report
(the portfolio reports in reporting/pdf/portfolio.py, the project one-pager and the gate
decision record here) and renders `templates/reporting/pdf/<kind>.html` with autoescape on.

Every figure comes from the same code the pages use (the dashboard's `portfolio_dashboard`,
the KPI catalogue's `tile_figures`, the dashboard's chart definitions, governance's
`review_facts`), so a PDF cannot disagree with the screen. A run is rendered for readers who
all see its `portfolio_ids`: nothing outside them is read. Each section is one query, so a
large portfolio costs WeasyPrint's layout time, not the database's.

Layout is blocks and tables only: WeasyPrint is very slow on nested flexbox and grids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from governance.selectors.reviews import load_review, review_facts
from ppm.charts.svg import render_svg
from ppm.markdown import render_markdown
from ppm.templatetags.conductor import format_money, signed_days
from projects.choices import ChangeRequestState, RaidStatus
from projects.metrics import milestone_slip_days
from projects.models import ChangeRequest, Milestone, Project, Risk
from projects.models.schedule import OPEN_AND_SLIPPING, slip_days
from projects.selectors import latest_submitted_report
from reporting.changes import what_changed
from reporting.choices import ReportKind
from reporting.models import ReportRun
from reporting.pdf.render import chart_url
from reporting.services.reports import DEFAULT_SINCE_DAYS
from reporting.trends import project_series, trend_chart

# Readers named in the header before "and N others".
READERS_NAMED = 3
DEFAULT_BUDGET_CHANGE_PCT = Decimal("5")
# The one-pager stays one page: its lists are cut to these lengths, the narrative too.
ONE_PAGER_MILESTONES = 4
ONE_PAGER_SLIPPING = 2
ONE_PAGER_RISKS = 4
ONE_PAGER_CHANGES = 3
ONE_PAGER_CHANGE_LINES = 4
NARRATIVE_CHARS = 600
_HEADING = re.compile(r"<(/?)h([1-6])>")


# What the dashboard's SVG has for the browser and paper has no use for: the marks' links (to
# the project list or a project's page) and their tooltips. Each is one more element for
# WeasyPrint to parse, and each link one more PDF annotation. render_svg writes links as
# <a href="…" aria-label="…"> with every attribute value escaped, so a tag never holds ">",
# and escapes every text, so a <title> never holds "<".
_PAPERLESS = re.compile(r"</?a(?:\s[^>]*)?>|<title(?:\s[^>]*)?>[^<]*</title>")


def svg(chart) -> SafeString:
    """A chart definition drawn as SVG (render_svg escapes every text it draws) and placed as
    an image, named by the chart's title and description.

    An image, not inline SVG: inline, each of a chart's hundreds of marks and tooltips is one
    more element for WeasyPrint's HTML parser, style cascade and PDF tagger, and the pack's
    three charts cost it about a third of its render time (bench (g)). As an image WeasyPrint
    reads the SVG with its own light parser, draws the same vector marks and text, and tags
    one figure with the chart's alternative text. reporting.pdf.render.ChartsOnly serves
    these `data:` URLs and nothing else."""
    alt = f"{chart.title}. {chart.description}".strip(". ")
    return format_html(
        '<img class="chart-img" alt="{}" src="{}">',
        alt,
        chart_url(_PAPERLESS.sub("", render_svg(chart))),
    )


@dataclass(frozen=True)
class Header:
    """What the running header and footer of every page say."""

    title: str
    scope: str
    readers: str
    figures_at: datetime | None  # when the figures were computed (None: not computed yet)
    printed_at: datetime  # in the organisation's zone


def readers_text(run: ReportRun) -> str:
    """'Ann Lee, Bo Chen, Cy Diaz and 2 others': who the run is for (one query)."""
    names = [
        u.get_full_name() or u.username
        for u in run.readers.order_by("last_name", "first_name", "username").only(
            "username", "first_name", "last_name"
        )
    ]
    if not names and run.requested_by is not None:
        names = [run.requested_by.get_full_name() or run.requested_by.username]
    if len(names) > READERS_NAMED:
        rest = len(names) - READERS_NAMED
        return f"{', '.join(names[:READERS_NAMED])} and {rest} other{'s' if rest != 1 else ''}"
    if len(names) > 1:
        return f"{', '.join(names[:-1])} and {names[-1]}"
    return names[0] if names else "—"


def since_of(run: ReportRun, today: date) -> date:
    """The day "what changed" starts after: the run's (the service sets it), else a week."""
    return run.since or today - timedelta(days=DEFAULT_SINCE_DAYS)


def budget_change_pct(run: ReportRun) -> Decimal:
    if run.definition_id and run.definition is not None:
        return run.definition.budget_change_pct
    return DEFAULT_BUDGET_CHANGE_PCT


def header(run: ReportRun, *, as_of: datetime, scope: str, figures_at: datetime | None) -> Header:
    return Header(
        title=run.title or ReportKind(run.kind).label,
        scope=scope,
        readers=readers_text(run),
        figures_at=timezone.localtime(figures_at) if figures_at else None,
        printed_at=timezone.localtime(as_of),
    )


# --- Project one-pager ---------------------------------------------------------------------


def _rollup(project: Project):
    try:
        return project.rollup
    except Project.rollup.RelatedObjectDoesNotExist:
        return None


def _narrative(text: str) -> SafeString:
    """The report's Markdown, cut to fit one page, rendered and sanitised (ppm.markdown).

    Its headings go two levels down, under the page's own h1 and h2, so the PDF's heading
    order stays whole for a screen reader (the sanitiser leaves headings no attribute)."""
    text = text.strip()
    if len(text) > NARRATIVE_CHARS:
        text = text[:NARRATIVE_CHARS].rsplit(" ", 1)[0].rstrip() + " … (continued in Conductor)"
    html = _HEADING.sub(lambda m: f"<{m[1]}h{min(int(m[2]) + 2, 6)}>", render_markdown(text))
    return mark_safe(html)  # noqa: S308 - sanitised by render_markdown; only tag names changed


def project_context(run: ReportRun, *, as_of: datetime) -> dict:
    if run.project_id is None:
        raise ValueError("A project one-pager needs its project.")
    today = timezone.localtime(as_of).date()
    project = Project.objects.select_related("portfolio", "manager", "sponsor", "rollup").get(
        pk=run.project_id
    )
    rollup = _rollup(project)
    currency = project.portfolio.currency
    report = latest_submitted_report(project)
    # The next open milestones, then the open ones furthest behind baseline not among them.
    open_milestones = Milestone.objects.filter(project=project, actual_date__isnull=True)
    upcoming = list(open_milestones.order_by("forecast_date", "pk")[:ONE_PAGER_MILESTONES])
    slipping = list(
        open_milestones.filter(OPEN_AND_SLIPPING)
        .exclude(pk__in=[m.pk for m in upcoming])
        .order_by(slip_days().desc(), "pk")[:ONE_PAGER_SLIPPING]
    )
    for m in upcoming + slipping:
        m.slip = milestone_slip_days(
            baseline=m.baseline_date, forecast=m.forecast_date, actual=m.actual_date
        )
    risks = list(
        Risk.objects.filter(project=project)
        .exclude(status=RaidStatus.CLOSED)
        .select_related("owner")
        .annotate(score=F("probability") * F("impact"))
        .order_by("-score", "due_date", "pk")[:ONE_PAGER_RISKS]
    )
    changes_open = list(
        ChangeRequest.objects.filter(project=project, state=ChangeRequestState.SUBMITTED)
        .select_related("raised_by")
        .order_by("submitted_at", "pk")[:ONE_PAGER_CHANGES]
    )
    series = {s.kpi.key: s for s in project_series(project_id=project.pk, today=today)}
    charts = [
        svg(trend_chart(series[key], chart_id=f"trend-{key}"))
        for key in ("health", "eac")
        if key in series
    ]
    changes = what_changed(
        portfolio_ids=[project.portfolio_id],
        project_ids=[project.pk],
        since=since_of(run, today),
        today=today,
        budget_change_pct=budget_change_pct(run),
    )
    return {
        "header": header(
            run,
            as_of=as_of,
            scope=f"{project.code} {project.name} ({project.portfolio.name})",
            figures_at=rollup.computed_at if rollup else None,
        ),
        "project": project,
        "rollup": rollup,
        "currency": currency,
        "report": report,
        "narrative": _narrative(report.narrative) if report and report.narrative else "",
        "upcoming": upcoming,
        "slipping": slipping,
        "risks": risks,
        "change_requests": changes_open,
        "charts": charts,
        "changes": changes,
        "change_lines": changes.lines[:ONE_PAGER_CHANGE_LINES],
        "more_changes": max(len(changes.lines) - ONE_PAGER_CHANGE_LINES, 0),
        "slip_text": signed_days(rollup.slip_days) if rollup else "—",
        "bac_text": format_money(project.budget_at_completion, currency),
    }


# --- Gate decision record ------------------------------------------------------------------


def gate_record_context(run: ReportRun, *, as_of: datetime) -> dict:
    if run.review_id is None:
        raise ValueError("A gate decision record needs its review.")
    review = load_review(run.review_id)
    # The record as its requester sees it (or its first reader): the record is the same for
    # everyone who may open it; the user only decides "may decide", which a decided review
    # no longer offers.
    user = run.requested_by or run.readers.order_by("pk").first()
    facts = review_facts(review, user, now=as_of)
    subject = facts.project
    scope = (
        f"{subject.code} {subject.name} ({subject.portfolio.name})"
        if subject is not None
        else run.scope_label or review.portfolio.name
    )
    return {
        "header": header(run, as_of=as_of, scope=scope, figures_at=review.decided_at),
        "facts": facts,
        "review": review,
    }


# --- Dispatch ------------------------------------------------------------------------------


def _builders():
    from reporting.pdf import portfolio

    return {
        ReportKind.SUMMARY: portfolio.summary_context,
        ReportKind.PACK: portfolio.pack_context,
        ReportKind.PROJECT: project_context,
        ReportKind.GATE_RECORD: gate_record_context,
    }


def build_html(run: ReportRun, *, as_of: datetime) -> str:
    """The report's HTML as of `as_of` (an aware datetime: the render's start)."""
    kind = ReportKind(run.kind)
    context = _builders()[kind](run, as_of=as_of)
    context.setdefault("kind", str(kind))
    context.setdefault("kind_label", kind.label)
    return render_to_string(f"reporting/pdf/{kind}.html", context)
