"""Personal API tokens on the account pages: the owner's list, making a token (its secret shown
once, on the page that answers the form) and revoking one.

Every signed-in person with a role has their own tokens and sees only those: another
person's token is as absent (404) as one that never existed. The writes are the two service
functions below (`api_token_create`, `api_token_revoke`); the secret's format and the use of
a token on the API are ppm.api.auth's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ppm.accounts.forms import no_control_characters
from ppm.api.auth import PREFIX_LENGTH, new_secret, secret_digest
from ppm.models import API_TOKEN_MAX_LIFETIME, ApiToken
from ppm.roles import require_a_role

log = logging.getLogger(__name__)

# Live tokens (neither revoked nor expired) one person may hold: enough for every program
# they run, few enough that a forgotten one is noticed in the list.
MAX_LIVE_TOKENS = 20
# A revoked or expired token stays in its owner's list this long, greyed, so "why did my
# script stop?" has an answer; then it is left out (the row stays, for the record).
LISTED_AFTER_END = timedelta(days=90)
LIFETIME_CHOICES = (30, 90, 365)
NAME_MAX = ApiToken._meta.get_field("name").max_length


class TokenError(Exception):
    """A rule refused the token; `field` names the input it concerns (None: the whole form)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: str  # shown to the owner once, on the page that answers the form; never stored


# --- Reads --------------------------------------------------------------------------------------


def tokens_listed(*, owner: AbstractBaseUser, now: datetime) -> list[ApiToken]:
    """The owner's tokens as their list shows them, newest first: every live one, and those
    revoked or expired within the last 90 days. One query."""
    cutoff = now - LISTED_AFTER_END
    recent = Q(revoked_at__isnull=True, expires_at__gt=cutoff) | Q(revoked_at__gt=cutoff)
    return list(ApiToken.objects.filter(recent, owner=owner))


def _live(owner: AbstractBaseUser, now: datetime):
    return ApiToken.objects.filter(owner=owner, revoked_at__isnull=True, expires_at__gt=now)


# --- Writes -------------------------------------------------------------------------------------


def api_token_create(
    *, owner: AbstractBaseUser, name: str, expires_at: datetime, now: datetime
) -> CreatedToken:
    """Make a token named `name` for `owner`, usable until `expires_at`; the secret comes back
    once, in the result. Raises TokenError for an expiry that is not in the next 366 days, a
    name one of the owner's usable tokens already has, or an owner at the 20-token limit.

    The owner's row is locked for the transaction, so two submissions at once (a double
    click, two tabs) cannot both pass the limit; the unique constraint guards the name as well.
    An expired token holding the name gives it up (it is marked revoked, which changes nothing
    for a token that no longer works): otherwise a name would stay taken for ever by a token
    that has dropped out of the owner's list."""
    if not now < expires_at <= now + API_TOKEN_MAX_LIFETIME:
        raise TokenError("A token expires within the next 366 days.", field="expiry")
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=owner.pk).exists()
        ApiToken.objects.filter(
            owner=owner, name=name, revoked_at__isnull=True, expires_at__lte=now
        ).update(revoked_at=now)
        live = list(_live(owner, now).order_by().values_list("name", flat=True))
        if name in live:
            raise TokenError(
                f"You already have a token named “{name}”: choose another name, or revoke that "
                "token first.",
                field="name",
            )
        if len(live) >= MAX_LIVE_TOKENS:
            raise TokenError(
                f"You have {MAX_LIVE_TOKENS} tokens in use, the most one person may hold: "
                "revoke one you no longer need, then create this one."
            )
        secret = new_secret()
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    owner=owner,
                    name=name,
                    prefix=secret[:PREFIX_LENGTH],
                    digest=secret_digest(secret),
                    created_at=now,
                    expires_at=expires_at,
                )
        except IntegrityError:  # a name taken outside this function (the admin, a script)
            raise TokenError(
                f"You already have a token named “{name}”: choose another name.", field="name"
            ) from None
    log.info("api token created", extra={"owner": owner.pk, "token": token.pk})
    return CreatedToken(token=token, secret=secret)


def api_token_revoke(*, owner: AbstractBaseUser, pk: int, now: datetime) -> ApiToken:
    """Revoke the owner's token `pk` from now on (one conditional UPDATE: revoking twice keeps
    the first time). Raises ApiToken.DoesNotExist when the owner has no such token."""
    ApiToken.objects.filter(owner=owner, pk=pk, revoked_at__isnull=True).update(revoked_at=now)
    token = ApiToken.objects.get(owner=owner, pk=pk)
    log.info("api token revoked", extra={"owner": owner.pk, "token": token.pk})
    return token


