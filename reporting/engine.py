"""The rollup engine: project figures computed by set-based SQL (DESIGN.md §5).

`recompute(project_ids=None)` recomputes the given projects (or all) in a fixed handful of
statements, whatever the count — never a Python loop over projects. The formulas are those of
projects/metrics.py, written once more in SQL; a property test holds the two equal.

Staleness: every write bumps RollupState.requested. A recompute first snapshots the
`requested` generation of each project it will compute, computes, then records that snapshot
as `computed` — so a write landing during the recompute leaves its project stale for the next
pass, and is never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from portfolio.models import HealthPolicy
from portfolio.selectors import current_fiscal_year, fiscal_year_months
from projects.metrics import report_due_period_end
from reporting import figure_cache
from reporting.kpis import IN_FLIGHT


def _planned_to_date(line: str) -> str:
    """SQL: the part of `line`'s planned amount that falls by the project's PV date
    (metrics.prorated_plan): earlier months whole, the PV date's month by its days elapsed.
    One text for the cost lines and the frozen baseline months alike."""
    return f"""CASE WHEN {line}.month < date_trunc('month', sa.pv_at)::date THEN {line}.planned
                    ELSE ROUND({line}.planned * EXTRACT(DAY FROM sa.pv_at)
                               / EXTRACT(DAY FROM (date_trunc('month', sa.pv_at)
                                                   + interval '1 month - 1 day')), 2) END"""


# One statement computes and upserts every target project's row. CTEs each aggregate one
# source table once (GROUP BY project), joined to the targets.
_UPSERT = """
WITH targets AS (
    SELECT p.id, p.portfolio_id, p.state, p.budget_at_completion AS bac, p.actual_finish,
           -- On hold: planned value stops at the hold date, and the plan from its month on
           -- is released (without a recorded date: from the current month).
           CASE WHEN p.state = 'on_hold'
                THEN COALESCE(p.on_hold_since, date_trunc('month', %(as_of)s::date)::date)
           END AS held_on,
           -- The project's own earned-value method, else its portfolio's.
           COALESCE(NULLIF(p.ev_method, ''), pf.ev_method) AS ev_method,
           -- The end of the first reporting period: the last day of the start month.
           (date_trunc('month', p.baseline_start) + interval '1 month - 1 day')::date
               AS first_report_due
    FROM projects_project p JOIN portfolio_portfolio pf ON pf.id = p.portfolio_id
    WHERE %(all)s OR p.id = ANY(%(ids)s::bigint[])
),
report AS (
    SELECT DISTINCT ON (s.project_id)
           s.project_id, s.percent_complete, s.overall_rag, s.period_end
    FROM projects_statusreport s JOIN targets t ON t.id = s.project_id
    WHERE s.state = 'submitted' AND s.period_end <= %(as_of)s
      -- A corrected report counts only in its current version.
      AND NOT EXISTS (SELECT 1 FROM projects_statusreport c WHERE c.supersedes_id = s.id)
    ORDER BY s.project_id, s.period_end DESC
),
status_at AS (
    -- EVM is measured at the status date: the latest report's period end, else as_of; a
    -- project on hold plans nothing after its hold date.
    SELECT t.id AS project_id, COALESCE(report.period_end, %(as_of)s::date) AS at,
           LEAST(COALESCE(report.period_end, %(as_of)s::date), t.held_on) AS pv_at
    FROM targets t LEFT JOIN report ON report.project_id = t.id
),
bl AS (
    -- The budget baseline in force on the status date (re-baselined projects only): EV is
    -- measured at its budget, shifted by what was earned before it took effect.
    SELECT DISTINCT ON (b.project_id)
           b.project_id, b.bac, b.ev_carried - b.ev_offset AS ev_shift
    FROM projects_budgetbaseline b JOIN status_at sa ON sa.project_id = b.project_id
    WHERE b.effective_month <= sa.at
    ORDER BY b.project_id, b.effective_month DESC
),
frozen AS (
    -- Months before the newest baseline's month keep the plan frozen under the baseline
    -- then in force; the cost lines count from that month on.
    SELECT DISTINCT ON (b.project_id) b.project_id, b.effective_month AS frozen_before
    FROM projects_budgetbaseline b JOIN targets t ON t.id = b.project_id
    ORDER BY b.project_id, b.effective_month DESC
),
frozen_pv AS (
    SELECT b.project_id,
           SUM({planned_to_date_m}) FILTER (WHERE m.month <= date_trunc('month', sa.pv_at)::date)
               AS pv
    FROM projects_budgetbaselinemonth m
    JOIN projects_budgetbaseline b ON b.id = m.baseline_id
    JOIN status_at sa ON sa.project_id = b.project_id
    GROUP BY b.project_id
),
cost AS (
    SELECT c.project_id,
           SUM({planned_to_date_c}) FILTER (WHERE c.month <= date_trunc('month', sa.pv_at)::date
                              AND (f.frozen_before IS NULL OR c.month >= f.frozen_before))
               AS pv,
           SUM(c.actual) FILTER (WHERE c.month <= date_trunc('month', sa.at)::date) AS ac,
           -- This fiscal year's plan; a project on hold keeps only the months before the
           -- current one (the rule of the ranking and the capacity demand).
           SUM(c.planned) FILTER (
               WHERE c.month BETWEEN %(fy_first)s AND %(fy_last)s
                 AND (t.held_on IS NULL OR c.month < date_trunc('month', t.held_on)))
               AS fy_plan
    FROM projects_costline c
    JOIN status_at sa ON sa.project_id = c.project_id
    JOIN targets t ON t.id = c.project_id
    LEFT JOIN frozen f ON f.project_id = c.project_id
    GROUP BY c.project_id
),
ms AS (
    SELECT m.project_id,
           COUNT(*) AS total,
           -- Key milestones, open or achieved: slip = (actual, else forecast) − baseline.
           MAX(COALESCE(m.actual_date, m.forecast_date) - m.baseline_date)
               FILTER (WHERE m.is_key) AS slip,
           COUNT(*) FILTER (WHERE m.is_key
                            AND COALESCE(m.actual_date, m.forecast_date) > m.baseline_date)
               AS slipping,
           COUNT(*) FILTER (WHERE m.actual_date IS NOT NULL) AS achieved,
           COUNT(*) FILTER (WHERE m.actual_date <= m.baseline_date) AS on_time,
           -- Weighted milestones: the weight achieved by the status date, of all weight.
           SUM(m.weight) AS weight_total,
           COALESCE(SUM(m.weight) FILTER (WHERE m.actual_date <= sa.at), 0) AS weight_done
    FROM projects_milestone m JOIN status_at sa ON sa.project_id = m.project_id
    GROUP BY m.project_id
),
rk AS (
    SELECT r.project_id,
           COUNT(*) AS open_risks,
           COUNT(*) FILTER (WHERE r.probability * r.impact >= %(risk_red)s) AS high_risks,
           SUM(r.probability * r.impact) AS exposure,
           MAX(r.probability * r.impact) AS top_score,
           SUM(ROUND((CASE r.probability WHEN 1 THEN 0.1 WHEN 2 THEN 0.3 WHEN 3 THEN 0.5
                                         WHEN 4 THEN 0.7 ELSE 0.9 END)
                     * COALESCE(r.cost_impact, 0), 2)) AS emv
    FROM projects_risk r JOIN targets t ON t.id = r.project_id
    WHERE r.status <> 'closed'
    GROUP BY r.project_id
),
cr AS (
    SELECT c.project_id, COUNT(*) AS pending
    FROM projects_changerequest c JOIN targets t ON t.id = c.project_id
    WHERE c.state = 'submitted' AND c.scope_impact <> ''
    GROUP BY c.project_id
),
score AS (
    SELECT ps.project_id,
           SUM(sc.weight * (CASE WHEN sc.higher_is_better
                                 THEN (ps.score - sc.scale_min)::numeric
                                 ELSE (sc.scale_max - ps.score)::numeric END)
               / (sc.scale_max - sc.scale_min)) AS weighted,
           SUM(sc.weight) AS total_weight
    FROM projects_projectscore ps
    JOIN portfolio_scoringcriterion sc ON sc.id = ps.criterion_id AND sc.active
    JOIN targets t ON t.id = ps.project_id
    GROUP BY ps.project_id
),
base AS (
    SELECT t.id, t.portfolio_id, t.state, t.bac, t.first_report_due,
           COALESCE(cost.pv, 0) + COALESCE(frozen_pv.pv, 0) AS pv, COALESCE(cost.ac, 0) AS ac,
           COALESCE(cost.fy_plan, 0) AS fy_plan,
           report.percent_complete AS pct, t.ev_method,
           (CASE t.ev_method
               -- BAC × the weight of the milestones achieved by the status date ÷ all weight;
               -- not measurable without weighted milestones.
               WHEN 'milestones' THEN
                   CASE WHEN ms.weight_total > 0
                        THEN ROUND(COALESCE(bl.bac, t.bac) * ms.weight_done / ms.weight_total, 2)
                   END
               -- 0/100: all of BAC once finished (actual finish by the status date, or 100 percent
               -- reported), nothing before.
               WHEN '0_100' THEN
                   CASE WHEN t.actual_finish <= sa.at OR report.percent_complete = 100
                        THEN COALESCE(bl.bac, t.bac) ELSE 0 END
               -- 50/50: half once started (money spent or progress reported), all once
               -- finished.
               WHEN '50_50' THEN
                   CASE WHEN t.actual_finish <= sa.at OR report.percent_complete = 100
                        THEN COALESCE(bl.bac, t.bac)
                        WHEN COALESCE(cost.ac, 0) > 0 OR report.percent_complete > 0
                        THEN ROUND(COALESCE(bl.bac, t.bac) / 2, 2) ELSE 0 END
               -- Percent complete as reported; no report yet: not yet reported (NULL).
               ELSE ROUND(COALESCE(bl.bac, t.bac) * report.percent_complete / 100, 2)
           END) + COALESCE(bl.ev_shift, 0) AS ev,
           COALESCE(report.overall_rag, '') AS reported_rag, report.period_end,
           ms.slip, COALESCE(ms.total, 0) AS total, COALESCE(ms.slipping, 0) AS slipping,
           COALESCE(ms.achieved, 0) AS achieved, COALESCE(ms.on_time, 0) AS on_time,
           COALESCE(rk.open_risks, 0) AS open_risks, COALESCE(rk.high_risks, 0) AS high_risks,
           COALESCE(rk.exposure, 0) AS exposure, rk.top_score, COALESCE(rk.emv, 0) AS emv,
           COALESCE(cr.pending, 0) AS pending,
           CASE WHEN COALESCE(score.total_weight, 0) = 0 THEN NULL
                ELSE ROUND(score.weighted * 100 / score.total_weight, 2) END AS priority
    FROM targets t
    JOIN status_at sa ON sa.project_id = t.id
    LEFT JOIN cost ON cost.project_id = t.id
    LEFT JOIN frozen_pv ON frozen_pv.project_id = t.id
    LEFT JOIN bl ON bl.project_id = t.id
    LEFT JOIN report ON report.project_id = t.id
    LEFT JOIN ms ON ms.project_id = t.id
    LEFT JOIN rk ON rk.project_id = t.id
    LEFT JOIN cr ON cr.project_id = t.id
    LEFT JOIN score ON score.project_id = t.id
),
evm AS (
    SELECT base.*,
           CASE WHEN ac = 0 THEN NULL ELSE ROUND(ev / ac, 4) END AS cpi,
           CASE WHEN pv = 0 THEN NULL ELSE ROUND(ev / pv, 4) END AS spi,
           -- BAC ÷ CPI once CPI is above 0; before that the budget, or AC above it.
           CASE WHEN ac > 0 AND ev > 0 THEN ROUND(bac * ac / ev, 2)
                ELSE GREATEST(bac, ac) END AS eac,
           CASE WHEN bac = ac THEN NULL ELSE ROUND((bac - ev) / (bac - ac), 4) END AS tcpi,
           CASE WHEN achieved = 0 THEN NULL
                ELSE ROUND(on_time::numeric / achieved, 4) END AS on_time_rate
    FROM base
),
rag AS (
    SELECT evm.*,
           GREATEST(
               CASE WHEN spi IS NULL THEN 0 WHEN spi < %(spi_red)s THEN 2
                    WHEN spi < %(spi_amber)s THEN 1 ELSE 0 END,
               CASE WHEN slip IS NULL THEN 0 WHEN slip >= %(slip_red)s THEN 2
                    WHEN slip >= %(slip_amber)s THEN 1 ELSE 0 END) AS schedule_n,
           CASE WHEN cpi IS NULL THEN 0 WHEN cpi < %(cpi_red)s THEN 2
                WHEN cpi < %(cpi_amber)s THEN 1 ELSE 0 END AS cost_n,
           CASE WHEN top_score IS NULL THEN 0 WHEN top_score >= %(risk_red)s THEN 2
                WHEN top_score >= %(risk_amber)s THEN 1 ELSE 0 END AS risk_n,
           CASE WHEN pending > 0 THEN 1 ELSE 0 END AS scope_n
    FROM evm
)
INSERT INTO projects_projectrollup (
    project_id, portfolio_id, as_of, state, bac, pv, ev, ev_method, ac, cv, sv, eac, etc, vac, cpi,
    spi, tcpi,
    percent_complete, slip_days, milestones_total, milestones_slipping, milestones_achieved,
    milestones_on_time, on_time_rate, open_risks, high_risks, exposure, emv,
    pending_scope_changes, priority_score, schedule_rag, cost_rag, scope_rag, risk_rag,
    health_rag, reported_rag, last_report_period_end, first_report_due, fy_plan, computed_at
)
SELECT id, portfolio_id, %(as_of)s, state, bac, pv, ev, ev_method, ac, ev - ac, ev - pv, eac,
       eac - ac,
       bac - eac, cpi, spi, tcpi, pct, slip, total, slipping, achieved, on_time, on_time_rate,
       open_risks, high_risks, exposure, emv, pending, priority,
       (ARRAY['green','amber','red'])[schedule_n + 1],
       (ARRAY['green','amber','red'])[cost_n + 1],
       (ARRAY['green','amber','red'])[scope_n + 1],
       (ARRAY['green','amber','red'])[risk_n + 1],
       (ARRAY['green','amber','red'])[GREATEST(schedule_n, cost_n, risk_n, scope_n) + 1],
       reported_rag, period_end, first_report_due, fy_plan, %(now)s
