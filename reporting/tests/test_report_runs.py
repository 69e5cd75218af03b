"""Report schedules, runs and mailing: the dispatcher fires each due time once, each reader
scope gets its own run, a run is stored whole or not at all, failures retry with backoff and
then show, and mail goes once with the PDF attached (or linked above the limit).

The page layouts are tested in test_pdf_documents.py; here a small stand-in page goes through
the real WeasyPrint pipeline (reporting.pdf.render.html_to_pdf).
"""

from __future__ import annotations

import re
import subprocess
import threading
import zlib
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.template import Template, TemplateSyntaxError
from django.utils import timezone

from portfolio.tests.factories import make_user
from ppm.choices import NotificationKind
from ppm.models import Notification
from ppm.roles import Role
from reporting.choices import (
    Cadence,
    DeliveryMode,
    DeliveryStatus,
    ReportKind,
    RunStatus,
    RunTrigger,
)
from reporting.kpis import CATALOGUE
from reporting.models import ReportDefinition, ReportDelivery, ReportRun, ReportSchedule
from reporting.pdf import render
from reporting.pdf.documents import svg
from reporting.services import delivery, reports, schedules
from reporting.trends import Series, trend_chart


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://conductor.example.org"
    return settings.MEDIA_ROOT


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def stand_in(run, *, progress=lambda _s: None):
    """A one-page stand-in for the report's page, through the real PDF pipeline."""
    pdf, pages = render.html_to_pdf(
        f"<html lang='en'><head><title>{run.title}</title></head>"
        f"<body><h1>{run.title}</h1><p>{run.scope_label}</p></body></html>"
    )
    return render.Document(pdf=pdf, pages=pages, as_of=timezone.now())


@pytest.fixture
def rendered(monkeypatch):
    monkeypatch.setattr(render, "render_report", stand_in)


def definition(*, kind=ReportKind.SUMMARY, recipients=(), portfolios=(), **extra):
    d = ReportDefinition.objects.create(name=extra.pop("name", "Board pack"), kind=kind, **extra)
    d.recipients.set(recipients)
    d.portfolios.set(portfolios)
    ReportSchedule.objects.create(
        definition=d,
        cadence=Cadence.WEEKLY,
        cron="0 7 * * 1",
        next_run_at=timezone.now() - timedelta(minutes=1),
    )
    return d


# --- Who receives what -----------------------------------------------------------------------


def test_each_reader_scope_gets_its_own_run(
    director, other_director, executive, portfolio, other_portfolio
):
    d = definition(recipients=[director, other_director, executive])
    runs = reports.definition_fire(d, trigger=RunTrigger.RUN_NOW)
    scopes = {tuple(r.portfolio_ids): set(r.readers.all()) for r in runs}
    assert scopes == {
        (portfolio.pk,): {director},
        (other_portfolio.pk,): {other_director},
        tuple(sorted([portfolio.pk, other_portfolio.pk])): {executive},
    }
    assert all(r.status == RunStatus.QUEUED for r in runs)


def test_a_definition_naming_portfolios_narrows_every_reader_to_them(
    director, executive, portfolio, other_portfolio
):
    d = definition(recipients=[director, executive], portfolios=[portfolio])
    (run,) = reports.definition_fire(d, trigger=RunTrigger.RUN_NOW)
    assert run.portfolio_ids == [portfolio.pk]
    assert set(run.readers.all()) == {director, executive}
    assert run.scope_label == portfolio.name


def test_a_reader_who_may_see_none_of_it_receives_nothing(
    director, other_director, pm, outsider, portfolio
):
    d = definition(recipients=[director, other_director, pm, outsider], portfolios=[portfolio])
    groups, nobody = reports.audiences(d)
    assert [g.readers for g in groups] == [[director]]
    assert set(nobody) == {other_director, pm, outsider}


def test_group_recipients_are_expanded_and_each_person_counted_once(director, executive, portfolio):
    from django.contrib.auth.models import Group

    d = definition(recipients=[executive])
    d.recipient_groups.set([Group.objects.get(name=Role.EXECUTIVE)])
    assert reports.definition_readers(d) == [executive]


def test_a_project_one_pager_goes_to_those_who_may_see_the_project(
    project, pm, other_pm, director, other_director
):
    d = definition(
        kind=ReportKind.PROJECT,
        project=project,
        recipients=[pm, other_pm, director, other_director],
    )
    (run,) = reports.definition_fire(d, trigger=RunTrigger.RUN_NOW)
    assert set(run.readers.all()) == {pm, director}
    assert run.project == project and run.portfolio_ids == [project.portfolio_id]


