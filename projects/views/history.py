"""Project section: the audit trail, readable ("Ana Silva moved 'Go-live' from 3 Mar to 17 Mar:
vendor delay")."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from ppm.htmx import HtmxHttpRequest
from projects.history import project_history
from projects.views.common import load_project, section_context


@require_GET
@login_required
def history(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Every audited change to the project and the rows it owns, newest first."""
    project = load_project(request, pk)
    return render(
        request,
        "projects/history.html",
        {
            **section_context(request, project, "history"),
            "entries": project_history(project=project),
        },
    )


urlpatterns = [path("<int:pk>/history/", history, name="history")]
