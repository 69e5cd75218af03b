"""Project section: costs — the monthly grid of planned, actual and forecast spend.

Edited cell by cell (projects.views.costs.grid), by pasting a block copied from a
spreadsheet, or from a CSV or Excel file that is previewed, with row-level errors, before
anything is saved (projects.views.costs.files). Every write goes through
projects.services.costs.
"""

from django.urls import path

from projects.views.costs.files import (
    cost_export,
    cost_import,
    cost_import_confirm,
    cost_template,
)
from projects.views.costs.grid import cost_cell, cost_paste, costs

urlpatterns = [
    path("<int:pk>/costs/", costs, name="costs"),
    path("<int:pk>/costs/cell/", cost_cell, name="costs-cell"),
    path("<int:pk>/costs/paste/", cost_paste, name="costs-paste"),
    path("<int:pk>/costs/export.csv", cost_export, name="costs-export"),
    path("<int:pk>/costs/template.csv", cost_template, name="costs-template"),
    path("<int:pk>/costs/import/", cost_import, name="costs-import"),
    path("<int:pk>/costs/import/apply/", cost_import_confirm, name="costs-import-apply"),
]
