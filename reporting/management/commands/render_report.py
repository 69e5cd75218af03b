"""Render one PDF report synchronously to a file: a PMO checking a template, or a developer
measuring a render, without a report worker.

    manage.py render_report --kind pack --portfolio 3 --out /tmp/pack.pdf
    manage.py render_report --kind project --project 41 --reader pm --out /tmp/p.pdf
    manage.py render_report --kind gate_record --review 7 --out /tmp/gate.pdf

The run is made in a transaction that is rolled back afterwards: nothing is stored, queued
or mailed. Readers default to the portfolios' directors (a run names who it is for).
"""

from __future__ import annotations

import time
from datetime import date

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from governance.models import Review
from portfolio.models import Portfolio
from projects.models import Project
from reporting.choices import ReportKind, RunTrigger
from reporting.models import ReportRun
from reporting.pdf.documents import build_html
from reporting.pdf.render import html_to_pdf
from reporting.services.reports import scope_label


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--since wants a date such as 2026-11-30: {value!r}") from error


class Command(BaseCommand):
    help = "Render one PDF report to a file, synchronously (nothing is stored or sent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", required=True, choices=[k.value for k in ReportKind])
        parser.add_argument(
            "--portfolio",
            type=int,
            action="append",
            default=[],
            help="A portfolio's id (repeat for several; none: every portfolio).",
        )
        parser.add_argument("--project", type=int, help="The project of a one-pager.")
        parser.add_argument("--review", type=int, help="The decided review of a gate record.")
        parser.add_argument(
            "--reader", action="append", default=[], help="A reader's username (repeatable)."
        )
        parser.add_argument("--since", type=_day, help="“What changed” since this day.")
        parser.add_argument("--out", required=True, help="Where to write the PDF.")
        parser.add_argument("--html", help="Also write the HTML here.")

    def handle(self, *args, **options) -> None:
        kind = ReportKind(options["kind"])
        project = review = None
        ids = options["portfolio"]
        if kind == ReportKind.PROJECT:
            project = Project.objects.filter(pk=options["project"] or 0).first()
            if project is None:
                raise CommandError("--project names no project.")
            ids = [project.portfolio_id]
        elif kind == ReportKind.GATE_RECORD:
            review = Review.objects.filter(pk=options["review"] or 0).first()
            if review is None or review.decided_at is None:
                raise CommandError("--review names no decided review.")
            ids = [review.project.portfolio_id] if review.project_id else [review.portfolio_id]
        elif not ids:
            ids = list(Portfolio.objects.order_by("pk").values_list("pk", flat=True))
        if not Portfolio.objects.filter(pk__in=ids).exists():
            raise CommandError("No such portfolio.")
        readers = list(User.objects.filter(username__in=options["reader"]))
        if not readers:
            readers = list(
                User.objects.filter(directed_portfolios__in=ids).distinct().order_by("pk")
            )
        label = scope_label(ids)
        title = f"{kind.label}: {label}"
        if project is not None:
            title = f"{kind.label}: {project.code} {project.name}"
        elif review is not None:
            title = f"{kind.label}: {review.title}"
        with transaction.atomic():
            run = ReportRun.objects.create(
                kind=kind,
                title=title[:300],
                trigger=RunTrigger.DOWNLOAD,
                portfolio_ids=ids,
                scope_label=label,
                project=project,
                review=review,
                since=options["since"],
                requested_by=readers[0] if readers else None,
            )
            run.readers.set(readers)
            started = time.perf_counter()
            html = build_html(run, as_of=timezone.now())
            built = time.perf_counter()
            pdf, pages = html_to_pdf(html)
            done = time.perf_counter()
            transaction.set_rollback(True)
        with open(options["out"], "wb") as handle:
            handle.write(pdf)
        if options["html"]:
            with open(options["html"], "w", encoding="utf-8") as handle:
                handle.write(html)
        self.stdout.write(
            f"{options['out']}: {pages} page{'s' if pages != 1 else ''}, {len(pdf):,} bytes; "
            f"HTML {built - started:.2f} s, PDF {done - built:.2f} s"
        )
