"""The report pages: the library (who sees which run), one run and its PDF, the "Download PDF"
request, and the PMO's definitions with their schedules.

Rendering needs a report worker; these tests check the rows a page writes and what it shows,
and never wait for a render. A "done" run gets a tiny PDF through the storage.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from portfolio.tests.factories import make_user
from ppm.navigation import items_for
from ppm.roles import Role
from reporting.choices import DeliveryStatus, ReportKind, RunStatus, RunTrigger
from reporting.models import ReportDefinition, ReportDelivery, ReportRun
from reporting.services.reports import definition_fire, download_request
from reporting.services.schedules import DefinitionInput, definition_save

pytestmark = pytest.mark.django_db

LIBRARY = "/reports/"
DEFINITIONS = "/reports/definitions/"
NEW_DEFINITION = "/reports/definitions/new/"
DOWNLOAD = "/reports/download/"
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def finish(run: ReportRun, pdf: bytes = TINY_PDF) -> ReportRun:
    """Mark `run` done with `pdf` stored, as a report worker would."""
    name = run.file.storage.save(f"reports/test/{run.kind}-{run.pk}.pdf", ContentFile(pdf))
    ReportRun.objects.filter(pk=run.pk).update(
        status=RunStatus.DONE,
        stage="",
        file=name,
        size=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        pages=1,
        as_of=timezone.now(),
        finished_at=timezone.now(),
    )
    run.refresh_from_db()
    return run


def definition(by, *, name="Weekly summary", recipients=(), groups=(), portfolios=(), **extra):
    data = {
        "name": name,
        "kind": ReportKind.SUMMARY,
        "portfolios": list(portfolios),
        "project": None,
        "recipients": list(recipients),
        "recipient_groups": list(groups),
        "budget_change_pct": Decimal(5),
        "enabled": True,
        "cadence": "weekly",
        "cron": "0 7 * * 1",
        **extra,
    }
    return definition_save(data=DefinitionInput(**data), by=by)


def form_data(**overrides) -> dict:
    data = {
        "name": "Monday summary",
        "kind": "summary",
        "budget_change_pct": "5",
        "enabled": "on",
        "cadence": "weekly",
        "weekday": "0",
        "day": "1",
        "at": "07:00",
        "cron": "",
    }
    data.update(overrides)
    return data


# --- The library ---------------------------------------------------------------------------


@pytest.fixture
def runs(director, other_director, pmo, executive, portfolio, other_portfolio):
    """Two downloads (one each director) and a scheduled definition sent to the director and
    the executive (two audiences, two runs)."""
    mine = download_request(user=director, kind=ReportKind.SUMMARY, portfolio=portfolio)
    theirs = download_request(user=other_director, kind=ReportKind.PACK, portfolio=other_portfolio)
    schedule = definition(pmo, recipients=[director, executive])
    fired = definition_fire(schedule, trigger=RunTrigger.SCHEDULE)
    return {"mine": mine, "theirs": theirs, "fired": fired}


def _listed(client) -> set[int]:
    response = client.get(LIBRARY)
    assert response.status_code == 200
    return {run.pk for run in response.context["found"].page.object_list}


def test_the_pmo_sees_every_run_in_the_library(client, pmo, runs):
    client.force_login(pmo)
    assert _listed(client) == set(ReportRun.objects.values_list("pk", flat=True))
    assert len(_listed(client)) == 4


def test_a_director_sees_only_runs_for_them_or_asked_for_by_them(client, director, runs):
    client.force_login(director)
    for_director = [r.pk for r in runs["fired"] if r.readers.filter(pk=director.pk).exists()]
    assert _listed(client) == {runs["mine"].pk, *for_director}
    assert runs["theirs"].pk not in _listed(client)


def test_the_library_filters_by_definition_status_and_kind(client, pmo, runs):
    client.force_login(pmo)
    finish(runs["mine"])
    schedule = ReportDefinition.objects.get()
    listed = client.get(LIBRARY, {"definition": schedule.pk}).context["found"].page.object_list
    assert {r.pk for r in listed} == {r.pk for r in runs["fired"]}
    listed = client.get(LIBRARY, {"status": "done"}).context["found"].page.object_list
    assert [r.pk for r in listed] == [runs["mine"].pk]
    listed = client.get(LIBRARY, {"kind": "pack"}).context["found"].page.object_list
    assert [r.pk for r in listed] == [runs["theirs"].pk]
    # Nonsense is no filter, never an error.
    for junk in ({"status": "x"}, {"definition": "²"}, {"page": "-1"}, {"kind": "a" * 500}):
        assert client.get(LIBRARY, junk).status_code == 200


def test_the_library_shows_the_error_to_the_requester_and_the_pmo_only(
    client, director, executive, pmo, portfolio
):
    run = download_request(user=director, kind=ReportKind.SUMMARY, portfolio=portfolio)
    run.readers.add(executive)  # a reader who did not ask for it
    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error="Boom: no fonts")
    for user, shown in ((director, True), (pmo, True), (executive, False)):
        client.force_login(user)
        assert ("Boom: no fonts" in client.get(LIBRARY).text) is shown, user


def test_the_library_shows_readers_names_and_deliveries_to_the_pmo(
    client, pmo, director, executive, runs
):
    run = finish(runs["fired"][0])
    for reader in run.readers.all():
        ReportDelivery.objects.create(
            run=run, recipient=reader, email="x@example.org", status=DeliveryStatus.SENT
        )
    client.force_login(pmo)
    page = client.get(LIBRARY).text
    assert "1 sent" in page
    assert reverse("reporting:run-pdf", args=[run.pk]) in page
    reader = run.readers.get()
    assert (reader.get_full_name() or reader.username) in page


def test_someone_without_a_role_has_no_library(client, outsider):
    client.force_login(outsider)
    assert client.get(LIBRARY).status_code == 403


def _make_runs(director, portfolio, count: int) -> None:
    for _ in range(count):
        run = download_request(user=director, kind=ReportKind.SUMMARY, portfolio=portfolio)
        if run.pk % 2:
            finish(run)


@pytest.mark.parametrize("persona", ["pmo", "director"])
def test_the_library_reads_in_a_fixed_number_of_queries(
    client, request, director, portfolio, django_assert_num_queries, persona
):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    # session, user, roles, count, definitions, page, the readers' names (PMO only).
    expected = {"pmo": 7, "director": 6}[persona]
    for count in (2, 12):
        _make_runs(director, portfolio, count)
        client.get(LIBRARY)  # warm the navigation's role cache and the session
        with django_assert_num_queries(expected):
            assert client.get(LIBRARY).status_code == 200


# --- One run and its PDF ---------------------------------------------------------------------


def test_a_run_page_and_its_pdf_are_404_to_someone_it_is_not_for(
    client, director, other_director, portfolio
):
    run = finish(download_request(user=director, kind=ReportKind.SUMMARY, portfolio=portfolio))
    client.force_login(other_director)
    assert client.get(reverse("reporting:run", args=[run.pk])).status_code == 404
    assert client.get(reverse("reporting:run-pdf", args=[run.pk])).status_code == 404
    client.force_login(director)
    assert client.get(reverse("reporting:run", args=[run.pk])).status_code == 200


def test_the_pdf_downloads_as_an_attachment_named_after_the_report(client, director, portfolio):
    run = finish(download_request(user=director, kind=ReportKind.PACK, portfolio=portfolio))
    client.force_login(director)
    response = client.get(reverse("reporting:run-pdf", args=[run.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    day = timezone.localtime(run.as_of).date()
    assert response["Content-Disposition"] == f'attachment; filename="pack-{day:%Y-%m-%d}.pdf"'
    assert b"".join(response.streaming_content) == TINY_PDF


def test_a_run_not_done_has_no_pdf(client, director, portfolio):
    run = download_request(user=director, kind=ReportKind.SUMMARY, portfolio=portfolio)
    client.force_login(director)
    assert client.get(reverse("reporting:run-pdf", args=[run.pk])).status_code == 404


def test_a_pdf_missing_from_storage_is_a_404_that_says_so(client, director, portfolio):
    run = finish(download_request(user=director, kind=ReportKind.SUMMARY, portfolio=portfolio))
    run.file.storage.delete(run.file.name)
    client.force_login(director)
    response = client.get(reverse("reporting:run-pdf", args=[run.pk]))
    assert response.status_code == 404
    assert "no longer in storage" in response.text


def test_the_status_polls_itself_until_the_run_is_finished(client, director, portfolio):
    run = download_request(user=director, kind=ReportKind.SUMMARY, portfolio=portfolio)
    url = reverse("reporting:run", args=[run.pk])
    client.force_login(director)
    fragment = client.get(url, headers={"HX-Request": "true"}).text
    assert f'hx-get="{url}" hx-trigger="every 1s"' in fragment
    assert "<html" not in fragment
    assert "Waiting for a report worker" in fragment
    finish(run)
    fragment = client.get(url, headers={"HX-Request": "true"}).text
    assert "hx-trigger" not in fragment
    assert reverse("reporting:run-pdf", args=[run.pk]) in fragment


def test_the_pmo_tries_a_failed_run_again_and_nobody_else_may(client, pmo, director, portfolio):
    run = download_request(user=director, kind=ReportKind.SUMMARY, portfolio=portfolio)
    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, attempts=3, error="x")
    url = reverse("reporting:run-retry", args=[run.pk])
    client.force_login(director)
    assert "Try again" not in client.get(reverse("reporting:run", args=[run.pk])).text
    assert client.post(url).status_code == 403
    client.force_login(pmo)
    assert "Try again" in client.get(reverse("reporting:run", args=[run.pk])).text
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    run.refresh_from_db()
    assert (run.status, run.attempts) == (RunStatus.QUEUED, 0)


# --- Download PDF ----------------------------------------------------------------------------


def test_download_creates_a_run_for_the_requester_alone_and_shows_it(client, director, portfolio):
    client.force_login(director)
    response = client.post(DOWNLOAD, {"kind": "summary", "portfolio": portfolio.pk})
    run = ReportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:run", args=[run.pk])
    assert run.trigger == RunTrigger.DOWNLOAD
    assert run.requested_by == director
    assert list(run.readers.all()) == [director]
    assert run.portfolio_ids == [portfolio.pk]
    assert run.status == RunStatus.QUEUED


def test_download_of_all_my_portfolios_and_of_a_project(client, director, pm, portfolio, project):
    client.force_login(director)
    assert client.post(DOWNLOAD, {"kind": "pack"}).status_code == 302
    client.force_login(pm)
    assert client.post(DOWNLOAD, {"kind": "project", "project": project.pk}).status_code == 302
    one_pager = ReportRun.objects.get(kind=ReportKind.PROJECT)
    assert (one_pager.project, list(one_pager.readers.all())) == (project, [pm])


@pytest.mark.parametrize(
    ("persona", "data", "status"),
    [
        ("pm", {"kind": "summary"}, 403),  # portfolio reports are not a PM's
        ("outsider", {"kind": "summary"}, 403),
        ("other_director", {"kind": "summary", "portfolio": "PORTFOLIO"}, 403),
        ("other_pm", {"kind": "project", "project": "PROJECT"}, 403),
        ("outsider", {"kind": "project", "project": "PROJECT"}, 403),
        ("director", {"kind": "project", "project": "999999"}, 403),
        ("director", {"kind": "summary", "portfolio": "999999"}, 403),
        ("director", {"kind": "nonsense"}, 400),
        ("director", {}, 400),
        ("director", {"kind": "summary", "portfolio": "²"}, 400),
        ("director", {"kind": "summary", "portfolio": "9" * 40}, 400),
        ("director", {"kind": "project"}, 400),
        ("director", {"kind": "gate_record"}, 400),
        ("director", {"kind": "gate_record", "review": "999999"}, 404),
    ],
)
def test_download_refuses_what_the_user_may_not_have(
    client, request, portfolio, project, persona, data, status
):
    client.force_login(request.getfixturevalue(persona))
    data = {
        key: {"PORTFOLIO": portfolio.pk, "PROJECT": project.pk}.get(value, value)
        for key, value in data.items()
    }
    response = client.post(DOWNLOAD, data)
    assert response.status_code == status, response.content[:300]
    if status == 403:
        assert response.context["message"]  # the sentence saying why
    assert not ReportRun.objects.exists()


def test_download_is_post_only(client, director):
    client.force_login(director)
    assert client.get(DOWNLOAD, {"kind": "summary"}).status_code == 405


def test_a_decision_record_downloads_once_the_review_is_decided(client, pm, director, project):
    from governance.services.reviews import review_decide
    from projects.services import change_request_raise

    change = change_request_raise(
        project=project, by=pm, title="Add payroll", description="Scope", cost_impact=1000
    )
    review = change.reviews.get()
    client.force_login(pm)
    record = reverse("governance:review-record", args=[review.pk])
    assert 'data-testid="download-gate-record"' not in client.get(record).text
    response = client.post(DOWNLOAD, {"kind": "gate_record", "review": review.pk})
    assert response.status_code == 403  # not decided yet
    review_decide(review=review, by=director, verdict="approve", comment="Fine.")
    assert 'data-testid="download-gate-record"' in client.get(record).text
    response = client.post(DOWNLOAD, {"kind": "gate_record", "review": review.pk})
    assert response.status_code == 302
    run = ReportRun.objects.get()
    assert (run.kind, run.review_id, run.requested_by) == (ReportKind.GATE_RECORD, review.pk, pm)


def test_someone_who_may_not_see_a_review_cannot_download_its_record(
    client, pm, director, other_pm, project
):
    from governance.services.reviews import review_decide
    from projects.services import change_request_raise

    change = change_request_raise(
        project=project, by=pm, title="Add payroll", description="Scope", cost_impact=1000
    )
    review = change.reviews.get()
    review_decide(review=review, by=director, verdict="approve", comment="Fine.")
    client.force_login(other_pm)
    assert client.post(DOWNLOAD, {"kind": "gate_record", "review": review.pk}).status_code == 404


def test_the_pages_carry_their_download_buttons(client, director, pm, portfolio, project):
    client.force_login(director)
    dashboard = client.get(f"/portfolios/dashboard/?portfolio={portfolio.pk}").text
    assert 'data-testid="download-summary"' in dashboard
    assert 'data-testid="download-pack"' in dashboard
    assert f'name="portfolio" value="{portfolio.pk}"' in dashboard
    detail = client.get(reverse("reporting:portfolio-detail", args=[portfolio.pk])).text
    assert 'data-testid="download-pack"' in detail
    client.force_login(pm)
    overview = client.get(reverse("projects:detail", args=[project.pk])).text
    assert 'data-testid="download-project"' in overview
    assert f'name="project" value="{project.pk}"' in overview


def test_the_dashboard_body_in_the_cache_holds_no_csrf_token(client, director, portfolio):
    client.force_login(director)
    client.get("/portfolios/dashboard/")
    body = client.get("/portfolios/dashboard/", headers={"HX-Request": "true"}).text
    assert "csrfmiddlewaretoken" not in body


# --- Definitions -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["director", "pm", "executive", "outsider"])
def test_definitions_are_the_pmos(client, request, pmo, persona):
    saved = definition(pmo, recipients=[pmo])
    client.force_login(request.getfixturevalue(persona))
    assert client.get(DEFINITIONS).status_code == 403
    assert client.post(DEFINITIONS).status_code == 405
    for url in (NEW_DEFINITION, reverse("reporting:definition-edit", args=[saved.pk])):
        assert client.get(url).status_code == 403, url
        assert client.post(url, form_data()).status_code == 403, url
    run_now = reverse("reporting:definition-run-now", args=[saved.pk])
    assert client.post(run_now).status_code == 403
    assert not ReportRun.objects.exists()


def test_a_weekly_preset_is_stored_as_its_crontab(client, pmo, director):
    client.force_login(pmo)
    response = client.post(
        NEW_DEFINITION, form_data(recipients=[director.pk], weekday="0", at="07:00")
    )
    saved = ReportDefinition.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:definition-edit", args=[saved.pk])
    assert (saved.schedule.cadence, saved.schedule.cron) == ("weekly", "0 7 * * 1")
    assert saved.schedule.next_run_at is not None
    assert list(saved.recipients.all()) == [director]


def test_a_monthly_preset_is_stored_as_its_crontab(client, pmo, director, portfolio):
    client.force_login(pmo)
    data = form_data(
        recipients=[director.pk], cadence="monthly", day="15", at="06:30", portfolios=[portfolio.pk]
    )
    assert client.post(NEW_DEFINITION, data).status_code == 302
    saved = ReportDefinition.objects.get()
    assert (saved.schedule.cadence, saved.schedule.cron) == ("monthly", "30 6 15 * *")
    assert list(saved.portfolios.all()) == [portfolio]
    page = client.get(reverse("reporting:definition-edit", args=[saved.pk])).text
    assert 'value="15"' in page  # the preset reads back into its day


def test_a_bad_crontab_is_refused_next_to_its_field(client, pmo, director):
    client.force_login(pmo)
    data = form_data(recipients=[director.pk], cadence="cron", cron="0 7 * *")
    response = client.post(NEW_DEFINITION, data)
    assert response.status_code == 200
    assert "five fields" in str(response.context["form"].errors["cron"])
    assert 'id="id_cron_error"' in response.text
    assert 'value="0 7 * *"' in response.text  # the input is kept
    assert not ReportDefinition.objects.exists()


def test_a_custom_crontab_is_stored_and_previewed(client, pmo, director):
    client.force_login(pmo)
    data = form_data(recipients=[director.pk], cadence="cron", cron="30 6 * * 1-5")
    assert client.post(NEW_DEFINITION, data).status_code == 302
    assert ReportDefinition.objects.get().schedule.cron == "30 6 * * 1-5"
    preview = client.get(
        NEW_DEFINITION,
        {"preview": "1", "cadence": "cron", "cron": "0 9 1 1 *"},
        headers={"HX-Request": "true"},
    )
    assert preview.status_code == 200
    assert preview.text.count("<li") == 3
    assert "January" in preview.text and "<html" not in preview.text
    bad = client.get(
        NEW_DEFINITION,
        {"preview": "1", "cadence": "cron", "cron": "0 9 31 2 *"},
        headers={"HX-Request": "true"},
    )
    assert "never fires" in bad.text


def test_the_services_rules_land_next_to_their_fields(client, pmo, director, project):
    client.force_login(pmo)
    response = client.post(NEW_DEFINITION, form_data())  # no recipient
    assert "Name at least one recipient" in str(response.context["form"].errors["recipients"])
    response = client.post(NEW_DEFINITION, form_data(recipients=[director.pk], kind="project"))
    assert "needs its project" in str(response.context["form"].errors["project"])
    response = client.post(
        NEW_DEFINITION,
        form_data(recipients=[director.pk], weekday="9", at="25:00", budget_change_pct="x"),
    )
    errors = response.context["form"].errors
    assert {"weekday", "at", "budget_change_pct"} <= set(errors)
    assert not ReportDefinition.objects.exists()


def test_a_stale_save_shows_the_other_change_and_keeps_the_input(client, pmo, director):
    saved = definition(pmo, recipients=[director])
    url = reverse("reporting:definition-edit", args=[saved.pk])
    seen_version = saved.version
    # Another PMO renames it meanwhile.
    other = make_user("other.pmo", Role.PMO)
    data = DefinitionInput(
        name="Renamed by someone else",
        kind="summary",
        portfolios=[],
        project=None,
        recipients=[director],
        recipient_groups=[],
        budget_change_pct=Decimal(5),
        enabled=True,
        cadence="weekly",
        cron="0 7 * * 1",
    )
    definition_save(data=data, by=other, definition=saved, expected_version=seen_version)
    client.force_login(pmo)
    response = client.post(
        url,
        form_data(name="My new name", recipients=[director.pk], version=str(seen_version)),
    )
    assert response.status_code == 200
    assert 'data-testid="conflict"' in response.text
    assert "Renamed by someone else" in response.text  # theirs
    assert 'value="My new name"' in response.text  # yours, kept
    saved.refresh_from_db()
    assert saved.name == "Renamed by someone else"
    # The form now carries the current version: saving again applies the input.
    version = response.context["form"].data["version"]
    assert version == str(saved.version)
    again = client.post(
        url, form_data(name="My new name", recipients=[director.pk], version=version)
    )
    assert again.status_code == 302
    saved.refresh_from_db()
    assert saved.name == "My new name"


def test_the_edit_page_names_who_receives_nothing(client, pmo, director, other_pm, portfolio):
    saved = definition(pmo, recipients=[director, other_pm], portfolios=[portfolio])
    client.force_login(pmo)
    page = client.get(reverse("reporting:definition-edit", args=[saved.pk]))
    assert [u.pk for u in page.context["receives_nothing"]] == [other_pm.pk]
    assert 'data-testid="receives-nothing"' in page.text


def test_run_now_queues_a_run_per_audience(
    client, pmo, director, executive, portfolio, other_portfolio
):
    saved = definition(pmo, recipients=[director, executive])
    client.force_login(pmo)
    response = client.post(reverse("reporting:definition-run-now", args=[saved.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"{LIBRARY}?definition={saved.pk}"
    fired = ReportRun.objects.filter(definition=saved)
    assert fired.count() == 2  # the director's portfolios, and everything for the executive
    assert set(fired.values_list("trigger", flat=True)) == {RunTrigger.RUN_NOW}
    assert set(fired.values_list("status", flat=True)) == {RunStatus.QUEUED}
    page = client.get(response["Location"]).text
    assert "2 runs queued" in page
    assert client.get(reverse("reporting:definition-run-now", args=[saved.pk])).status_code == 405


def test_the_definition_list_says_the_schedule_in_words(client, pmo, director):
    saved = definition(pmo, recipients=[director])
    client.force_login(pmo)
    page = client.get(DEFINITIONS).text
    assert "Mondays at 07:00" in page
    assert reverse("reporting:definition-edit", args=[saved.pk]) in page


def test_the_definition_list_reads_in_a_fixed_number_of_queries(
    client, pmo, director, portfolio, django_assert_num_queries
):
    client.force_login(pmo)
    for count in (1, 6):
        for i in range(count):
            saved = definition(
                pmo,
                name=f"Report {count}-{i}",
                recipients=[director],
                portfolios=[portfolio],
            )
            definition_fire(saved, trigger=RunTrigger.RUN_NOW, by=pmo)
        client.get(DEFINITIONS)
        # session, user, roles, the definitions, their portfolios.
        with django_assert_num_queries(5):
            assert client.get(DEFINITIONS).status_code == 200


# --- Navigation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "labels"),
    [
        ("pmo", ["Report library", "Report definitions"]),
        ("director", ["Report library"]),
        ("pm", ["Report library"]),
        ("executive", ["Report library"]),
        ("outsider", []),
    ],
)
def test_the_reports_menu_by_role(request, persona, labels):
    items = items_for(request.getfixturevalue(persona))
    assert [i.label for i in items if i.group == "Reports"] == labels
    if labels:
        assert items[-1].label == "Inbox"  # the inbox stays last


# --- Odd input -------------------------------------------------------------------------------

ODD = ("²⁰²⁶", "1\x00", "99999999999999999999", "-1", "", "9" * 4500, "9999-12-31")


@pytest.mark.parametrize("value", ODD)
def test_odd_input_never_breaks_the_report_pages(client, pmo, director, portfolio, value):
    client.force_login(pmo)
    fields = [
        "name",
        "kind",
        "portfolios",
        "project",
        "recipients",
        "recipient_groups",
        "budget_change_pct",
        "enabled",
        "cadence",
        "weekday",
        "day",
        "at",
        "cron",
        "version",
    ]
    odd = dict.fromkeys(fields, value)
    assert client.post(NEW_DEFINITION, odd).status_code == 200
    preview = {"preview": "1", **odd}
    answer = client.get(NEW_DEFINITION, preview, headers={"HX-Request": "true"}).status_code
    assert answer == (400 if "\x00" in value else 200)  # NUL in a URL: the middleware's 400
    saved = definition(pmo, recipients=[director])
    edit = reverse("reporting:definition-edit", args=[saved.pk])
    assert client.post(edit, odd).status_code == 200
    query = dict.fromkeys(("definition", "status", "kind", "page"), value)
    assert client.get(LIBRARY, query).status_code == (400 if "\x00" in value else 200)
    form = dict.fromkeys(("portfolio", "project", "review"), value)
    for kind in ("summary", "pack", "project", "gate_record", value):
        assert client.post(DOWNLOAD, {**form, "kind": kind}).status_code in (302, 400, 403, 404)
