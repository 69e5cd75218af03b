"""The API's resources (/api/v1/…): the same rows the pages show, narrowed by the same rule.

Every queryset goes through `ppm.access.scope`, so a token sees exactly what its owner sees
in the browser: a project another manager runs is a 404, not a 403, as on the pages. Lists
are cursor-paginated (stable under inserts, no COUNT over 10,000 rows), filtered with
django-filter and ordered by a closed list of fields; each list runs a fixed number of
queries whatever its page size (tests/test_api_resources.py pins them).
"""

from __future__ import annotations

import django_filters
from django.db.models import F, Q
from rest_framework import ISO_8601, serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.settings import api_settings

from portfolio.models import Portfolio
from ppm.access import scope
from ppm.api.pagination import ByProject, Cursor
from ppm.api.writes import MilestoneWrites
from projects.choices import RAG, ReportState
from projects.models import (
    ChangeRequest,
    CostLine,
    Issue,
    Milestone,
    Project,
    Risk,
    StatusReport,
)
from reporting.kpis import CATALOGUE
from reporting.models import ProjectRollup, ProjectRollupSnapshot


class ScopedViewSet(viewsets.ReadOnlyModelViewSet):
    """A read-only resource narrowed to what the request's user may see."""

    base_queryset = None
    pagination_class = Cursor
    lookup_value_converter = "int"
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["code", "name"]
    ordering = ["code"]

    def get_queryset(self):
        return scope(self.base_queryset.all(), self.request.user)


# --- Portfolios ---------------------------------------------------------------------------


class PortfolioSerializer(serializers.ModelSerializer):
    director = serializers.CharField(source="director.username", read_only=True)

    class Meta:
        model = Portfolio
        fields = ["id", "code", "name", "description", "director", "currency"]


class PortfolioFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains", max_length=200)

    class Meta:
        model = Portfolio
        fields = ["code", "name", "currency"]


class PortfolioViewSet(ScopedViewSet):
    """Portfolios the user may see."""

    base_queryset = Portfolio.objects.select_related("director")
    serializer_class = PortfolioSerializer
    filterset_class = PortfolioFilter


# --- Projects ------------------------------------------------------------------------------


def iso_dates(field: serializers.DateField) -> bool:
    """Whether the field writes dates as ISO 8601 (DRF's default), as date.isoformat does."""
    form = getattr(field, "format", api_settings.DATE_FORMAT)
    return form in (ISO_8601, None) and not isinstance(field, serializers.DateTimeField)


class FlatRows(serializers.ModelSerializer):
    """A ModelSerializer whose rows are written straight from their attributes: ids of
    related rows, text, numbers and dates, each as DRF's own field would write it. A list of
    fifty rows spent most of its serialising time in the fields' machinery (bench (h)); a
    field of any other kind is written by the field itself. tests/test_api_resources.py
    checks that the rows equal ModelSerializer's."""

    _PLAIN = (serializers.CharField, serializers.IntegerField, serializers.BooleanField)

    def _plan(self):
        plan = []
        for name, field in self.fields.items():
            if isinstance(field, serializers.PrimaryKeyRelatedField):
                kind, attr = "id", self.Meta.model._meta.get_field(field.source).attname
            elif isinstance(field, serializers.DateField) and iso_dates(field):
                kind, attr = "date", field.source
            elif isinstance(field, self._PLAIN) and "." not in field.source:
                kind, attr = "plain", field.source
            else:
                kind, attr = "field", field
            plan.append((name, kind, attr))
        return plan

    def to_representation(self, instance):
        plan = self.__dict__.get("_cached_plan") or self.__dict__.setdefault(
            "_cached_plan", self._plan()
        )
        row = {}
        for name, kind, attr in plan:
            if kind == "field":
                row[name] = attr.to_representation(attr.get_attribute(instance))
                continue
            value = getattr(instance, attr)
            row[name] = value.isoformat() if kind == "date" and value is not None else value
        return row


class ProjectSerializer(FlatRows):
    manager = serializers.CharField(source="manager_name", read_only=True, default=None)
    sponsor = serializers.CharField(source="sponsor_name", read_only=True, default=None)
    health = serializers.CharField(source="health_rag", read_only=True, default=None)

    class Meta:
        model = Project
        fields = [
            "id",
            "code",
            "name",
            "portfolio",
            "program",
            "manager",
            "sponsor",
            "category",
            "delivery_method",
            "state",
            "phase",
            "baseline_start",
            "baseline_finish",
            "forecast_finish",
            "actual_finish",
            "health",
            "version",
        ]


