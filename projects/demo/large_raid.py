"""Large generator, second half: RAID logs, change requests, lessons, scores, links, allocations.

Same conventions as large_sql.py. RAID dates fall between the project's creation and the end
of its work (or yesterday): `p.created` … `p.raid_last`.
"""

# ruff: noqa: S608 -- SQL assembled from constants and integers; values are parameters
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from projects.demo import texts
from projects.demo.large_sql import THIS_MONTH, R, T, ts

if TYPE_CHECKING:
    from projects.demo.large import LargeBuilder

OVER = "p.state IN ('closed', 'cancelled')"
DELIVERED_OR_CREATED = (
    "CASE WHEN q.state = 'closed' THEN greatest(p.created, q.eff_finish) ELSE p.created END"
)


def _day(r: R, key: str, salt: int) -> str:
    """A day in the project's RAID window."""
    return f"p.created + {r(key, salt, '(p.raid_last - p.created) + 1')}"


def statements(r: R, b: LargeBuilder) -> Iterator[str]:
    from projects.demo.large import RISKS_PER_PROJECT

    nrk, nres = len(texts.RISKS), len(texts.RISK_RESOLUTIONS)
    rp = RISKS_PER_PROJECT
    yield f"""
    INSERT INTO projects_risk (id, project_id, title, description, owner_id, due_date, status,
        resolution, closed_at, version, created_at, updated_at, probability, impact,
        cost_impact, response, response_plan)
    SELECT v.rid, p.id, (%(risk_titles)s::text[])[v.t], (%(risk_descriptions)s::text[])[v.t],
           CASE WHEN {r("v.rid", 61, 10)} < 7 THEN p.manager_id ELSE p.sponsor_id END,
           v.created + 30 + {r("v.rid", 67, 90)},
           v.status, CASE WHEN v.status = 'closed'
                          THEN (%(risk_resolutions)s::text[])[1 + {r("v.rid", 68, nres)}]
                          ELSE '' END,
           CASE WHEN v.status = 'closed' THEN {ts("v.closed", 15)} END, 1,
           {ts("v.created", 11)},
           {ts("CASE WHEN v.status = 'closed' THEN v.closed ELSE v.created END", 15)},
           (ARRAY[1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5])
               [1 + {r("v.rid", 63, 20)}],
           (ARRAY[1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 5])
               [1 + {r("v.rid", 64, 20)}],
           CASE WHEN {r("v.rid", 65, 100)} < 60 THEN (1 + {r("v.rid", 66, 40)}) * 2500.00 END,
           (ARRAY['mitigate', 'mitigate', 'mitigate', 'transfer', 'accept', 'avoid'])
               [1 + {r("v.rid", 69, 6)}],
           (%(risk_plans)s::text[])[v.t]
    FROM seed_p p
    CROSS JOIN generate_series(0, {rp - 1}) k
    CROSS JOIN LATERAL (
        SELECT (p.id - 1) * {rp} + k + 1 AS rid,
               1 + mod({r("p.id", 60, nrk)} + k * 3, {nrk}) AS t
    ) v0
    CROSS JOIN LATERAL (
        SELECT v0.rid, v0.t, {_day(r, "v0.rid", 62)} AS created,
               CASE WHEN {OVER} THEN 'closed' WHEN p.end_date IS NULL THEN 'open'
                    WHEN {r("v0.rid", 70, 100)} < 25 THEN 'closed'
                    WHEN {r("v0.rid", 70, 100)} < 55 THEN 'in_progress' ELSE 'open' END AS status
    ) v1
    CROSS JOIN LATERAL (
        SELECT v1.*, v1.created + {r("v1.rid", 71, "(p.raid_last - v1.created) + 1")} AS closed
    ) v
    """
    yield from _issues_and_assumptions(r)
    yield from _links_and_decisions(r, b)
    yield from _allocations(r, b)