FROM rag
ON CONFLICT (project_id) DO UPDATE SET
    portfolio_id = EXCLUDED.portfolio_id, as_of = EXCLUDED.as_of, state = EXCLUDED.state,
    bac = EXCLUDED.bac,
    pv = EXCLUDED.pv, ev = EXCLUDED.ev, ev_method = EXCLUDED.ev_method, ac = EXCLUDED.ac,
    cv = EXCLUDED.cv, sv = EXCLUDED.sv,
    eac = EXCLUDED.eac, etc = EXCLUDED.etc, vac = EXCLUDED.vac, cpi = EXCLUDED.cpi,
    spi = EXCLUDED.spi, tcpi = EXCLUDED.tcpi, percent_complete = EXCLUDED.percent_complete,
    slip_days = EXCLUDED.slip_days, milestones_total = EXCLUDED.milestones_total,
    milestones_slipping = EXCLUDED.milestones_slipping,
    milestones_achieved = EXCLUDED.milestones_achieved,
    milestones_on_time = EXCLUDED.milestones_on_time, on_time_rate = EXCLUDED.on_time_rate,
    open_risks = EXCLUDED.open_risks, high_risks = EXCLUDED.high_risks,
    exposure = EXCLUDED.exposure, emv = EXCLUDED.emv,
    pending_scope_changes = EXCLUDED.pending_scope_changes,
    priority_score = EXCLUDED.priority_score,
    schedule_rag = EXCLUDED.schedule_rag, cost_rag = EXCLUDED.cost_rag,
    scope_rag = EXCLUDED.scope_rag, risk_rag = EXCLUDED.risk_rag,
    health_rag = EXCLUDED.health_rag, reported_rag = EXCLUDED.reported_rag,
    last_report_period_end = EXCLUDED.last_report_period_end,
    first_report_due = EXCLUDED.first_report_due, fy_plan = EXCLUDED.fy_plan,
    computed_at = EXCLUDED.computed_at
