"""The engine's tasks kept the names they had in `projects`: messages already queued, the beat
schedule and the lower apps' hand-offs (by name) must all find them."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from ppm.celery import app
from projects import tasks as handoff


def test_the_engine_tasks_answer_to_their_old_names():
    assert {
        "projects.recompute_stale",
        "projects.rebuild_stale_series",
        "projects.recompute_all",
        "projects.snapshot_rollups",
    } <= set(app.tasks)


def test_every_scheduled_and_handed_off_task_is_registered():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled | {handoff.RECOMPUTE_STALE, handoff.RECOMPUTE_ALL} <= set(app.tasks)


def test_an_edit_sends_the_recompute_by_name_once_per_burst(monkeypatch):
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, **options: sent.append(name))
    cache.delete(handoff.SCHEDULED_KEY)
    try:
        handoff.request_recompute()
        handoff.request_recompute()
    finally:
        cache.delete(handoff.SCHEDULED_KEY)
    assert sent == ["projects.recompute_stale"]
