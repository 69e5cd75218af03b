"""What every project section view shares: loading a project in scope, the page header and
tabs, and turning a service's answer (DomainError, ConflictError) into form feedback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ppm.access import can_change, require_view
from ppm.audit import history_for
from ppm.htmx import HtmxHttpRequest
from ppm.roles import Role, has_role
from projects.models import Project
from projects.selectors import project_for_page
from projects.services import ConflictError, DomainError


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    url_name: str


TABS = (
    Tab("overview", "Overview", "projects:detail"),
    Tab("status", "Status", "projects:status"),
    Tab("milestones", "Milestones", "projects:milestones"),
    Tab("costs", "Costs", "projects:costs"),
    Tab("raid", "RAID", "projects:raid"),
    Tab("changes", "Change requests", "projects:changes"),
    Tab("lessons", "Lessons", "projects:lessons"),
    Tab("history", "History", "projects:history"),
)


def _tab_url(tab: Tab, pk: int) -> str | None:
    # Sections are installed one module at a time; a tab shows once its URL exists.
    try:
        return reverse(tab.url_name, args=[pk])
    except NoReverseMatch:
        return None


def load_project(request: HtmxHttpRequest, pk: int, *, write: bool = False) -> Project:
    """The project for a section page, or 404 / 403. `write` demands change rights too."""
    try:
        project = project_for_page(pk=pk)
    except Project.DoesNotExist:
        raise Http404("No such project.") from None
    require_view(request.user, project)
    project.user_can_change = can_change(request.user, project)
    if write and not project.user_can_change:
        raise PermissionDenied("You may view this project but not change it.")
    return project


def section_context(request: HtmxHttpRequest, project: Project, active: str) -> dict[str, Any]:
    """Context of the shared header and tabs (templates/projects/_header.html)."""
    user = request.user
    return {
        "project": project,
        "currency": project.portfolio.currency,
        "can_change": project.user_can_change,
        # Only a portfolio reader gets a link to the portfolio; the check needs no query.
        "can_open_portfolio": has_role(user, Role.PMO, Role.EXECUTIVE)
        or (has_role(user, Role.DIRECTOR) and project.portfolio.director_id == user.pk),
        "tabs": [
            {"key": t.key, "label": t.label, "url": url, "active": t.key == active}
            for t in TABS
            if (url := _tab_url(t, project.pk))
        ],
        "active_tab": active,
        # The header's "As of": when this page was read. Sections may pass their own.
        "as_of": timezone.localtime(),
    }


@dataclass
class Conflict:
    """Shown when a save was based on an old version: who changed what, and the user's input."""

    who: str
    when: datetime | None
    differences: list[tuple[str, str, str]]  # (field label, their value now, your value)


def _display(obj: models.Model, name: str, value: Any) -> str:
    try:
        field = obj._meta.get_field(name)
    except Exception:
        return "" if value is None else str(value)
    if getattr(field, "choices", None):
        return dict(field.flatchoices).get(value, value or "—")
    if value is None or value == "":
        return "—"
    return str(value)


def describe_conflict(error: ConflictError, form: forms.Form) -> Conflict:
    """Compare the row as it is now with what the user submitted, field by field."""
    current = error.current
    latest = history_for(current, limit=1)
    differences = []
    for name, bound in form.fields.items():
        if name == "version" or name not in form.cleaned_data:
            continue
        theirs = getattr(current, name, None)
        if not hasattr(current, name):
            continue
        if isinstance(theirs, models.Model):
            theirs = theirs.pk
        yours = form.cleaned_data[name]
        if isinstance(yours, models.Model):
            yours = yours.pk
        if theirs != yours:
            differences.append(
                (
                    bound.label or name,
                    _display(current, name, theirs),
                    _display(current, name, yours),
                )
            )
    return Conflict(
        who=latest[0].user_name if latest else "someone",
        when=latest[0].when if latest else None,
        differences=differences,
    )


def call_service(form: forms.Form, call: Callable[[], Any]) -> tuple[Any, Conflict | None]:
    """Run a service for a valid form. A DomainError becomes an error next to its field (or
    on the form); a ConflictError becomes a Conflict, and the form's hidden version moves to
    the current one so that submitting again applies the user's input deliberately.

    Returns (result, None) on success, (None, conflict-or-None) when the form must be shown
    again — the user's input is kept in the bound form either way.
    """
    try:
        return call(), None
    except DomainError as error:
        field = error.field if error.field in form.fields else None
        form.add_error(field, error.message)
        return None, None
    except ConflictError as error:
        conflict = describe_conflict(error, form)
        if "version" in form.fields:
            data = form.data.copy()
            data[form.add_prefix("version")] = str(error.current.version)
            form.data = data
        form.add_error(None, str(error))
        return None, conflict


class VersionedForm(forms.Form):
    """A form editing a versioned row: carries the version the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
