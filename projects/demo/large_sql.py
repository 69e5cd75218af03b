"""The statements of the large generator, in the order they run (see large.py).

Conventions: `r(key, salt, n)` is a deterministic pseudo-random integer in [0, n) (large.Rand);
every salt is used once, so no two decisions are correlated by accident. `%(name)s` are
parameters from LargeBuilder._params. Ids are arithmetic on the project id, so they are the
same on every run; some tables leave gaps (a project without issues keeps its id range).
`mod()` rather than the % operator, which the driver would read as a placeholder.
"""

# ruff: noqa: S608 -- SQL assembled from constants and integers; values are parameters
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from projects.demo import texts

if TYPE_CHECKING:
    from projects.demo.large import LargeBuilder

R = Callable[[str, int, "int | str"], str]
T = "%(today)s::date"
THIS_MONTH = f"date_trunc('month', {T})::date"


def ts(day: str, hour: int) -> str:
    """A timestamp in UTC at `hour` on the SQL date `day`."""
    return f"(({day}) + time '{hour:02d}:00') AT TIME ZONE 'UTC'"


def _slots() -> str:
    rows = [
        f"('{group}', {slot}, '{expense}', '{category}', {share})"
        for group, slots in texts.COST_SLOTS.items()
        for slot, (expense, category, share) in enumerate(slots)
    ]
    return f"(VALUES {', '.join(rows)}) AS s(grp, slot, expense, category, share)"


