"""The form that records a lesson learned."""

from __future__ import annotations

from django import forms


class LessonForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="The lesson in one line.")
    category = forms.CharField(
        max_length=60,
        required=False,
        help_text="e.g. Testing, Procurement, Data — pick one in use or name a new one.",
    )
    what_happened = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What happened")
    recommendation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Recommendation",
        help_text="What the next team should do.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].widget.attrs.update(
            {"list": "lesson-categories", "autocomplete": "off"}
        )
        self.fields["title"].column = "col-md-8"
        self.fields["category"].column = "col-md-4"
        self.fields["what_happened"].column = "col-md-6"
        self.fields["recommendation"].column = "col-md-6"
