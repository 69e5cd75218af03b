"""PortfolioRollup, PortfolioMonth, PortfolioDemand and PortfolioSeriesState now belong to the
reporting app (reporting.0001).

State only: the tables, their rows, indexes and constraints stay exactly as they are; the
reporting models name the same tables through `db_table`.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0009_audit_baseline_snapshots"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="PortfolioRollup"),
                migrations.DeleteModel(name="PortfolioMonth"),
                migrations.DeleteModel(name="PortfolioDemand"),
                migrations.DeleteModel(name="PortfolioSeriesState"),
            ],
            database_operations=[],
        ),
    ]
