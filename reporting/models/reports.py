"""The PDF reports: what the PMO defines (ReportDefinition and its ReportSchedule), each
rendering of one (ReportRun, the report library's rows) and its mailing (ReportDelivery).

The schedule is a table of our own rather than django-celery-beat's (which declares Django
< 6.1): one beat task each minute claims the due rows with a conditional UPDATE
(reporting.services.schedules.dispatch_due), so an edit takes effect without a restart and a
firing is claimed exactly once however many dispatchers run.
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from governance.models import Review
from portfolio.models import Portfolio
from projects.models import Project
from reporting.choices import (
    SCHEDULABLE,
    Cadence,
    DeliveryMode,
    DeliveryStatus,
    ReportKind,
    RunStatus,
    RunTrigger,
)


@pghistory.track()
class ReportDefinition(models.Model):
    """A report the PMO has set up: which report, over which portfolios (or project), for whom,
    and (through its schedule) when."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    portfolios = models.ManyToManyField(
        Portfolio,
        blank=True,
        related_name="report_definitions",
        help_text="Empty: every portfolio each recipient may see.",
    )
    project = models.ForeignKey(
        Project,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="report_definitions",
        help_text="The project of a one-pager.",
    )
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="report_definitions"
    )
    recipient_groups = models.ManyToManyField(Group, blank=True, related_name="report_definitions")
    budget_change_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=5,
        help_text="“What changed” lists a budget change of at least this share of the budget.",
    )
    enabled = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[str(k) for k in SCHEDULABLE]),
                name="report_definition_schedulable_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind=ReportKind.PROJECT, project__isnull=False)
                | (~Q(kind=ReportKind.PROJECT) & Q(project__isnull=True)),
                name="report_definition_project_iff_one_pager",
            ),
            models.CheckConstraint(
                condition=Q(budget_change_pct__gte=0, budget_change_pct__lte=1000),
                name="report_definition_budget_change_pct_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class ReportSchedule(models.Model):
    """When a definition fires: a crontab in the organisation's zone (the presets write one)
    and the next firing in UTC, which the dispatcher claims."""

    definition = models.OneToOneField(
        ReportDefinition, on_delete=models.CASCADE, primary_key=True, related_name="schedule"
    )
    cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.WEEKLY)
    cron = models.CharField(
        max_length=100, help_text="Minute hour day-of-month month day-of-week, local time."
    )
    # NULL while the definition is disabled: the dispatcher's index holds only live rows.
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_fired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_run_at"],
                name="report_schedule_due",
                condition=Q(next_run_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.definition} at {self.cron}"


def _run_file_name(run: ReportRun, filename: str) -> str:
    stamp = timezone.localtime(run.created_at)
    return f"reports/{stamp:%Y/%m}/{filename}"


class ReportRun(models.Model):
    """One rendering of a report for one permission scope: the report library's row, its PDF
    and what became of it. A run is rendered for readers who see exactly the same portfolios,
    so no reader receives a figure from outside their scope."""

    definition = models.ForeignKey(
        ReportDefinition, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    title = models.CharField(max_length=300)
    trigger = models.CharField(max_length=10, choices=RunTrigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The due time the schedule fired for (a schedule trigger only).
    scheduled_for = models.DateTimeField(null=True, blank=True)
    portfolio_ids = ArrayField(models.IntegerField(), default=list, blank=True)
    scope_label = models.CharField(max_length=500, blank=True)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="report_runs"
    )
    review = models.ForeignKey(
        Review, null=True, blank=True, on_delete=models.SET_NULL, related_name="report_runs"
    )
    readers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="report_runs")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    stage = models.CharField(max_length=100, blank=True, help_text="Progress, in words.")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    as_of = models.DateTimeField(null=True, blank=True)
    since = models.DateField(
        null=True, blank=True, help_text="“What changed” covers the time since this day."
    )
    file = models.FileField(upload_to=_run_file_name, blank=True, max_length=300)
    size = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A run is done only with its whole file: never a broken or partial PDF.
            models.CheckConstraint(
                condition=~Q(status=RunStatus.DONE)
                | (~Q(file="") & ~Q(sha256="") & Q(pages__gt=0) & Q(size__gt=0)),
                name="report_run_done_has_file",
            ),
            models.CheckConstraint(
                condition=Q(status=RunStatus.DONE) | Q(file=""),
                name="report_run_file_only_when_done",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="report_run_status"),
            models.Index(fields=["definition", "-created_at"], name="report_run_definition"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)


class ReportDelivery(models.Model):
    """The mailing of one run to one reader: the PDF attached, or a link above the size
    limit; claimed before it is sent, retried with backoff, its outcome kept."""

    run = models.ForeignKey(ReportRun, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_deliveries"
    )
    email = models.EmailField(blank=True)
    mode = models.CharField(
        max_length=10, choices=DeliveryMode.choices, default=DeliveryMode.ATTACHMENT
    )
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "recipient"], name="report_delivery_once"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="report_delivery_due")]

    def __str__(self) -> str:
        return f"{self.run} to {self.recipient}"