def _issues_and_assumptions(r: R) -> Iterator[str]:
    ni, nir = len(texts.ISSUES), len(texts.ISSUE_RESOLUTIONS)
    na, nar = len(texts.ASSUMPTIONS), len(texts.ASSUMPTION_RESOLUTIONS)
    yield f"""
    INSERT INTO projects_issue (id, project_id, title, description, owner_id, due_date, status,
        resolution, closed_at, version, created_at, updated_at, priority)
    SELECT v.iid, p.id, (%(issue_titles)s::text[])[v.t], (%(issue_descriptions)s::text[])[v.t],
           p.manager_id, v.created + 7 + {r("v.iid", 81, 30)}, v.status,
           CASE WHEN v.status = 'closed'
                THEN (%(issue_resolutions)s::text[])[1 + {r("v.iid", 82, nir)}] ELSE '' END,
           CASE WHEN v.status = 'closed' THEN {ts("v.closed", 16)} END, 1, {ts("v.created", 10)},
           {ts("CASE WHEN v.status = 'closed' THEN v.closed ELSE v.created END", 16)},
           (ARRAY['low', 'medium', 'medium', 'high', 'high', 'critical'])[1 + {r("v.iid", 83, 6)}]
    FROM seed_p p
    CROSS JOIN generate_series(0, 1) k
    CROSS JOIN LATERAL (
        SELECT (p.id - 1) * 2 + k + 1 AS iid, 1 + mod({r("p.id", 84, ni)} + k, {ni}) AS t
    ) v0
    CROSS JOIN LATERAL (
        SELECT v0.*, {_day(r, "v0.iid", 85)} AS created,
               CASE WHEN {OVER} OR {r("v0.iid", 86, 100)} < 40 THEN 'closed'
                    WHEN {r("v0.iid", 86, 100)} < 70 THEN 'in_progress' ELSE 'open' END AS status
    ) v1
    CROSS JOIN LATERAL (
        SELECT v1.*, v1.created + {r("v1.iid", 87, "(p.raid_last - v1.created) + 1")} AS closed
    ) v
    WHERE p.end_date IS NOT NULL
    """
    yield f"""
    INSERT INTO projects_assumption (id, project_id, title, description, owner_id, due_date,
        status, resolution, closed_at, version, created_at, updated_at)
    SELECT v.aid, p.id, (%(assumptions)s::text[])[1 + mod({r("p.id", 90, na)} + k, {na})], '',
           p.manager_id, p.start_date + 30 + {r("v.aid", 91, 60)}, v.status,
           CASE WHEN v.status = 'closed'
                THEN (%(assumption_resolutions)s::text[])[1 + {r("v.aid", 92, nar)}] ELSE '' END,
           CASE WHEN v.status = 'closed' THEN {ts("p.raid_last", 12)} END, 1, {ts("p.created", 9)},
           {ts("CASE WHEN v.status = 'closed' THEN p.raid_last ELSE p.created END", 12)}
    FROM seed_p p
    CROSS JOIN generate_series(0, 1) k
    CROSS JOIN LATERAL (
        SELECT (p.id - 1) * 2 + k + 1 AS aid,
               CASE WHEN {OVER} OR (p.end_date IS NOT NULL
                                    AND {r("(p.id - 1) * 2 + k + 1", 93, 2)} = 0)
                    THEN 'closed' ELSE 'open' END AS status
    ) v
    """


