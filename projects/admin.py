from __future__ import annotations

from django.contrib import admin

from projects.models import (
    Allocation,
    Assumption,
    BudgetBaseline,
    BudgetBaselineMonth,
    ChangeRequest,
    CostLine,
    Dependency,
    Issue,
    LessonLearned,
    Milestone,
    MilestoneForecast,
    Project,
    ProjectScore,
    Risk,
    StatusReport,
)


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ["name", "is_key", "baseline_date", "forecast_date", "actual_date"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "portfolio", "manager", "state", "budget_at_completion"]
    list_filter = ["state", "category", "delivery_method", "portfolio"]
    search_fields = ["code", "name"]
    list_select_related = ["portfolio", "manager"]
    raw_id_fields = ["manager", "sponsor", "program"]
    filter_horizontal = ["delegates", "objectives"]
    readonly_fields = ["version", "created_at", "updated_at"]
    inlines = [MilestoneInline]


class ProjectChildAdmin(admin.ModelAdmin):
    """Project-owned rows: searchable by project code, never loading every project in a select."""

    list_select_related = ["project"]
    raw_id_fields = ["project"]
    search_fields = ["project__code"]


@admin.register(Milestone)
class MilestoneAdmin(ProjectChildAdmin):
    list_display = ["name", "project", "baseline_date", "forecast_date", "actual_date"]
    search_fields = ["name", "project__code"]


@admin.register(MilestoneForecast)
class MilestoneForecastAdmin(admin.ModelAdmin):
    list_display = ["milestone", "as_of", "forecast_date", "recorded_by"]
    raw_id_fields = ["milestone", "recorded_by"]
    list_select_related = ["milestone", "recorded_by"]


@admin.register(StatusReport)
class StatusReportAdmin(ProjectChildAdmin):
    list_display = ["project", "period_end", "state", "overall_rag", "percent_complete"]
    list_filter = ["state", "overall_rag"]


@admin.register(CostLine)
class CostLineAdmin(ProjectChildAdmin):
    list_display = ["project", "month", "expense_type", "category", "planned", "actual", "forecast"]
    list_filter = ["expense_type", "category"]


@admin.register(Allocation)
class AllocationAdmin(ProjectChildAdmin):
    list_display = ["project", "resource", "month", "hours"]
    raw_id_fields = ["project", "resource"]
    list_select_related = ["project", "resource"]


@admin.register(Risk)
class RiskAdmin(ProjectChildAdmin):
    list_display = ["title", "project", "probability", "impact", "status", "due_date"]
    list_filter = ["status", "response"]
    search_fields = ["title", "project__code"]


@admin.register(Issue)
class IssueAdmin(ProjectChildAdmin):
    list_display = ["title", "project", "priority", "status", "due_date"]
    list_filter = ["status", "priority"]


@admin.register(Assumption)
class AssumptionAdmin(ProjectChildAdmin):
    list_display = ["title", "project", "status", "due_date"]


@admin.register(Dependency)
class DependencyAdmin(ProjectChildAdmin):
    list_display = ["title", "project", "depends_on", "status", "due_date"]
    raw_id_fields = ["project", "depends_on", "milestone", "depends_on_milestone"]
    list_select_related = ["project", "depends_on"]


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ProjectChildAdmin):
    list_display = ["title", "project", "state", "schedule_impact_days", "cost_impact"]
    list_filter = ["state"]


@admin.register(LessonLearned)
class LessonLearnedAdmin(ProjectChildAdmin):
    list_display = ["title", "project", "category", "created_at"]
    search_fields = ["title", "what_happened", "recommendation", "project__code"]


@admin.register(ProjectScore)
class ProjectScoreAdmin(ProjectChildAdmin):
    list_display = ["project", "criterion", "score", "scored_by"]
    list_select_related = ["project", "criterion", "scored_by"]


class BudgetBaselineMonthInline(admin.TabularInline):
    model = BudgetBaselineMonth
    extra = 0
    can_delete = False
    readonly_fields = ["month", "planned"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BudgetBaseline)
class BudgetBaselineAdmin(admin.ModelAdmin):
    """Read-only: baselines are recorded by project_replan (a budget change), never typed."""

    list_display = ["project", "number", "effective_month", "bac", "ev_carried", "set_by"]
    list_select_related = ["project", "set_by"]
    search_fields = ["project__code"]
    inlines = [BudgetBaselineMonthInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
