"""The figures' tables join the reporting app: state only.

The six tables were created by projects and portfolio migrations and keep their names
(`db_table`); this migration only tells Django's model state they are reporting's, so no
table, row, index or constraint is touched (the old apps drop them from their state in
projects.0012 and portfolio.0010). The content types are relabelled too, so permissions granted
on these models follow them.
"""

import django.db.models.deletion
from django.db import migrations, models

MOVED = {
    "projects": ["projectrollup", "projectrollupsnapshot"],
    "portfolio": ["portfoliorollup", "portfoliomonth", "portfoliodemand", "portfolioseriesstate"],
}


def relabel_content_types(apps, schema_editor, forward=True):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for old_app, models_ in MOVED.items():
        source, target = (old_app, "reporting") if forward else ("reporting", old_app)
        ContentType.objects.using(schema_editor.connection.alias).filter(
            app_label=source, model__in=models_
        ).update(app_label=target)


def relabel_back(apps, schema_editor):
    relabel_content_types(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("portfolio", "0010_rollups_move_to_reporting"),
        ("projects", "0012_rollups_move_to_reporting"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PortfolioRollup",
                    fields=[
                        (
                            "portfolio",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="rollup",
                                serialize=False,
                                to="portfolio.portfolio",
                            ),
                        ),
                        ("as_of", models.DateField()),
                        ("projects", models.IntegerField()),
                        ("in_flight", models.IntegerField()),
                        ("bac", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("pv", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("ev", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("ac", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("eac", models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                        ("cpi", models.DecimalField(decimal_places=4, max_digits=12, null=True)),
                        ("spi", models.DecimalField(decimal_places=4, max_digits=12, null=True)),
                        ("milestones_slipping", models.IntegerField()),
                        ("milestones_achieved", models.IntegerField()),
                        ("milestones_on_time", models.IntegerField()),
                        ("open_risks", models.IntegerField()),
                        ("high_risks", models.IntegerField()),
                        ("exposure", models.IntegerField()),
                        ("emv", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("health_green", models.IntegerField()),
                        ("health_amber", models.IntegerField()),
                        ("health_red", models.IntegerField()),
                        ("reported_green", models.IntegerField()),
                        ("reported_amber", models.IntegerField()),
                        ("reported_red", models.IntegerField()),
                        ("reported_none", models.IntegerField()),
                        (
                            "counts",
                            models.JSONField(
                                default=dict,
                                help_text="In-flight project counts behind the dashboard's drill-down links: per RAG dimension {'green': n, 'amber': n, 'red': n}, and projects_slipping, worst_slip, projects_with_high_risks, cpi_below_one, spi_below_one, overrunning, no_current_report, unscored.",
                            ),
                        ),
                        ("computed_at", models.DateTimeField()),
                    ],
                    options={
                        "db_table": "portfolio_portfoliorollup",
                    },
                ),
                migrations.CreateModel(
                    name="PortfolioSeriesState",
                    fields=[
                        (
                            "portfolio",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="series_state",
                                serialize=False,
                                to="portfolio.portfolio",
                            ),
                        ),
                        ("requested", models.BigIntegerField(default=1)),
                        ("computed", models.BigIntegerField(default=0)),
                        ("stale_since", models.DateTimeField(blank=True, null=True)),
                        ("computed_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "db_table": "portfolio_portfolioseriesstate",
                    },
                ),
                migrations.CreateModel(
                    name="PortfolioDemand",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("month", models.DateField()),
                        ("resource_group", models.CharField(max_length=100)),
                        ("hours", models.DecimalField(decimal_places=1, max_digits=12)),
                        (
                            "portfolio",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="demand",
                                to="portfolio.portfolio",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "portfolio_portfoliodemand",
                        "ordering": ["portfolio", "month", "resource_group"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("portfolio", "month", "resource_group"),
                                name="portfolio_demand_unique",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="PortfolioMonth",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("month", models.DateField()),
                        ("planned", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("actual", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("forecast", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("ev", models.DecimalField(decimal_places=2, max_digits=18)),
                        (
                            "portfolio",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="months",
                                to="portfolio.portfolio",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "portfolio_portfoliomonth",
                        "ordering": ["portfolio", "month"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("portfolio", "month"), name="portfolio_month_unique"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ProjectRollup",
                    fields=[
                        (
                            "project",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="rollup",
                                serialize=False,
                                to="projects.project",
                            ),
                        ),
                        ("as_of", models.DateField()),
                        (
                            "state",
                            models.CharField(
                                default="",
                                help_text="The project's lifecycle state.",
                                max_length=10,
                            ),
                        ),
                        ("bac", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("pv", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("ev", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("ac", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("cv", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("sv", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("eac", models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                        ("etc", models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                        ("vac", models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                        ("cpi", models.DecimalField(decimal_places=4, max_digits=12, null=True)),
                        ("spi", models.DecimalField(decimal_places=4, max_digits=12, null=True)),
                        ("tcpi", models.DecimalField(decimal_places=4, max_digits=12, null=True)),
                        ("percent_complete", models.DecimalField(decimal_places=2, max_digits=5)),
                        ("slip_days", models.IntegerField(null=True)),
                        ("milestones_total", models.IntegerField()),
                        ("milestones_slipping", models.IntegerField()),
                        ("milestones_achieved", models.IntegerField()),
                        ("milestones_on_time", models.IntegerField()),
                        (
                            "on_time_rate",
                            models.DecimalField(decimal_places=4, max_digits=12, null=True),
                        ),
                        ("open_risks", models.IntegerField()),
                        ("high_risks", models.IntegerField()),
                        ("exposure", models.IntegerField()),
                        ("emv", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("pending_scope_changes", models.IntegerField()),
                        (
                            "priority_score",
                            models.DecimalField(
                                decimal_places=2,
                                help_text="Weighted score over the PMO's active criteria, 0–100; None if unscored.",
                                max_digits=6,
                                null=True,
                            ),
                        ),
                        ("schedule_rag", models.CharField(max_length=5)),
                        ("cost_rag", models.CharField(max_length=5)),
                        ("scope_rag", models.CharField(max_length=5)),
                        ("risk_rag", models.CharField(max_length=5)),
                        ("health_rag", models.CharField(max_length=5)),
                        ("reported_rag", models.CharField(blank=True, max_length=5)),
                        ("last_report_period_end", models.DateField(null=True)),
                        ("computed_at", models.DateTimeField()),
                        (
                            "portfolio",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="project_rollups",
                                to="portfolio.portfolio",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "projects_projectrollup",
                        "indexes": [
                            models.Index(
                                fields=["portfolio", "health_rag"],
                                name="projects_pr_portfol_a688a4_idx",
                            ),
                            models.Index(
                                fields=["portfolio", "cpi"], name="projects_pr_portfol_013972_idx"
                            ),
                            models.Index(
                                fields=["portfolio", "spi"], name="projects_pr_portfol_5dfb79_idx"
                            ),
                            models.Index(
                                fields=["portfolio", "slip_days"],
                                name="projects_pr_portfol_d1f333_idx",
                            ),
                            models.Index(
                                fields=["portfolio", "exposure"],
                                name="projects_pr_portfol_8fe177_idx",
                            ),
                            models.Index(
                                models.OrderBy(models.F("bac"), descending=True),
                                condition=models.Q(
                                    ("priority_score__isnull", False),
                                    ("state__in", ["approved", "active", "on_hold"]),
                                ),
                                name="rollup_scored_by_bac_idx",
                            ),
                            models.Index(
                                models.OrderBy(
                                    models.F("slip_days"), descending=True, nulls_last=True
                                ),
                                condition=models.Q(
                                    ("health_rag", "red"),
                                    ("state__in", ["approved", "active", "on_hold"]),
                                ),
                                name="rollup_red_by_slip_idx",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ProjectRollupSnapshot",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("taken_on", models.DateField()),
                        ("state", models.CharField(max_length=10)),
                        ("bac", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("pv", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("ev", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("ac", models.DecimalField(decimal_places=2, max_digits=18)),
                        ("eac", models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                        ("cpi", models.DecimalField(decimal_places=4, max_digits=12, null=True)),
                        ("spi", models.DecimalField(decimal_places=4, max_digits=12, null=True)),
                        ("slip_days", models.IntegerField(null=True)),
                        ("exposure", models.IntegerField()),
                        ("health_rag", models.CharField(max_length=5)),
                        ("reported_rag", models.CharField(blank=True, max_length=5)),
                        (
                            "portfolio",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="project_snapshots",
                                to="portfolio.portfolio",
                            ),
                        ),
                        (
                            "project",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="snapshots",
                                to="projects.project",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "projects_projectrollupsnapshot",
                        "indexes": [
                            models.Index(
                                fields=["portfolio", "taken_on"],
                                name="projects_pr_portfol_273fde_idx",
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("taken_on", "project"), name="project_snapshot_one_per_day"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_types, relabel_back),
    ]