def test_a_download_is_for_its_requester_only_and_within_their_scope(
    director, portfolio, other_portfolio, pm
):
    run = reports.download_request(user=director, kind=ReportKind.PACK)
    assert run.portfolio_ids == [portfolio.pk] and list(run.readers.all()) == [director]
    assert run.trigger == RunTrigger.DOWNLOAD
    with pytest.raises(reports.ReportError):
        reports.download_request(user=director, kind=ReportKind.PACK, portfolio=other_portfolio)
    with pytest.raises(reports.ReportError):
        reports.download_request(user=pm, kind=ReportKind.SUMMARY)


# --- The dispatcher ---------------------------------------------------------------------------


def test_a_due_schedule_fires_once_and_moves_to_its_next_time(director, portfolio):
    d = definition(recipients=[director])
    now = timezone.now()
    assert schedules.dispatch_due(now=now) == 1
    assert schedules.dispatch_due(now=now) == 0
    assert schedules.dispatch_due(now=now + timedelta(minutes=1)) == 0
    schedule = ReportSchedule.objects.get(pk=d.pk)
    assert schedule.next_run_at > now and schedule.last_fired_at == now
    assert schedule.next_run_at == schedules.next_firing("0 7 * * 1", after=now)
    (run,) = ReportRun.objects.filter(definition=d)
    assert run.trigger == RunTrigger.SCHEDULE and run.scheduled_for is not None


def test_a_schedule_missed_for_days_fires_once_not_once_per_missed_time(director, portfolio):
    d = definition(recipients=[director])
    ReportSchedule.objects.filter(pk=d.pk).update(cron="* * * * *")
    back = timezone.now() + timedelta(days=3)
    assert schedules.dispatch_due(now=back) == 1
    assert ReportRun.objects.filter(definition=d).count() == 1
    assert ReportSchedule.objects.get(pk=d.pk).next_run_at > back


def test_a_disabled_definition_does_not_fire(director, portfolio):
    d = definition(recipients=[director], enabled=False)
    assert schedules.dispatch_due() == 0
    assert not ReportRun.objects.filter(definition=d).exists()


