"""The inbox pages: a person's own notifications, marking them read, and how they want them
mailed. Every view is the signed-in person's alone: another person's notification is as
absent (404) as one that never existed."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ppm.choices import EmailPreference
from ppm.htmx import HtmxHttpRequest, render_page
from ppm.notifications import (
    email_preference,
    email_preference_set,
    inbox,
    notification_mark_read,
    notifications_mark_all_read,
    unread_count,
)
from ppm.params import parse_int


class EmailPreferenceForm(forms.Form):
    email = forms.ChoiceField(
        label="Mail me",
        choices=EmailPreference.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={
            "required": "Choose how notifications are mailed to you.",
            "invalid_choice": (
                "Choose one of the three: each notification, one daily digest, or no mail."
            ),
        },
    )


@require_GET
@login_required
def inbox_page(request: HtmxHttpRequest) -> HttpResponse:
    """The person's notifications, newest first, 50 a page; unread ones stand out."""
    box = inbox(user=request.user, page=request.GET.get("page"))
    return render_page(
        request, "ppm/inbox.html", {"inbox": box, "page": box.page}, partial="inbox-list"
    )


@require_POST
@login_required
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    if not notification_mark_read(user=request.user, pk=pk):
        raise Http404("No such notification.")
    return redirect(_back_to_inbox(request))


@require_POST
@login_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect(_back_to_inbox(request))


def _back_to_inbox(request: HttpRequest) -> str:
    """The inbox page the form was posted from (its `page` field), else the first."""
    page = parse_int(request.POST.get("page"), min_value=2)
    url = reverse("inbox")
    return f"{url}?page={page}" if page else url


@require_GET
@login_required
def unread_badge(request: HttpRequest) -> HttpResponse:
    """The navigation's unread count, loaded by htmx after the page (so no page pays a query
    for it): empty when nothing is unread. Rendered without the context processors, whose
    navigation would cost a query the fragment does not show."""
    html = render_to_string("ppm/_inbox_badge.html", {"unread": unread_count(request.user)})
    return HttpResponse(html)


@require_http_methods(["GET", "POST"])
@login_required
def mail_settings(request: HttpRequest) -> HttpResponse:
    """How the person wants notifications mailed: each one, a daily digest, or none."""
    if request.method == "POST":
        form = EmailPreferenceForm(request.POST)
        if form.is_valid():
            choice = EmailPreference(form.cleaned_data["email"])
            email_preference_set(user=request.user, email=choice)
            messages.success(request, f"Saved: {choice.label.lower()}.")
            return redirect("inbox-settings")
    else:
        form = EmailPreferenceForm(initial={"email": email_preference(request.user)})
    return render(
        request,
        "ppm/inbox_settings.html",
        {
            "form": form,
            "digest_time": f"{settings.NOTIFICATION_DIGEST_HOUR:02d}:00",
            "time_zone": settings.TIME_ZONE,
        },
    )


urlpatterns = [
    path("", inbox_page, name="inbox"),
    path("unread/", unread_badge, name="inbox-badge"),
    path("read/", mark_all_read, name="inbox-read-all"),
    path("<int:pk>/read/", mark_read, name="inbox-read"),
    path("settings/", mail_settings, name="inbox-settings"),
]