"""
_UPSERT = _UPSERT.format(
    planned_to_date_m=_planned_to_date("m"), planned_to_date_c=_planned_to_date("c")
)

# Portfolio figures are sums over their projects' rollups; ratios are recomputed from the
# sums (a portfolio's CPI is ΣEV / ΣAC, not an average of CPIs). Every dashboard figure
# counts the projects in flight (reporting.kpis.IN_FLIGHT, the scope of every catalogue
# entry), the same projects the list behind its tile shows; `projects` counts every project
# that is not cancelled.
_PORTFOLIOS = """
WITH touched AS (
    SELECT DISTINCT portfolio_id FROM projects_projectrollup
    WHERE %(all)s OR project_id = ANY(%(ids)s::bigint[])
),
sums AS (
    SELECT r.portfolio_id,
           COUNT(*) FILTER (WHERE r.state <> 'cancelled') AS projects,
           COUNT(*) FILTER (WHERE live) AS in_flight,
           COALESCE(SUM(r.bac) FILTER (WHERE live), 0) AS bac,
           COALESCE(SUM(r.pv) FILTER (WHERE live), 0) AS pv,
           COALESCE(SUM(r.ev) FILTER (WHERE live), 0) AS ev,
           COALESCE(SUM(r.ac) FILTER (WHERE live), 0) AS ac,
           -- One EAC per level: the sum of the projects' EACs.
           COALESCE(SUM(r.eac) FILTER (WHERE live), 0) AS eac,
           -- CPI and SPI over the projects whose progress is reported (EV measured).
           COALESCE(SUM(r.pv) FILTER (WHERE live AND r.ev IS NOT NULL), 0) AS pv_reported,
           COALESCE(SUM(r.ac) FILTER (WHERE live AND r.ev IS NOT NULL), 0) AS ac_reported,
           -- This fiscal year's plan of the projects in flight: the envelope's share.
           COALESCE(SUM(r.fy_plan) FILTER (WHERE live), 0) AS fy_plan,
           COALESCE(SUM(r.milestones_slipping) FILTER (WHERE live), 0) AS slipping,
           COALESCE(SUM(r.milestones_achieved) FILTER (WHERE live), 0) AS achieved,
           COALESCE(SUM(r.milestones_on_time) FILTER (WHERE live), 0) AS on_time,
           COALESCE(SUM(r.open_risks) FILTER (WHERE live), 0) AS open_risks,
           COALESCE(SUM(r.high_risks) FILTER (WHERE live), 0) AS high_risks,
           COALESCE(SUM(r.exposure) FILTER (WHERE live), 0) AS exposure,
           COALESCE(SUM(r.emv) FILTER (WHERE live), 0) AS emv,
           COUNT(*) FILTER (WHERE live AND r.health_rag = 'green') AS health_green,
           COUNT(*) FILTER (WHERE live AND r.health_rag = 'amber') AS health_amber,
           COUNT(*) FILTER (WHERE live AND r.health_rag = 'red') AS health_red,
           COUNT(*) FILTER (WHERE live AND r.reported_rag = 'green') AS reported_green,
           COUNT(*) FILTER (WHERE live AND r.reported_rag = 'amber') AS reported_amber,
           COUNT(*) FILTER (WHERE live AND r.reported_rag = 'red') AS reported_red,
           COUNT(*) FILTER (WHERE live AND r.reported_rag = '') AS reported_none,
           -- What the dashboard's drill-down links count, each with the predicate of the
           -- project-list filter it links to (projects.selectors.filtered_projects), over
           -- the projects in flight.
           jsonb_build_object(
               'schedule_rag', {matrix_schedule}, 'cost_rag', {matrix_cost},
               'scope_rag', {matrix_scope}, 'risk_rag', {matrix_risk},
               'health_rag', {matrix_health},
               'projects_slipping', COUNT(*) FILTER (WHERE live AND r.milestones_slipping > 0),
               'worst_slip', MAX(r.slip_days) FILTER (WHERE live),
               'projects_with_high_risks', COUNT(*) FILTER (WHERE live AND r.high_risks > 0),
               'cpi_below_one', COUNT(*) FILTER (WHERE live AND r.cpi < 1),
               'spi_below_one', COUNT(*) FILTER (WHERE live AND r.spi < 1),
               'overrunning', COUNT(*) FILTER (WHERE live AND r.vac < 0),
               'no_current_report', COUNT(*) FILTER (
                   WHERE live AND r.first_report_due <= %(report_due)s
                         AND (r.last_report_period_end IS NULL
                              OR r.last_report_period_end < %(report_due)s)),
               'unscored', COUNT(*) FILTER (WHERE live AND r.priority_score IS NULL)
           ) AS counts
    FROM (SELECT *, {in_flight} AS live FROM projects_projectrollup) r
    JOIN touched t ON t.portfolio_id = r.portfolio_id
    GROUP BY r.portfolio_id
)
INSERT INTO portfolio_portfoliorollup (
    portfolio_id, as_of, projects, in_flight, bac, pv, ev, ac, eac, pv_reported, ac_reported,
    fy_plan, cpi, spi, milestones_slipping, milestones_achieved, milestones_on_time, open_risks,
    high_risks, exposure, emv, health_green, health_amber, health_red, reported_green,
    reported_amber, reported_red, reported_none, counts, computed_at
)
SELECT portfolio_id, %(as_of)s, projects, in_flight, bac, pv, ev, ac, eac, pv_reported,
       ac_reported, fy_plan,
       CASE WHEN ac_reported = 0 THEN NULL ELSE ROUND(ev / ac_reported, 4) END,
       CASE WHEN pv_reported = 0 THEN NULL ELSE ROUND(ev / pv_reported, 4) END,
       slipping, achieved, on_time, open_risks, high_risks, exposure, emv, health_green,
       health_amber, health_red, reported_green, reported_amber, reported_red, reported_none,
       counts, %(now)s
