"""Report runs: who receives what, claiming and rendering a run, retrying a failed render,
and the report library's rules of who may open a run.

A run is rendered for one permission scope: the readers of a definition are grouped by the
portfolios each may see (within the definition's), and each group gets its own run, so a
reader of portfolio A never receives a figure from portfolio B. Rendering happens on the
report queue (settings: REPORT_QUEUE), never in a web request.

Every step is claimed with a conditional UPDATE on the run's status, so a message delivered
twice, two workers, or the sweep re-sending a lost message never render a run twice, and a
run whose worker died is taken again after RENDER_TIMEOUT.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from celery import current_app
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from governance.models import Review
from portfolio.models import Portfolio
from ppm.access import PORTFOLIO_ROLES, can_view, scope
from ppm.choices import NotificationKind
from ppm.notifications import notify
from ppm.roles import Role, has_role
from projects.models import Project
from reporting.choices import DeliveryStatus, ReportKind, RunStatus, RunTrigger
from reporting.models import ReportDefinition, ReportDelivery, ReportRun

log = logging.getLogger(__name__)

RENDER_TASK = "reporting.render_report"
DELIVER_TASK = "reporting.deliver_report"
MAX_RENDER_ATTEMPTS = 3
# Seconds before the second and third attempt.
RENDER_BACKOFF = (30, 120)
# A run `rendering` for longer than this lost its worker; the sweep takes it again.
RENDER_TIMEOUT = timedelta(minutes=10)
# A queued run whose message was lost is sent again once it has waited this long.
LOST_MESSAGE_AFTER = timedelta(minutes=2)
# Downloads and one-off runs list what changed over the last week.
DEFAULT_SINCE_DAYS = 7


def report_queue() -> str:
    """The queue PDF rendering runs on: the default queue's name + "-reports", so a test
    session's private queue or a second installation on the same Redis gets its own too."""
    return f"{current_app.conf.task_default_queue}-reports"


class ReportError(ValueError):
    """A report that cannot be made as asked (nothing in scope, a reader who may not see it)."""


# --- Who receives what ---------------------------------------------------------------------


