"""The small set's RAID logs, change requests, lessons, scores, team and allocations."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from projects.demo import catalogue as cat
from projects.demo import texts
from projects.demo.dates import add_months, at, month_start
from projects.models import (
    Allocation,
    Assumption,
    ChangeRequest,
    Dependency,
    Issue,
    LessonLearned,
    Project,
    ProjectScore,
    Risk,
)

if TYPE_CHECKING:
    from projects.demo.small import Facts, SmallBuilder

# Which organisation-wide objective (by position in texts.ORG_OBJECTIVES) a category serves.
CATEGORY_OBJECTIVE = {
    "cloud_migration": 0,
    "infrastructure": 0,
    "security": 1,
    "data": 2,
    "erp": 3,
    "software": 3,
    "workplace": 4,
    "network": 5,
}
PRIORITIES = ["low", "medium", "medium", "high", "high", "critical"]
RESPONSES = ["mitigate", "mitigate", "mitigate", "transfer", "accept", "avoid"]


def add_raid_and_people(b: SmallBuilder) -> None:
    for facts in b.projects.values():
        _risks(b, facts)
        _issues_and_assumptions(b, facts)
        _scores_and_objectives(b, facts)
        _lessons(b, facts)
        _allocations(b, facts)
    _dependencies(b)
    _change_requests(b)


def _window(b: SmallBuilder, facts: Facts) -> tuple[date, date]:
    """Dates a RAID entry can carry: from just before the start to the end of work (or today)."""
    first = min(facts.start, b.today) - timedelta(days=10)
    return first, max(first, min(facts.end or b.today, b.today - timedelta(days=1)))


def _day_in(facts: Facts, first: date, last: date) -> date:
    return first + timedelta(days=facts.rng.randint(0, (last - first).days))


def _closing(b: SmallBuilder, facts: Facts, share: float) -> bool:
    """Whether a RAID entry is closed: all of them once the project is over."""
    if facts.spec.state in ("closed", "cancelled"):
        return True
    return facts.end is not None and facts.rng.random() < share


def _risks(b: SmallBuilder, facts: Facts) -> None:
    rng, spec = facts.rng, facts.spec
    chosen = cat.CATEGORY_RISKS[spec.category] + rng.sample(texts.RISKS, 3)
    first, last = _window(b, facts)
    # The worst-hit projects carry one severe risk (score 16); the rest are milder.
    troubled = len(spec.slip) > 1 or Decimal(spec.cost_factor) > Decimal("1.10")
    for n, (title, description, plan) in enumerate(chosen):
        created = _day_in(facts, first, last)
        closed = _closing(b, facts, 0.25)
        closed_on = _day_in(facts, created, last)
        b.tables[Risk].add(
            project_id=facts.id,
            title=title,
            description=description,
            owner_id=b.users[rng.choice([spec.manager, spec.manager, spec.sponsor])],
            due_date=created + timedelta(days=rng.randint(30, 120)),
            status="closed" if closed else rng.choice(["open", "open", "in_progress"]),
            resolution=rng.choice(texts.RISK_RESOLUTIONS) if closed else "",
            closed_at=at(closed_on, 15) if closed else None,
            probability=4 if troubled and n == 0 else rng.choice([1, 1, 2, 2, 2, 3, 3, 4]),
            impact=4 if troubled and n == 0 else rng.choice([1, 2, 2, 3, 3, 3, 4, 5]),
            cost_impact=Decimal(rng.randint(2, 40) * 5000) if rng.random() < 0.7 else None,
            response=rng.choice(RESPONSES),
            response_plan=plan,
            created_at=at(created, 11),
            updated_at=at(closed_on if closed else created, 15),
        )


def _issues_and_assumptions(b: SmallBuilder, facts: Facts) -> None:
    rng, spec = facts.rng, facts.spec
    first, last = _window(b, facts)
    if facts.end is not None:
        for title, description in rng.sample(texts.ISSUES, 2 if spec.slip else 1):
            created = _day_in(facts, first, last)
            closed = _closing(b, facts, 0.4)
            closed_on = _day_in(facts, created, last)
            b.tables[Issue].add(
                project_id=facts.id,
                title=title,
                description=description,
                owner_id=b.users[spec.manager],
                due_date=created + timedelta(days=rng.randint(7, 30)),
                status="closed" if closed else rng.choice(["open", "in_progress"]),
                resolution=rng.choice(texts.ISSUE_RESOLUTIONS) if closed else "",
                closed_at=at(closed_on, 16) if closed else None,
                priority=rng.choice(PRIORITIES[2:] if spec.slip else PRIORITIES),
                created_at=at(created, 10),
                updated_at=at(closed_on if closed else created, 16),
            )
    for title in rng.sample(texts.ASSUMPTIONS, 2):
        created = first
        closed = _closing(b, facts, 0.5)
        b.tables[Assumption].add(
            project_id=facts.id,
            title=title,
            owner_id=b.users[spec.manager],
            due_date=facts.start + timedelta(days=rng.randint(30, 90)),
            status="closed" if closed else "open",
            resolution=rng.choice(texts.ASSUMPTION_RESOLUTIONS) if closed else "",
            closed_at=at(last, 12) if closed else None,
            created_at=at(created, 9),
            updated_at=at(last if closed else created, 12),
        )


def _scores_and_objectives(b: SmallBuilder, facts: Facts) -> None:
    rng, spec = facts.rng, facts.spec
    director = b.directors[spec.portfolio]
    scored = at(min(facts.start, b.today) - timedelta(days=14), 14)
    for criterion in b.criteria:
        b.tables[ProjectScore].add(
            project_id=facts.id,
            criterion_id=criterion,
            score=rng.randint(2, 5),
            scored_by_id=director,
            scored_at=scored,
        )
    links = Project.objectives.through
    org_objective = b.org_objectives[CATEGORY_OBJECTIVE[spec.category]]
    for objective in (b.portfolio_objectives[spec.portfolio], org_objective):
        b.tables[links].add(project_id=facts.id, strategicobjective_id=objective)
    for username in spec.delegates:
        b.tables[Project.delegates.through].add(project_id=facts.id, user_id=b.users[username])


def _lessons(b: SmallBuilder, facts: Facts) -> None:
    if facts.spec.state not in ("closed", "cancelled") or facts.end is None:
        return
    recorded = min(facts.end + timedelta(days=14), b.today - timedelta(days=1))
    lessons = facts.rng.sample(texts.LESSONS, 2 if facts.spec.state == "closed" else 1)
    if facts.spec.state == "cancelled":
        lessons.append(
            (
                "Test the business case against the platform roadmap",
                "Governance",
                "The warehouse exit was overtaken by the lakehouse programme a year in.",
                "Check new projects against running programmes at gate 1.",
            )
        )
    for title, category, happened, recommendation in lessons:
        b.tables[LessonLearned].add(
            project_id=facts.id,
            title=title,
            category=category,
            what_happened=happened,
            recommendation=recommendation,
            recorded_by_id=b.users[facts.spec.manager],
            created_at=at(recorded, 15),
        )


def _allocations(b: SmallBuilder, facts: Facts) -> None:
    """Bookings from two months back to five ahead; security analysts end up overbooked."""
    spec, rng = facts.spec, facts.rng
    if spec.state not in ("active", "approved", "on_hold"):
        return
    group = texts.CATEGORY_MAIN_GROUP[spec.category]
    people = b.org.resources_by_group
    team = [*rng.sample(people[group], 2), rng.choice(people[5]), rng.choice(people[6])]
    this_month = month_start(b.today)
    for k in range(-2, 6):
        month = add_months(this_month, k)
        if not month_start(facts.start) <= month <= month_start(facts.forecast_finish):
            continue
        light = spec.state == "on_hold"
        b.tables[Allocation].add(
            project_id=facts.id,
            resource_id=b.org.pm_resources[spec.manager],
            month=month,
            hours=Decimal(8 if light else 40),
        )
        for i, resource in enumerate(team):
            hours = rng.randint(10, 30) * 4 if i < 2 else rng.randint(4, 15) * 4
            if group == 3:
                hours += 40  # every security project wants the same few analysts
            b.tables[Allocation].add(
                project_id=facts.id,
                resource_id=resource,
                month=month,
                hours=Decimal(8 if light else hours),
            )


def _dependencies(b: SmallBuilder) -> None:
    for code, provider_code, title, mine, theirs in cat.DEPENDENCIES:
        facts, provider = b.projects[code], b.projects[provider_code]
        delivered = provider.spec.state == "closed"
        due = provider.milestones[theirs][2] if theirs else provider.forecast_finish
        created = min(facts.start, b.today) - timedelta(days=5)
        b.tables[Dependency].add(
            project_id=facts.id,
            depends_on_id=provider.id,
            milestone_id=facts.milestones[mine][0] if mine else None,
            depends_on_milestone_id=provider.milestones[theirs][0] if theirs else None,
            title=title,
            owner_id=b.users[facts.spec.manager],
            due_date=due,
            status="closed" if delivered else "open",
            resolution=f"Delivered on {provider.end:%d %b %Y}." if delivered else "",
            closed_at=at(provider.end, 17) if delivered else None,
            created_at=at(created, 10),
            updated_at=at(provider.end if delivered else created, 17),
        )


def _change_requests(b: SmallBuilder) -> None:
    for code, title, description, days, cost, state in cat.CHANGE_REQUESTS:
        facts = b.projects[code]
        decided_in = facts.decision_period
        if decided_in is None:
            raise ValueError(f"{code}: a change request needs a project that has started")
        raised = decided_in - timedelta(days=20)
        submitted = raised + timedelta(days=2)
        decided = state in ("approved", "rejected")
        if state in ("submitted", "draft"):  # still open: raised in the last few weeks
            raised = b.today - timedelta(days=facts.rng.randint(6, 20))
            submitted = raised + timedelta(days=1)
        b.tables[ChangeRequest].add(
            project_id=facts.id,
            title=title,
            description=description,
            scope_impact=description if days or cost else "",
            schedule_impact_days=days,
            cost_impact=Decimal(cost),
            state=state,
            raised_by_id=b.users[facts.spec.manager],
            submitted_at=None if state == "draft" else at(submitted, 10),
            decided_by_id=b.directors[facts.spec.portfolio] if decided else None,
            decided_at=at(decided_in, 15) if decided else None,
            decision_comment=texts.CR_DECISIONS.get(state, "")
            if decided
            else ("Withdrawn by the project manager." if state == "withdrawn" else ""),
            created_at=at(raised, 9),
        )
