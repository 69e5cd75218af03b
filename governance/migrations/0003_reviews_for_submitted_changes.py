"""Change requests submitted before the gate engine wait for a decision with no review: open
one for each, with the panel a new change request gets when no change rule applies — the
portfolio's director or any PMO member, any one of them, due CHANGE_REQUEST_DECISION_DAYS
after it was submitted (so one waiting long already shows as overdue).

Written with the historical models only (no service imports): the seats mirror
`governance.services.reviews.panel_seats` for `DefaultChangePanel`. A change nobody could
decide (no active director, no PMO member) is left as it is.
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations


def _name(user) -> str:
    return f"{user.first_name} {user.last_name}".strip() or user.username


def open_reviews(apps, schema_editor):
    ChangeRequest = apps.get_model("projects", "ChangeRequest")
    Review = apps.get_model("governance", "Review")
    ReviewSeat = apps.get_model("governance", "ReviewSeat")
    Group = apps.get_model("auth", "Group")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    sla = settings.CHANGE_REQUEST_DECISION_DAYS
    pmo = Group.objects.filter(name="PMO").first()
    pmo_members = (
        list(
            User.objects.filter(groups=pmo, is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if pmo
        else []
    )
    reviewed = Review.objects.filter(kind="change").values("change_request_id")
    waiting = (
        ChangeRequest.objects.filter(state="submitted")
        .exclude(pk__in=reviewed)
        .select_related("project__portfolio__director", "project__manager", "raised_by")
        .order_by("pk")
    )
    for change in waiting.iterator(chunk_size=500):
        project = change.project
        portfolio = project.portfolio
        director = portfolio.director
        seats = []
        if director.is_active:
            seats.append(
                ReviewSeat(
                    user=director,
                    label=f"{_name(director)} (portfolio director)"[:200],
                    holders=[director.pk],
                )
            )
        if pmo_members:
            seats.append(ReviewSeat(group=pmo, label=f"Any of {pmo.name}", holders=pmo_members))
        if not seats:
            continue
        requested = change.submitted_at or change.created_at
        review = Review.objects.create(
            kind="change",
            portfolio=portfolio,
            change_request=change,
            title=f"{project.code} · Change: {change.title}"[:300],
            attempt=1,
            rule="any",
            rule_m=1,
            sla_days=sla,
            checklist=[],
            note="",
            state="open",
            requested_by=change.raised_by or project.manager,
            requested_at=requested,
            due_at=requested + timedelta(days=sla),
        )
        for seat in seats:
            seat.review = review
        ReviewSeat.objects.bulk_create(seats)


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0002_standard_workflow"),
        ("projects", "0016_project_phase"),
        ("ppm", "0001_roles"),
    ]

    operations = [migrations.RunPython(open_reviews, migrations.RunPython.noop)]