def definition_readers(definition: ReportDefinition) -> list[User]:
    """The definition's recipients, named and through groups: active, each once."""
    return list(
        User.objects.filter(
            Q(pk__in=definition.recipients.values("pk"))
            | Q(groups__in=definition.recipient_groups.values("pk")),
            is_active=True,
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def reader_scope(definition: ReportDefinition, user: User) -> tuple[int, ...]:
    """The portfolios of `definition` that `user` may read (every portfolio they may see
    when it names none); () when they may read none, or the report is not for them."""
    if definition.kind == ReportKind.PROJECT:
        project = definition.project
        if project is None or not can_view(user, project):
            return ()
        return (project.portfolio_id,)
    if not has_role(user, *PORTFOLIO_ROLES):
        return ()
    portfolios = scope(Portfolio.objects.all(), user)
    named = list(definition.portfolios.values_list("pk", flat=True))
    if named:
        portfolios = portfolios.filter(pk__in=named)
    return tuple(sorted(set(portfolios.values_list("pk", flat=True))))


@dataclass
class Audience:
    """Readers who see exactly the same portfolios of a report: one run is rendered for them."""

    portfolio_ids: tuple[int, ...]
    readers: list[User]


def audiences(definition: ReportDefinition) -> tuple[list[Audience], list[User]]:
    """The definition's readers grouped by scope, and those who may read none of it (they
    receive nothing; the definition page names them)."""
    groups: dict[tuple[int, ...], list[User]] = defaultdict(list)
    nothing: list[User] = []
    for user in definition_readers(definition):
        ids = reader_scope(definition, user)
        (groups[ids] if ids else nothing).append(user)
    return [Audience(ids, users) for ids, users in sorted(groups.items())], nothing


def scope_label(portfolio_ids: tuple[int, ...] | list[int]) -> str:
    names = list(
        Portfolio.objects.filter(pk__in=portfolio_ids)
        .order_by("name")
        .values_list("name", flat=True)
    )
    if len(names) > 4:
        return f"{', '.join(names[:3])} and {len(names) - 3} more portfolios"
    return ", ".join(names)


def _title(kind: str, label: str, project: Project | None, review: Review | None) -> str:
    if kind == ReportKind.PROJECT and project is not None:
        return f"{ReportKind(kind).label}: {project.code} {project.name}"
    if kind == ReportKind.GATE_RECORD and review is not None:
        return f"{ReportKind(kind).label}: {review.title}"
    return f"{ReportKind(kind).label}: {label}"


def _since_for(definition: ReportDefinition | None, today: date) -> date:
    """“What changed” runs from the last finished run of the same definition (its as-of
    day), or a week back for the first run and for downloads."""
    if definition is not None:
        last = (
            ReportRun.objects.filter(definition=definition, status=RunStatus.DONE)
            .order_by("-as_of")
            .values_list("as_of", flat=True)
            .first()
        )
        if last is not None:
            return timezone.localtime(last).date()
    return today - timedelta(days=DEFAULT_SINCE_DAYS)


def _create_run(
    *,
    kind: str,
    trigger: str,
    portfolio_ids: tuple[int, ...] | list[int],
    readers: list[User],
    definition: ReportDefinition | None = None,
    project: Project | None = None,
    review: Review | None = None,
    requested_by: User | None = None,
    scheduled_for: datetime | None = None,
) -> ReportRun:
    label = scope_label(portfolio_ids)
    run = ReportRun.objects.create(
        definition=definition,
        kind=kind,
        title=_title(kind, label, project, review)[:300],
        trigger=trigger,
        requested_by=requested_by,
        scheduled_for=scheduled_for,
        portfolio_ids=list(portfolio_ids),
        scope_label=label[:500],
        project=project,
        review=review,
        since=_since_for(definition, timezone.localdate()),
        stage="Waiting for a report worker",
    )
    run.readers.set(readers)
    transaction.on_commit(lambda: send_render(run.pk))
    return run


def definition_fire(
    definition: ReportDefinition,
    *,
    trigger: str,
    by: User | None = None,
    scheduled_for: datetime | None = None,
) -> list[ReportRun]:
    """Queue one run per audience of `definition` (inside the caller's transaction; the
    renders are requested on commit)."""
    groups, _nobody = audiences(definition)
    project = definition.project if definition.kind == ReportKind.PROJECT else None
    return [
        _create_run(
            kind=definition.kind,
            trigger=trigger,
            portfolio_ids=audience.portfolio_ids,
            readers=audience.readers,
            definition=definition,
            project=project,
            requested_by=by,
            scheduled_for=scheduled_for,
        )
        for audience in groups
    ]


def download_request(
    *,
    user: User,
    kind: str,
    portfolio: Portfolio | None = None,
    project: Project | None = None,
    review: Review | None = None,
) -> ReportRun:
    """A PDF of what `user` is looking at, rendered in the background for them alone.

    - summary / pack: `portfolio`, or every portfolio they may see (the dashboard's "All my
      portfolios");
    - project: a project they may see; gate_record: a review they may see (checked by the
      caller with governance's rule, which needs the review's facts).
    """
    if kind in (ReportKind.SUMMARY, ReportKind.PACK):
        if not has_role(user, *PORTFOLIO_ROLES):
            raise ReportError("Portfolio reports are for directors, PMO and executives.")
        portfolios = scope(Portfolio.objects.all(), user)
        if portfolio is not None:
            portfolios = portfolios.filter(pk=portfolio.pk)
        ids = tuple(sorted(set(portfolios.values_list("pk", flat=True))))
        if not ids:
            raise ReportError("There is no portfolio you may see in this report.")
    elif kind == ReportKind.PROJECT:
        if project is None or not can_view(user, project):
            raise ReportError("This project is not one you may see.")
        ids = (project.portfolio_id,)
    elif kind == ReportKind.GATE_RECORD:
        if review is None or not review.decided_at:
            raise ReportError("Only a decided review has a decision record.")
        project = review.project
        ids = (project.portfolio_id,) if project is not None else ()
    else:
        raise ReportError(f"Unknown report {kind!r}.")
    with transaction.atomic():
        return _create_run(
            kind=kind,
            trigger=RunTrigger.DOWNLOAD,
            portfolio_ids=ids,
            readers=[user],
            project=project,
            review=review,
            requested_by=user,
        )


# --- Rendering -----------------------------------------------------------------------------


def send_render(run_id: int, *, countdown: float = 0) -> None:
    """Ask a report worker to render run `run_id`. Never raises: the sweep sends it again."""
    try:
        current_app.send_task(
            RENDER_TASK, args=[run_id], queue=report_queue(), countdown=countdown or None
        )
    except Exception:
        log.warning("could not queue report run %s; the sweep will", run_id, exc_info=True)


def claim(run_id: int) -> bool:
    """Take run `run_id` for rendering: queued (and due), or rendering for longer than
    RENDER_TIMEOUT (its worker died). False when another worker has it or it is finished."""
    now = timezone.now()
    taken = (
        ReportRun.objects.filter(pk=run_id)
        .filter(
            Q(status=RunStatus.QUEUED, attempts__lt=MAX_RENDER_ATTEMPTS)
            & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            | Q(status=RunStatus.RENDERING, started_at__lt=now - RENDER_TIMEOUT)
        )
        .update(
            status=RunStatus.RENDERING,
            started_at=now,
            stage="Reading the figures",
            attempts=F("attempts") + 1,
            error="",
        )
    )
    return taken == 1


def set_stage(run_id: int, stage: str) -> None:
    ReportRun.objects.filter(pk=run_id, status=RunStatus.RENDERING).update(stage=stage)


def render_run(run_id: int) -> str:
    """Claim and render run `run_id`; what became of it (for the task's log).

    The PDF is made whole in memory, checked, then stored; only then does one conditional
    UPDATE mark the run done with its file, so no reader ever gets a partial file. A failure
    before that stores nothing (a file already stored is deleted), and the run is retried
    after RENDER_BACKOFF or, after MAX_RENDER_ATTEMPTS, marked failed and the PMO told.
    """
    from reporting.pdf.render import render_report

    if not claim(run_id):
        return "not claimed"
    run = ReportRun.objects.select_related("project", "review", "definition").get(pk=run_id)
    stored = ""
    try:
        document = render_report(run, progress=lambda stage: set_stage(run_id, stage))
        stored = run.file.storage.save(_file_name(run), ContentFile(document.pdf), max_length=300)
        with transaction.atomic():
            done = ReportRun.objects.filter(pk=run_id, status=RunStatus.RENDERING).update(
                status=RunStatus.DONE,
                stage="",
                file=stored,
                size=len(document.pdf),
                sha256=hashlib.sha256(document.pdf).hexdigest(),
                pages=document.pages,
                as_of=document.as_of,
                finished_at=timezone.now(),
            )
            if not done:
                raise RuntimeError("the run was taken from this worker while it rendered")
            deliveries = _deliveries_for(run)
        if deliveries:
            transaction.on_commit(lambda: send_delivery(run_id))
        return "done"
    except Exception as error:
        if stored:
            run.file.storage.delete(stored)
        log.exception("report run %s failed", run_id)
        return _failed(run_id, error)


def _file_name(run: ReportRun) -> str:
    stamp = timezone.localtime()
    return f"reports/{stamp:%Y/%m}/{run.kind}-{run.pk}-{stamp:%Y%m%d-%H%M%S}.pdf"


def _failed(run_id: int, error: Exception) -> str:
    message = f"{type(error).__name__}: {error}"[:2000]
    run = ReportRun.objects.get(pk=run_id)
    if run.attempts < MAX_RENDER_ATTEMPTS:
        delay = RENDER_BACKOFF[min(run.attempts, len(RENDER_BACKOFF)) - 1]
        ReportRun.objects.filter(pk=run_id, status=RunStatus.RENDERING).update(
            status=RunStatus.QUEUED,
            error=message,
            stage=f"Failed; trying again in {delay} s",
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
        send_render(run_id, countdown=delay)
        return "retrying"
    with transaction.atomic():
        ReportRun.objects.filter(pk=run_id, status=RunStatus.RENDERING).update(
            status=RunStatus.FAILED, error=message, stage="", finished_at=timezone.now()
        )
        _tell_pmo(run)
    return "failed"


def _tell_pmo(run: ReportRun) -> None:
    from django.urls import reverse

    pmo = User.objects.filter(groups__name=Role.PMO, is_active=True)
    people = list(pmo) + ([run.requested_by] if run.requested_by_id else [])
    notify(
        people,
        kind=NotificationKind.REPORT_FAILED,
        title=f"Report failed: {run.title}"[:200],
        body=f"It failed {run.attempts} times and was not sent. The last error: {run.error}"[:1000],
        url=reverse("reporting:run", args=[run.pk]),
        key=f"report-failed:{run.pk}",
    )


def _deliveries_for(run: ReportRun) -> int:
    """Write one delivery per reader of a scheduled or run-now report (a download is for
    the person watching its page, who gets no mail)."""
    if run.trigger == RunTrigger.DOWNLOAD:
        return 0
    rows = [
        ReportDelivery(run=run, recipient=user, email=user.email or "")
        for user in run.readers.all()
    ]
    ReportDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def send_delivery(run_id: int, *, countdown: float = 0) -> None:
    try:
        current_app.send_task(DELIVER_TASK, args=[run_id], countdown=countdown or None)
    except Exception:
        log.warning("could not queue the mailing of run %s; the sweep will", run_id, exc_info=True)


def sweep(now: datetime | None = None) -> int:
    """Send again what a lost message or a dead worker left: queued runs due for a while,
    runs stuck rendering, deliveries due. How many were sent."""
    now = now or timezone.now()
    stuck = ReportRun.objects.filter(
        Q(status=RunStatus.QUEUED)
        & (
            Q(next_attempt_at__lte=now - LOST_MESSAGE_AFTER)
            | Q(next_attempt_at__isnull=True, created_at__lte=now - LOST_MESSAGE_AFTER)
        )
        | Q(status=RunStatus.RENDERING, started_at__lt=now - RENDER_TIMEOUT)
    ).values_list("pk", "attempts", "status")
    sent = 0
    for pk, attempts, status in stuck:
        if status == RunStatus.RENDERING and attempts >= MAX_RENDER_ATTEMPTS:
            ReportRun.objects.filter(pk=pk, status=RunStatus.RENDERING).update(
                status=RunStatus.FAILED,
                error="The report worker stopped while rendering it, three times.",
                stage="",
                finished_at=now,
            )
            continue
        send_render(pk)
        sent += 1
    due = (
        ReportDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .values_list("run_id", flat=True)
        .distinct()
    )
    for run_id in due:
        send_delivery(run_id)
        sent += 1
    return sent


# --- The library's rules --------------------------------------------------------------------


def runs_visible_to(user: User):
    """The runs `user` may list and open: every run for the PMO (and superusers); otherwise
    the runs rendered for them or asked for by them."""
    runs = ReportRun.objects.all()
    if user.is_superuser or has_role(user, Role.PMO):
        return runs
    return runs.filter(Q(readers=user) | Q(requested_by=user)).distinct()


def may_open(user: User, run: ReportRun) -> bool:
    return runs_visible_to(user).filter(pk=run.pk).exists()


def run_retry(*, run: ReportRun, by: User) -> bool:
    """Queue a failed run again with a fresh set of attempts (the PMO's "Try again"); False
    when it is not failed (someone else retried it, or it finished meanwhile)."""
    with transaction.atomic():
        again = ReportRun.objects.filter(pk=run.pk, status=RunStatus.FAILED).update(
            status=RunStatus.QUEUED,
            attempts=0,
            next_attempt_at=None,
            finished_at=None,
            stage=f"Queued again by {by.get_full_name() or by.username}",
        )
        if again:
            transaction.on_commit(lambda: send_render(run.pk))
    return bool(again)
