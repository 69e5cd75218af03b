"""Governance's periodic task: reviews past their SLA are flagged, and their approvers and
requester told, once (beat runs it every 15 minutes; ppm/settings.py CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from governance.services.reviews import reviews_flag_overdue


@shared_task(name="governance.flag_overdue_reviews", ignore_result=True)
def flag_overdue_reviews() -> int:
    """Idempotent: each review's flag is claimed with a conditional UPDATE, so two runs (or
    two workers) never tell twice. Returns how many reviews were flagged."""
    return reviews_flag_overdue()