def test_a_report_run_takes_a_snapshot_for_the_next_what_changed(director, project):
    from reporting.engine import recompute
    from reporting.models import ProjectRollupSnapshot

    recompute()
    definition(recipients=[director])
    schedules.dispatch_due()
    assert ProjectRollupSnapshot.objects.filter(
        project=project, taken_on=timezone.localdate()
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_fire_a_due_time_once():
    director = make_user("dora", Role.DIRECTOR)
    from portfolio.tests.factories import PortfolioFactory

    PortfolioFactory(director=director)
    d = definition(recipients=[director])
    now = timezone.now()
    # Two, as the notification tests run: more threads leave more pooled connections behind,
    # which tests/test_database_pool.py (later in the same process) then has to replace.
    barrier = threading.Barrier(2)
    fired: list[int] = []

    def dispatch() -> None:
        try:
            barrier.wait()
            fired.append(schedules.dispatch_due(now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatch) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(fired) == [0, 1]
    assert ReportRun.objects.filter(definition=d).count() == 1


# --- Rendering --------------------------------------------------------------------------------


def fired_run(reader, **extra) -> ReportRun:
    d = definition(recipients=[reader], **extra)
    (run,) = reports.definition_fire(d, trigger=RunTrigger.RUN_NOW)
    return run


def test_a_run_is_stored_whole_and_mailed_to_each_reader_with_the_pdf(
    rendered, director, portfolio, mailoutbox, _media
):
    director.email = "dora@example.org"
    director.save()
    run = fired_run(director)
    assert reports.render_run(run.pk) == "done"
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.pages == 1 and run.attempts == 1
    data = Path(run.file.path).read_bytes()
    assert data.startswith(b"%PDF-") and len(data) == run.size
    import hashlib

    assert hashlib.sha256(data).hexdigest() == run.sha256
    (row,) = ReportDelivery.objects.filter(run=run)
    assert delivery.deliver(run.pk) == 1
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT and row.mode == DeliveryMode.ATTACHMENT
    (mail,) = mailoutbox
    assert mail.to == ["dora@example.org"] and mail.subject == run.title
    ((name, content, mimetype),) = mail.attachments
    assert mimetype == "application/pdf" and content == data and name.endswith(".pdf")
    assert f"https://conductor.example.org/reports/runs/{run.pk}/" in mail.body
    # Delivered once: a second mailing run finds nothing to send.
    assert delivery.deliver(run.pk) == 0 and len(mailoutbox) == 1


def test_a_pdf_above_the_size_limit_is_linked_not_attached(
    rendered, director, portfolio, mailoutbox, settings
):
    settings.REPORT_ATTACH_MAX_BYTES = 100
    director.email = "dora@example.org"
    director.save()
    run = fired_run(director)
    reports.render_run(run.pk)
    delivery.deliver(run.pk)
    (mail,) = mailoutbox
    assert mail.attachments == []
    assert "too large to attach" in mail.body and f"/reports/runs/{run.pk}/" in mail.body
    assert ReportDelivery.objects.get(run=run).mode == DeliveryMode.LINK


def test_a_download_is_rendered_but_never_mailed(rendered, director, portfolio, mailoutbox):
    run = reports.download_request(user=director, kind=ReportKind.SUMMARY)
    assert reports.render_run(run.pk) == "done"
    assert not ReportDelivery.objects.filter(run=run).exists()


def test_a_run_claimed_twice_is_rendered_once(rendered, director, portfolio):
    run = fired_run(director)
    assert reports.render_run(run.pk) == "done"
    assert reports.render_run(run.pk) == "not claimed"
    assert ReportRun.objects.get(pk=run.pk).attempts == 1


def broken(run, *, progress=lambda _s: None):
    raise RuntimeError("the figures could not be read")


def test_a_render_error_retries_with_backoff_then_fails_with_no_file_and_no_mail(
    monkeypatch, director, pmo, portfolio, mailoutbox, _media
):
    monkeypatch.setattr(render, "render_report", broken)
    sent: list[tuple[int, float]] = []
    monkeypatch.setattr(
        reports, "send_render", lambda pk, countdown=0: sent.append((pk, countdown))
    )
    run = fired_run(director)
    assert reports.render_run(run.pk) == "retrying"
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and "could not be read" in run.error
    assert run.next_attempt_at > timezone.now()
    assert sent == [(run.pk, reports.RENDER_BACKOFF[0])]
    # Not before its time: the retry's message arriving early is not claimed.
    assert reports.render_run(run.pk) == "not claimed"
    for _attempt in (2, 3):
        ReportRun.objects.filter(pk=run.pk).update(next_attempt_at=timezone.now())
        outcome = reports.render_run(run.pk)
    assert outcome == "failed"
    assert sent[1] == (run.pk, reports.RENDER_BACKOFF[1])
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.attempts == 3 and not run.file
    assert stored_files(_media) == []
    assert not ReportDelivery.objects.filter(run=run).exists() and mailoutbox == []
    # The PMO (and whoever asked) is told, once.
    told = Notification.objects.filter(kind=NotificationKind.REPORT_FAILED)
    assert [n.recipient for n in told] == [pmo]
    assert reports.run_retry(run=run, by=pmo) is True
    assert ReportRun.objects.get(pk=run.pk).status == RunStatus.QUEUED


def test_a_malformed_template_leaves_no_partial_file_and_no_mail(
    monkeypatch, director, portfolio, mailoutbox, _media
):
    def malformed(run, *, progress=lambda _s: None):
        Template("{% if %}")  # the template error a bad edit would make
        raise AssertionError("unreachable")

    monkeypatch.setattr(render, "render_report", malformed)
    monkeypatch.setattr(reports, "send_render", lambda *a, **k: None)
    run = fired_run(director)
    with pytest.raises(TemplateSyntaxError):
        malformed(run)
    assert reports.render_run(run.pk) == "retrying"
    assert "TemplateSyntaxError" in ReportRun.objects.get(pk=run.pk).error
    assert stored_files(_media) == [] and mailoutbox == []


def test_a_failure_after_the_file_is_stored_deletes_it(
    rendered, monkeypatch, director, portfolio, _media
):
    monkeypatch.setattr(reports, "send_render", lambda *a, **k: None)

    def no_deliveries(run):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(reports, "_deliveries_for", no_deliveries)
    run = fired_run(director)
    assert reports.render_run(run.pk) == "retrying"
    assert stored_files(_media) == []
    assert ReportRun.objects.get(pk=run.pk).file == ""


def test_the_sweep_resends_a_lost_render_and_takes_back_a_dead_workers_run(
    monkeypatch, director, portfolio
):
    sent: list[int] = []
    monkeypatch.setattr(reports, "send_render", lambda pk, countdown=0: sent.append(pk))
    lost = fired_run(director, name="Lost")
    dead = fired_run(director, name="Dead")
    now = timezone.now()
    ReportRun.objects.filter(pk=lost.pk).update(created_at=now - timedelta(minutes=5))
    ReportRun.objects.filter(pk=dead.pk).update(
        status=RunStatus.RENDERING, started_at=now - timedelta(minutes=30), attempts=1
    )
    sent.clear()
    reports.sweep(now)
    assert sorted(sent) == sorted([lost.pk, dead.pk])
    assert reports.claim(dead.pk)  # a dead worker's run is claimed again


def test_a_mail_server_down_retries_with_backoff_then_fails(
    rendered, monkeypatch, director, portfolio, settings
):
    settings.MAILERS = {
        "default": {"BACKEND": "ppm.tests.test_notification_delivery.DownBackend", "OPTIONS": {}}
    }
    monkeypatch.setattr(reports, "send_delivery", lambda *a, **k: None)
    director.email = "dora@example.org"
    director.save()
    run = fired_run(director)
    reports.render_run(run.pk)
    row = ReportDelivery.objects.get(run=run)
    for _attempt in range(delivery.MAX_DELIVERY_ATTEMPTS):
        ReportDelivery.objects.filter(pk=row.pk).update(next_attempt_at=None)
        assert delivery.deliver(run.pk) == 0
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED and row.attempts == delivery.MAX_DELIVERY_ATTEMPTS
    assert "Connection refused" in row.error


def test_definition_save_works_out_the_next_firing_and_refuses_a_stale_edit(
    pmo, director, portfolio
):
    from projects.services.common import ConflictError, DomainError

    data = schedules.DefinitionInput(
        name="Weekly summary",
        kind=ReportKind.SUMMARY,
        portfolios=[portfolio],
        project=None,
        recipients=[director],
        recipient_groups=[],
        budget_change_pct=Decimal("5"),
        enabled=True,
        cadence=Cadence.WEEKLY,
        cron="0 7 * * 1",
    )
    d = schedules.definition_save(data=data, by=pmo)
    assert d.schedule.next_run_at == schedules.next_firing("0 7 * * 1", after=timezone.now())
    data.cron = "0 8 * * 1"
    schedules.definition_save(data=data, by=pmo, definition=d, expected_version=1)
    assert ReportSchedule.objects.get(pk=d.pk).cron == "0 8 * * 1"
    with pytest.raises(ConflictError):
        schedules.definition_save(data=data, by=pmo, definition=d, expected_version=1)
    data.cron = "0 25 * * *"
    with pytest.raises(DomainError) as refused:
        schedules.definition_save(data=data, by=pmo, definition=d, expected_version=2)
    assert refused.value.field == "cron"
    data.cron, data.enabled = "0 8 * * 1", False
    schedules.definition_save(data=data, by=pmo, definition=d, expected_version=2)
    assert ReportSchedule.objects.get(pk=d.pk).next_run_at is None


@pytest.fixture
def fetched(monkeypatch):
    """Every URL WeasyPrint asks the renderer's fetcher for, with what it got."""
    fetcher, asked = render._charts_only(), []
    serve = fetcher.fetch

    def recording(url, headers=None):
        try:
            response = serve(url, headers)
        except ValueError:
            asked.append((url, "refused"))
            raise
        asked.append((url, "served"))
        return response

    monkeypatch.setattr(fetcher, "fetch", recording)
    return asked


def test_the_renderer_fetches_no_url_and_reads_no_local_file(tmp_path, fetched):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not for a report")
    # An SVG that names the file in turn: the chart is served, never the file it names.
    sneaky = render.chart_url(
        f"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'>"
        f"<image href='file://{secret}' width='10' height='10'/></svg>"
    )
    pdf, pages = render.html_to_pdf(
        "<html lang='en'><head><title>t</title></head><body><p>Narrative</p>"
        f"<img src='file://{secret}' alt='a'><img src='http://127.0.0.1:9/x.png' alt='b'>"
        "<img src='data:image/png;base64,iVBORw0KGgo=' alt='c'>"
        "<img src='data:image/svg+xml;base64,!!!' alt='d'>"
        f"<img src='{sneaky}' alt='e'></body></html>"
    )
    assert pages == 1 and pdf.startswith(b"%PDF-")
    assert b"not for a report" not in pdf
    assert [outcome for url, outcome in fetched if url == sneaky] == ["served"]
    refused = {url for url, outcome in fetched if outcome == "refused"}
    assert f"file://{secret}" in refused and "http://127.0.0.1:9/x.png" in refused
    assert "data:image/png;base64,iVBORw0KGgo=" in refused
    assert "data:image/svg+xml;base64,!!!" in refused
    assert [url for url, outcome in fetched if outcome == "served"] == [sneaky]


def test_a_chart_is_drawn_as_vector_text_with_its_alternative_text(fetched):
    kpi = next(k for k in CATALOGUE if k.key == "exposure")
    chart = trend_chart(Series(kpi, None, []), chart_id="t-empty")
    page = svg(chart)
    assert page.startswith('<img class="chart-img" alt="') and chart.title in page
    pdf, _pages = render.html_to_pdf(
        f"<html lang='en'><head><title>t</title></head><body><figure>{page}</figure></body></html>"
    )
    assert [outcome for _url, outcome in fetched] == ["served"]
    assert b"No snapshot yet" not in pdf  # compressed: read it as a reader does
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "No snapshot yet" in text
    # A figure in the tagged PDF (its structure is in compressed object streams), named by
    # the chart's title and description.
    structure = b"".join(
        zlib.decompress(stream)
        for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
        if stream.startswith(b"x")
    )
    assert b"/Figure" in structure
    assert f"/Alt ({chart.title}".encode() in structure
