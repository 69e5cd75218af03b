from __future__ import annotations

from django.contrib import admin

from portfolio.models import (
    Portfolio,
    PortfolioBudget,
    Program,
    Resource,
    ScoringCriterion,
    StrategicObjective,
)


class PortfolioBudgetInline(admin.TabularInline):
    model = PortfolioBudget
    extra = 0


@admin.register(Portfolio)
class PortfolioAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "director", "currency"]
    search_fields = ["code", "name"]
    list_select_related = ["director"]
    inlines = [PortfolioBudgetInline]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "portfolio", "manager"]
    list_filter = ["portfolio"]
    search_fields = ["code", "name"]
    list_select_related = ["portfolio", "manager"]


@admin.register(StrategicObjective)
class StrategicObjectiveAdmin(admin.ModelAdmin):
    list_display = ["name", "portfolio", "weight"]
    list_select_related = ["portfolio"]


@admin.register(ScoringCriterion)
class ScoringCriterionAdmin(admin.ModelAdmin):
    list_display = ["name", "weight", "scale_min", "scale_max", "higher_is_better", "active"]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "group", "capacity_hours_per_week", "active"]
    list_filter = ["kind", "group", "active"]
    search_fields = ["name", "group"]