# The people's usernames and the rollup's health are joined in as three columns, not as three
# related rows of every field (a rollup row has some fifty): the list's SQL is compiled and its
# rows built in a third of the time (bench (h)).
_PROJECT_COLUMNS = [
    f for f in ProjectSerializer.Meta.fields if f not in ("manager", "sponsor", "health")
]


class ProjectFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains", max_length=200)
    manager = django_filters.CharFilter(field_name="manager__username", max_length=150)
    health = django_filters.ChoiceFilter(field_name="rollup__health_rag", choices=RAG.choices)

    class Meta:
        model = Project
        fields = ["code", "name", "portfolio", "program", "state", "category", "manager"]


class ProjectViewSet(ScopedViewSet):
    """Projects the user may see, with their rule health from the rollups."""

    base_queryset = Project.objects.only(*_PROJECT_COLUMNS).annotate(
        manager_name=F("manager__username"),
        sponsor_name=F("sponsor__username"),
        health_rag=F("rollup__health_rag"),
    )
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    ordering_fields = ["code", "name", "baseline_finish", "forecast_finish"]


# --- A project's records -------------------------------------------------------------------


class ProjectRecordViewSet(ScopedViewSet):
    """Records of the projects the user may see (scoped through their project), filtered by
    `?project=<id>`, newest first unless `?ordering=` says otherwise."""

    ordering_fields = ["id"]
    ordering = ["-id"]


def _record_serializer(model, fields: list[str], **declared):
    meta = type("Meta", (), {"model": model, "fields": ["id", "project", *fields]})
    return type(
        f"{model.__name__}Serializer", (serializers.ModelSerializer,), {"Meta": meta, **declared}
    )


def _record_filter(model, fields: list[str]):
    meta = type("Meta", (), {"model": model, "fields": ["project", *fields]})
    return type(f"{model.__name__}Filter", (django_filters.FilterSet,), {"Meta": meta})


def _username(source: str):
    return serializers.CharField(source=f"{source}.username", read_only=True, default=None)


def record_viewset(model, *, fields, filters=(), ordering=("id",), related=(), **declared):
    """A read-only viewset of one kind of project record."""
    return type(
        f"{model.__name__}ViewSet",
        (ProjectRecordViewSet,),
        {
            "__doc__": f"{model._meta.verbose_name_plural.capitalize()} of the projects the "
            "user may see.",
            "base_queryset": model.objects.select_related(*related)
            if related
            else model.objects.all(),
            "serializer_class": _record_serializer(model, list(fields), **declared),
            "filterset_class": _record_filter(model, list(filters)),
            "ordering_fields": list(ordering),
            "ordering": ["-id"],
        },
    )


_Milestones = record_viewset(
    Milestone,
    fields=[
        "name",
        "description",
        "is_key",
        "weight",
        "baseline_date",
        "forecast_date",
        "actual_date",
        "version",
    ],
    filters=["is_key"],
    ordering=("id", "baseline_date", "forecast_date"),
)


class MilestoneViewSet(MilestoneWrites, _Milestones):
    """Milestones of the projects the user may see. Who may change the project edits them
    through the UI's services: PATCH (name, description, key, weight), POST …/reforecast/
    and …/achieve/, each with If-Match (see ppm/api/writes.py)."""


# What risks and issues share (projects.models.raid.RaidItem).
_RAID_FIELDS = ["title", "description", "owner", "due_date", "status", "closed_at", "version"]
_RAID_TIMES = ["created_at", "updated_at"]