FROM sums
ON CONFLICT (portfolio_id) DO UPDATE SET
    as_of = EXCLUDED.as_of, projects = EXCLUDED.projects, in_flight = EXCLUDED.in_flight,
    bac = EXCLUDED.bac, pv = EXCLUDED.pv, ev = EXCLUDED.ev, ac = EXCLUDED.ac,
    eac = EXCLUDED.eac, pv_reported = EXCLUDED.pv_reported,
    ac_reported = EXCLUDED.ac_reported, fy_plan = EXCLUDED.fy_plan, cpi = EXCLUDED.cpi,
    spi = EXCLUDED.spi,
    milestones_slipping = EXCLUDED.milestones_slipping,
    milestones_achieved = EXCLUDED.milestones_achieved,
    milestones_on_time = EXCLUDED.milestones_on_time, open_risks = EXCLUDED.open_risks,
    high_risks = EXCLUDED.high_risks, exposure = EXCLUDED.exposure, emv = EXCLUDED.emv,
    health_green = EXCLUDED.health_green, health_amber = EXCLUDED.health_amber,
    health_red = EXCLUDED.health_red, reported_green = EXCLUDED.reported_green,
    reported_amber = EXCLUDED.reported_amber, reported_red = EXCLUDED.reported_red,
    reported_none = EXCLUDED.reported_none, counts = EXCLUDED.counts,
    computed_at = EXCLUDED.computed_at
