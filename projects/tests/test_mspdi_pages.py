"""The pages of a Microsoft Project plan's import into a project's milestones: upload, a
preview row by row, and apply (all or nothing) by the token of the checked preview; every
kind of bad file answered next to the field, and the pages shut to whoever may not change the
project."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from ppm.audit import history_for
from projects.imports.mspdi import NS, kept, reading
from projects.models import Milestone, MilestoneForecast
from projects.tests.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db

PLAN_XML = (Path(__file__).parent / "fixtures" / "mspdi" / "plan.xml").read_bytes()
EXPORT = "In Project, choose File › Save As › “XML Format (*.xml)” and upload that file."


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """A day after the fixture plan: each task it marks complete is in the past."""
    monkeypatch.setattr("projects.views.mspdi._today", lambda: date(2026, 6, 1))


@pytest.fixture(autouse=True)
def _no_kept_previews():
    cache.clear()
    yield
    cache.clear()


def milestone_xml(uid: int, name: str, finish: str = "2026-06-05T17:00:00", **fields: str) -> str:
    inner = "".join(f"<{tag}>{value}</{tag}>" for tag, value in fields.items())
    return (
        f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>{name}</Name><OutlineLevel>1</OutlineLevel>"
        f"<Milestone>1</Milestone><Start>{finish}</Start><Finish>{finish}</Finish>"
        f"<Duration>PT0H0M0S</Duration>{inner}</Task>"
    )


def mspdi_xml(tasks: str, title: str = "Small plan") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Project xmlns="{NS}"><Title>{title}</Title>'
        f"<Tasks>{tasks}</Tasks></Project>"
    ).encode()


def import_url(project) -> str:
    return reverse("projects:milestone-import", args=[project.pk])


def apply_url(project) -> str:
    return reverse("projects:milestone-import-apply", args=[project.pk])


def upload(client, project, content: bytes, name: str = "plan.xml", **options):
    data = {"file": SimpleUploadedFile(name, content, content_type="text/xml"), **options}
    return client.post(import_url(project), data)


def apply(client, project, token: str):
    return client.post(apply_url(project), {"token": token})


def rows(response) -> list[tuple]:
    return [
        (str(row.action), row.name, row.baseline_date, row.forecast_date, row.actual_date)
        for row in response.context["preview"].rows
    ]


def milestones(project) -> list[tuple]:
    return list(
        Milestone.objects.filter(project=project)
        .order_by("baseline_date")
        .values_list("name", "baseline_date", "forecast_date", "actual_date", "is_key")
    )


# --- Upload → preview → apply ------------------------------------------------------------------


def test_the_milestones_section_links_to_the_import_for_whoever_may_change_it(
    client, pm, executive, project
):
    client.force_login(pm)
    page = client.get(reverse("projects:milestones", args=[project.pk])).content.decode()
    assert f'href="{import_url(project)}">Import from Microsoft Project</a>' in page
    client.force_login(executive)
    page = client.get(reverse("projects:milestones", args=[project.pk])).content.decode()
    assert import_url(project) not in page


def test_the_upload_page_says_how_to_export_a_plan_from_project(client, pm, project):
    client.force_login(pm)
    response = client.get(import_url(project))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'type="file" name="file"' in page and 'accept=".xml,application/xml,text/xml"' in page
    assert "File → Save As → XML Format (*.xml)" in page
    assert "From Project Online, open the plan in Project desktop first" in page
    assert "At most 20 MB and 20,000 tasks." in page
    assert 'name="summaries_as_milestones"' in page
    assert "Also add each top-level phase&#x27;s end as a milestone" in page


def test_a_plan_is_previewed_then_imported_and_a_second_import_changes_nothing(client, pm, project):
    client.force_login(pm)
    preview = upload(client, project, PLAN_XML, name="Service Desk.xml")
    assert preview.status_code == 200
    signed_off = date(2026, 2, 13)
    assert rows(preview) == [
        ("create", "Requirements signed off", signed_off, signed_off, signed_off),
        ("create", "Go-live", date(2026, 5, 22), date(2026, 5, 29), None),
    ]
    page = preview.content.decode()
    assert "Check before importing: “Service Desk Replacement”" in page
    assert 'From <span class="fw-semibold">Service Desk.xml</span>' in page
    assert "2 milestones in the plan: 2 to create, 0 to update, 0 unchanged." in page
    assert "Task links (predecessors) are not imported." in page  # the "not imported" list
    token = preview.context["token"]
    assert f'name="token" value="{token}"' in page
    assert "Import 2 milestones</button>" in page
    assert "<Project" not in page  # the file stays on the server
    assert not Milestone.objects.exists()  # nothing is saved by checking

    done = apply(client, project, token)
    assert done.status_code == 302
    assert done["Location"] == reverse("projects:milestones", args=[project.pk])
    board = client.get(done["Location"]).content.decode()
    assert "2 milestones imported from the plan “Service Desk Replacement”." in board
    assert milestones(project) == [
        ("Requirements signed off", date(2026, 2, 13), date(2026, 2, 13), date(2026, 2, 13), True),
        ("Go-live", date(2026, 5, 22), date(2026, 5, 29), None, True),
    ]

    again = upload(client, project, PLAN_XML)
    assert [row[0] for row in rows(again)] == ["unchanged", "unchanged"]
    assert again.context["token"] == ""
    page = again.content.decode()
    assert "The plan matches the project's milestones: there is nothing to import." in page
    assert 'data-testid="apply-form"' not in page
    assert "0 to create, 0 to update, 2 unchanged." in page


def test_phases_are_added_as_milestones_when_asked(client, pm, project):
    client.force_login(pm)
    preview = upload(client, project, PLAN_XML, summaries_as_milestones="on")
    assert [row[1] for row in rows(preview)] == [
        "Discovery",
        "Requirements signed off",
        "Build",
        "Deploy",
        "Go-live",
    ]
    assert "Each top-level phase's end is added as a milestone." in preview.content.decode()
    assert apply(client, project, preview.context["token"]).status_code == 302
    assert Milestone.objects.filter(project=project, is_key=False).count() == 3


def test_a_milestone_of_the_project_is_updated_with_the_plan_as_the_reason(client, pm, project):
    go_live = MilestoneFactory(
        project=project, name="GO-LIVE", baseline_date=date(2026, 5, 15), is_key=True
    )
    client.force_login(pm)
    preview = upload(client, project, PLAN_XML)
    assert [row[0] for row in rows(preview)] == ["create", "update"]
    page = preview.content.decode()
    assert "baseline 15 May 2026 → 22 May 2026" in page
    assert "forecast 15 May 2026 → 29 May 2026" in page
    assert apply(client, project, preview.context["token"]).status_code == 302
    go_live.refresh_from_db()
    assert (go_live.baseline_date, go_live.forecast_date) == (date(2026, 5, 22), date(2026, 5, 29))
    forecast = MilestoneForecast.objects.filter(milestone=go_live).latest("pk")
    assert forecast.reason == "Imported from the Microsoft Project plan “Service Desk Replacement”"
    assert history_for(go_live, limit=1)[0].user_name


# --- A plan with row errors ------------------------------------------------------------------


BAD_ROWS = mspdi_xml(
    milestone_xml(1, "Kick-off", "2026-03-02T08:00:00")
    + milestone_xml(2, "Go-live", "2025-12-01T17:00:00")  # before the project starts
    + milestone_xml(3, "Sign-off", PercentComplete="250")
    + milestone_xml(4, "Old go-live", Active="0")
)


def test_a_plan_with_row_errors_shows_them_next_to_their_rows_and_cannot_be_applied(
    client, pm, project
):
    client.force_login(pm)
    good = upload(client, project, PLAN_XML).context["token"]  # an earlier check, applicable
    response = upload(client, project, BAD_ROWS)
    assert response.status_code == 200
    assert response.context["token"] == ""
    page = response.content.decode()
    assert "2 rows cannot be imported" in page
    assert 'data-testid="apply-form"' not in page and "Import 1 milestone" not in page
    errors = {row.name: row.errors for row in response.context["preview"].rows}
    assert errors["Kick-off"] == []
    assert errors["Go-live"] and "does not fit" in errors["Go-live"][0]
    assert errors["Sign-off"] == [
        "Task 3 ‘Sign-off’: its % complete “250” is not a whole number from 0 to 100."
    ]
    # Next to its row, an error does not name the task again.
    assert "Problem:</span> Its % complete “250” is not a whole number from 0 to 100." in page
    assert page.count("Cannot import</span>") == 2
    assert "Task 4 ‘Old go-live’ is inactive in the plan and is not imported." in page  # a note

    # A forged apply: with a made-up token, or the token of the check this one replaced.
    for token in ("A" * 43, good):
        forged = apply(client, project, token)
        assert forged.status_code == 200
        assert "The checked plan is no longer kept" in forged.context["warning"]
    assert not Milestone.objects.exists()


def test_an_apply_without_a_token_is_refused_with_a_message(client, pm, project):
    client.force_login(pm)
    for data in ({}, {"token": "not a token"}, {"token": "x" * 500}):
        response = client.post(apply_url(project), data)
        assert response.status_code == 400
        assert "There is no checked plan to import" in response.context["warning"]
    assert not Milestone.objects.exists()


# --- Bad files --------------------------------------------------------------------------------


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("plan.xml", PLAN_XML)
    return out.getvalue()


BAD_FILES = {
    "empty": (b"", f"The file is empty. {EXPORT}"),
    "only spaces": (b"  \n ", f"The file is empty. {EXPORT}"),
    "a .mpp": (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,
        "This is a Project .mpp file (or another Office binary file), which Conductor does not "
        f"read. {EXPORT}",
    ),
    "a zip": (_zip(), "This is a zip archive (an Excel or Word file, or a compressed folder)"),
    "a web page": (b"<!DOCTYPE html><html></html>", "This is a web page (HTML)"),
    "not xml": (b"Name,Finish\nGo-live,2026-05-29\n", "The file is not XML"),
    "a doctype": (
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa">]><Project xmlns="'
        + NS.encode()
        + b'">&a;</Project>',
        "The file declares a DOCTYPE or entities",
    ),
    "cut off": (PLAN_XML[: len(PLAN_XML) // 2], "before its XML is complete"),
    "another root": (b"<Workbook/>", "its root element is <Workbook>, not <Project>"),
    "no namespace": (b"<Project><Tasks/></Project>", "not Microsoft Project's namespace"),
    "bad utf-8": (
        b'<?xml version="1.0" encoding="UTF-8"?><Project>\xff</Project>',
        "The file is meant to be UTF-8 text, but byte 0xFF",
    ),
    "unknown encoding": (
        b'<?xml version="1.0" encoding="klingon"?><Project/>',
        "declares the character encoding “klingon”",
    ),
    "NUL bytes": (b"<Project>\x00\x01</Project>", "The file holds NUL bytes"),
    "a bad working day": (
        mspdi_xml("").replace(b"<Tasks>", b"<MinutesPerDay>0</MinutesPerDay><Tasks>"),
        "The plan's working day is “0” minutes long",
    ),
    "a repeated UID": (
        mspdi_xml(milestone_xml(1, "A") + milestone_xml(1, "B")),
        "Two tasks have the UID 1",
    ),
}


@pytest.mark.parametrize(("content", "message"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_is_answered_next_to_the_field_and_nothing_is_written(
    client, pm, project, content, message
):
    client.force_login(pm)
    response = upload(client, project, content)
    assert response.status_code == 200
    [error] = response.context["form"].errors["file"]
    assert message in error
    page = response.content.decode()
    assert 'id="id_file_error"' in page and 'aria-invalid="true"' in page
    assert 'data-testid="import-preview"' not in page
    assert not Milestone.objects.exists()
    assert cache.get(f"mspdi-import-latest:{project.pk}:{pm.pk}") is None


@override_settings(MSPDI_IMPORT_MAX_BYTES=4 * 1024)
def test_a_file_over_the_size_limit_is_refused_unread(client, pm, project, monkeypatch):
    def must_not_parse(*args, **kwargs):
        raise AssertionError("a file over the limit was parsed")

    monkeypatch.setattr(reading, "iterparse", must_not_parse)
    client.force_login(pm)
    response = upload(client, project, PLAN_XML)
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "The file is 32 KB; plans of at most 4 KB are read. Check that it is the plan of this "
        "project alone, and split a larger plan before importing it."
    ]
    assert "At most 4 KB and 20,000 tasks." in response.content.decode()
    assert not Milestone.objects.exists()


def test_a_plan_with_too_many_tasks_is_refused(client, pm, project, monkeypatch):
    monkeypatch.setattr(reading, "MSPDI_MAX_TASKS", 5)
    client.force_login(pm)
    response = upload(client, project, PLAN_XML)
    assert response.context["form"].errors["file"] == [
        "The plan has more than 5 tasks; at most 5 are read. Import the plan of this project "
        "alone, or split it into smaller plans."
    ]


def test_an_upload_without_a_file_asks_for_one(client, pm, project):
    client.force_login(pm)
    for data in ({}, {"file": "not a file", "summaries_as_milestones": "\x00"}):
        response = client.post(import_url(project), data)
        assert response.status_code == 200
        assert response.context["form"].errors["file"] == [
            "Choose the plan's XML file (in Project: File → Save As → XML Format)."
        ]


# --- Who may import ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["other_pm", "other_director", "executive", "outsider"])
def test_someone_who_may_not_change_the_project_is_refused_as_on_the_milestone_pages(
    client, request, project, persona
):
    client.force_login(request.getfixturevalue(persona))
    edit = reverse("projects:milestone-add", args=[project.pk])
    expected = client.get(edit).status_code
    assert expected == 403
    assert client.get(import_url(project)).status_code == expected
    assert upload(client, project, PLAN_XML).status_code == expected
    assert apply(client, project, "A" * 43).status_code == expected
    assert not Milestone.objects.exists()


@pytest.mark.parametrize("persona", ["pm", "director", "pmo"])
def test_whoever_may_change_the_project_may_import_a_plan(client, request, project, persona):
    client.force_login(request.getfixturevalue(persona))
    token = upload(client, project, PLAN_XML).context["token"]
    assert apply(client, project, token).status_code == 302
    assert Milestone.objects.filter(project=project).count() == 2


def test_anonymous_users_are_sent_to_sign_in(client, project):
    for response in (client.get(import_url(project)), apply(client, project, "A" * 43)):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


# --- The token of a checked preview -----------------------------------------------------------


def test_a_token_of_another_user_or_project_is_refused_with_a_message(
    client, pm, director, portfolio, project
):
    client.force_login(pm)
    token = upload(client, project, PLAN_XML).context["token"]
    second = ProjectFactory(portfolio=portfolio, manager=pm, code="ERP-02")
    other_project = apply(client, second, token)
    assert other_project.status_code == 403
    assert "checked for another project" in other_project.context["warning"]
    assert 'data-testid="import-form"' in other_project.content.decode()
    client.force_login(director)  # may change the project too, but did not check this plan
    theirs = apply(client, project, token)
    assert theirs.status_code == 403
    assert theirs.context["warning"].startswith("This checked plan is not yours")
    assert not Milestone.objects.exists()
    client.force_login(pm)
    assert apply(client, project, token).status_code == 302  # still the owner's to apply


def test_an_expired_token_asks_for_the_plan_again(client, pm, project, monkeypatch):
    monkeypatch.setattr(kept, "KEPT_SECONDS", 1)
    client.force_login(pm)
    token = upload(client, project, PLAN_XML).context["token"]
    time.sleep(1.5)  # Redis lets it expire
    response = apply(client, project, token)
    assert response.status_code == 200
    assert response.context["warning"].startswith("The checked plan is no longer kept")
    assert 'data-testid="import-form"' in response.content.decode()
    assert not Milestone.objects.exists()


def test_a_token_is_applied_once(client, pm, project):
    client.force_login(pm)
    token = upload(client, project, PLAN_XML).context["token"]
    assert apply(client, project, token).status_code == 302
    again = apply(client, project, token)
    assert again.context["warning"] == (
        "The checked plan is no longer kept (a plan is kept for 60 minutes after it is checked, "
        "and only your latest for this project), so nothing was imported. Upload it again."
    )
    assert Milestone.objects.count() == 2


def test_a_new_check_replaces_the_users_previous_one(client, pm, project):
    client.force_login(pm)
    first = upload(client, project, PLAN_XML).context["token"]
    second = upload(client, project, PLAN_XML, summaries_as_milestones="on").context["token"]
    assert "no longer kept" in apply(client, project, first).context["warning"]
    assert apply(client, project, second).status_code == 302
    assert Milestone.objects.count() == 5


# --- Concurrency ------------------------------------------------------------------------------


def test_a_milestone_changed_since_the_preview_shows_the_plan_checked_again(client, pm, project):
    go_live = MilestoneFactory(project=project, name="Go-live", baseline_date=date(2026, 5, 1))
    client.force_login(pm)
    token = upload(client, project, PLAN_XML).context["token"]
    Milestone.objects.filter(pk=go_live.pk).update(  # someone reforecast it meanwhile
        forecast_date=date(2026, 5, 29), version=2
    )
    response = apply(client, project, token)
    assert response.status_code == 200
    assert response.context["warning"] == (
        "‘Go-live’ was changed in Conductor after the plan was checked. Check the plan again to "
        "see the change; nothing was imported. Below, the plan is checked again against the "
        "milestones as they are now: import it if it is still right."
    )
    assert milestones(project) == [("Go-live", date(2026, 5, 1), date(2026, 5, 29), None, True)]
    # The new preview sees the change (the forecast already matches) and has a token of its own.
    [_, update] = response.context["preview"].rows
    assert update.changes == ["baseline 1 May 2026 → 22 May 2026"]
    fresh = response.context["token"]
    assert fresh not in ("", token)
    assert apply(client, project, fresh).status_code == 302
    assert Milestone.objects.get(pk=go_live.pk).baseline_date == date(2026, 5, 22)


def test_a_row_the_services_refuse_at_apply_time_writes_nothing(client, pm, project):
    client.force_login(pm)
    token = upload(client, project, PLAN_XML, summaries_as_milestones="on").context["token"]
    project.baseline_start = date(2026, 2, 16)  # moved after the check
    project.save()
    response = apply(client, project, token)
    assert response.status_code == 200
    assert response.context["warning"].startswith(
        "Task 3 ‘Requirements signed off’: The date is before the project starts (16 Feb 2026). "
        "Nothing was imported."
    )
    assert response.context["token"] == ""  # checked again, the row is an error now
    assert "1 row cannot be imported" in response.content.decode()
    assert not Milestone.objects.exists()


# --- Query counts -----------------------------------------------------------------------------


def _plan_of(count: int) -> bytes:
    return mspdi_xml("".join(milestone_xml(uid, f"Milestone {uid}") for uid in range(1, count + 1)))


@pytest.mark.parametrize("size", [2, 40])
def test_the_preview_page_runs_the_same_queries_whatever_the_plans_size(
    client, pm, project, django_assert_num_queries, size
):
    for uid in range(1, size + 1, 2):  # half of the plan's milestones exist already
        MilestoneFactory(project=project, name=f"Milestone {uid}")
    client.force_login(pm)
    content = _plan_of(size)
    with django_assert_num_queries(PREVIEW_QUERIES):
        response = upload(client, project, content)
    assert len(response.context["preview"].rows) == size
    assert response.context["token"]


PREVIEW_QUERIES = 7
