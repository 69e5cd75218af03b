"""A project's audit trail told in sentences: who did what to which item, and why.

Values read as the rest of the product shows them: field labels (verbose names), money with
the portfolio's currency, dates as "3 Mar 2026", choices by their label, people by name, and
a JSON field one sentence per key ("Suggested cost health: Amber → Red"), never a dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.text import Truncator
from pghistory.models import Events

from ppm.audit import AuditEntry, entries_from_events
from ppm.audit_trackers import BASELINE_LABEL
from ppm.templatetags.conductor import DASH, format_money
from projects.choices import RAG, CostCategory
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

# JSON fields keyed by RAG dimension: how one key reads, and whether its values are RAG values.
_JSON_KEYS: dict[str, tuple[str, bool]] = {
    "suggested_rags": ("suggested {key} health", True),
    "override_reasons": ("reason for {key} health", False),
}

# Free text is shown whole up to this length; a longer narrative is cut with an ellipsis.
_TEXT_CHARS = 160


@dataclass(frozen=True)
class HistoryLine:
    when: datetime
    who: str
    sentence: str
    reason: str
    changes: list[tuple[str, str, str]]  # (field label, before, after)


def _field(model: type[models.Model], name: str) -> models.Field | None:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _is_money(field: models.Field) -> bool:
    # Every amount of money in Conductor is a DecimalField with cents and room for millions
    # (budget, cost lines, cost impacts); weights, hours and percentages are narrower.
    return (
        isinstance(field, models.DecimalField)
        and field.decimal_places == 2
        and field.max_digits >= 12
    )


def _is_rag(field: models.Field) -> bool:
    return bool(field.choices) and list(field.choices) == list(RAG.choices)


def _label(model: type[models.Model], name: str) -> str:
    field = _field(model, name)
    if field is None:
        return name.replace("_", " ")
    label = str(field.verbose_name)
    if _is_rag(field) and "health" not in label:
        return f"{label} health"
    return label


class _Values:
    """Formats raw audit values (JSON types) for one project: its currency, its people."""

    def __init__(self, *, currency: str, users: dict[int, str]) -> None:
        self.currency = currency
        self.users = users

    def format(self, model: type[models.Model], name: str, raw: object) -> str:
        if raw is None or raw == "" or raw == {}:
            return DASH
        field = _field(model, name)
        if field is None:
            return str(raw)
        if field.choices:
            return str(dict(field.flatchoices).get(raw, raw))
        if isinstance(field, models.BooleanField):
            return "yes" if raw else "no"
        if isinstance(field, models.ForeignKey):
            if field.related_model is get_user_model():
                return self.users.get(raw, f"user #{raw}")
            return f"#{raw}"
        if isinstance(field, models.DateTimeField):
            return _datetime(raw)
        if isinstance(field, models.DateField):
            return _date(raw)
        if isinstance(field, models.DecimalField):
            return self._decimal(field, name, raw)
        if isinstance(field, models.TextField | models.CharField):
            return Truncator(str(raw)).chars(_TEXT_CHARS)
        return str(raw)

    def _decimal(self, field: models.DecimalField, name: str, raw: object) -> str:
        try:
            amount = Decimal(str(raw))
        except InvalidOperation:
            return str(raw)
        if _is_money(field):
            # Whole amounts read as the dashboards show them; cents only when there are some.
            places = 0 if amount == amount.to_integral_value() else 2
            return format_money(amount, self.currency, places=places)
        text = f"{amount.normalize():f}"
        return f"{text}%" if name.startswith("percent") else text

    def rows(
        self, model: type[models.Model], name: str, before: object, after: object
    ) -> list[tuple[str, str, str]]:
        """One (label, before, after) per change; a JSON object gives one per changed key."""
        field = _field(model, name)
        if isinstance(field, models.JSONField) and (
            isinstance(before, dict | None) and isinstance(after, dict | None)
        ):
            return self._json_rows(model, name, before or {}, after or {})
        return [
            (_label(model, name), self.format(model, name, before), self.format(model, name, after))
        ]

    def _json_rows(
        self, model: type[models.Model], name: str, before: dict, after: dict
    ) -> list[tuple[str, str, str]]:
        pattern, rag_values = _JSON_KEYS.get(name, (f"{_label(model, name)}: {{key}}", False))
        rag_labels = dict(RAG.choices) if rag_values else {}
        rows = []
        for key in sorted(set(before) | set(after)):
            old, new = before.get(key), after.get(key)
            if old == new:
                continue
            label = pattern.format(key=str(key).replace("_", " "))
            rows.append(
                (label, self._json_value(old, rag_labels), self._json_value(new, rag_labels))
            )
        return rows

    @staticmethod
    def _json_value(raw: object, labels: dict[str, str]) -> str:
        if raw is None or raw == "":
            return DASH
        if isinstance(raw, str):
            return labels.get(raw, Truncator(raw).chars(_TEXT_CHARS))
        return str(raw)


def _date(raw: object) -> str:
    if isinstance(raw, str):
        try:
            return f"{date.fromisoformat(raw[:10]):%-d %b %Y}"
        except ValueError:
            return raw
    return str(raw)


def _datetime(raw: object) -> str:
    if isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            return raw
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return f"{moment:%-d %b %Y, %H:%M}"
    return str(raw)


def _month(raw: object) -> str:
    try:
        return f"{date.fromisoformat(str(raw)[:10]):%b %Y}"
    except ValueError:
        return str(raw)


def _name_of(entry: AuditEntry, model: type[models.Model], data: dict) -> str:
    for key in ("name", "title", "code"):
        if data.get(key):
            return f"'{data[key]}'"
    if "period_end" in data:
        return f"for {_date(data['period_end'])}"
    if "month" in data:
        category = data.get("category")
        kind = str(dict(CostCategory.choices).get(category, category)) if category else ""
        return f"{kind} for {_month(data['month'])}".strip()
    return f"#{entry.object_id}"


def _sentence(entry: AuditEntry, what: str, rows: list[tuple[str, str, str]]) -> str:
    who = entry.user_name
    if entry.action == "insert":
        return f"{who} added {what}"
    if entry.action == "delete":
        return f"{who} deleted {what}"
    if not entry.before_known:
        return f"{who} changed {what} (the values before this change were not recorded)"
    if len(rows) == 1:
        ((label, before, after),) = rows
        if before == DASH:
            return f"{who} set {what} {label} to {after}"
        if after == DASH:
            return f"{who} cleared {what} {label} (was {before})"
        return f"{who} moved {what} {label} from {before} to {after}"
    return f"{who} changed {what}"


def _user_ids(entries: list[AuditEntry]) -> set[int]:
    """Ids of the people named in the changes (deciders, owners, managers)."""
    user_model = get_user_model()
    ids: set[int] = set()
    for entry in entries:
        model = apps.get_model(entry.model)
        for name, pair in entry.changes.items():
            field = _field(model, name)
            if isinstance(field, models.ForeignKey) and field.related_model is user_model:
                ids.update(value for value in pair if isinstance(value, int))
    return ids


def project_history(*, project: Project, limit: int = 200) -> list[HistoryLine]:
    """The project's own events and those of the rows that reference it, newest first, in a
    fixed number of queries."""
    events = list(
        Events.objects.references(project)
        .exclude(pgh_label=BASELINE_LABEL)
        .order_by("-pgh_created_at", "-pgh_id")[:limit]
    )
    entries = [
        entry
        for entry in entries_from_events(events)
        if TRACKED.get(entry.model)
        # an update that touched only bookkeeping columns says nothing to a reader
        and not (entry.action == "update" and entry.before_known and not entry.changes)
    ]
    user_ids = _user_ids(entries)
    users = {
        user.pk: (user.get_full_name() or user.get_username())
        for user in (get_user_model().objects.filter(pk__in=user_ids) if user_ids else [])
    }
    values = _Values(currency=project.portfolio.currency, users=users)
    lines = []
    for entry in entries:
        model = apps.get_model(entry.model)
        noun = TRACKED[entry.model]
        what = (
            "the project" if noun == "project" else f"{noun} {_name_of(entry, model, entry.data)}"
        )
        rows = [
            row
            for name, (before, after) in entry.changes.items()
            for row in values.rows(model, name, before, after)
        ]
        lines.append(
            HistoryLine(
                when=entry.when,
                who=entry.user_name,
                sentence=_sentence(entry, what, rows),
                reason=entry.reason,
                changes=rows,
            )
        )
    return lines