"""


def _rag_counts(field: str) -> str:
    """{'green': n, 'amber': n, 'red': n} of in-flight projects by one RAG field, as SQL."""
    pairs = ", ".join(
        f"'{rag}', COUNT(*) FILTER (WHERE live AND r.{field} = '{rag}')"
        for rag in ("green", "amber", "red")
    )
    return f"jsonb_build_object({pairs})"


_PORTFOLIOS = _PORTFOLIOS.format(
    in_flight=IN_FLIGHT.sql("state"),
    **{
        f"matrix_{name}": _rag_counts(f"{name}_rag")
        for name in ("schedule", "cost", "scope", "risk", "health")
    },
)

# The S-curve and demand series of the claimed portfolios (rollup_touched), rebuilt whole (a
# portfolio has a few dozen months): delete, then insert from the source tables in one
# statement each. Rebuilding one portfolio reads all its projects' cost lines and reports, so
# it runs debounced after recomputes (rebuild_series), not inside each edit's recompute.
_SERIES = (
    """
    DELETE FROM portfolio_portfoliomonth
    WHERE portfolio_id IN (SELECT portfolio_id FROM rollup_touched)
    """,
    """
    WITH live AS (
        SELECT p.id, p.portfolio_id, p.budget_at_completion AS bac, p.actual_finish,
               COALESCE(NULLIF(p.ev_method, ''), pf.ev_method) AS ev_method
        FROM projects_project p JOIN rollup_touched t ON t.portfolio_id = p.portfolio_id
        JOIN portfolio_portfolio pf ON pf.id = p.portfolio_id
        WHERE p.state <> 'cancelled'
    ),
    frozen AS (
        -- A re-baselined project's months before its newest baseline's month are planned as
        -- frozen under the baseline then in force (the rollup's planned value does the same).
        SELECT DISTINCT ON (b.project_id) b.project_id, b.effective_month AS frozen_before
        FROM projects_budgetbaseline b JOIN live l ON l.id = b.project_id
        ORDER BY b.project_id, b.effective_month DESC
    ),
    money AS (
        SELECT portfolio_id, month, SUM(planned) AS planned, SUM(actual) AS actual,
               SUM(forecast) AS forecast
        FROM (
            SELECT l.portfolio_id, c.month,
                   CASE WHEN f.frozen_before IS NULL OR c.month >= f.frozen_before
                        THEN c.planned ELSE 0 END AS planned,
                   c.actual, c.forecast
            FROM projects_costline c JOIN live l ON l.id = c.project_id
            LEFT JOIN frozen f ON f.project_id = c.project_id
            UNION ALL
            SELECT l.portfolio_id, m.month, m.planned, 0, 0
            FROM projects_budgetbaselinemonth m
            JOIN projects_budgetbaseline b ON b.id = m.baseline_id
            JOIN live l ON l.id = b.project_id
        ) lines
        GROUP BY portfolio_id, month
    ),
    monthly_report AS (
        -- Each project's last submitted report in each month.
        SELECT DISTINCT ON (s.project_id, date_trunc('month', s.period_end))
               s.project_id, date_trunc('month', s.period_end)::date AS month,
               s.percent_complete
        FROM projects_statusreport s JOIN live l ON l.id = s.project_id
        WHERE s.state = 'submitted'
          AND NOT EXISTS (SELECT 1 FROM projects_statusreport c WHERE c.supersedes_id = s.id)
        ORDER BY s.project_id, date_trunc('month', s.period_end), s.period_end DESC
    ),
    weight_done AS (
        -- Weighted milestones: the weight achieved up to each month, per project.
        SELECT m.project_id, date_trunc('month', m.actual_date)::date AS month,
               SUM(SUM(m.weight)) OVER (PARTITION BY m.project_id
                                        ORDER BY date_trunc('month', m.actual_date)) AS done
        FROM projects_milestone m JOIN live l ON l.id = m.project_id
        WHERE l.ev_method = 'milestones' AND m.actual_date IS NOT NULL
        GROUP BY m.project_id, date_trunc('month', m.actual_date)
    ),
    weight_total AS (
        SELECT m.project_id, SUM(m.weight) AS total
        FROM projects_milestone m JOIN live l ON l.id = m.project_id
        WHERE l.ev_method = 'milestones'
        GROUP BY m.project_id HAVING SUM(m.weight) > 0
    ),
    fixed AS (
        -- 0/100 and 50/50: the month a project started (money spent or progress reported)
        -- and the month it finished (actual finish, or 100 percent reported).
        SELECT l.id AS project_id, l.portfolio_id, l.bac, l.ev_method,
               LEAST((SELECT MIN(c.month) FROM projects_costline c
                      WHERE c.project_id = l.id AND c.actual > 0),
                     (SELECT MIN(r.month) FROM monthly_report r
                      WHERE r.project_id = l.id AND r.percent_complete > 0)) AS started,
               LEAST(date_trunc('month', l.actual_finish)::date,
                     (SELECT MIN(r.month) FROM monthly_report r
                      WHERE r.project_id = l.id AND r.percent_complete = 100)) AS finished
        FROM live l WHERE l.ev_method IN ('0_100', '50_50')
    ),
    project_month_in AS (
        -- The months each project's earned value moved in, by its method, with what it
        -- moved to: percent reported (1), weight achieved of all weight (2), half (3), all (4).
        SELECT l.portfolio_id, r.project_id, r.month, 1 AS kind,
               r.percent_complete AS x, NULL::numeric AS y
        FROM monthly_report r JOIN live l ON l.id = r.project_id
        WHERE l.ev_method = 'percent'
        UNION ALL
        SELECT l.portfolio_id, w.project_id, w.month, 2, w.done, t.total
        FROM weight_done w JOIN weight_total t ON t.project_id = w.project_id
        JOIN live l ON l.id = w.project_id
        UNION ALL
        SELECT portfolio_id, project_id, started, 3, NULL, NULL FROM fixed
        WHERE ev_method = '50_50' AND started < COALESCE(finished, 'infinity'::date)
        UNION ALL
        SELECT portfolio_id, project_id, finished, 4, NULL, NULL FROM fixed
        WHERE finished IS NOT NULL
    ),
    project_month_ev AS (
        -- Each project's earned value at the end of those months, at the budget of the
        -- baseline in force then (shifted by what was earned before it), else its BAC.
        SELECT i.portfolio_id, i.project_id, i.month,
               CASE i.kind WHEN 1 THEN ROUND(COALESCE(b.bac, l.bac) * i.x / 100, 2)
                           WHEN 2 THEN ROUND(COALESCE(b.bac, l.bac) * i.x / i.y, 2)
                           WHEN 3 THEN ROUND(COALESCE(b.bac, l.bac) / 2, 2)
                           ELSE COALESCE(b.bac, l.bac)
               END + COALESCE(b.shift, 0) AS ev
        FROM project_month_in i JOIN live l ON l.id = i.project_id
        LEFT JOIN LATERAL (
            SELECT bb.bac, bb.ev_carried - bb.ev_offset AS shift
            FROM projects_budgetbaseline bb
            WHERE bb.project_id = i.project_id AND bb.effective_month <= i.month
            ORDER BY bb.effective_month DESC LIMIT 1
        ) b ON true
    ),
    ev_step AS (
        -- How much each project's EV moved that month; summed and accumulated below.
        SELECT portfolio_id, month,
               ev - COALESCE(LAG(ev) OVER (PARTITION BY project_id ORDER BY month), 0) AS step
        FROM project_month_ev
    ),
    ev_month AS (
        SELECT portfolio_id, month, SUM(step) AS step FROM ev_step GROUP BY portfolio_id, month
    ),
    months AS (
        SELECT COALESCE(m.portfolio_id, e.portfolio_id) AS portfolio_id,
               COALESCE(m.month, e.month) AS month,
               COALESCE(m.planned, 0) AS planned, COALESCE(m.actual, 0) AS actual,
               COALESCE(m.forecast, 0) AS forecast, COALESCE(e.step, 0) AS step
        FROM money m FULL JOIN ev_month e
             ON e.portfolio_id = m.portfolio_id AND e.month = m.month
    )
    INSERT INTO portfolio_portfoliomonth (portfolio_id, month, planned, actual, forecast, ev)
    SELECT portfolio_id, month, planned, actual, forecast,
           SUM(step) OVER (PARTITION BY portfolio_id ORDER BY month)
    FROM months
    """,
    """
    DELETE FROM portfolio_portfoliodemand
    WHERE portfolio_id IN (SELECT portfolio_id FROM rollup_touched)
    """,
    """
    INSERT INTO portfolio_portfoliodemand (portfolio_id, month, resource_group, hours)
    SELECT p.portfolio_id, a.month, r."group", SUM(a.hours)
    FROM projects_allocation a
    JOIN projects_project p ON p.id = a.project_id
    JOIN rollup_touched t ON t.portfolio_id = p.portfolio_id
    JOIN portfolio_resource r ON r.id = a.resource_id
    WHERE p.state NOT IN ('cancelled', 'closed')
      -- A project on hold keeps what it booked before its hold date's month (this month,
      -- without a recorded date) and releases the rest: the ranking's rule too.
      AND NOT (p.state = 'on_hold'
               AND a.month >= date_trunc('month', COALESCE(p.on_hold_since, %(as_of)s::date)))
    GROUP BY p.portfolio_id, a.month, r."group"
    """,
)

# Snapshot the generations we are about to compute (creating state rows for projects that
# never had one), so the final mark records exactly what this pass covered.
_CLAIM = (
    """
    INSERT INTO projects_rollupstate (project_id, requested, computed, stale_since)
    SELECT p.id, 1, 0, %(now)s FROM projects_project p
    WHERE %(all)s OR p.id = ANY(%(ids)s::bigint[])
    ON CONFLICT (project_id) DO NOTHING
    """,
    """
    CREATE TEMP TABLE IF NOT EXISTS rollup_claim (project_id bigint PRIMARY KEY,
                                                  generation bigint) ON COMMIT DROP
    """,
    "TRUNCATE rollup_claim",
    """
    INSERT INTO rollup_claim
    SELECT s.project_id, s.requested FROM projects_rollupstate s
    WHERE %(all)s OR s.project_id = ANY(%(ids)s::bigint[])
    """,
)

_MARK = """
UPDATE projects_rollupstate s
SET computed = GREATEST(s.computed, c.generation),
    computed_at = %(now)s,
    stale_since = CASE WHEN s.requested <= c.generation THEN NULL ELSE s.stale_since END
