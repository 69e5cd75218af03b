"""Choices of the PDF reports (reporting/models/reports.py)."""

from __future__ import annotations

from django.db import models


class ReportKind(models.TextChoices):
    SUMMARY = "summary", "Executive portfolio summary"
    PACK = "pack", "Portfolio health pack"
    PROJECT = "project", "Project one-pager"
    GATE_RECORD = "gate_record", "Gate decision record"


# What a PMO may schedule: the gate decision record is made on demand from its review.
SCHEDULABLE = (ReportKind.SUMMARY, ReportKind.PACK, ReportKind.PROJECT)


class Cadence(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    CRON = "cron", "Custom (crontab)"


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    RUN_NOW = "run_now", "Run now"
    DOWNLOAD = "download", "Download"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RENDERING = "rendering", "Rendering"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class DeliveryMode(models.TextChoices):
    ATTACHMENT = "attachment", "PDF attached"
    LINK = "link", "Link to the library"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
