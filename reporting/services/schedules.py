"""Report definitions and their schedules: the PMO's edits, and the one-a-minute dispatcher.

`dispatch_due` is the only thing that fires a schedule. It claims each due row with one
conditional UPDATE (`next_run_at` moved from the value it read to the next firing after now),
so two dispatchers never fire the same due time, and a dispatcher that was not running at
the due time (worker or beat down) fires it once when it runs again — never once per minute
missed, and never zero times. The firing and its runs are written in the claim's
transaction: a crash between them loses neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from portfolio.models import Portfolio
from ppm.audit import acting_as
from projects.models import Project
from projects.services.common import DomainError, save_versioned
from reporting import cron
from reporting.choices import Cadence, ReportKind, RunTrigger
from reporting.engine import snapshot
from reporting.models import ReportDefinition, ReportRun, ReportSchedule
from reporting.services.reports import definition_fire, sweep


def organisation_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def next_firing(cron_text: str, *, after: datetime) -> datetime:
    return cron.parse(cron_text).next_after(after, organisation_zone())


@dataclass
class DefinitionInput:
    """What the PMO's form gives: the definition's fields and its schedule."""

    name: str
    kind: str
    portfolios: list[Portfolio]
    project: Project | None
    recipients: list[User]
    recipient_groups: list[Group]
    budget_change_pct: Decimal
    enabled: bool
    cadence: str
    cron: str


def _check(data: DefinitionInput) -> None:
    if data.kind == ReportKind.PROJECT and data.project is None:
        raise DomainError("A project one-pager needs its project.", field="project")
    if data.kind != ReportKind.PROJECT and data.project is not None:
        raise DomainError("Only a project one-pager names a project.", field="project")
    if not data.recipients and not data.recipient_groups:
        raise DomainError("Name at least one recipient or group.", field="recipients")
    if data.cadence not in Cadence.values:
        raise DomainError("Choose how often it runs.", field="cadence")
    try:
        cron.parse(data.cron)
    except cron.CronError as error:
        raise DomainError(str(error), field="cron") from error


def definition_save(
    *,
    data: DefinitionInput,
    by: User,
    definition: ReportDefinition | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> ReportDefinition:
    """Create or change a definition and its schedule in one transaction; the next firing is
    worked out here, so the change takes effect at the dispatcher's next minute. A change
    based on an old version raises ConflictError."""
    _check(data)
    now = now or timezone.now()
    with transaction.atomic(), acting_as(by, reason="report definition saved"):
        if (
            ReportDefinition.objects.filter(name=data.name)
            .exclude(pk=definition.pk if definition else None)
            .exists()
        ):
            raise DomainError("Another report already has this name.", field="name")
        fields = ("name", "kind", "project", "budget_change_pct", "enabled")
        if definition is None:
            definition = ReportDefinition(created_by=by)
            for name in fields:
                setattr(definition, name, getattr(data, name))
            definition.save()
        else:
            for name in fields:
                setattr(definition, name, getattr(data, name))
            definition.updated_at = now
            save_versioned(
                definition,
                expected_version=expected_version or 0,
                fields=[*fields, "updated_at"],
            )
        definition.portfolios.set(data.portfolios)
        definition.recipients.set(data.recipients)
        definition.recipient_groups.set(data.recipient_groups)
        ReportSchedule.objects.update_or_create(
            definition=definition,
            defaults={
                "cadence": data.cadence,
                "cron": cron.parse(data.cron).text,
                "next_run_at": next_firing(data.cron, after=now) if data.enabled else None,
            },
        )
    return definition


def definition_run_now(*, definition: ReportDefinition, by: User) -> list[ReportRun]:
    """Render and send the definition now, outside its schedule (which is not moved)."""
    with transaction.atomic(), acting_as(by, reason="report run now"):
        snapshot()
        return definition_fire(definition, trigger=RunTrigger.RUN_NOW, by=by)


def dispatch_due(*, now: datetime | None = None) -> int:
    """Fire every schedule due at `now`, each once; then send again whatever a lost message
    left (reporting.services.reports.sweep). How many schedules fired."""
    now = now or timezone.now()
    due = list(
        ReportSchedule.objects.filter(next_run_at__lte=now, definition__enabled=True)
        .order_by("next_run_at")
        .values_list("pk", "next_run_at", "cron")
    )
    fired = 0
    snapped = False
    for pk, due_at, cron_text in due:
        try:
            following = next_firing(cron_text, after=now)
        except cron.CronError:
            following = None  # a crontab that can no longer fire stops (the page says so)
        with transaction.atomic():
            claimed = ReportSchedule.objects.filter(pk=pk, next_run_at=due_at).update(
                next_run_at=following, last_fired_at=now
            )
            if not claimed:
                continue  # another dispatcher fired it
            if not snapped:
                # A snapshot at every report run: the "what changed" of the next report
                # compares against the figures this one printed.
                snapshot()
                snapped = True
            definition = ReportDefinition.objects.select_related("project").get(pk=pk)
            definition_fire(definition, trigger=RunTrigger.SCHEDULE, scheduled_for=due_at)
            fired += 1
    sweep(now)
    return fired
