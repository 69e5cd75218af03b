"""The odd inputs that gave a 500, one by one: each now gets a 400 or the normal page.

The sweep over every URL (tests/test_odd_input.py) keeps new views honest; these pin the
answer each of the reported cases gets. Run with the sweep: `pytest -m odd_input`.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import pytest
from django.core.exceptions import BadRequest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DataError
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from governance.selectors.ranking import WhatIf
from governance.tests.factories import CriterionFactory
from ppm.params import BIGINT_MAX, id_param, int_param, parse_id, parse_int
from projects.choices import ReportState
from projects.models import Dependency
from projects.services.costs import cost_csv_preview
from projects.tests.factories import StatusReportFactory

pytestmark = [pytest.mark.django_db, pytest.mark.odd_input]

HUGE = "99999999999999999999"  # beyond PostgreSQL's bigint
LONG = "9" * 5000  # beyond Python's 4300-digit int() limit


# --- ppm.params ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["²", "١٢", "1²", "", " 1", "1 ", "+1", "-", "1.0", "1e3", HUGE, LONG, "1\x00"]
)
def test_parse_int_reads_only_ascii_digits_within_bigint(text):
    assert parse_int(text) is None


def test_parse_int_reads_plain_numbers_and_keeps_to_its_bounds():
    assert parse_int("42") == 42
    assert parse_int("-7") == -7
    assert parse_int("007") == 7
    assert parse_int(str(BIGINT_MAX)) == BIGINT_MAX
    assert parse_int(str(BIGINT_MAX + 1)) is None
    assert parse_int("-1", min_value=0) is None
    assert parse_int("2101", max_value=2100) is None


def test_an_id_is_a_positive_bigint():
    assert parse_id("12") == 12
    assert parse_id("0") is None
    assert parse_id("-3") is None
    assert parse_id(HUGE) is None


def test_a_required_parameter_that_is_not_a_number_is_a_bad_request():
    query = QueryDict("fy=%C2%B2&project=" + HUGE)
    with pytest.raises(BadRequest, match="fy must be a whole number from 2000 to 2100"):
        int_param(query, "fy", min_value=2000, max_value=2100)
    with pytest.raises(BadRequest, match="project must be the id"):
        id_param(query, "project")
    assert int_param(QueryDict(""), "fy", default=2026) == 2026


# --- Unicode digits, huge numbers -------------------------------------------------------------


@pytest.mark.parametrize("value", ["²", HUGE, LONG])
def test_the_dashboard_reads_an_odd_portfolio_as_all_portfolios(
    client, pmo, portfolio, other_portfolio, value
):
    client.force_login(pmo)
    response = client.get(reverse("reporting:dashboard"), {"portfolio": value})
    assert response.status_code == 200
    assert response.context["selection"].portfolio is None


@pytest.mark.parametrize("name", ["reporting:projects", "projects:mine"])
def test_the_project_lists_ignore_an_odd_portfolio_filter(client, pmo, project, name):
    client.force_login(pmo)
    response = client.get(reverse(name), {"portfolio": "²"})
    assert response.status_code == 200
    assert response.context["params"].portfolio is None


@pytest.mark.parametrize("fy", ["²⁰²⁶", "٢٠٢٦", HUGE, LONG])
def test_an_odd_fiscal_year_on_the_ranking_is_a_400(client, director, portfolio, fy):
    client.force_login(director)
    response = client.get(reverse("governance:ranking", args=[portfolio.pk]), {"fy": fy})
    assert response.status_code == 400


def test_what_if_toggles_with_odd_ids_or_versions_are_ignored(client, director, portfolio, project):
    client.force_login(director)
    query = {
        "act-²": "defer",
        f"act-{HUGE}": "cancel",
        f"act-{project.pk}": "defer",
        f"v-{project.pk}": "²",
        "v-²": "1",
    }
    response = client.get(reverse("governance:ranking", args=[portfolio.pk]), query)
    assert response.status_code == 200
    whatif = WhatIf.from_query(QueryDict(urlencode(query)))
    assert (whatif.actions, whatif.versions) == ({project.pk: "defer"}, {})


@pytest.mark.parametrize("value", ["²", HUGE, LONG])
def test_scores_for_an_odd_project_id_are_a_400(client, director, portfolio, project, value):
    client.force_login(director)
    CriterionFactory()
    response = client.post(reverse("governance:scores", args=[portfolio.pk]), {"project": value})
    assert response.status_code == 400


def test_an_odd_criterion_version_changes_nothing_and_says_so(client, pmo):
    criterion = CriterionFactory()
    client.force_login(pmo)
    response = client.post(
        reverse("governance:criterion-active", args=[criterion.pk]),
        {"active": "0", "version": "²"},
        follow=True,
    )
    assert "That request was incomplete; nothing changed." in response.text
    criterion.refresh_from_db()
    assert criterion.active


@pytest.mark.parametrize("year", ["²⁰²⁶", "٢٠٢٦", "9999", "-202"])
def test_the_cost_grid_shows_its_default_year_for_an_odd_year(client, pm, project, year):
    # Over more than a year, the grid shows one fiscal year at a time (?year=).
    project.baseline_finish = date(2027, 12, 17)
    project.save(update_fields=["baseline_finish"])
    client.force_login(pm)
    response = client.get(reverse("projects:costs", args=[project.pk]), {"year": year})
    assert response.status_code == 200
    assert response.context["grid"].paged


@pytest.mark.parametrize(
    "name", ["projects:detail", "projects:costs", "projects:raid", "projects:history"]
)
def test_an_id_beyond_bigint_in_the_path_is_a_404(client, pmo, name):
    client.force_login(pmo)
    assert client.get(reverse(name, args=[HUGE])).status_code == 404


# --- NUL characters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("projects:mine", []),
        ("reporting:projects", []),
        ("projects:lessons-search", []),
        ("projects:raid-project-options", ["project"]),
        ("projects:raid-milestone-options", ["project"]),
    ],
)
def test_a_nul_in_a_query_string_is_a_400(client, pmo, project, name, args):
    client.force_login(pmo)
    url = reverse(name, args=[project.pk for _ in args])
    for query in ({"q": "\x00"}, {"depends_on": "ERP\x00"}, {"x\x00": "1"}):
        assert client.get(url, query).status_code == 400, query


def test_a_nul_in_a_posted_field_name_is_a_400(client, pm, project):
    client.force_login(pm)
    url = reverse("projects:raid-add", args=[project.pk, "risks"])
    assert client.post(url, {"title\x00": "x"}).status_code == 400


def test_a_nul_in_a_dependency_is_refused_next_to_the_field(client, pm, project, other_project):
    client.force_login(pm)
    response = client.post(
        reverse("projects:raid-add", args=[project.pk, "dependencies"]),
        {"title": "Network", "depends_on": "\x00", "status": "open"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["depends_on"] == ["Null characters are not allowed."]
    assert not Dependency.objects.exists()


def test_a_nul_in_a_text_field_is_refused_next_to_the_field(client, pm, project):
    client.force_login(pm)
    response = client.post(
        reverse("projects:raid-add", args=[project.pk, "issues"]),
        {"title": "Licen\x00ces", "status": "open", "priority": "medium"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["title"] == ["Null characters are not allowed."]


# --- The CSV export ------------------------------------------------------------------------


def test_the_csv_export_runs_its_query_before_the_download_starts(
    client, settings, pmo, portfolio, project
):
    """A query that fails is an error page, never a 200 whose file stops short. (The NUL
    middleware is taken out so that a NUL reaches the query, as any database error could.)"""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("RefuseNulMiddleware")]
    client.force_login(pmo)
    url = reverse("reporting:portfolio-projects-export", args=[portfolio.pk, "csv"])
    with pytest.raises(DataError):
        client.get(url, {"q": "\x00"})
    response = client.get(url, {"q": "ERP"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 2 and "ERP-01" in lines[1]
    empty = client.get(url, {"q": "nothing like it"})
    assert len(b"".join(empty.streaming_content).decode().splitlines()) == 1  # the header


# --- A CSV field over the csv module's 128 KB limit --------------------------------------------

HUGE_FIELD = "x" * 200_000
TOO_WIDE = "A value on this line is longer than 131,072 characters"


def test_a_csv_value_over_128_kb_is_that_rows_error():
    preview = cost_csv_preview(
        "month,expense_type,category,planned\n2026-03,opex,labour,5\n"
        f"2026-04,opex,labour,{HUGE_FIELD}\n"
    )
    assert [(e.row, e.message[: len(TOO_WIDE)]) for e in preview.errors] == [(3, TOO_WIDE)]
    header = cost_csv_preview(f"month,expense_type,{HUGE_FIELD}\n2026-03,opex,labour\n")
    assert [(e.row, e.message[: len(TOO_WIDE)]) for e in header.errors] == [(1, TOO_WIDE)]


def test_an_upload_with_a_value_over_128_kb_is_reviewed_with_its_error(client, pm, project):
    client.force_login(pm)
    text = f"month,expense_type,category,planned\n2026-03,opex,labour,{HUGE_FIELD}\n"
    file = SimpleUploadedFile("costs.csv", text.encode(), content_type="text/csv")
    response = client.post(reverse("projects:costs-import", args=[project.pk]), {"file": file})
    assert response.status_code == 200
    assert TOO_WIDE in response.text
    assert "Apply" not in response.text


# --- htmx asking for a submitted report ------------------------------------------------------


def test_htmx_asking_for_a_submitted_report_gets_the_read_only_page(client, pm, project):
    report = StatusReportFactory(
        project=project,
        period_end=date(2026, 10, 31),
        state=ReportState.SUBMITTED,
        submitted_at=timezone.now(),
        suggested_rags={d: "green" for d in ("overall", "schedule", "cost", "scope", "risk")},
    )
    client.force_login(pm)
    url = reverse("projects:status-report", args=[project.pk, report.pk])
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'data-testid="immutable-note"' in response.text
    assert "HX-Request" in response["Vary"]


def test_htmx_asking_a_reader_for_a_draft_gets_the_read_only_page(client, executive, project):
    report = StatusReportFactory(project=project, period_end=date(2026, 11, 30))
    client.force_login(executive)
    url = reverse("projects:status-report", args=[project.pk, report.pk])
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "report-editor" not in response.text