FROM rollup_claim c
WHERE c.project_id = s.project_id
"""


PORTFOLIO_SUM_LOCK = 7_301_002

# A recompute marks the series of its projects' portfolios stale (ordered, so two recomputes
# lock the state rows in the same order); rebuild_series claims the marked generations,
# rebuilds and records them, as _CLAIM and _MARK do for projects.
_SERIES_STALE = """
INSERT INTO portfolio_portfolioseriesstate (portfolio_id, requested, computed, stale_since)
SELECT DISTINCT portfolio_id, 1, 0, %(now)s::timestamptz FROM projects_project
WHERE %(all)s OR id = ANY(%(ids)s::bigint[])
ORDER BY portfolio_id
ON CONFLICT (portfolio_id) DO UPDATE
SET requested = portfolio_portfolioseriesstate.requested + 1,
    stale_since = COALESCE(portfolio_portfolioseriesstate.stale_since, EXCLUDED.stale_since)
"""

_SERIES_CLAIM = (
    """
    CREATE TEMP TABLE IF NOT EXISTS rollup_touched (portfolio_id bigint PRIMARY KEY,
                                                    generation bigint) ON COMMIT DROP
    """,
    "TRUNCATE rollup_touched",
    """
    INSERT INTO rollup_touched
    SELECT portfolio_id, requested FROM portfolio_portfolioseriesstate
    WHERE stale_since IS NOT NULL
    """,
)

_SERIES_MARK = """
WITH locked AS (
    SELECT portfolio_id FROM portfolio_portfolioseriesstate
    WHERE portfolio_id IN (SELECT portfolio_id FROM rollup_touched)
    ORDER BY portfolio_id FOR UPDATE
)
UPDATE portfolio_portfolioseriesstate s
SET computed = GREATEST(s.computed, t.generation),
    computed_at = %(now)s,
    stale_since = CASE WHEN s.requested <= t.generation THEN NULL ELSE s.stale_since END
