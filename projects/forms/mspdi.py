"""Forms of a Microsoft Project plan's import into a project's milestones: the upload (the
file and whether phases count) and the apply step (the token of the checked preview)."""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.conf import settings

from projects.imports.mspdi.reading import too_large
from projects.services.cost_files import file_size_text


class MilestoneImportForm(forms.Form):
    """A plan saved as XML by Microsoft Project, checked and previewed before anything is
    saved. The file is read here only as bytes within the size limit; the view reads the plan
    (projects.imports.mspdi) and puts its DomainError next to the field."""

    file = forms.FileField(
        label="Microsoft Project XML file",
        # An empty file gets the reader's message, which says how to export a plan.
        allow_empty_file=True,
        error_messages={
            "required": "Choose the plan's XML file (in Project: File → Save As → XML Format).",
        },
        widget=forms.FileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )
    summaries_as_milestones = forms.BooleanField(
        label="Also add each top-level phase's end as a milestone",
        required=False,
        help_text="A phase is a summary task at the plan's top level; its milestone is not key.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            "In Project, choose File → Save As → XML Format (*.xml). From Project Online, open "
            "the plan in Project desktop first, then do the same. At most "
            f"{file_size_text(settings.MSPDI_IMPORT_MAX_BYTES)} and "
            f"{settings.MSPDI_IMPORT_MAX_TASKS:,} tasks."
        )

    file_name = ""

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        limit = settings.MSPDI_IMPORT_MAX_BYTES
        if upload.size > limit:  # refused unread
            raise forms.ValidationError(too_large(upload.size, limit).message)
        self.file_name = PurePath(upload.name or "").name[:200]
        return upload.read()


class MilestoneImportApplyForm(forms.Form):
    """The token of a checked preview kept on the server (projects.imports.mspdi.kept)."""

    token = forms.RegexField(regex=r"^[A-Za-z0-9_-]{20,100}$")
