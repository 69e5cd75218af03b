"""A project's gate page: the gate track, ticking the next gate's checklist, evidence checked
and stored through Django's storage (and served only to people who may see the project),
requesting the review once the checklist is complete, and enrolment by the PMO."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from governance.choices import ReviewKind, ReviewState
from governance.models import CriterionCheck, Evidence, ProjectWorkflow, Review
from governance.services import reviews
from governance.tests.gates import published_workflow
from projects.choices import LifecycleState as S
from projects.models import Project
from projects.services import DomainError

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def media(tmp_path):
    with override_settings(MEDIA_ROOT=tmp_path):
        yield tmp_path


def _stored(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def version(pmo, director):
    return published_workflow(
        pmo,
        [
            {"name": "Idea", "phase": "Business case", "portfolio_director": True},
            {
                "name": "Plan",
                "phase": "Build",
                "state_after": S.ACTIVE,
                "portfolio_director": True,
                "criteria": [("Schedule baselined", True), ("Risks logged", False)],
            },
            {"name": "Go-live", "phase": "Run", "portfolio_director": True},
        ],
    )


@pytest.fixture
def enrolled(version, project, pmo):
    reviews.project_enrol(
        project=project, version=version, next_gate=version.gates.get(name="Plan"), by=pmo
    )
    Project.objects.filter(pk=project.pk).update(state=S.APPROVED, current_gate="Idea")
    project.refresh_from_db()
    return project


def _page(project) -> str:
    return reverse("governance:project-gates", args=[project.pk])


def _criterion(version, text):
    return version.gates.get(name="Plan").criteria.get(text=text)


def _check_url(project, criterion) -> str:
    return reverse("governance:project-gate-check", args=[project.pk, criterion.pk])


def _evidence_url(project, criterion) -> str:
    return reverse("governance:project-gate-evidence", args=[project.pk, criterion.pk])


def _upload(client, project, criterion, name, content, **extra):
    prefix = f"c{criterion.pk}"
    return client.post(
        _evidence_url(project, criterion),
        {f"{prefix}-file": SimpleUploadedFile(name, content), f"{prefix}-link": "", **extra},
    )


# --- The page --------------------------------------------------------------------------------


def test_the_page_shows_every_gate_with_its_status_and_the_next_gates_checklist(
    client, pm, enrolled, version
):
    client.force_login(pm)
    page = client.get(_page(enrolled))
    assert page.status_code == 200
    text = page.text
    assert f"{version} · phase" in text
    track = text.split('data-testid="gate-track"')[1].split("</ol>")[0]
    assert track.index("Idea") < track.index("Plan") < track.index("Go-live")
    assert "before enrolment" in track  # Idea passed without a review here
    assert 'aria-current="step"' in track
    assert "Next gate: Plan" in text
    assert "Schedule baselined" in text and "Risks logged" in text
    assert "Before you can request the review" in text


def test_the_overview_links_to_the_gate_page_and_shows_the_phase(client, pm, enrolled):
    Project.objects.filter(pk=enrolled.pk).update(phase="Business case")
    client.force_login(pm)
    text = client.get(reverse("projects:detail", args=[enrolled.pk])).text
    assert f'href="{_page(enrolled)}"' in text
    assert "phase Business case" in text


def test_a_reader_sees_the_checklist_without_forms(client, executive, enrolled, version):
    client.force_login(executive)
    text = client.get(_page(enrolled)).text
    assert "Schedule baselined" in text
    assert "Attach evidence" not in text and "Request review" not in text
    criterion = _criterion(version, "Risks logged")
    assert client.post(_check_url(enrolled, criterion), {}).status_code == 403


def test_people_outside_the_project_are_refused(client, other_pm, enrolled):
    client.force_login(other_pm)
    assert client.get(_page(enrolled)).status_code == 403


# --- Ticking ---------------------------------------------------------------------------------


def test_the_pm_ticks_a_criterion_with_a_note_without_javascript(client, pm, enrolled, version):
    criterion = _criterion(version, "Risks logged")
    client.force_login(pm)
    prefix = f"c{criterion.pk}"
    response = client.post(
        _check_url(enrolled, criterion), {f"{prefix}-met": "on", f"{prefix}-note": "In RAID"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#criterion-{criterion.pk}")
    check = CriterionCheck.objects.get(project=enrolled, criterion=criterion)
    assert (check.met, check.note, check.updated_by) == (True, "In RAID", pm)
    text = client.get(response["Location"]).text
    assert "marked met" in text


def test_an_htmx_tick_answers_with_the_next_gate_fragment(client, pm, enrolled, version):
    criterion = _criterion(version, "Risks logged")
    client.force_login(pm)
    response = client.post(
        _check_url(enrolled, criterion),
        {f"c{criterion.pk}-met": "on", f"c{criterion.pk}-note": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="next-gate"')
    assert "<html" not in response.text
    assert "“Risks logged” marked met." in response.text


def test_a_too_long_note_is_refused_next_to_the_field(client, pm, enrolled, version):
    criterion = _criterion(version, "Risks logged")
    client.force_login(pm)
    prefix = f"c{criterion.pk}"
    response = client.post(
        _check_url(enrolled, criterion), {f"{prefix}-met": "on", f"{prefix}-note": "x" * 1001}
    )
    assert response.status_code == 200
    assert f'id="id_{prefix}-note_error"' in response.text
    assert not CriterionCheck.objects.exists()


def test_a_criterion_of_another_gate_is_not_found(client, pm, enrolled, version):
    other = version.gates.get(name="Go-live")
    criterion = other.criteria.create(order=1, text="Support ready")
    client.force_login(pm)
    assert client.post(_check_url(enrolled, criterion), {}).status_code == 404


# --- Evidence --------------------------------------------------------------------------------


def test_a_pdf_is_stored_and_listed_with_its_download_link(client, pm, enrolled, version, media):
    criterion = _criterion(version, "Schedule baselined")
    client.force_login(pm)
    response = _upload(
        client, enrolled, criterion, "plan.pdf", PDF, **{f"c{criterion.pk}-name": "The plan"}
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert (evidence.name, evidence.content_type, evidence.size) == (
        "The plan",
        "application/pdf",
        len(PDF),
    )
    (stored,) = _stored(media)
    assert stored.read_bytes() == PDF
    text = client.get(_page(enrolled)).text
    assert reverse("governance:evidence-download", args=[evidence.pk]) in text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.exe", b"MZ\x90\x00 a program", "Evidence is a PDF"),
        ("plan.pdf", b"<html>not a pdf</html>", "its content is not"),
        ("empty.pdf", b"", "The file is empty."),
    ],
)
def test_a_bad_file_is_refused_next_to_the_field_and_nothing_is_stored(
    client, pm, enrolled, version, media, name, content, message
):
    criterion = _criterion(version, "Schedule baselined")
    client.force_login(pm)
    response = _upload(client, enrolled, criterion, name, content)
    assert response.status_code == 200
    error = response.text.split(f'id="id_c{criterion.pk}-file_error"')[1].split("</div></div>")[0]
    assert message in error.replace("&#x27;", "'")
    assert not Evidence.objects.exists()
    assert _stored(media) == []


def test_a_nul_in_the_title_is_refused_next_to_it_and_nothing_is_stored(
    client, pm, enrolled, version, media
):
    criterion = _criterion(version, "Schedule baselined")
    client.force_login(pm)
    prefix = f"c{criterion.pk}"
    response = _upload(client, enrolled, criterion, "plan.pdf", PDF, **{f"{prefix}-name": "a\x00b"})
    assert response.status_code == 200
    assert (
        "Null characters are not allowed."
        in response.text.split(f'id="id_{prefix}-name_error"')[1].split("</div>")[0]
    )
    assert not Evidence.objects.exists()
    assert _stored(media) == []


def test_a_nul_in_the_files_name_never_reaches_the_store(client, pm, enrolled, version, media):
    """Django's upload parser drops unprintable characters from a file's name, so the file is
    stored under a clean name; the service refuses a NUL that reaches it any other way."""
    criterion = _criterion(version, "Schedule baselined")
    client.force_login(pm)
    _upload(client, enrolled, criterion, "plan\x00.pdf", PDF)
    evidence = Evidence.objects.get()
    assert "\x00" not in evidence.name and "\x00" not in evidence.file.name
    with pytest.raises(DomainError, match="name under 150 characters") as refused:
        reviews.evidence_add(
            target=enrolled,
            criterion=criterion,
            by=pm,
            upload=SimpleUploadedFile("plan\x00.pdf", PDF, "application/pdf"),
        )
    assert refused.value.field == "file"
    assert Evidence.objects.count() == 1


def test_an_oversize_file_is_refused_with_the_limit(client, pm, enrolled, version, media):
    criterion = _criterion(version, "Schedule baselined")
    client.force_login(pm)
    with override_settings(EVIDENCE_MAX_BYTES=1_048_576):
        response = _upload(client, enrolled, criterion, "big.pdf", PDF + b"0" * 1_048_576)
    error = response.text.split(f'id="id_c{criterion.pk}-file_error"')[1].split("</div>")[0]
    assert "evidence is at most 1 MB" in error
    assert not Evidence.objects.exists()
    assert _stored(media) == []


def test_a_link_is_shown_as_its_address_without_a_redirect(client, pm, enrolled, version):
    criterion = _criterion(version, "Schedule baselined")
    client.force_login(pm)
    prefix = f"c{criterion.pk}"
    url = "https://wiki.example.org/plan"
    client.post(_evidence_url(enrolled, criterion), {f"{prefix}-link": url})
    evidence = Evidence.objects.get()
    text = client.get(_page(enrolled)).text
    assert f'href="{url}" rel="noopener noreferrer"' in text
    assert client.get(reverse("governance:evidence-download", args=[evidence.pk])).status_code == (
        404
    )


def test_a_bad_link_is_refused_next_to_its_field(client, pm, enrolled, version):
    criterion = _criterion(version, "Schedule baselined")
    client.force_login(pm)
    prefix = f"c{criterion.pk}"
    response = client.post(
        _evidence_url(enrolled, criterion), {f"{prefix}-link": "javascript:alert(1)"}
    )
    assert "Give a full web address" in response.text.split(f'id="id_{prefix}-link_error"')[1]
    assert 'value="javascript:alert(1)"' in response.text  # what was typed is kept
    assert not Evidence.objects.exists()


def _attach_pdf(project, criterion, by, name="plan.pdf"):
    return reviews.evidence_add(
        target=project,
        criterion=criterion,
        by=by,
        upload=SimpleUploadedFile(name, PDF, "application/pdf"),
    )


@pytest.mark.parametrize("persona", ["pm", "director", "pmo", "executive"])
def test_people_who_may_see_the_project_download_the_file(
    client, request, enrolled, version, pm, media, persona
):
    evidence = _attach_pdf(enrolled, _criterion(version, "Schedule baselined"), pm, "Plan ü.pdf")
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("governance:evidence-download", args=[evidence.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "Plan" in disposition and ".pdf" in disposition
    assert "/" not in disposition.split("filename", 1)[1]


@pytest.mark.parametrize("persona", ["other_pm", "other_director", "outsider"])
def test_nobody_else_can_download_it(client, request, enrolled, version, pm, media, persona):
    evidence = _attach_pdf(enrolled, _criterion(version, "Schedule baselined"), pm)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("governance:evidence-download", args=[evidence.pk])).status_code == (
        404
    )
    assert client.get(reverse("governance:evidence-download", args=[999999])).status_code == 404


def test_a_download_name_cannot_carry_a_path_or_a_header(enrolled, version, pm, media):
    from governance.views.gates import download_name

    evidence = _attach_pdf(enrolled, _criterion(version, "Schedule baselined"), pm)
    evidence.name = '../../etc/passwd"\r\nX-Evil: 1'
    assert download_name(evidence) == "etc_passwd_X-Evil_ 1.pdf"


def test_uncited_evidence_is_removed_with_its_file(
    client, pm, enrolled, version, media, django_capture_on_commit_callbacks
):
    evidence = _attach_pdf(enrolled, _criterion(version, "Schedule baselined"), pm)
    client.force_login(pm)
    url = reverse("governance:project-gate-evidence-remove", args=[enrolled.pk, evidence.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert not Evidence.objects.exists()
    assert _stored(media) == []


def test_evidence_a_review_cited_stays(client, pm, director, enrolled, version, media):
    schedule, risks = _criterion(version, "Schedule baselined"), _criterion(version, "Risks logged")
    evidence = _attach_pdf(enrolled, schedule, pm)
    for criterion in (schedule, risks):
        reviews.criterion_check_set(target=enrolled, criterion=criterion, by=pm, met=True, note="")
    review = reviews.review_request(project=enrolled, by=pm)
    reviews.review_decide(review=review, by=director, verdict="reject", comment="Not yet")
    client.force_login(pm)
    text = client.get(_page(enrolled)).text
    assert "Remove<span" not in text  # no button for cited evidence
    url = reverse("governance:project-gate-evidence-remove", args=[enrolled.pk, evidence.pk])
    response = client.post(url, follow=True)
    assert "stays with the decision record" in response.text
    assert Evidence.objects.filter(pk=evidence.pk).exists()


# --- Requesting the review -------------------------------------------------------------------


def test_the_review_cannot_be_requested_while_the_checklist_is_incomplete(
    client, pm, enrolled, version
):
    client.force_login(pm)
    text = client.get(_page(enrolled)).text
    missing = text.split('data-testid="missing"')[1].split("</ul>")[0]
    assert "Schedule baselined</a>: not ticked" in missing
    response = client.post(
        reverse("governance:project-gate-request", args=[enrolled.pk]), {"note": "Please"}
    )
    assert response.status_code == 200
    assert "Complete the checklist first" in response.text
    assert not Review.objects.exists()


def test_the_review_is_requested_once_the_checklist_is_complete(
    client, pm, enrolled, version, media
):
    schedule, risks = _criterion(version, "Schedule baselined"), _criterion(version, "Risks logged")
    for criterion in (schedule, risks):
        reviews.criterion_check_set(target=enrolled, criterion=criterion, by=pm, met=True, note="")
    client.force_login(pm)
    text = client.get(_page(enrolled)).text
    missing = text.split('data-testid="missing"')[1].split("</ul>")[0]
    assert "Schedule baselined</a>: evidence required" in missing
    _attach_pdf(enrolled, schedule, pm)
    assert "Request review</button>" in client.get(_page(enrolled)).text

    response = client.post(
        reverse("governance:project-gate-request", args=[enrolled.pk]), {"note": "Ready"}
    )
    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.kind, review.state, review.note, review.gate.name) == (
        ReviewKind.GATE,
        ReviewState.OPEN,
        "Ready",
        "Plan",
    )
    text = client.get(_page(enrolled)).text
    assert 'data-testid="open-review"' in text
    assert "Attach evidence" not in text  # frozen in the review
    prefix = f"c{risks.pk}"
    refused = client.post(_check_url(enrolled, risks), {f"{prefix}-note": "late"}, follow=True)
    assert "under way" in refused.text
    assert CriterionCheck.objects.get(criterion=risks).note == ""


# --- Enrolment -------------------------------------------------------------------------------


def test_the_pmo_enrols_a_project_that_follows_no_workflow(client, pmo, project, version):
    client.force_login(pmo)
    text = client.get(_page(project)).text
    assert 'data-testid="enrol-form"' in text and str(version) in text
    plan = version.gates.get(name="Plan")
    response = client.post(
        reverse("governance:project-gate-enrol", args=[project.pk]), {"next_gate": plan.pk}
    )
    assert response.status_code == 302
    workflow = ProjectWorkflow.objects.get(project=project)
    assert (workflow.workflow_version, workflow.next_gate) == (version, plan)


def test_others_read_why_there_is_no_checklist_and_may_not_enrol(client, pm, project, version):
    client.force_login(pm)
    text = client.get(_page(project)).text
    assert "The PMO enrols a project" in text and "enrol-form" not in text
    response = client.post(
        reverse("governance:project-gate-enrol", args=[project.pk]),
        {"next_gate": version.gates.first().pk},
    )
    assert response.status_code == 403
    assert not ProjectWorkflow.objects.exists()


def test_enrolling_with_a_bad_gate_says_so_next_to_the_field(client, pmo, project, version):
    client.force_login(pmo)
    response = client.post(
        reverse("governance:project-gate-enrol", args=[project.pk]), {"next_gate": "999999"}
    )
    assert response.status_code == 200
    assert 'id="id_next_gate_error"' in response.text
    assert not ProjectWorkflow.objects.exists()


# --- Queries ---------------------------------------------------------------------------------


def _project_with(pmo, pm, portfolio, *, gates: int, criteria: int, evidence: int, name: str):
    from projects.tests.factories import ProjectFactory

    version = published_workflow(
        pmo,
        [
            {
                "name": f"Gate {g}",
                "phase": f"Phase {g}",
                "portfolio_director": True,
                "criteria": [(f"Criterion {g}.{c}", c % 2 == 0) for c in range(criteria)],
            }
            for g in range(gates)
        ],
        name=name,
        default=False,
    )
    project = ProjectFactory(portfolio=portfolio, manager=pm)
    nxt = version.gates.order_by("order")[gates - 1]
    reviews.project_enrol(project=project, version=version, next_gate=nxt, by=pmo)
    for criterion in nxt.criteria.all():
        reviews.criterion_check_set(target=project, criterion=criterion, by=pm, met=True, note="")
        for i in range(evidence):
            reviews.evidence_add(
                target=project, criterion=criterion, by=pm, link=f"https://x.example/{i}"
            )
    return project


def test_the_gate_page_runs_in_a_constant_number_of_queries(client, pmo, pm, portfolio):
    small = _project_with(pmo, pm, portfolio, gates=2, criteria=1, evidence=1, name="Small")
    large = _project_with(pmo, pm, portfolio, gates=6, criteria=8, evidence=3, name="Large")
    client.force_login(pm)
    counts = []
    for project in (small, large):
        client.get(_page(project))  # warm the session
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_page(project)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == 12, counts


# --- Storage -----------------------------------------------------------------------------------


def test_evidence_goes_through_the_configured_storage(client, pm, enrolled, version, tmp_path):
    """Nothing assumes a local disk: with another default storage the file lands there and
    the download reads it back from there."""
    memory = {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    criterion = _criterion(version, "Schedule baselined")
    client.force_login(pm)
    with override_settings(STORAGES=memory, MEDIA_ROOT=tmp_path):
        _upload(client, enrolled, criterion, "plan.pdf", PDF)
        evidence = Evidence.objects.get()
        assert _stored(tmp_path) == []
        response = client.get(reverse("governance:evidence-download", args=[evidence.pk]))
        assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize(
    ("value", "message"),
    [("s3", "needs django-storages with boto3"), ("ftp", "use local or s3")],
)
def test_a_file_storage_that_cannot_work_stops_start_up(value, message):
    from ppm.tests.test_settings import load_settings

    result = load_settings(FILE_STORAGE=value, S3_BUCKET="evidence")
    assert result.returncode != 0
    assert message in result.stderr
    assert load_settings(FILE_STORAGE="local").returncode == 0


def test_htmx_gets_the_fragment_with_a_files_error_and_a_reload_after_a_request(
    client, pm, enrolled, version, media
):
    schedule, risks = _criterion(version, "Schedule baselined"), _criterion(version, "Risks logged")
    client.force_login(pm)
    prefix = f"c{schedule.pk}"
    refused = client.post(
        _evidence_url(enrolled, schedule),
        {f"{prefix}-file": SimpleUploadedFile("setup.exe", b"MZ")},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 200 and "<html" not in refused.text
    assert f'id="id_{prefix}-file_error"' in refused.text
    assert '<details class="gate-attach" open>' in refused.text  # the form stays unfolded
    for criterion in (schedule, risks):
        reviews.criterion_check_set(target=enrolled, criterion=criterion, by=pm, met=True, note="")
    _attach_pdf(enrolled, schedule, pm)
    requested = client.post(
        reverse("governance:project-gate-request", args=[enrolled.pk]),
        {"note": ""},
        headers={"HX-Request": "true"},
    )
    assert requested["HX-Redirect"] == _page(enrolled)
    assert Review.objects.filter(project=enrolled, state=ReviewState.OPEN).count() == 1