# --- The form -----------------------------------------------------------------------------------


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=NAME_MAX,
        help_text="What will use it, e.g. “Power BI refresh” or “nightly export script”.",
        validators=[no_control_characters],
        error_messages={
            "required": "Give the token a name, so you can tell it apart later.",
            "max_length": "A name is at most %(limit_value)d characters (this one has "
            "%(show_value)d).",
        },
    )
    expiry = forms.ChoiceField(
        label="Expires",
        choices=[*((str(d), f"In {d} days") for d in LIFETIME_CHOICES), ("date", "On a date")],
        initial="90",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={
            "required": "Choose when the token expires.",
            "invalid_choice": "Choose 30, 90 or 365 days, or a date.",
        },
    )
    expires_on = forms.DateField(
        label="Expiry date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="With “On a date”: the token stops working at the start of that day.",
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
    )

    def __init__(self, *args, now: datetime, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = timezone.localdate(now)
        # The last day whose start (on the organisation's clock) is within 366 days of now:
        # usually today + 366, a day less when a clock change falls between.
        self.last_day = timezone.localdate(now + API_TOKEN_MAX_LIFETIME)
        self.fields["expires_on"].widget.attrs.update(
            min=(self.today + timedelta(days=1)).isoformat(), max=self.last_day.isoformat()
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        expiry, day = cleaned.get("expiry"), cleaned.get("expires_on")
        if expiry == "date" and day is None and "expires_on" not in self.errors:
            self.add_error("expires_on", "Enter the date the token expires.")
        elif expiry == "date" and day is not None:
            # Dates are compared as dates, before any becomes a datetime: 9999-12-31 at
            # midnight in a zone west of UTC is past the last datetime Python can hold.
            if day <= self.today:
                self.add_error("expires_on", "Choose a date after today.")
            elif day > self.last_day:
                self.add_error(
                    "expires_on",
                    f"A token lasts at most 366 days: choose a date up to "
                    f"{self.last_day.isoformat()}.",
                )
        elif expiry not in (None, "date") and day is not None:
            self.add_error(
                "expires_on", "To expire on this date, choose “On a date” above, or clear it."
            )
        return cleaned

    def expires_at(self, now: datetime) -> datetime:
        """When the token stops working: N days from now, or the start of the chosen day on
        the organisation's clock."""
        expiry = self.cleaned_data["expiry"]
        if expiry == "date":
            return timezone.make_aware(datetime.combine(self.cleaned_data["expires_on"], time.min))
        return now + timedelta(days=int(expiry))


# --- Views --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def tokens_page(request: HttpRequest) -> HttpResponse:
    """The person's tokens and the form to make one; a made token's secret is shown on the
    page that answers the form, once (nothing else ever shows it again)."""
    require_a_role(request.user, why="API tokens are for people with a role in Conductor.")
    now = timezone.now()
    if request.method == "POST":
        form = TokenForm(request.POST, now=now)
        if form.is_valid():
            try:
                created = api_token_create(
                    owner=request.user,
                    name=form.cleaned_data["name"],
                    expires_at=form.expires_at(now),
                    now=now,
                )
            except TokenError as error:
                form.add_error(error.field, error.message)
            else:
                return render(
                    request,
                    "accounts/token_created.html",
                    {
                        "token": created.token,
                        "secret": created.secret,
                        "me_url": request.build_absolute_uri(reverse("api:me")),
                    },
                )
    else:
        form = TokenForm(now=now)
    # (token, "active" / "revoked" / "expired", when it ended)
    rows = [
        (token, *(token.ended(now) or ("active", None)))
        for token in tokens_listed(owner=request.user, now=now)
    ]
    live = sum(state == "active" for _, state, _ in rows)
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "rows": rows,
            "live": live,
            "at_limit": live >= MAX_LIVE_TOKENS,
            "max_live": MAX_LIVE_TOKENS,
            "listed_days": LISTED_AFTER_END.days,
        },
    )


@require_POST
@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the person's tokens (the list asks to confirm first)."""
    require_a_role(request.user, why="API tokens are for people with a role in Conductor.")
    try:
        token = api_token_revoke(owner=request.user, pk=pk, now=timezone.now())
    except ApiToken.DoesNotExist:
        raise Http404("No such token.") from None
    messages.success(request, f"Revoked “{token.name}”: a program using it is refused from now on.")
    return redirect("tokens")