def statements(r: R, b: LargeBuilder) -> Iterator[str]:
    from projects.demo.large import COST_MONTHS, COST_SLOTS, MILESTONES_PER_PROJECT

    npm, nq = len(b.pms), 16
    ms, cm = MILESTONES_PER_PROJECT, COST_MONTHS
    yield "DROP TABLE IF EXISTS seed_p"
    # --- each project's story --------------------------------------------------------------
    yield f"""
    CREATE TEMP TABLE seed_p ON COMMIT DROP AS
    WITH b AS (
        SELECT g AS id, 1 + mod(g - 1, {b.portfolios}) AS portfolio_id, 1 + {r("g", 6, 8)} AS cat,
               {r("g", 1, 30)} - 24 AS start_offset, 10 + {r("g", 2, 15)} AS build_months,
               {r("g", 3, 20)} AS start_day, {r("g", 4, 100)} AS slip_roll,
               {r("g", 5, 120)} AS slip_size, {r("g", 7, 100)} AS state_roll,
               1 + {r("g", 10, npm)} AS pm_idx
        FROM generate_series(1, %(n)s) g
    ), d AS (
        SELECT b.*,
               (date_trunc('month', {T}) + make_interval(months => start_offset))::date
                   + start_day AS start_date,
               CASE WHEN slip_roll < 50 THEN 0 WHEN slip_roll < 85 THEN 5 + mod(slip_size, 30)
                    ELSE 35 + mod(slip_size, 86) END AS slip_plan
        FROM b
    ), e AS (
        SELECT d.*, (start_date + make_interval(months => build_months))::date - 1 AS finish_date,
               CASE WHEN start_date > {T} THEN 0 ELSE slip_plan END AS slip
        FROM d
    ), s AS (
        SELECT e.*, finish_date + slip AS eff_finish,
               CASE WHEN start_date > {T} THEN
                        CASE WHEN mod(state_roll, 2) = 0 THEN 'proposed' ELSE 'approved' END
                    WHEN finish_date + slip < {T} THEN
                        CASE WHEN state_roll < 8 THEN 'cancelled' ELSE 'closed' END
                    WHEN state_roll < 7 THEN 'on_hold' ELSE 'active' END AS state
        FROM e
    ), w AS (
        SELECT s.*,
               CASE state WHEN 'closed' THEN eff_finish
                   WHEN 'cancelled'
                        THEN least(start_date + (eff_finish - start_date) * 2 / 5, {T} - 1)
                   WHEN 'active' THEN {T} WHEN 'on_hold' THEN {T} END AS end_date,
               least(start_date, {T}) - (14 + {r("s.id", 17, 60)}) AS created
        FROM s
    )
    SELECT w.*,
           greatest(created, least(coalesce(end_date, {T}), {T} - 1)) AS raid_last,
           (%(categories)s::text[])[cat] AS category,
           (%(main_group)s::int[])[cat] AS main_group,
           (%(cost_group)s::text[])[cat] AS cost_group,
           (%(objective)s::int[])[cat] AS objective_id,
           (%(pms)s::int[])[pm_idx] AS manager_id,
           (%(pm_resources)s::int[])[pm_idx] AS pm_resource_id,
           (%(directors)s::int[])[portfolio_id] AS director_id,
           (%(sponsors)s::int[])[1 + {r("w.id", 11, 3)}] AS sponsor_id,
           CASE WHEN {r("w.id", 14, 100)} < 30
                THEN (portfolio_id - 1) * 3 + 1 + {r("w.id", 15, 3)} END AS program_id,
           (ARRAY['waterfall', 'agile', 'hybrid'])[1 + {r("w.id", 13, 3)}] AS delivery,
           CASE WHEN {r("w.id", 8, 100)} < 75 THEN 920 + {r("w.id", 12, 160)}
                ELSE 1080 + {r("w.id", 12, 220)} END
               + CASE WHEN slip > 0 THEN 30 ELSE 0 END AS cf,
           (CASE WHEN {r("w.id", 9, 100)} < 50 THEN 80000 + {r("w.id", 16, 320)} * 1000
                 WHEN {r("w.id", 9, 100)} < 85 THEN 400000 + {r("w.id", 16, 1100)} * 1000
                 ELSE 1500000 + {r("w.id", 16, 6500)} * 1000 END)::numeric AS bac_target,
           (%(portfolio_codes)s::text[])[portfolio_id] || '-'
               || lpad(w.id::text, greatest(5, length(w.id::text)), '0') AS code,
           (%(names)s::text[])[(cat - 1) * 6 + 1 + {r("w.id", 18, 6)}] || ' – '
               || (%(qualifiers)s::text[])[1 + {r("w.id", 19, nq)}] AS name
    FROM w
    """
    yield "ALTER TABLE seed_p ADD PRIMARY KEY (id)"
    yield "ANALYZE seed_p"
    yield f"""
    INSERT INTO projects_project (id, code, name, description, portfolio_id, program_id,
        manager_id, sponsor_id, category, delivery_method, state, current_gate, phase,
        baseline_start, baseline_finish, forecast_finish, actual_finish, budget_at_completion,
        version, created_at, updated_at)
    SELECT id, code, name, '', portfolio_id, program_id, manager_id, sponsor_id, category,
           delivery, state,
           CASE state WHEN 'proposed' THEN ''
               WHEN 'approved' THEN 'Gate 1 – Approval to proceed'
               WHEN 'closed' THEN 'Gate 5 – Closure'
               WHEN 'cancelled' THEN 'Gate 2 – Design approved'
               ELSE CASE WHEN ({T} - start_date) * 10 < (eff_finish - start_date) * 3
                              THEN 'Gate 2 – Design approved'
                         WHEN ({T} - start_date) * 4 < (eff_finish - start_date) * 3
                              THEN 'Gate 3 – Ready to build'
                         ELSE 'Gate 4 – Ready for go-live' END END,
           '', start_date, finish_date, CASE WHEN state <> 'cancelled' THEN eff_finish END,
           CASE WHEN state = 'closed' THEN eff_finish END, bac_target, 1, {ts("created", 10)},
           {ts("greatest(created, least(coalesce(end_date, created), " + T + " - 1))", 16)}
    FROM seed_p
    """
    # --- cost plan: 24 months × 4 slots from the start month --------------------------------
    # Build months follow the budget (±20 %); after go-live only opex runs on (15 %); months a
    # slip adds still cost capex. Past months carry actuals, later months a forecast.
    yield f"""
    INSERT INTO projects_costline (id, project_id, month, expense_type, category, planned,
        actual, forecast, version)
    SELECT c.cid, p.id, c.month, s.expense, s.category, c.planned, a.actual,
           CASE WHEN c.month < {THIS_MONTH} THEN a.actual
                WHEN p.state IN ('closed', 'cancelled') THEN 0 ELSE round(x.spend, 2) END, 1
    FROM seed_p p
    CROSS JOIN generate_series(0, {cm - 1}) k
    JOIN {_slots()} ON s.grp = p.cost_group
    CROSS JOIN LATERAL (
        SELECT (p.id - 1) * {cm * COST_SLOTS} + k * {COST_SLOTS} + s.slot + 1 AS cid,
               (date_trunc('month', p.start_date) + make_interval(months => k))::date AS month,
               p.bac_target * s.share / 100 / p.build_months AS rate
    ) c0
    CROSS JOIN LATERAL (
        SELECT c0.cid, c0.month,
               CASE WHEN k < p.build_months
                        THEN round(c0.rate * (80 + {r("c0.cid", 31, 41)}) / 100, 2)
                    WHEN s.expense = 'opex' THEN round(c0.rate * 0.15, 2)
                    ELSE 0 END AS planned
    ) c
    CROSS JOIN LATERAL (
        SELECT c.planned * p.cf / 1000
               + CASE WHEN s.expense = 'capex' AND k >= p.build_months
                           AND k < p.build_months + ceil(p.slip / 30.0)
                      THEN c0.rate / 2 ELSE 0 END AS spend
    ) x
    CROSS JOIN LATERAL (
        SELECT CASE WHEN c.month < {THIS_MONTH} AND c.month <= p.end_date
                    THEN round(x.spend * (90 + {r("c.cid", 32, 21)}) / 100, 2)
                    ELSE 0 END AS actual
    ) a
    """
    # The budget at completion is the plan's total, exactly.
    yield """
    UPDATE projects_project pr SET budget_at_completion = t.total
    FROM (SELECT project_id, sum(planned) AS total FROM projects_costline GROUP BY project_id) t
    WHERE pr.id = t.project_id
    """
    yield """
    INSERT INTO portfolio_portfoliobudget (id, portfolio_id, fiscal_year, amount)
    SELECT row_number() OVER (ORDER BY portfolio_id, year), portfolio_id, year,
           round(total * (105 + mod(portfolio_id * 7 + year, 11)) / 100, -4)
    FROM (SELECT pr.portfolio_id, extract(year FROM c.month)::int AS year,
                 sum(c.planned) AS total
          FROM projects_costline c JOIN projects_project pr ON pr.id = c.project_id
          GROUP BY 1, 2) y
    """
    # --- milestones: 20 phases; a slip grows along the plan, the last one slips in full ------
    yield f"""
    INSERT INTO projects_milestone (id, project_id, name, description, is_key, weight,
        baseline_date, forecast_date, actual_date, version)
    SELECT (p.id - 1) * {ms} + k + 1, p.id, (%(phases)s::text[])[k + 1], '',
           k = ANY(%(key_phases)s::int[]),
           CASE WHEN k = ANY(%(key_phases)s::int[]) THEN 3 ELSE 1 END,
           m.baseline, m.forecast,
           CASE WHEN m.forecast <= p.end_date AND m.forecast < {T} THEN m.forecast END,
           CASE WHEN p.slip * k / {ms - 1} > 0 AND k = ANY(%(key_phases)s::int[]) THEN 4 ELSE 1 END
    FROM seed_p p
    CROSS JOIN generate_series(0, {ms - 1}) k
    CROSS JOIN LATERAL (
        SELECT p.start_date + (p.finish_date - p.start_date) * k / {ms - 1} AS baseline
    ) m0
    CROSS JOIN LATERAL (
        SELECT m0.baseline, m0.baseline + p.slip * k / {ms - 1} AS forecast
    ) m
    """
    # The forecast history of slipped key milestones: the baseline, then three re-forecasts
    # at dates spread between the start and the day the slip was last known.
    yield f"""
    INSERT INTO projects_milestoneforecast (id, milestone_id, as_of, forecast_date, reason,
        recorded_by_id, recorded_at)
    SELECT (m.id - 1) * 4 + j + 1, m.id, h.as_of,
           m.baseline_date + (m.forecast_date - m.baseline_date) * j / 3,
           CASE WHEN j = 0 THEN 'Baseline plan'
                ELSE (%(reasons)s::text[])[1 + {r("m.id * 4 + j", 40, len(texts.SLIP_REASONS))}]
           END,
           p.manager_id, {ts("h.as_of", 17)}
    FROM projects_milestone m
    JOIN seed_p p ON p.id = m.project_id
    CROSS JOIN generate_series(0, 3) j
    CROSS JOIN LATERAL (
        SELECT p.start_date + (least(m.forecast_date, p.end_date, {T} - 1) - p.start_date) * j / 3
               AS as_of
    ) h
    WHERE m.forecast_date > m.baseline_date AND m.is_key AND p.end_date IS NOT NULL
    """
    yield from _status_reports(r, b)
    from projects.demo.large_raid import statements as raid_statements

    yield from raid_statements(r, b)


