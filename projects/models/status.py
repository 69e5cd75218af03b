from __future__ import annotations

from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q, Value

from projects.choices import RAG, ReportState
from projects.models.project import Project


def _rag(label: str) -> models.CharField:
    return models.CharField(label, max_length=5, choices=RAG.choices, default=RAG.GREEN)


@pghistory.track()
class StatusReport(models.Model):
    """A project manager's periodic statement of health, progress and outlook."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="status_reports")
    period_end = models.DateField(help_text="Last day of the reporting period.")
    state = models.CharField(max_length=10, choices=ReportState.choices, default=ReportState.DRAFT)
    overall_rag = _rag("overall")
    schedule_rag = _rag("schedule")
    cost_rag = _rag("cost")
    scope_rag = _rag("scope")
    risk_rag = _rag("risk")
    narrative = models.TextField(blank=True)
    achievements = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    percent_complete = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    suggested_rags = models.JSONField(
        default=dict,
        db_default=Value({}, output_field=models.JSONField()),
        blank=True,
        help_text="Rule-derived RAG per dimension, frozen when the report is submitted.",
    )
    override_reasons = models.JSONField(
        default=dict,
        db_default=Value({}, output_field=models.JSONField()),
        blank=True,
        help_text="Why the manager's RAG differs from the rule, per dimension.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    # A submitted report is never rewritten (the trigger below): the PMO corrects one by
    # submitting a new version that points at it. The old row is left exactly as it was, so
    # "current" means "no later version supersedes it" (the reverse side, `superseded_by`).
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        help_text="The submitted version this one corrects.",
    )
    correction_reason = models.TextField(blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "-period_end"]
        constraints = [
            # One original report per period; its corrections form a chain behind it (each
            # supersedes exactly one version: the one-to-one above).
            models.UniqueConstraint(
                fields=["project", "period_end"],
                condition=Q(supersedes__isnull=True),
                name="status_report_one_per_period",
            ),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True)
                | (Q(state=ReportState.SUBMITTED) & ~Q(correction_reason="")),
                name="status_report_correction_is_submitted_with_reason",
            ),
            models.CheckConstraint(
                condition=Q(percent_complete__gte=0, percent_complete__lte=100),
                name="status_report_percent_0_100",
            ),
            models.CheckConstraint(
                condition=Q(state=ReportState.DRAFT) | Q(submitted_at__isnull=False),
                name="status_report_submitted_has_time",
            ),
        ]
        triggers = [
            # The submitted series is the project's history: the database refuses to rewrite it.
            pgtrigger.Protect(
                name="status_report_submitted_is_immutable",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__state="submitted"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} status {self.period_end}"
