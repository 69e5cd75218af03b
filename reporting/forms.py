"""Forms of the report pages: the PMO's report definition (with its schedule) and the library's
filters. Forms validate the shape of the input; the rules (a one-pager names its project, a
crontab that never fires) are the service's (reporting.services.schedules), whose
DomainError lands next to the field it names."""

from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.utils import timezone

from portfolio.models import Portfolio
from ppm.params import parse_id, parse_int
from ppm.roles import ALL_ROLES
from projects.models import Project
from reporting import cron
from reporting.choices import SCHEDULABLE, Cadence, ReportKind, RunStatus
from reporting.models import ReportDefinition
from reporting.services.schedules import DefinitionInput, organisation_zone

WEEKDAYS = (
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
)
# The crontab each preset writes (reporting.cron.weekly / monthly), read back for the form.
_WEEKLY = re.compile(r"^(\d{1,2}) (\d{1,2}) \* \* ([0-7])$")
_MONTHLY = re.compile(r"^(\d{1,2}) (\d{1,2}) (\d{1,2}) \* \*$")
DEFAULT_AT = time(7, 0)
CRON_HELP = (
    "Five fields, local time: minute, hour, day of month, month, day of week "
    "(0 or 7 = Sunday). Each is <code>*</code>, a number, a range <code>1-5</code>, a list "
    "<code>1,15</code> or a step <code>*/2</code>. Example: <code>30 6 * * 1-5</code> is "
    "weekdays at 06:30."
)