def _status_reports(r: R, b: LargeBuilder) -> Iterator[str]:
    """Monthly reports over the last (up to) twelve months of each project's working life.

    RAG follows the project: schedule from the slip known by then, cost from the cost factor,
    risk and scope from a roll. The latest report of a running project may still be a draft.
    """
    nr = len(texts.SLIP_REASONS)
    yield f"""
    INSERT INTO projects_statusreport (id, project_id, period_end, state, overall_rag,
        schedule_rag, cost_rag, scope_rag, risk_rag, narrative, achievements, next_steps,
        percent_complete, author_id, submitted_at, version, created_at, updated_at,
        correction_reason)
    SELECT q.rid, p.id, q.period_end, CASE WHEN x.draft THEN 'draft' ELSE 'submitted' END,
           o.overall, g.schedule, g.cost, g.scope, g.risk,
           (%(openings)s::text[])[o.rag_index * 3 + 1 + {r("q.rid", 55, 3)}]
               || ' Current focus: ' || (%(phases)s::text[])[least(20, f.idx + 2)] || '.'
               || CASE WHEN f.slip_known > 0 THEN ' Forecast ' || f.slip_known
                       || ' days behind the baseline: '
                       || (%(reasons)s::text[])[1 + {r("p.id", 56, nr)}] || '.' ELSE '' END
               || CASE WHEN g.cost <> 'green' THEN ' Spend is running above plan; the forecast '
                       || 'at completion is ' || round((p.cf - 1000) / 10.0) || ' %% over budget.'
                  ELSE '' END,
           CASE WHEN f.idx = 0 THEN 'Project mobilised; team on board.'
                ELSE 'Completed: ' || (%(phases)s::text[])[f.idx + 1] || '.' END,
           'Next milestone: ' || (%(phases)s::text[])[least(20, f.idx + 2)] || '.',
           CASE WHEN p.state = 'closed' AND q.j = 0 THEN 100
                ELSE round(least(99, 100 * f.done), 2) END,
           p.manager_id,
           CASE WHEN NOT x.draft THEN x.sent_at END,
           1, {ts("q.period_end + 1", 8)},
           CASE WHEN x.draft THEN {ts("q.period_end + 1", 8)}
                ELSE x.sent_at END,
           ''
    FROM seed_p p
    CROSS JOIN generate_series(0, 11) j
    CROSS JOIN LATERAL (
        SELECT j, (p.id - 1) * 12 + j + 1 AS rid,
               (date_trunc('month', least(p.end_date, {THIS_MONTH} - 1))
                - make_interval(months => j - 1))::date - 1 AS period_end
    ) q
    CROSS JOIN LATERAL (
        SELECT least(1, greatest(0, (q.period_end - p.start_date)::numeric
                     / greatest(1, p.eff_finish - p.start_date))) AS fraction,
               (extract(year FROM q.period_end) - extract(year FROM p.start_date)) * 12
                   + extract(month FROM q.period_end) - extract(month FROM p.start_date) AS months
    ) f0
    CROSS JOIN LATERAL (
        SELECT f0.fraction, floor(f0.fraction * 19)::int AS idx,
               round(p.slip * f0.fraction)::int AS slip_known,
               -- Work done: the plan's share to date, stretched by the slip (EV tracks PV).
               least(1, (f0.months + 1)::numeric / p.build_months)
                   * (p.finish_date - p.start_date) / greatest(1, p.eff_finish - p.start_date)
                   AS done
    ) f
    CROSS JOIN LATERAL (
        SELECT CASE WHEN f.slip_known < 7 THEN 'green' WHEN f.slip_known < 30 THEN 'amber'
                    ELSE 'red' END AS schedule,
               CASE WHEN p.cf > 1120 AND f.fraction > 0.4 THEN 'red'
                    WHEN p.cf > 1040 AND f.fraction > 0.2 THEN 'amber' ELSE 'green' END AS cost,
               CASE WHEN {r("q.rid", 50, 10)} < 6 THEN 'green'
                    WHEN {r("q.rid", 50, 10)} < 9 THEN 'amber' ELSE 'red' END AS risk,
               CASE WHEN {r("q.rid", 51, 12)} = 0 THEN 'amber' ELSE 'green' END AS scope
    ) g
    CROSS JOIN LATERAL (
        SELECT CASE WHEN 'red' IN (g.schedule, g.cost) THEN 'red'
                    WHEN 'green' = ALL (ARRAY[g.schedule, g.cost, g.risk, g.scope]) THEN 'green'
                    ELSE 'amber' END AS overall
    ) o0
    CROSS JOIN LATERAL (
        SELECT o0.overall,
               CASE o0.overall WHEN 'green' THEN 0 WHEN 'amber' THEN 1 ELSE 2 END AS rag_index
    ) o
    CROSS JOIN LATERAL (
        SELECT {ts(f"least(q.period_end + 1 + {r('q.rid', 53, 4)}, {T} - 1)", 9)}
                   + {r("q.rid", 54, 480)} * interval '1 minute' AS sent_at,
               q.j = 0 AND p.state IN ('active', 'on_hold')
               AND (q.period_end + 1 + {r("q.rid", 53, 4)} >= {T} OR {r("p.id", 52, 5)} = 0)
               AS draft
    ) x
    WHERE p.end_date IS NOT NULL AND q.period_end >= p.start_date
    """
