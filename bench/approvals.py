"""(f) "My approvals" at the large size: a reviewer with 500 open reviews across the 10,000
projects, among 2,000 reviews others hold; server time (p50/p95) and SQL queries per request
of the page as it opens (the first 50 rows, the counts over all 500).

The reviews are made once per database (a workflow named "Bench approvals" marks them) in a
few bulk statements: 2,500 projects enrolled, 500 open reviews with the reviewer's seat, 1,500
others' reviews (half decided). Rows are written directly, as the demo seed writes its own:
the services are exercised by the tests, this measures the reading.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.report import percentile

WORKFLOW = "Bench approvals"
REVIEWER = "bench.reviewer"
MINE, OTHERS = 500, 1500


def prepare_approvals() -> dict[str, Any]:
    from governance.models import (
        Gate,
        ProjectWorkflow,
        Review,
        ReviewSeat,
        Workflow,
        WorkflowVersion,
    )
    from ppm.roles import Role
    from projects.models import Project

    User = get_user_model()
    if Workflow.objects.filter(name=WORKFLOW).exists():
        return {"approvals_open_reviews": Review.objects.filter(state="open").count()}
    started = time.perf_counter()
    with transaction.atomic():
        from django.contrib.auth.models import Group

        reviewer = User.objects.create_user(REVIEWER, first_name="Bench")  # no password: bench only
        reviewer.groups.add(Group.objects.get(name=Role.DIRECTOR))
        others = list(User.objects.exclude(pk=reviewer.pk).order_by("pk")[:20])
        workflow = Workflow.objects.create(name=WORKFLOW)
        version = WorkflowVersion.objects.create(
            workflow=workflow, number=1, state="published", published_at=timezone.now()
        )
        gates = [
            Gate.objects.create(
                workflow_version=version, order=i, name=name, phase=name, sla_days=5
            )
            for i, name in enumerate(("Business case", "Plan", "Build"), start=1)
        ]
        projects = list(
            Project.objects.order_by("pk").values_list("pk", "portfolio_id", "code")[
                : MINE + OTHERS
            ]
        )
        ProjectWorkflow.objects.bulk_create(
            ProjectWorkflow(project_id=pk, workflow_version=version, next_gate=gates[1])
            for pk, _, _ in projects
        )
        now = timezone.now()
        reviews = []
        for i, (pk, portfolio_id, code) in enumerate(projects):
            requested = now - timedelta(days=i % 20, hours=i % 7)
            decided = i >= MINE and i % 2 == 0
            reviews.append(
                Review(
                    kind="gate",
                    portfolio_id=portfolio_id,
                    project_id=pk,
                    gate=gates[1],
                    workflow_version=version,
                    title=f"{code} · Plan",
                    rule="m_of_n",
                    rule_m=2,
                    sla_days=5,
                    requested_by=others[i % len(others)],
                    requested_at=requested,
                    due_at=requested + timedelta(days=5),
                    state="approved" if decided else "open",
                    decided_at=requested + timedelta(days=2) if decided else None,
                )
            )
        Review.objects.bulk_create(reviews, batch_size=1000)
        seats = []
        for i, review in enumerate(reviews):
            first = reviewer if i < MINE else others[i % len(others)]
            for person in (first, others[(i + 1) % 20], others[(i + 2) % 20]):
                seats.append(
                    ReviewSeat(
                        review=review,
                        user=person,
                        label=person.get_full_name() or person.username,
                        holders=[person.pk],
                    )
                )
        ReviewSeat.objects.bulk_create(seats, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE governance_review; ANALYZE governance_reviewseat")
    return {"approvals_prepare_s": round(time.perf_counter() - started, 1)}


def measure_approvals(*, requests: int = 50, warmup: int = 5) -> dict[str, Any]:
    prepared = prepare_approvals()
    from django.conf import settings

    user = get_user_model().objects.get(username=REVIEWER)
    url = reverse("governance:approvals")
    with override_settings(DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        client = Client()
        client.force_login(user)

        def get() -> bytes:
            response = client.get(url, secure=True)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code}")
            return response.content

        for _ in range(warmup):
            body = get()
        times = []
        for _ in range(requests):
            began = time.perf_counter()
            get()
            times.append(time.perf_counter() - began)
        with CaptureQueriesContext(connection) as queries:
            get()
    from governance.selectors.approvals import PAGE_SIZE

    shown = body.count(b'data-testid="approval-row"')
    if shown != min(MINE, PAGE_SIZE) or f"{MINE} waiting for you".encode() not in body:
        raise RuntimeError(
            f"My approvals showed {shown} rows and not “{MINE} waiting for you” (the first "
            f"page of {PAGE_SIZE}, counted over all {MINE})"
        )
    return {
        **prepared,
        "approvals_p50_ms": round(percentile(times, 50) * 1000, 1),
        "approvals_p95_ms": round(percentile(times, 95) * 1000, 1),
        "approvals_mean_ms": round(statistics.fmean(times) * 1000, 1),
        "approvals_queries": len(queries.captured_queries),
        "approvals_rows_shown": shown,
    }