def people_with_a_role() -> QuerySet:
    """Who may receive a report: active people holding a role in Conductor."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[r.value for r in ALL_ROLES])
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class PeopleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.get_username()})" if name else obj.get_username()


class ProjectField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.code} {obj.name}"


def schedule_words(cadence: str, cron_text: str) -> str:
    """The schedule as a PMO says it: “Mondays at 07:00 (Europe/Berlin)”."""
    zone = organisation_zone().key
    if cadence == Cadence.WEEKLY and (m := _WEEKLY.match(cron_text)):
        day = WEEKDAYS[(int(m[3]) - 1) % 7][1]
        return f"{day}s at {int(m[2]):02d}:{int(m[1]):02d} ({zone})"
    if cadence == Cadence.MONTHLY and (m := _MONTHLY.match(cron_text)):
        return f"Day {int(m[3])} of every month at {int(m[2]):02d}:{int(m[1]):02d} ({zone})"
    return f"Custom: {cron_text} ({zone})"


def upcoming(cron_text: str, *, count: int = 3, now: datetime | None = None) -> list[datetime]:
    """The next `count` firings of `cron_text` in the organisation's zone (CronError if it is
    not a crontab that fires)."""
    zone = organisation_zone()
    moments = cron.parse(cron_text).upcoming(now or timezone.now(), zone, count=count)
    return [moment.astimezone(zone) for moment in moments]


class DefinitionForm(forms.Form):
    """A report definition and its schedule, as the PMO edits them."""

    name = forms.CharField(
        max_length=200,
        error_messages={"required": "Give the report a name."},
        help_text="Shown in the report library and in the mail's subject.",
    )
    kind = forms.ChoiceField(
        label="Report",
        choices=[(str(k), k.label) for k in SCHEDULABLE],
        error_messages={
            "required": "Choose which report.",
            "invalid_choice": "Choose a report from the list.",
        },
    )
    portfolios = forms.ModelMultipleChoiceField(
        queryset=Portfolio.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every portfolio each recipient may see.",
        error_messages={"invalid_choice": "Choose portfolios from the list."},
    )
    project = ProjectField(
        label="Project (for a one-pager)",
        queryset=Project.objects.none(),
        required=False,
        empty_label="No project",
        error_messages={"invalid_choice": "Choose a project from the list."},
    )
    recipients = PeopleField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Each receives only the portfolios they may see.",
        error_messages={"invalid_choice": "Choose people from the list."},
    )
    recipient_groups = forms.ModelMultipleChoiceField(
        label="Recipient groups",
        queryset=Group.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Everyone holding the role, now and later.",
        error_messages={"invalid_choice": "Choose groups from the list."},
    )
    budget_change_pct = forms.DecimalField(
        label="Budget change threshold (%)",
        min_value=Decimal(0),
        max_value=Decimal(1000),
        max_digits=5,
        decimal_places=2,
        initial=Decimal(5),
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
        help_text="“What changed” lists a budget change of at least this share of the budget.",
        error_messages={
            "required": "Give a threshold (0 lists every change).",
            "invalid": "A number such as 5 or 2.5.",
            "min_value": "The threshold is 0 to 1000 per cent.",
            "max_value": "The threshold is 0 to 1000 per cent.",
            "max_digits": "The threshold is 0 to 1000 per cent.",
            "max_decimal_places": "At most two decimals.",
        },
    )
    enabled = forms.BooleanField(
        label="Enabled (sent on its schedule)", required=False, initial=True
    )
    cadence = forms.ChoiceField(
        label="How often",
        choices=Cadence.choices,
        widget=forms.RadioSelect,
        initial=Cadence.WEEKLY,
        error_messages={
            "required": "Choose how often it runs.",
            "invalid_choice": "Choose how often it runs.",
        },
    )
    weekday = forms.TypedChoiceField(
        label="Day of the week",
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        initial=0,
        error_messages={"invalid_choice": "Choose a day of the week."},
    )
    day = forms.IntegerField(
        label="Day of the month",
        min_value=1,
        max_value=28,
        required=False,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
        help_text="1 to 28, so every month has it.",
        error_messages={
            "invalid": "A day from 1 to 28.",
            "min_value": "A day from 1 to 28.",
            "max_value": "A day from 1 to 28 (every month has it).",
        },
    )
    at = forms.TimeField(
        label="Time",
        required=False,
        initial=DEFAULT_AT,
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "A time such as 07:00."},
    )
    cron = forms.CharField(
        label="Crontab",
        max_length=100,
        required=False,
        strip=True,
        help_text=CRON_HELP,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Evaluated per form, so portfolios and people added since start-up are offered.
        self.fields["portfolios"].queryset = Portfolio.objects.order_by("name")
        self.fields["project"].queryset = Project.objects.order_by("code")
        self.fields["recipients"].queryset = people_with_a_role()
        self.fields["recipient_groups"].queryset = Group.objects.filter(
            name__in=[r.value for r in ALL_ROLES]
        ).order_by("name")
        self.fields["version"].required = editing

    def clean(self) -> dict:
        data = super().clean()
        cadence = data.get("cadence")
        at = data.get("at")
        if cadence == Cadence.WEEKLY:
            if data.get("weekday") in (None, ""):
                if "weekday" not in self.errors:
                    self.add_error("weekday", "Choose a day of the week.")
            elif at is None and "at" not in self.errors:
                self.add_error("at", "Give the time it runs, such as 07:00.")
            elif at is not None:
                data["cron_text"] = cron.weekly(weekday=data["weekday"], at=at)
        elif cadence == Cadence.MONTHLY:
            if data.get("day") is None:
                if "day" not in self.errors:
                    self.add_error("day", "Give the day of the month, 1 to 28.")
            elif at is None and "at" not in self.errors:
                self.add_error("at", "Give the time it runs, such as 07:00.")
            elif at is not None:
                data["cron_text"] = cron.monthly(day=data["day"], at=at)
        elif cadence == Cadence.CRON:
            text = data.get("cron") or ""
            if not text:
                self.add_error("cron", "Write the crontab, such as 0 7 * * 1.")
            else:
                try:
                    data["cron_text"] = cron.parse(text).text
                except cron.CronError as error:
                    self.add_error("cron", str(error))
        return data

    def schedule_preview(self) -> tuple[list[datetime], str]:
        """(the next three firings, or a sentence saying why there are none) of the schedule
        in the form as it stands; for a bound form that is what the user typed."""
        if not self.is_bound:
            text = self._initial_cron()
        else:
            self.is_valid()
            text = self.cleaned_data.get("cron_text", "")
            if not text:
                for name in ("cron", "weekday", "day", "at"):
                    if name in self.errors:
                        return [], self.errors[name][0]
                return [], "Complete the schedule to see when it runs."
        try:
            return upcoming(text), ""
        except cron.CronError as error:
            return [], str(error)

    def _initial_cron(self) -> str:
        cadence = self.initial.get("cadence", Cadence.WEEKLY)
        at = self.initial.get("at", DEFAULT_AT)
        if cadence == Cadence.MONTHLY:
            return cron.monthly(day=self.initial.get("day", 1), at=at)
        if cadence == Cadence.CRON:
            return self.initial.get("cron", "")
        return cron.weekly(weekday=self.initial.get("weekday", 0), at=at)

    def to_input(self) -> DefinitionInput:
        data = self.cleaned_data
        return DefinitionInput(
            name=data["name"],
            kind=data["kind"],
            portfolios=list(data["portfolios"]),
            project=data["project"],
            recipients=list(data["recipients"]),
            recipient_groups=list(data["recipient_groups"]),
            budget_change_pct=data["budget_change_pct"],
            enabled=data["enabled"],
            cadence=data["cadence"],
            cron=data["cron_text"],
        )

    @staticmethod
    def initial_for(definition: ReportDefinition) -> dict:
        """The form's values for a saved definition; a preset's crontab is read back into
        its day and time (the custom text is kept too, so switching to custom starts from
        it)."""
        schedule = getattr(definition, "schedule", None)
        initial = {
            "name": definition.name,
            "kind": definition.kind,
            "portfolios": [p.pk for p in definition.portfolios.all()],
            "project": definition.project_id,
            "recipients": [u.pk for u in definition.recipients.all()],
            "recipient_groups": [g.pk for g in definition.recipient_groups.all()],
            "budget_change_pct": definition.budget_change_pct,
            "enabled": definition.enabled,
            "version": definition.version,
        }
        if schedule is None:
            return initial
        initial.update(cadence=schedule.cadence, cron=schedule.cron)
        if schedule.cadence == Cadence.WEEKLY and (m := _WEEKLY.match(schedule.cron)):
            initial.update(weekday=(int(m[3]) - 1) % 7, at=time(int(m[2]), int(m[1])))
        elif schedule.cadence == Cadence.MONTHLY and (m := _MONTHLY.match(schedule.cron)):
            initial.update(day=int(m[3]), at=time(int(m[2]), int(m[1])))
        return initial


class LibraryFilters:
    """The library's filters read from the query string: anything unknown is no filter."""

    def __init__(self, query) -> None:
        self.definition = parse_id(query.get("definition"))
        status = query.get("status", "")
        self.status = status if status in RunStatus.values else ""
        kind = query.get("kind", "")
        self.kind = kind if kind in ReportKind.values else ""
        # A page past the end shows the last; anything that is not a page number, the first.
        self.page = parse_int(query.get("page"), min_value=1) or 1

    @property
    def active(self) -> bool:
        return bool(self.definition or self.status or self.kind)
