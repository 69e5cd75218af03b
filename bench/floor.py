"""The floor the rollup engine is measured against: the same figures as ONE read-only SELECT.

`FLOOR_SQL` is written apart from reporting/engine.py and computes what a full recompute
writes: per project the latest submitted status report up to the date, the cost lines up to
that status date (planned value pro rata in the status month), the milestone counts and slip,
the open risks' exposure and EMV, the pending scope changes, the weighted priority score, then
the EVM ratios and the rule health (PV on the plan in force, EV at the budget of the baseline
in force); per portfolio the monthly S-curve (planned, actual,
forecast, earned value) and the capacity demand per resource group. Each set of rows is folded
into totals (`SELECT count(*), sum(…) FROM (…)`), so PostgreSQL produces every row without
shipping them to Python or writing anything.

`ROLLUP_TOTALS_SQL` folds the rollup tables the same way. After a full recompute the two give
the same totals; the harness checks that, so the ratio compares equal work, not a shortcut.
When the engine learns a new figure, this file must learn it too: the check says when not.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection

from portfolio.models import HealthPolicy

# The names of the totals, in the order both statements return them.
TOTALS = (
    "projects",
    "portfolios",
    "pv",
    "ev",
    "ac",
    "cpi",
    "spi",
    "eac",
    "tcpi",
    "slip_days",
    "milestones_total",
    "milestones_slipping",
    "milestones_achieved",
    "milestones_on_time",
    "on_time_rate",
    "open_risks",
    "high_risks",
    "exposure",
    "emv",
    "pending_scope_changes",
    "priority_score",
    "health_red",
    "health_amber",
    "month_rows",
    "month_planned",
    "month_actual",
    "month_forecast",
    "month_ev",
    "demand_rows",
    "demand_hours",
)

FLOOR_SQL = """
WITH report AS (
    SELECT DISTINCT ON (project_id) project_id, percent_complete, period_end
    FROM projects_statusreport
    WHERE state = 'submitted' AND period_end <= %(as_of)s AND NOT EXISTS (
        SELECT 1 FROM projects_statusreport c WHERE c.supersedes_id = projects_statusreport.id)
    ORDER BY project_id, period_end DESC
),
last_in_month AS (
    -- Each project's last current submitted report in each month (the S-curve's reports).
    SELECT DISTINCT ON (project_id, date_trunc('month', period_end))
           project_id, date_trunc('month', period_end)::date AS month, percent_complete
    FROM projects_statusreport s
    WHERE state = 'submitted'
      AND NOT EXISTS (SELECT 1 FROM projects_statusreport c WHERE c.supersedes_id = s.id)
    ORDER BY project_id, date_trunc('month', period_end), period_end DESC
),
plan_lines AS NOT MATERIALIZED (
    -- The plan in force, with the money booked (inlined where used, not materialised): a
    -- re-baselined project's months before its newest baseline as frozen then, its cost
    -- lines from that month on.
    SELECT cl.project_id, cl.month, cl.actual, cl.forecast,
           CASE WHEN fb.frozen_before IS NULL OR cl.month >= fb.frozen_before
                THEN cl.planned ELSE 0 END AS planned
    FROM projects_costline cl
    LEFT JOIN (SELECT project_id, max(effective_month) AS frozen_before
               FROM projects_budgetbaseline GROUP BY project_id) fb
      ON fb.project_id = cl.project_id
    UNION ALL
    SELECT b.project_id, bm.month, 0, 0, bm.planned
    FROM projects_budgetbaselinemonth bm
    JOIN projects_budgetbaseline b ON b.id = bm.baseline_id
),
ev_basis AS (
    -- What each project's earned value by month rests on: its method, milestone weight, and
    -- the months it started and finished (joined once, not looked up per project).
    SELECT p.id AS project_id, p.portfolio_id, p.budget_at_completion AS bac,
           COALESCE(NULLIF(p.ev_method, ''), pf.ev_method) AS method, w.weight,
           LEAST(date_trunc('month', p.actual_finish)::date, lm.done) AS finished,
           LEAST(fa.first_actual, lm.progressed) AS started
    FROM projects_project p
    JOIN portfolio_portfolio pf ON pf.id = p.portfolio_id
    LEFT JOIN (SELECT project_id, sum(weight) AS weight FROM projects_milestone
               GROUP BY project_id) w ON w.project_id = p.id
    LEFT JOIN (SELECT project_id, min(month) FILTER (WHERE percent_complete = 100) AS done,
                      min(month) FILTER (WHERE percent_complete > 0) AS progressed
               FROM last_in_month GROUP BY project_id) lm ON lm.project_id = p.id
    LEFT JOIN (SELECT project_id, min(month) AS first_actual FROM projects_costline
               WHERE actual > 0 GROUP BY project_id) fa ON fa.project_id = p.id
    WHERE p.state <> 'cancelled'
)
SELECT projects.*, months.*, demand.*
FROM (
    SELECT count(*), count(DISTINCT portfolio_id), sum(pv), sum(ev), sum(ac), sum(cpi),
           sum(spi), sum(eac), sum(tcpi), sum(slip), sum(total), sum(slipping), sum(achieved),
           sum(on_time), sum(on_time_rate), sum(open_risks), sum(high_risks), sum(exposure),
           sum(emv), sum(pending), sum(priority), count(*) FILTER (WHERE health = 2),
           count(*) FILTER (WHERE health = 1)
    FROM (
        SELECT f.*,
               GREATEST(
                   CASE WHEN spi < %(spi_red)s THEN 2 WHEN spi < %(spi_amber)s THEN 1 ELSE 0 END,
                   CASE WHEN slip >= %(slip_red)s THEN 2 WHEN slip >= %(slip_amber)s THEN 1
                        ELSE 0 END,
                   CASE WHEN cpi < %(cpi_red)s THEN 2 WHEN cpi < %(cpi_amber)s THEN 1 ELSE 0 END,
                   CASE WHEN top_score >= %(risk_red)s THEN 2
                        WHEN top_score >= %(risk_amber)s THEN 1 ELSE 0 END,
                   CASE WHEN pending > 0 THEN 1 ELSE 0 END) AS health
        FROM (
            SELECT v.*,
                   CASE WHEN ac <> 0 THEN ROUND(ev / ac, 4) END AS cpi,
                   CASE WHEN pv <> 0 THEN ROUND(ev / pv, 4) END AS spi,
                   CASE WHEN ac <> 0 AND ev <> 0 THEN ROUND(bac * ac / ev, 2)
                        WHEN ac > bac THEN ac ELSE bac END AS eac,
                   CASE WHEN bac <> ac THEN ROUND((bac - ev) / (bac - ac), 4) END AS tcpi,
                   CASE WHEN achieved > 0 THEN ROUND(on_time::numeric / achieved, 4) END
                       AS on_time_rate
            FROM (
                SELECT p.portfolio_id, p.budget_at_completion AS bac,
                       (CASE COALESCE(NULLIF(p.ev_method, ''), pf.ev_method)
                           WHEN 'milestones' THEN CASE WHEN w.total > 0 THEN
                               ROUND(bb.bac * w.done / w.total, 2) END
                           WHEN '0_100' THEN CASE WHEN w.finished
                               THEN bb.bac ELSE 0 END
                           WHEN '50_50' THEN CASE WHEN w.finished THEN bb.bac
                               WHEN COALESCE(c.ac, 0) > 0 OR r.percent_complete > 0
                               THEN ROUND(bb.bac / 2, 2) ELSE 0 END
                           ELSE ROUND(bb.bac * r.percent_complete / 100, 2)
                       END) + bb.shift AS ev,
                       COALESCE(c.pv, 0) AS pv, COALESCE(c.ac, 0) AS ac,
                       m.slip, COALESCE(m.total, 0) AS total,
                       COALESCE(m.slipping, 0) AS slipping,
                       COALESCE(m.achieved, 0) AS achieved, COALESCE(m.on_time, 0) AS on_time,
                       COALESCE(k.open_risks, 0) AS open_risks,
                       COALESCE(k.high_risks, 0) AS high_risks,
                       COALESCE(k.exposure, 0) AS exposure, k.top_score,
                       COALESCE(k.emv, 0) AS emv, COALESCE(q.pending, 0) AS pending,
                       CASE WHEN s.total_weight > 0
                            THEN ROUND(s.weighted * 100 / s.total_weight, 2) END AS priority
                FROM projects_project p
                JOIN portfolio_portfolio pf ON pf.id = p.portfolio_id
                LEFT JOIN report r ON r.project_id = p.id
                -- The budget baseline in force on the status date, if re-baselined: EV at
                -- its budget, shifted by what was earned before it.
                CROSS JOIN LATERAL (
                    SELECT COALESCE(max(x.bac), p.budget_at_completion) AS bac,
                           COALESCE(max(x.shift), 0) AS shift
                    FROM (SELECT b.bac, b.ev_carried - b.ev_offset AS shift
                          FROM projects_budgetbaseline b
                          WHERE b.project_id = p.id
                            AND b.effective_month <= COALESCE(r.period_end, %(as_of)s::date)
                          ORDER BY b.effective_month DESC LIMIT 1) x
                ) bb
                -- Earned value's inputs at the status date: milestone weight achieved by
                -- then, and whether the project had finished.
                CROSS JOIN LATERAL (
                    SELECT sum(weight) AS total,
                           coalesce(sum(weight) FILTER (
                               WHERE actual_date <= coalesce(r.period_end, %(as_of)s::date)), 0)
                               AS done,
                           coalesce(p.actual_finish <= coalesce(r.period_end, %(as_of)s::date)
                                    OR r.percent_complete = 100, false) AS finished
                    FROM projects_milestone WHERE project_id = p.id
                ) w
                LEFT JOIN (
                    SELECT l.project_id,
                           SUM(CASE WHEN l.month < date_trunc('month', d.pv_at) THEN l.planned
                                    WHEN l.month > date_trunc('month', d.pv_at) THEN 0
                                    ELSE ROUND(l.planned * EXTRACT(DAY FROM d.pv_at)
                                               / EXTRACT(DAY FROM date_trunc('month', d.pv_at)
                                                         + interval '1 month - 1 day'), 2)
                               END) AS pv,
                           SUM(l.actual) AS ac
                    FROM (SELECT p2.id, COALESCE(r2.period_end, %(as_of)s::date) AS at,
                                 -- on hold: planned value stops at the hold date
                                 CASE WHEN p2.state = 'on_hold' THEN LEAST(
                                     COALESCE(r2.period_end, %(as_of)s::date),
                                     COALESCE(p2.on_hold_since,
                                              date_trunc('month', %(as_of)s::date)::date))
                                 ELSE COALESCE(r2.period_end, %(as_of)s::date) END AS pv_at
                          FROM projects_project p2
                          LEFT JOIN report r2 ON r2.project_id = p2.id) d
                    JOIN plan_lines l
                      ON l.project_id = d.id AND l.month <= date_trunc('month', d.at)
                    GROUP BY l.project_id
                ) c ON c.project_id = p.id
                LEFT JOIN (
                    SELECT project_id, count(*) AS total,
                           max(coalesce(actual_date, forecast_date) - baseline_date)
                               FILTER (WHERE is_key) AS slip,
                           count(*) FILTER (WHERE is_key AND coalesce(actual_date, forecast_date)
                                                             > baseline_date) AS slipping,
                           count(*) FILTER (WHERE actual_date IS NOT NULL) AS achieved,
                           count(*) FILTER (WHERE actual_date <= baseline_date) AS on_time
                    FROM projects_milestone
                    GROUP BY project_id
                ) m ON m.project_id = p.id
                LEFT JOIN (
                    SELECT project_id, count(*) AS open_risks,
                           count(*) FILTER (WHERE probability * impact >= %(risk_red)s)
                               AS high_risks,
                           sum(probability * impact) AS exposure,
                           max(probability * impact) AS top_score,
                           sum(ROUND((ARRAY[0.1, 0.3, 0.5, 0.7, 0.9])[probability]
                                     * COALESCE(cost_impact, 0), 2)) AS emv
                    FROM projects_risk
                    WHERE status <> 'closed'
                    GROUP BY project_id
                ) k ON k.project_id = p.id
                LEFT JOIN (
                    SELECT project_id, count(*) AS pending
                    FROM projects_changerequest
                    WHERE state = 'submitted' AND scope_impact <> ''
                    GROUP BY project_id
                ) q ON q.project_id = p.id
                LEFT JOIN (
                    -- The weighted score, each criterion normalised to 0..1 over its scale.
                    SELECT ps.project_id,
                           SUM(sc.weight * (CASE WHEN sc.higher_is_better
                                                 THEN (ps.score - sc.scale_min)::numeric
                                                 ELSE (sc.scale_max - ps.score)::numeric END)
                               / (sc.scale_max - sc.scale_min)) AS weighted,
                           SUM(sc.weight) AS total_weight
                    FROM projects_projectscore ps
                    JOIN portfolio_scoringcriterion sc ON sc.id = ps.criterion_id
                    WHERE sc.active
                    GROUP BY ps.project_id
                ) s ON s.project_id = p.id
            ) v
        ) f
    ) per_project
) projects
CROSS JOIN (
    -- The S-curve: money per portfolio and month, and the earned value at each month's end
    -- (every project's latest report up to that month, accumulated as month-on-month steps).
    SELECT count(*), sum(planned), sum(actual), sum(forecast), sum(ev)
    FROM (
        SELECT coalesce(mo.portfolio_id, st.portfolio_id) AS portfolio_id,
               coalesce(mo.planned, 0) AS planned, coalesce(mo.actual, 0) AS actual,
               coalesce(mo.forecast, 0) AS forecast,
               sum(coalesce(st.step, 0)) OVER (
                   PARTITION BY coalesce(mo.portfolio_id, st.portfolio_id)
                   ORDER BY coalesce(mo.month, st.month)) AS ev
        FROM (
            SELECT p.portfolio_id, l.month, sum(l.planned) AS planned,
                   sum(l.actual) AS actual, sum(l.forecast) AS forecast
            FROM plan_lines l JOIN projects_project p ON p.id = l.project_id
            WHERE p.state <> 'cancelled'
            GROUP BY p.portfolio_id, l.month
        ) mo
        FULL JOIN (
            SELECT portfolio_id, month, sum(ev - coalesce(previous, 0)) AS step
            FROM (
                SELECT portfolio_id, month, ev,
                       lag(ev) OVER (PARTITION BY project_id ORDER BY month) AS previous
                FROM (
                    SELECT portfolio_id, project_id, month,
                           CASE method
                               WHEN 'percent' THEN ROUND(
                                   COALESCE(bb.bac, moved.bac) * percent_complete / 100, 2)
                               WHEN 'milestones' THEN ROUND(COALESCE(bb.bac, moved.bac) * (
                                   SELECT sum(weight) FROM projects_milestone
                                   WHERE project_id = moved.project_id
                                     AND actual_date < month + interval '1 month') / weight, 2)
                               WHEN '0_100' THEN COALESCE(bb.bac, moved.bac)
                               ELSE CASE WHEN month = finished THEN COALESCE(bb.bac, moved.bac)
                                         ELSE ROUND(COALESCE(bb.bac, moved.bac) / 2, 2) END
                           END + COALESCE(bb.shift, 0) AS ev
                    FROM (
                        -- The months each project's value moved in, by its method: report
                        -- months (percent complete), months a milestone was achieved
                        -- (weighted milestones), the start and finish months (50/50, 0/100).
                        SELECT e.*, k.month
                        FROM ev_basis e
                        JOIN (
                            SELECT l.project_id, l.month FROM last_in_month l
                            JOIN ev_basis b ON b.project_id = l.project_id
                            WHERE b.method = 'percent'
                            UNION
                            SELECT m.project_id, date_trunc('month', m.actual_date)::date
                            FROM projects_milestone m
                            JOIN ev_basis b ON b.project_id = m.project_id
                            WHERE b.method = 'milestones' AND b.weight > 0
                              AND m.actual_date IS NOT NULL
                            UNION
                            SELECT project_id, started FROM ev_basis WHERE method = '50_50'
                              AND started < COALESCE(finished, 'infinity'::date)
                            UNION
                            SELECT project_id, finished FROM ev_basis
                            WHERE method IN ('0_100', '50_50') AND finished IS NOT NULL
                        ) k ON k.project_id = e.project_id
                    ) moved
                    LEFT JOIN last_in_month USING (project_id, month)
                    -- The budget baseline in force in that month, if re-baselined.
                    LEFT JOIN LATERAL (
                        SELECT b.bac, b.ev_carried - b.ev_offset AS shift
                        FROM projects_budgetbaseline b
                        WHERE b.project_id = moved.project_id AND b.effective_month <= month
                        ORDER BY b.effective_month DESC LIMIT 1
                    ) bb ON true
                ) month_end
            ) steps
            GROUP BY portfolio_id, month
        ) st ON st.portfolio_id = mo.portfolio_id AND st.month = mo.month
    ) series
) months
CROSS JOIN (
    -- Capacity demand: hours per portfolio, month and resource group of live projects (on
    -- hold: only what was booked before the month of as_of).
    SELECT count(*), sum(hours)
    FROM (
        SELECT p.portfolio_id, a.month, r."group", sum(a.hours) AS hours
        FROM projects_allocation a
        JOIN projects_project p ON p.id = a.project_id
        JOIN portfolio_resource r ON r.id = a.resource_id
        WHERE p.state NOT IN ('cancelled', 'closed')
          AND NOT (p.state = 'on_hold' AND a.month >= date_trunc(
              'month', COALESCE(p.on_hold_since, %(as_of)s::date)))
        GROUP BY p.portfolio_id, a.month, r."group"
    ) booked
) demand
"""

ROLLUP_TOTALS_SQL = """
SELECT projects.*, months.*, demand.*
FROM (
    SELECT count(*), count(DISTINCT portfolio_id), sum(pv), sum(ev), sum(ac), sum(cpi),
           sum(spi), sum(eac), sum(tcpi), sum(slip_days), sum(milestones_total),
           sum(milestones_slipping), sum(milestones_achieved), sum(milestones_on_time),
           sum(on_time_rate), sum(open_risks), sum(high_risks), sum(exposure), sum(emv),
           sum(pending_scope_changes), sum(priority_score),
           count(*) FILTER (WHERE health_rag = 'red'),
           count(*) FILTER (WHERE health_rag = 'amber')
    FROM projects_projectrollup
) projects
CROSS JOIN (
    SELECT count(*), sum(planned), sum(actual), sum(forecast), sum(ev)
    FROM portfolio_portfoliomonth
) months
CROSS JOIN (SELECT count(*), sum(hours) FROM portfolio_portfoliodemand) demand
"""


def floor_params(as_of: date) -> dict[str, Any]:
    """The date and the PMO's health thresholds, exactly as the engine reads them."""
    policy = HealthPolicy.current()
    return {
        "as_of": as_of,
        "cpi_amber": policy.cpi_amber,
        "cpi_red": policy.cpi_red,
        "spi_amber": policy.spi_amber,
        "spi_red": policy.spi_red,
        "slip_amber": policy.slip_amber_days,
        "slip_red": policy.slip_red_days,
        "risk_amber": policy.risk_amber_score,
        "risk_red": policy.risk_red_score,
    }


def _named(row: tuple) -> dict[str, Decimal | int | None]:
    return dict(zip(TOTALS, row, strict=True))


def floor_totals(*, as_of: date) -> dict[str, Decimal | int | None]:
    """Run the floor statement once and return its totals."""
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, floor_params(as_of))
        return _named(cursor.fetchone())


def rollup_totals() -> dict[str, Decimal | int | None]:
    """The same totals read from the rollup table."""
    with connection.cursor() as cursor:
        cursor.execute(ROLLUP_TOTALS_SQL)
        return _named(cursor.fetchone())


def differences(
    floor: dict[str, Decimal | int | None], rollups: dict[str, Decimal | int | None]
) -> dict[str, tuple]:
    """The totals on which the two disagree, as {name: (floor, rollups)}; empty when equal."""
    return {name: (floor[name], rollups[name]) for name in TOTALS if floor[name] != rollups[name]}