RiskViewSet = record_viewset(
    Risk,
    fields=[
        *_RAID_FIELDS,
        "probability",
        "impact",
        "cost_impact",
        "response",
        "response_plan",
        *_RAID_TIMES,
    ],
    filters=["status", "probability", "impact"],
    ordering=("id", "due_date", "created_at"),
    related=("owner",),
    owner=_username("owner"),
)
IssueViewSet = record_viewset(
    Issue,
    fields=[*_RAID_FIELDS, "priority", *_RAID_TIMES],
    filters=["status", "priority"],
    ordering=("id", "due_date", "created_at"),
    related=("owner",),
    owner=_username("owner"),
)
ChangeRequestViewSet = record_viewset(
    ChangeRequest,
    fields=[
        "title",
        "description",
        "scope_impact",
        "schedule_impact_days",
        "cost_impact",
        "state",
        "raised_by",
        "submitted_at",
        "decided_by",
        "decided_at",
        "decision_comment",
        "version",
        "created_at",
    ],
    filters=["state"],
    ordering=("id", "submitted_at", "decided_at"),
    related=("raised_by", "decided_by"),
    raised_by=_username("raised_by"),
    decided_by=_username("decided_by"),
)
_StatusReports = record_viewset(
    StatusReport,
    fields=[
        "period_end",
        "state",
        "overall_rag",
        "schedule_rag",
        "cost_rag",
        "scope_rag",
        "risk_rag",
        "narrative",
        "achievements",
        "next_steps",
        "percent_complete",
        "author",
        "submitted_at",
        "supersedes",
        "version",
    ],
    filters=["state", "period_end"],
    ordering=("id", "period_end"),
    related=("author",),
    author=_username("author"),
)


class StatusReportViewSet(_StatusReports):
    """Status reports of the projects the user may see: submitted ones, and drafts only to
    those who may change the project (its manager, delegates, director and the PMO), as on
    the project's pages."""

    def get_queryset(self):
        editable = scope(Project.objects.all(), self.request.user, write=True)
        return (
            super()
            .get_queryset()
            .filter(Q(state=ReportState.SUBMITTED) | Q(project__in=editable.values("pk")))
        )


CostLineViewSet = record_viewset(
    CostLine,
    fields=["month", "expense_type", "category", "planned", "actual", "forecast", "version"],
    filters=["month", "expense_type", "category"],
    ordering=("id", "month"),
)


# --- Figures: rollups, snapshots and the KPI catalogue -------------------------------------


class RollupSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectRollup
        fields = "__all__"


class RollupViewSet(ScopedViewSet):
    """The rollup engine's figures per project (what the dashboard sums and the KPI
    catalogue defines), addressed by project id."""

    base_queryset = ProjectRollup.objects.all()
    serializer_class = RollupSerializer
    lookup_field = "project"
    pagination_class = ByProject
    filterset_fields = ["portfolio", "state", "health_rag"]
    ordering_fields = ["project", "slip_days", "exposure"]
    ordering = ["project"]


class SnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectRollupSnapshot
        fields = "__all__"


class SnapshotFilter(django_filters.FilterSet):
    taken_on = django_filters.DateFromToRangeFilter()

    class Meta:
        model = ProjectRollupSnapshot
        fields = ["project", "portfolio", "taken_on"]


class SnapshotViewSet(ScopedViewSet):
    """Weekly (and per report) copies of each project's figures: the trends' history.
    `?taken_on_after=` / `?taken_on_before=` bound the days."""

    base_queryset = ProjectRollupSnapshot.objects.all()
    serializer_class = SnapshotSerializer
    filterset_class = SnapshotFilter
    ordering_fields = ["id", "taken_on"]
    ordering = ["-id"]


class KpiSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    formula = serializers.CharField()
    aggregate = serializers.CharField()
    direction = serializers.CharField()
    measure = serializers.ListField(child=serializers.CharField())
    thresholds = serializers.ListField(child=serializers.CharField())
    inputs = serializers.ListField(child=serializers.CharField())
    note = serializers.CharField()
    tile = serializers.BooleanField()


class KpiViewSet(viewsets.ViewSet):
    """The KPI catalogue: every figure's one definition (formula, measure, inputs), as the
    dashboard's "How is this computed?" pages state it. The same for every user."""

    serializer_class = KpiSerializer
    lookup_field = "key"
    lookup_value_converter = "slug"

    def list(self, request):
        return Response(KpiSerializer(CATALOGUE, many=True).data)

    def retrieve(self, request, key=None):
        for kpi in CATALOGUE:
            if kpi.key == key:
                return Response(KpiSerializer(kpi).data)
        raise NotFound(f"No KPI {key!r}; GET /api/v1/kpis/ lists them.")