def _links_and_decisions(r: R, b: LargeBuilder) -> Iterator[str]:
    n = b.projects
    nd, ncr, nl = len(texts.DEPENDENCY_TITLES), len(texts.CHANGE_REQUESTS), len(texts.LESSONS)
    if n >= 2:
        # Every second project waits on another one; half of them milestone to milestone
        # (its integration testing waits on the other's go-live).
        yield f"""
        INSERT INTO projects_dependency (id, project_id, depends_on_id, milestone_id,
            depends_on_milestone_id, title, description, owner_id, due_date, status, resolution,
            closed_at, version, created_at, updated_at)
        SELECT p.id / 2, p.id, q.id,
               CASE WHEN v.linked THEN (p.id - 1) * 20 + 11 END,
               CASE WHEN v.linked THEN (q.id - 1) * 20 + 17 END,
               (%(dependency_titles)s::text[])[1 + {r("p.id", 101, nd)}], '', p.manager_id,
               q.eff_finish, CASE WHEN q.state = 'closed' THEN 'closed' ELSE 'open' END,
               CASE WHEN q.state = 'closed' THEN 'Delivered.' ELSE '' END,
               CASE WHEN q.state = 'closed' THEN {ts("q.eff_finish", 17)} END, 1,
               {ts("p.created", 10)},
               {ts(DELIVERED_OR_CREATED, 17)}
        FROM seed_p p
        CROSS JOIN LATERAL (
            SELECT 1 + mod(p.id + {r("p.id", 100, n - 1)}, {n}) AS other,
                   {r("p.id", 102, 2)} = 0 AS linked
        ) v
        JOIN seed_p q ON q.id = v.other
        WHERE mod(p.id, 2) = 0
        """
    yield f"""
    INSERT INTO projects_changerequest (id, project_id, title, description, scope_impact,
        schedule_impact_days, cost_impact, state, raised_by_id, submitted_at, decided_by_id,
        decided_at, decision_comment, version, created_at)
    SELECT p.id, p.id, (%(cr_titles)s::text[])[v.t], (%(cr_descriptions)s::text[])[v.t],
           (%(cr_descriptions)s::text[])[v.t], {r("p.id", 111, 61)},
           ({r("p.id", 112, 40)} - 5) * 5000.00, v.state, p.manager_id,
           CASE WHEN v.state <> 'draft' THEN {ts("v.created + 1", 10)} END,
           CASE WHEN v.state IN ('approved', 'rejected') THEN p.director_id END,
           CASE WHEN v.state IN ('approved', 'rejected') THEN {ts("v.decided", 15)} END,
           CASE v.state WHEN 'approved' THEN %(cr_approved)s WHEN 'rejected' THEN %(cr_rejected)s
                WHEN 'withdrawn' THEN 'Withdrawn by the project manager.' ELSE '' END,
           1, {ts("v.created", 9)}
    FROM seed_p p
    CROSS JOIN LATERAL (
        SELECT 1 + {r("p.id", 110, ncr)} AS t, {_day(r, "p.id", 113)} AS created,
               CASE WHEN {OVER} THEN (ARRAY['approved', 'approved', 'approved', 'rejected',
                                            'withdrawn'])[1 + {r("p.id", 114, 5)}]
                    ELSE (ARRAY['draft', 'submitted', 'submitted', 'approved', 'approved',
                                'approved', 'rejected', 'withdrawn'])[1 + {r("p.id", 114, 8)}]
               END AS state
    ) v0
    CROSS JOIN LATERAL (
        SELECT v0.*, least(v0.created + 7 + {r("p.id", 115, 14)}, {T} - 1) AS decided
    ) v
    WHERE p.end_date IS NOT NULL
    """
    yield f"""
    INSERT INTO projects_lessonlearned (id, project_id, title, category, what_happened,
        recommendation, recorded_by_id, created_at)
    SELECT (p.id - 1) * 2 + k + 1, p.id, (%(lesson_titles)s::text[])[v.t],
           (%(lesson_categories)s::text[])[v.t], (%(lesson_happened)s::text[])[v.t],
           (%(lesson_recommendations)s::text[])[v.t], p.manager_id,
           {ts(f"least(p.end_date + 14, {T} - 1)", 15)}
    FROM seed_p p
    CROSS JOIN generate_series(0, 1) k
    CROSS JOIN LATERAL (SELECT 1 + mod({r("p.id", 120, nl)} + k * 2, {nl}) AS t) v
    WHERE p.state = 'closed'
    """
    yield f"""
    INSERT INTO projects_projectscore (id, project_id, criterion_id, score, comment,
        scored_by_id, scored_at)
    SELECT (p.id - 1) * 5 + c, p.id, c, 1 + {r("(p.id - 1) * 5 + c", 130, 5)}, '',
           p.director_id, {ts("p.created + 7", 14)}
    FROM seed_p p CROSS JOIN generate_series(1, {len(texts.SCORING_CRITERIA)}) c
    """
    # Objectives 1–6 are organisation-wide; each portfolio's own objective follows them.
    yield f"""
    INSERT INTO projects_project_objectives (id, project_id, strategicobjective_id)
    SELECT (p.id - 1) * 2 + 1, p.id, p.objective_id FROM seed_p p
    UNION ALL
    SELECT (p.id - 1) * 2 + 2, p.id, {len(texts.ORG_OBJECTIVES)} + p.portfolio_id
    FROM seed_p p WHERE {r("p.id", 140, 2)} = 0
    """
    yield f"""
    INSERT INTO projects_project_delegates (id, project_id, user_id)
    SELECT p.id, p.id, (%(pms)s::int[])[1 + {r("p.id", 151, len(b.pms))}]
    FROM seed_p p
    WHERE {r("p.id", 150, 10)} = 0
      AND (%(pms)s::int[])[1 + {r("p.id", 151, len(b.pms))}] <> p.manager_id
    """


def _allocations(r: R, b: LargeBuilder) -> Iterator[str]:
    """Hours booked from three months back to six ahead: the project manager, someone from
    the category's main group, a business analyst and a tester."""
    pg = b.per_group
    yield f"""
    INSERT INTO projects_allocation (id, project_id, resource_id, month, hours, version)
    SELECT ((p.id - 1) * 10 + k) * 4 + slot + 1, p.id,
           CASE slot WHEN 0 THEN p.pm_resource_id
                ELSE (%(group_first)s::int[])[
                         1 + CASE slot WHEN 1 THEN p.main_group WHEN 2 THEN 5 ELSE 6 END]
                     + {r("p.id * 4 + slot", 160, pg)} END,
           m.month,
           CASE slot WHEN 0 THEN 16 + {r("p.id * 16 + k", 161, 7)} * 4
                ELSE 16 + {r("(p.id * 16 + k) * 4 + slot", 162, 30)} * 4 END, 1
    FROM seed_p p
    CROSS JOIN generate_series(0, 9) k
    CROSS JOIN generate_series(0, 3) slot
    CROSS JOIN LATERAL (SELECT ({THIS_MONTH} + make_interval(months => k - 3))::date AS month) m
    WHERE p.state IN ('active', 'on_hold', 'approved')
      AND m.month BETWEEN date_trunc('month', p.start_date) AND p.eff_finish
    """
