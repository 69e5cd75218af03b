"""The Celery application shared by the web process, workers and beat."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import celeryd_after_setup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ppm.settings")

app = Celery("ppm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# A worker started with CELERY_WORKER_ROLE=reports takes only the report queue (PDF
# rendering: reporting.services.reports.report_queue) and runs at a lower CPU priority, so
# packs rendering beside the web processes leave the dashboards fast (bench: dashboard p95
# during PDF). Any other worker takes the default queue only.
REPORTS_ROLE = "reports"


@celeryd_after_setup.connect
def _report_worker(sender, instance, **kwargs) -> None:
    if os.environ.get("CELERY_WORKER_ROLE", "") != REPORTS_ROLE:
        return
    queues = instance.app.amqp.queues
    default = instance.app.conf.task_default_queue
    queues.select_add(f"{default}-reports")
    queues.deselect([default])
    os.nice(int(os.environ.get("CELERY_REPORTS_NICE", "10")))
