"""A project's audit trail told in sentences: who did what to which item, and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.apps import apps
from django.db import models
from pghistory.models import Events

from ppm.audit import AuditEntry, entries_from_events
from projects.models import Project

# Project-owned models whose events the history shows, with the noun a reader knows them by.
TRACKED = {
    "projects.Project": "project",
    "projects.Milestone": "milestone",
    "projects.StatusReport": "status report",
    "projects.CostLine": "cost line",
    "projects.Risk": "risk",
    "projects.Issue": "issue",
    "projects.Assumption": "assumption",
    "projects.Dependency": "dependency",
    "projects.ChangeRequest": "change request",
    "projects.LessonLearned": "lesson",
    "projects.Allocation": "allocation",
}


@dataclass(frozen=True)
class HistoryLine:
    when: datetime
    who: str
    sentence: str
    reason: str
    changes: list[tuple[str, str, str]]  # (field label, before, after)


def _label(model: type[models.Model], name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:
        return name.replace("_", " ")


def _value(model: type[models.Model], name: str, raw: object) -> str:
    if raw is None or raw == "":
        return "—"
    try:
        field = model._meta.get_field(name)
    except Exception:
        return str(raw)
    if field.choices:
        return str(dict(field.flatchoices).get(raw, raw))
    if isinstance(field, models.DateField) and isinstance(raw, str):
        try:
            return f"{date.fromisoformat(raw[:10]):%-d %b %Y}"
        except ValueError:
            return raw
    return str(raw)


def _name_of(entry: AuditEntry, data: dict) -> str:
    for key in ("name", "title", "code"):
        if data.get(key):
            return f"'{data[key]}'"
    if "period_end" in data:
        return f"for {_value(Project, 'baseline_start', data['period_end'])}"
    if "month" in data:
        return f"{data.get('category', '')} {data['month'][:7]}".strip()
    return f"#{entry.object_id}"


def _sentence(entry: AuditEntry, noun: str, data: dict, model) -> str:
    what = f"{noun} {_name_of(entry, data)}" if noun != "project" else "the project"
    if entry.action == "insert":
        return f"{entry.user_name} added {what}"
    if entry.action == "delete":
        return f"{entry.user_name} deleted {what}"
    if len(entry.changes) == 1:
        ((name, (before, after)),) = entry.changes.items()
        return (
            f"{entry.user_name} moved {what} {_label(model, name)} from "
            f"{_value(model, name, before)} to {_value(model, name, after)}"
        )
    return f"{entry.user_name} changed {what}"


def project_history(*, project: Project, limit: int = 200) -> list[HistoryLine]:
    """The project's own events and those of the rows that reference it, newest first, in a
    fixed number of queries."""
    events = list(Events.objects.references(project).order_by("-pgh_created_at", "-pgh_id")[:limit])
    lines = []
    for entry, event in zip(entries_from_events(events), events, strict=True):
        model = apps.get_model(entry.model)
        label = model._meta.label
        noun = TRACKED.get(label)
        if noun is None:
            continue
        if entry.action == "update" and not entry.changes:
            continue  # only bookkeeping columns changed
        data = event.pgh_data or {}
        lines.append(
            HistoryLine(
                when=entry.when,
                who=entry.user_name,
                sentence=_sentence(entry, noun, data, model),
                reason=entry.reason,
                changes=[
                    (_label(model, n), _value(model, n, b), _value(model, n, a))
                    for n, (b, a) in entry.changes.items()
                ],
            )
        )
    return lines
