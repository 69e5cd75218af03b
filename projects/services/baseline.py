"""Re-baselining a project's budget (projects.models.baseline says what a baseline is).

Called by project_replan whenever the budget at completion changes — a re-plan on the
project page or an approved change request with a cost impact — inside its transaction.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from projects.health import method_earned_value
from projects.models import BudgetBaseline, BudgetBaselineMonth, CostLine, Project


def _first_month(project: Project) -> date:
    first_cost = CostLine.objects.filter(project=project).order_by("month").first()
    start = project.baseline_start.replace(day=1)
    return min(start, first_cost.month) if first_cost else start


def record_budget_change(
    *, project: Project, old_bac: Decimal, new_bac: Decimal, today: date, by, reason: str
) -> BudgetBaseline | None:
    """Record a change of budget at completion as a baseline in force from `today`'s month.

    Nothing is recorded for a project that has not begun (its first month is this month or
    later): there is no progress to keep. Otherwise the first change also records baseline 1
    (the budget until now); the months since the newest baseline took effect are frozen
    under it; and the new baseline carries the earned value up to the end of last month.
    A second change within the same month amends that month's baseline.
    """
    effective = today.replace(day=1)
    eve = effective - timedelta(days=1)
    baselines = list(BudgetBaseline.objects.filter(project=project).order_by("effective_month"))
    if not baselines:
        first = _first_month(project)
        if first >= effective:
            return None
        baselines = [
            BudgetBaseline.objects.create(
                project=project,
                number=1,
                effective_month=first,
                bac=old_bac,
                reason="the budget in force before the first re-baseline",
                set_by=by,
            )
        ]
    latest = baselines[-1]
    offset = method_earned_value(project, bac=new_bac, at=eve) or Decimal("0")
    if latest.effective_month == effective:
        latest.bac, latest.ev_offset, latest.reason = new_bac, offset, reason[:500]
        latest.save(update_fields=["bac", "ev_offset", "reason"])
        return latest
    plan = (
        CostLine.objects.filter(
            project=project, month__gte=latest.effective_month, month__lt=effective
        )
        .values("month")
        .annotate(planned=Sum("planned"))
        .order_by("month")
    )
    BudgetBaselineMonth.objects.bulk_create(
        BudgetBaselineMonth(baseline=latest, month=row["month"], planned=row["planned"])
        for row in plan
    )
    earned = method_earned_value(project, bac=latest.bac, at=eve) or Decimal("0")
    return BudgetBaseline.objects.create(
        project=project,
        number=latest.number + 1,
        effective_month=effective,
        bac=new_bac,
        ev_carried=latest.ev_carried + earned - latest.ev_offset,
        ev_offset=offset,
        reason=reason[:500],
        set_by=by,
    )