FROM rollup_touched t
WHERE t.portfolio_id = s.portfolio_id AND s.portfolio_id IN (SELECT portfolio_id FROM locked)
"""


@dataclass(frozen=True)
class RecomputeResult:
    projects: int
    as_of: date


def recompute(
    *, project_ids: list[int] | None = None, as_of: date | None = None
) -> RecomputeResult:
    """Recompute the rollups of `project_ids` (all projects when None) as of a date."""
    as_of = as_of or timezone.localdate()
    ids = sorted(set(project_ids or []))
    if project_ids is not None and not ids:
        return RecomputeResult(0, as_of)
    policy = HealthPolicy.current()
    fy_start = policy.fiscal_year_start_month
    fy_first, fy_last = fiscal_year_months(
        current_fiscal_year(as_of, start_month=fy_start), start_month=fy_start
    )
    params = {
        "fy_first": fy_first,
        "fy_last": fy_last,
        "all": project_ids is None,
        "ids": ids,
        "as_of": as_of,
        "now": timezone.now(),
        "report_due": report_due_period_end(as_of),
        "cpi_amber": policy.cpi_amber,
        "cpi_red": policy.cpi_red,
        "spi_amber": policy.spi_amber,
        "spi_red": policy.spi_red,
        "slip_amber": policy.slip_amber_days,
        "slip_red": policy.slip_red_days,
        "risk_amber": policy.risk_amber_score,
        "risk_red": policy.risk_red_score,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # JIT compilation costs more than it saves on these one-off statements (bench/README).
        cursor.execute("SET LOCAL jit = off")
        for statement in _CLAIM:
            cursor.execute(statement, params if "%(" in statement else None)
        cursor.execute(_UPSERT, params)
        count = cursor.rowcount
        # Portfolio sums read other projects' committed rows: two recomputes summing the same
        # portfolio at once would each miss the other's projects. This lock (held to commit)
        # makes the second one sum after the first has committed.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PORTFOLIO_SUM_LOCK])
        cursor.execute(_PORTFOLIOS, params)
        cursor.execute(_SERIES_STALE, params)
        if project_ids is None:
            # The full (nightly) recompute rebuilds every series in the same transaction.
            _rebuild_series(cursor, params["now"], as_of)
        cursor.execute(_MARK, params)
        figure_cache.new_generation_on_commit()
    return RecomputeResult(count, as_of)


def _rebuild_series(cursor, now, as_of: date) -> int:
    for statement in _SERIES_CLAIM:
        cursor.execute(statement)
    touched = cursor.rowcount
    for statement in _SERIES:
        cursor.execute(statement, {"as_of": as_of} if "%(" in statement else None)
    cursor.execute(_SERIES_MARK, {"now": now})
    figure_cache.new_generation_on_commit()
    return touched


# The tables a full recompute rewrites row by row.
REWRITTEN_TABLES = (
    "projects_projectrollup",
    "projects_rollupstate",
    "portfolio_portfoliorollup",
    "portfolio_portfoliomonth",
    "portfolio_portfoliodemand",
    "portfolio_portfolioseriesstate",
)


def vacuum_rewritten() -> bool:
    """After a full recompute: reclaim the row versions it replaced (one per project) and
    refresh the planner's statistics now, not when autovacuum next wakes. Until then the
    dashboard's index scans wade through the dead versions and its plans are made from
    stale counts (at 50,000 projects: 127 ms a page instead of 60). VACUUM cannot run inside
    a transaction; there it is skipped (False)."""
    if connection.in_atomic_block:
        return False
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) " + ", ".join(REWRITTEN_TABLES))
    return True


def rebuild_series(*, as_of: date | None = None) -> int:
    """Rebuild the monthly series of every portfolio marked stale; the number rebuilt.

    Callers serialise it (reporting.tasks holds an advisory lock): two rebuilds of one
    portfolio at once would both delete and re-insert its months.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        return _rebuild_series(cursor, timezone.now(), as_of or timezone.localdate())


