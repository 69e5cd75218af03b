"""ProjectRollup and ProjectRollupSnapshot now belong to the reporting app (reporting.0001).

State only: the tables, their rows, indexes and constraints stay exactly as they are; the
reporting models name the same tables through `db_table`.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0011_status_report_corrections"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ProjectRollup"),
                migrations.DeleteModel(name="ProjectRollupSnapshot"),
            ],
            database_operations=[],
        ),
    ]
