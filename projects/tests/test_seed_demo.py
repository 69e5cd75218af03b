"""`seed_demo`: the demo organisation, the scaled generator, determinism, refusal and reset."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Sum

from portfolio.models import Portfolio, PortfolioBudget, Program, Resource
from portfolio.tests.factories import PortfolioFactory
from ppm.roles import Role
from projects.demo import LARGE_PROJECTS
from projects.demo.db import DOMAIN_MODELS, audit_event_tables, row_counts
from projects.demo.large import portfolio_count, volume_problems
from projects.demo.people import PERSONA_PMS, PERSONAS
from projects.models import (
    ChangeRequest,
    CostLine,
    LessonLearned,
    Milestone,
    Project,
    StatusReport,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 1)


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--today", TODAY.isoformat(), *args, stdout=out)
    return out.getvalue()


def checksum() -> dict[str, str]:
    """A digest of every demo table's full contents, ids and timestamps included."""
    digests = {}
    with connection.cursor() as cursor:
        for model in DOMAIN_MODELS:
            cursor.execute(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) "  # noqa: S608
                f"FROM {model._meta.db_table} t"
            )
            digests[model._meta.label] = cursor.fetchone()[0]
    return digests


def test_every_role_has_a_login_with_the_demo_password():
    seed()
    for persona in PERSONAS:
        user = User.objects.get(username=persona.username)
        assert list(user.groups.values_list("name", flat=True)) == [persona.role.value]
    # Hashing is slow by design: check one login per role.
    for username in ("director", "director2", "pm", "pmo", "executive", "ana.silva"):
        assert authenticate(username=username, password="demo") == User.objects.get(
            username=username
        )
    assert authenticate(username="pm", password="wrong") is None


def test_small_is_a_believable_it_organisation():
    seed()
    names = set(Portfolio.objects.values_list("name", flat=True))
    assert {"Enterprise Applications", "Infrastructure & Cloud", "Cyber Security"} <= names
    assert {"Data & Analytics"} <= names
    assert 20 <= Project.objects.count() <= 30
    assert Project.objects.filter(name__contains="S/4HANA").exists()
    assert Project.objects.filter(name__contains="SD-WAN").exists()
    programmes = Program.objects.annotate(n=Count("projects"))
    assert programmes.filter(n__gte=3).count() >= 2  # cloud migration and zero trust at least
    counts = row_counts()
    for label, count in counts.items():
        assert count > 0, f"{label} is empty"
    groups = set(Resource.objects.values_list("group", flat=True))
    assert {"Developers", "Infrastructure engineers", "Security analysts"} <= groups
    assert {"Data engineers", "Business analysts"} <= groups
    assert PortfolioBudget.objects.filter(fiscal_year=TODAY.year).count() == 5
    # Every project has its rollup, so the dashboards have figures from the first page view.
    assert Project.objects.filter(rollup__isnull=True).count() == 0


def test_scoping_is_visible_between_directors_and_managers():
    seed()
    assert Portfolio.objects.filter(director__username="director2").count() == 1
    assert Portfolio.objects.filter(director__username="director").count() >= 3
    assert Project.objects.filter(manager__username="pm").count() >= 3
    delegated = Project.objects.filter(delegates__username="pm")
    assert delegated.count() == 1
    assert delegated.get().manager.username != "pm"


def test_a_slipped_milestone_keeps_its_forecast_history():
    seed()
    slipped = (
        Milestone.objects.filter(forecast_date__gt=F("baseline_date"))
        .annotate(n=Count("forecasts"))
        .filter(n__gte=3)
    )
    assert slipped.exists()
    for milestone in slipped:
        series = list(milestone.forecasts.order_by("as_of", "id"))
        assert series[0].forecast_date == milestone.baseline_date
        assert series[-1].forecast_date == milestone.forecast_date
        assert [s.as_of for s in series] == sorted(s.as_of for s in series)
        assert all(s.reason for s in series)
        assert all(s.as_of < TODAY for s in series)


def test_history_stops_before_the_reference_day():
    seed()
    reports = StatusReport.objects.all()
    assert max(r.period_end for r in reports) == date(2026, 10, 31)
    assert all(r.submitted_at.date() < TODAY for r in reports if r.submitted_at)
    assert reports.filter(state="draft").exists()
    assert not reports.filter(state="submitted", submitted_at__isnull=True).exists()
    assert not Milestone.objects.filter(actual_date__gte=TODAY).exists()
    for project in Project.objects.filter(state="active"):
        assert project.baseline_start <= TODAY <= project.forecast_finish
    for project in Project.objects.filter(state__in=["proposed", "approved"]):
        assert project.baseline_start > TODAY


def test_decisions_and_lessons_are_where_they_belong():
    seed()
    decided = ChangeRequest.objects.filter(state__in=["approved", "rejected"])
    assert {"approved", "rejected"} <= set(decided.values_list("state", flat=True))
    assert all(cr.decided_by_id and cr.decision_comment for cr in decided)
    closed = Project.objects.filter(state="closed")
    assert closed.exists()
    assert all(p.lessons.exists() for p in closed)
    lesson_states = set(LessonLearned.objects.values_list("project__state", flat=True))
    assert lesson_states <= {"closed", "cancelled"}