_SNAPSHOT = """
INSERT INTO projects_projectrollupsnapshot (
    taken_on, project_id, portfolio_id, state, bac, pv, ev, ac, eac, cpi, spi, slip_days,
    exposure, health_rag, reported_rag, milestones_slipping, milestones_achieved,
    milestones_on_time, open_risks, high_risks, fy_plan, status_overdue
)
SELECT %(taken_on)s, project_id, portfolio_id, state, bac, pv, ev, ac, eac, cpi, spi,
       slip_days, exposure, health_rag, reported_rag, milestones_slipping,
       milestones_achieved, milestones_on_time, open_risks, high_risks, fy_plan,
       -- The engine's no_current_report predicate, against the period due at the rollup's
       -- own as_of (projects.metrics.report_due_period_end: last month's last day).
       first_report_due <= (date_trunc('month', as_of) - interval '1 day')::date
       AND (last_report_period_end IS NULL
            OR last_report_period_end < (date_trunc('month', as_of) - interval '1 day')::date)
FROM projects_projectrollup
ON CONFLICT (taken_on, project_id) DO UPDATE SET
    portfolio_id = EXCLUDED.portfolio_id, state = EXCLUDED.state, bac = EXCLUDED.bac,
    pv = EXCLUDED.pv, ev = EXCLUDED.ev, ac = EXCLUDED.ac, eac = EXCLUDED.eac,
    cpi = EXCLUDED.cpi, spi = EXCLUDED.spi, slip_days = EXCLUDED.slip_days,
    exposure = EXCLUDED.exposure, health_rag = EXCLUDED.health_rag,
    reported_rag = EXCLUDED.reported_rag, milestones_slipping = EXCLUDED.milestones_slipping,
    milestones_achieved = EXCLUDED.milestones_achieved,
    milestones_on_time = EXCLUDED.milestones_on_time, open_risks = EXCLUDED.open_risks,
    high_risks = EXCLUDED.high_risks, fy_plan = EXCLUDED.fy_plan,
    status_overdue = EXCLUDED.status_overdue
"""


def snapshot(*, taken_on: date | None = None) -> int:
    """Copy every project's rollup into the dated history, one row per project and day: a
    second snapshot the same day (a report run after the weekly one) replaces the first, so
    the day's row holds the figures the last report of that day printed."""
    with connection.cursor() as cursor:
        cursor.execute(_SNAPSHOT, {"taken_on": taken_on or timezone.localdate()})
        return cursor.rowcount
