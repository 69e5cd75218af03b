"""Start-up checks of the project domain's dependencies."""

from __future__ import annotations

from django.core import checks


@checks.register()
def openpyxl_uses_defusedxml(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Uploaded workbooks are parsed by openpyxl, which uses defusedxml only when it is
    importable and OPENPYXL_DEFUSEDXML is not "False": without it, a workbook's XML may
    declare entities that expand as it is read."""
    from openpyxl.xml import DEFUSEDXML

    if DEFUSEDXML:
        return []
    return [
        checks.Error(
            "openpyxl reads uploaded Excel files without defusedxml.",
            hint="Install defusedxml (a runtime dependency) and leave OPENPYXL_DEFUSEDXML unset.",
            id="projects.E001",
        )
    ]