def test_budget_at_completion_is_the_cost_plan_total():
    seed()
    projects = Project.objects.annotate(plan=Sum("cost_lines__planned"))
    assert all(p.budget_at_completion == p.plan for p in projects)
    assert all(p.budget_at_completion > 0 for p in projects)


def test_generated_rows_write_no_audit_events_and_auditing_resumes():
    seed()
    with connection.cursor() as cursor:
        for table in audit_event_tables():
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            assert cursor.fetchone()[0] == 0, table
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrigger_%%' AND tgenabled <> 'O'"
        )
        assert cursor.fetchone()[0] == 0
    portfolio = PortfolioFactory(director=User.objects.get(username="director"))
    assert portfolio.events.count() == 1


def test_a_second_run_is_refused_unless_reset():
    seed()
    before = row_counts()
    with pytest.raises(CommandError, match="--reset"):
        seed()
    assert row_counts() == before
    # Submitted status reports are protected from DELETE; the reset goes round that.
    assert StatusReport.objects.filter(state="submitted").exists()
    seed("--reset")
    assert row_counts() == before


def test_it_refuses_to_write_over_data_it_did_not_create():
    PortfolioFactory()
    with pytest.raises(CommandError, match=r"portfolio\.Portfolio"):
        seed()


@pytest.mark.parametrize(
    "arguments",
    [["--today", "01/11/2026"], ["--projects", "0"], ["--size", "large", "--projects", "5"]],
)
def test_bad_arguments_are_refused(arguments):
    with pytest.raises((CommandError, SystemExit)):
        call_command("seed_demo", *arguments, stdout=StringIO(), stderr=StringIO())


def test_projects_n_keeps_the_large_proportions():
    seed("--projects", "200")
    counts = row_counts()
    assert counts["portfolio.Portfolio"] == 1
    assert counts["projects.Project"] == 200
    assert counts["projects.Milestone"] == 200 * 20
    assert counts["projects.CostLine"] == 200 * 24 * 4
    assert counts["projects.Risk"] == 200 * 5
    assert counts["projects.ProjectScore"] == 200 * 5
    assert volume_problems(counts, 200) == []
    assert counts["projects.StatusReport"] >= 200 * 4
    for label, count in counts.items():
        assert count > 0, f"{label} is empty"
    assert Portfolio.objects.get().director.username == "director"
    # 200 projects need no project managers beyond the named ones.
    assert User.objects.filter(groups__name=Role.PROJECT_MANAGER).count() == len(PERSONA_PMS)


@pytest.mark.parametrize(("projects", "portfolios"), [(1, 1), (999, 1), (1000, 2), (10_000, 20)])
def test_portfolios_scale_with_projects_up_to_twenty(projects, portfolios):
    assert portfolio_count(projects) == portfolios
    assert portfolio_count(50_000) == 20


@pytest.mark.parametrize("size", [["--projects", "200"], []], ids=["scaled", "small"])
def test_the_same_seed_gives_the_same_rows(size):
    seed(*size, "--seed", "7")
    first = checksum()
    seed(*size, "--seed", "7", "--reset")
    assert checksum() == first
    seed(*size, "--seed", "8", "--reset")
    changed = {label for label, digest in checksum().items() if digest != first[label]}
    assert "projects.CostLine" in changed
    assert "projects.StatusReport" in changed


def test_size_large_generates_the_benchmark_size(monkeypatch):
    # The 10,000-project set itself is generated and checked by the bench harness (make
    # bench: bench/run.py checks volume_problems before measuring); here, that --size large
    # asks the generator for exactly that size.
    from projects.management.commands import seed_demo as command

    asked = []

    def generate(**options):
        asked.append(options["projects"])
        raise command.DemoDataExists("stop here")

    monkeypatch.setattr(command, "generate", generate)
    with pytest.raises(CommandError):
        seed("--size", "large")
    assert asked == [LARGE_PROJECTS] == [10_000]


def test_the_volume_check_names_what_is_missing():
    counts = {"portfolio.Portfolio": 20, "projects.Project": 10_000, "projects.Risk": 49_999}
    problems = volume_problems(counts, 10_000)
    assert "projects.Risk: 49,999 rows, expected 50,000" in problems
    assert "projects.Milestone: 0 rows, expected 200,000" in problems
    assert not any(p.startswith(("portfolio.Portfolio", "projects.Project:")) for p in problems)


@pytest.mark.parametrize("size", [["--projects", "200"], []], ids=["scaled", "small"])
def test_actuals_stop_at_the_month_of_the_reference_day(size):
    seed(*size)
    lines = CostLine.objects.filter(actual__gt=0)
    assert lines.exists()
    assert not lines.filter(month__gt=TODAY.replace(day=1)).exists()
