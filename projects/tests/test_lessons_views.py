"""Lessons learned: recorded on the project (prompted at closure), searched across the
projects a user may see, with a constant number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portfolio.tests.factories import PortfolioFactory, UserFactory
from projects.choices import LifecycleState
from projects.models import LessonLearned
from projects.tests.factories import ProjectFactory
from projects.views.lessons import highlight

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
SEARCH = reverse("projects:lessons-search")


def page_url(project) -> str:
    return reverse("projects:lessons", args=[project.pk])


def lesson(project, title: str, *, category: str = "", what: str = "", recommendation: str = ""):
    return LessonLearned.objects.create(
        project=project,
        title=title,
        category=category,
        what_happened=what or f"{title}: what happened.",
        recommendation=recommendation or f"{title}: do this next time.",
        recorded_by=project.manager,
    )


def lesson_post(**overrides) -> dict:
    data = {
        "title": "Rehearse cutover twice",
        "category": "Deployment",
        "what_happened": "The first rehearsal found 14 missing steps in the runbook.",
        "recommendation": "Plan two full rehearsals with timings; go/no-go on the second.",
    }
    data.update(overrides)
    return data


# --- On the project -------------------------------------------------------------------------


def test_the_lessons_page_sends_an_anonymous_visitor_to_sign_in(client, project):
    assert client.get(page_url(project)).url.startswith(reverse("login"))
    assert client.get(SEARCH).url.startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["pm", "director", "pmo", "executive"])
def test_the_lessons_page_opens_for_everyone_who_may_see_the_project(
    client, request, persona, project
):
    lesson(project, "Book test windows early")
    client.force_login(request.getfixturevalue(persona))
    response = client.get(page_url(project))
    assert response.status_code == 200
    assert "Book test windows early" in response.text


@pytest.mark.parametrize("persona", ["other_pm", "other_director", "outsider"])
def test_the_lessons_page_is_refused_outside_the_users_scope(client, request, persona, project):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(page_url(project)).status_code == 403
    assert client.post(page_url(project), lesson_post()).status_code == 403


def test_an_executive_reads_lessons_but_records_none(client, executive, project):
    client.force_login(executive)
    assert "Record a lesson" not in client.get(page_url(project)).text
    assert client.post(page_url(project), lesson_post()).status_code == 403
    assert not LessonLearned.objects.exists()


def test_a_lesson_recorded_by_a_full_page_post(client, pm, project):
    client.force_login(pm)
    response = client.post(page_url(project), lesson_post(), follow=True)
    recorded = LessonLearned.objects.get()
    assert (recorded.project, recorded.recorded_by, recorded.category) == (
        project,
        pm,
        "Deployment",
    )
    assert response.redirect_chain[-1][0] == page_url(project)
    assert "Lesson “Rehearse cutover twice” recorded." in response.text


def test_a_lesson_recorded_with_htmx_returns_the_list_and_a_fresh_form(client, pm, project):
    client.force_login(pm)
    response = client.post(page_url(project), lesson_post(), headers=HTMX)
    assert response.text.lstrip().startswith('<div id="project-lessons"')
    assert "Rehearse cutover twice" in response.text
    assert not response.context["form"].is_bound


def test_a_refused_lesson_keeps_what_was_typed(client, pm, project):
    client.force_login(pm)
    response = client.post(page_url(project), lesson_post(recommendation="   "), headers=HTMX)
    assert response.context["form"].errors["recommendation"]
    assert "The first rehearsal found 14 missing steps in the runbook." in response.text
    assert 'value="Rehearse cutover twice"' in response.text
    assert not LessonLearned.objects.exists()


def test_a_closed_project_prompts_for_lessons_and_an_active_one_does_not(client, pm, project):
    client.force_login(pm)
    assert 'data-testid="closure-prompt"' not in client.get(page_url(project)).text
    project.state = LifecycleState.CLOSED
    project.save()
    response = client.get(page_url(project))
    assert 'data-testid="closure-prompt"' in response.text
    assert "This project is closed. What should the next team know?" in response.text


@pytest.mark.parametrize("size", [1, 9])
def test_the_lessons_page_runs_a_fixed_number_of_queries(
    client, pm, project, django_assert_num_queries, size
):
    for i in range(size):
        lesson(project, f"Lesson {i}", category=f"Category {i}")
    client.force_login(pm)
    # session, user, roles, project, may view, may change, lessons, categories
    with django_assert_num_queries(8):
        response = client.get(page_url(project))
    assert len(response.context["lessons"]) == size


# --- Across projects ------------------------------------------------------------------------


@pytest.fixture
def library(project, other_project, portfolio):
    """Lessons in ERP-01 (pm's), another project of the same portfolio, and DC-01."""
    sibling = ProjectFactory(portfolio=portfolio, code="CRM-02", name="Customer portal")
    lesson(
        project,
        "Name vendor resources in the contract",
        category="Procurement",
        what="The integrator swapped its lead architect mid-design.",
        recommendation="Key-person clauses and a handover period.",
    )
    lesson(
        sibling,
        "Book test windows with the business early",
        category="Testing",
        what="User testing clashed with the finance close.",
        recommendation="Agree test windows at plan approval.",
    )
    lesson(
        other_project,
        "Rehearse cutover twice",
        category="Deployment",
        what="The first rehearsal found 14 missing steps; the vendor runbook was stale.",
        recommendation="Two rehearsals with timings.",
    )
    return sibling


def titles(response) -> list[str]:
    return [hit.lesson.title for hit in response.context["hits"]]


def test_search_shows_only_lessons_of_projects_the_user_may_see(
    client, request, library, pm, director, executive, outsider
):
    client.force_login(pm)
    assert titles(client.get(SEARCH)) == ["Name vendor resources in the contract"]
    client.force_login(director)
    assert sorted(titles(client.get(SEARCH))) == [
        "Book test windows with the business early",
        "Name vendor resources in the contract",
    ]
    client.force_login(executive)
    assert len(titles(client.get(SEARCH))) == 3
    client.force_login(outsider)
    assert client.get(SEARCH).status_code == 403


def test_every_word_must_appear_somewhere_in_the_lesson(client, pmo, library):
    client.force_login(pmo)
    assert titles(client.get(SEARCH, {"q": "vendor"})) == [
        "Rehearse cutover twice",
        "Name vendor resources in the contract",
    ]
    assert titles(client.get(SEARCH, {"q": "VENDOR  runbook"})) == ["Rehearse cutover twice"]
    assert titles(client.get(SEARCH, {"q": "vendor finance"})) == []
    response = client.get(SEARCH, {"q": "close"})
    assert titles(response) == ["Book test windows with the business early"]
    assert "<mark>close</mark>" in response.text


def test_the_category_filter_narrows_the_search(client, pmo, library):
    client.force_login(pmo)
    response = client.get(SEARCH, {"category": "testing"})
    assert titles(response) == ["Book test windows with the business early"]
    assert response.context["categories"] == ["Deployment", "Procurement", "Testing"]


def test_search_pages_by_twenty(client, pmo, project):
    for i in range(23):
        lesson(project, f"Lesson {i:02d}")
    client.force_login(pmo)
    first = client.get(SEARCH, {"q": "lesson"})
    assert len(first.context["hits"]) == 20
    assert "?q=lesson&amp;page=2" in first.text
    second = client.get(SEARCH, {"q": "lesson", "page": 2})
    assert len(second.context["hits"]) == 3


def test_search_results_come_as_a_fragment_for_htmx(client, pmo, library):
    client.force_login(pmo)
    response = client.get(SEARCH, {"q": "cutover"}, headers=HTMX)
    assert response.text.lstrip().startswith('<div id="lesson-results"')
    assert "<html" not in response.text


def test_highlighting_escapes_the_text_and_marks_the_terms():
    text = "<script>alert('x')</script> Vendor delay; vendors again"
    html = highlight(text, ["vendor"])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert html.count("<mark>") == 2
    assert "<mark>Vendor</mark> delay" in html
    assert highlight("a < b", []) == "a &lt; b"


@pytest.mark.parametrize("size", [2, 25])
def test_search_runs_a_fixed_number_of_queries(client, pm, django_assert_num_queries, size):
    for i in range(size):
        project = ProjectFactory(portfolio=PortfolioFactory(), manager=UserFactory())
        if i % 2:
            project.manager = pm
            project.save()
        else:
            project.delegates.add(pm)
        lesson(project, f"Vendor lesson {i}", category=f"Category {i % 4}")
    client.force_login(pm)
    # session, user, roles, count, page rows, categories
    with django_assert_num_queries(6):
        response = client.get(SEARCH, {"q": "vendor"})
    assert response.context["results"].total == size
