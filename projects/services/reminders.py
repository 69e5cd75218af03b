"""Reminders the reporting calendar raises: a project's status report due or overdue.

"Due" is the definition the project lists use (`projects.selectors.status.report_flag`, the
*Report due* / *Report overdue* marks on My projects): a project in flight lacks the report of
the period just ended. Asked of the day REPORT_DUE_NOTICE_DAYS ahead, the same definition
says "due within that many days, or overdue already", so no second definition is needed.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone

from ppm.choices import NotificationKind
from ppm.models import Notification
from ppm.notifications import notify
from projects.metrics import report_due_period_end
from projects.models import Project
from projects.selectors import last_submitted_period_end
from projects.selectors.status import IN_FLIGHT_STATES, report_flag

# A manager hears of a report this many days before it becomes due (the day after its
# period ends), and of a report already due or overdue at once.
REPORT_DUE_NOTICE_DAYS = 2


def status_due_key(project_id: int, period_end: date) -> str:
    """One notice per project and period: a daily run repeating it writes nothing."""
    return f"status-due:{project_id}:{period_end.isoformat()}"


def status_reports_due_notify(*, today: date | None = None) -> int:
    """Tell the manager of each project in flight whose report is due within
    REPORT_DUE_NOTICE_DAYS, or overdue, once per reporting period; how many notices were
    written. Two queries, plus two per notice not written before (the manager's preference
    and the insert)."""
    today = today or timezone.localdate()
    ahead = today + timedelta(days=REPORT_DUE_NOTICE_DAYS)
    period = report_due_period_end(ahead)
    projects = (
        Project.objects.filter(state__in=IN_FLIGHT_STATES, manager__is_active=True)
        .annotate(last_report_end=last_submitted_period_end())
        .select_related("manager")
        .order_by("pk")
    )
    wanted = [
        p
        for p in projects
        if report_flag(project=p, last_period_end=p.last_report_end, today=ahead)
    ]
    already = set(
        Notification.objects.filter(
            key__in=[status_due_key(p.pk, period) for p in wanted]
        ).values_list("recipient_id", "key")
    )
    written = 0
    for project in wanted:
        key = status_due_key(project.pk, period)
        if (project.manager_id, key) in already:
            continue
        title, body = _wording(project, period=period, today=today)
        written += notify(
            [project.manager],
            kind=NotificationKind.STATUS_DUE,
            title=title,
            body=body,
            url=reverse("projects:status", args=[project.pk]),
            key=key,
        )
    return written


def _wording(project: Project, *, period: date, today: date) -> tuple[str, str]:
    month = f"{period:%B %Y}"
    ends = f"{period.day} {period:%b %Y}"
    # What the lists say today (empty while the period in question has not ended).
    flag = report_flag(project=project, last_period_end=project.last_report_end, today=today)
    if period >= today:
        title = f"Status report due soon: {project.code} {project.name}"
        body = f"The {month} report is due once the month ends ({ends})."
        if flag:
            body += f" The {report_due_period_end(today):%B %Y} report is still missing too."
    else:
        title = f"Status report {flag or 'due'}: {project.code} {project.name}"
        body = f"The {month} report was due when its period ended on {ends}."
        if flag == "overdue":
            body += " Earlier reports are missing too."
    return title, body
