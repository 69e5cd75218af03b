"""Personal API tokens: the owner's pages (list, create with the secret shown once, revoke), the
token on the API (`Authorization: Bearer …` on /api/v1/me/), and the database's guards."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portfolio.tests.factories import make_user
from ppm.accounts.tokens import MAX_LIVE_TOKENS, api_token_create
from ppm.api.auth import SECRET_PATTERN, new_secret, secret_digest
from ppm.models import ApiToken
from ppm.roles import Role

pytestmark = pytest.mark.django_db

TOKENS = reverse("tokens")
ME = reverse("api:me")


def _make(owner: User, name: str = "Power BI refresh", *, days: int = 30):
    """A token made through the service; returns (token, secret)."""
    now = timezone.now()
    created = api_token_create(
        owner=owner, name=name, expires_at=now + timedelta(days=days), now=now
    )
    return created.token, created.secret


def _age(token: ApiToken, *, created_days_ago: int, expired_days_ago: int | None = None) -> None:
    """Move a token into the past (expired `expired_days_ago` days ago, if given)."""
    now = timezone.now()
    created = now - timedelta(days=created_days_ago)
    expires = now - timedelta(days=expired_days_ago) if expired_days_ago is not None else None
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=created, expires_at=expires or created + timedelta(days=365)
    )
    token.refresh_from_db()


def _bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def _post(client, **fields):
    data = {"name": "Nightly export", "expiry": "90", "expires_on": ""} | fields
    return client.post(TOKENS, data)


def _error(response, field: str) -> str:
    """The text of the message element next to `field` (id `id_<field>_error`), or ''."""
    html = response.content.decode()
    start = html.find(f'id="id_{field}_error">')
    if start < 0:
        return ""
    depth, text = 1, []
    for tag, content in re.findall(r"(<[^>]+>)|([^<]+)", html[html.index(">", start) + 1 :]):
        depth += tag.startswith("<div") - tag.startswith("</div")
        if depth == 0:
            break
        text.append(content)
    return " ".join("".join(text).split())


# --- The secret ----------------------------------------------------------------------------------


def test_a_secret_is_cnd_and_40_url_safe_characters_and_never_repeats():
    secrets = {new_secret() for _ in range(200)}
    assert len(secrets) == 200
    for secret in secrets:
        assert SECRET_PATTERN.fullmatch(secret) and len(secret) == 44
        assert re.fullmatch(r"cnd_[A-Za-z0-9_-]{40}", secret)


# --- Creating a token ------------------------------------------------------------------------


def test_creating_a_token_shows_its_secret_once_and_stores_only_its_digest(client, pm):
    client.force_login(pm)
    response = _post(client, name="Nightly export", expiry="90")

    assert response.status_code == 200
    assert response.templates[0].name == "accounts/token_created.html"
    secret = re.search(r'value="(cnd_[^"]+)"', response.content.decode()).group(1)
    assert SECRET_PATTERN.fullmatch(secret)
    assert "shown only this once" in response.content.decode()

    token = ApiToken.objects.get()
    assert (token.owner, token.name) == (pm, "Nightly export")
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:8]
    # Nothing in the row holds the secret, whole or beyond its first 8 characters.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM ppm_apitoken")
        row = " ".join(str(value) for value in cursor.fetchone())
    assert secret not in row and secret[8:] not in row and secret[4:20] not in row

    # Never shown again: not on the list, which shows the first 8 characters only.
    listing = client.get(TOKENS).content.decode()
    assert secret not in listing and secret[8:] not in listing
    assert f"{secret[:8]}…" in listing and "Nightly export" in listing


@pytest.mark.parametrize("days", [30, 90, 365])
def test_a_token_expires_the_chosen_number_of_days_from_now(client, pm, days):
    client.force_login(pm)
    before = timezone.now()
    _post(client, expiry=str(days))
    token = ApiToken.objects.get()
    assert (
        before + timedelta(days=days) <= token.expires_at <= timezone.now() + timedelta(days=days)
    )


def test_a_token_with_a_date_stops_working_at_the_start_of_that_day(client, pm):
    client.force_login(pm)
    day = timezone.localdate() + timedelta(days=366)
    response = _post(client, expiry="date", expires_on=day.isoformat())
    assert response.status_code == 200 and _error(response, "expires_on") == ""
    token = ApiToken.objects.get()
    assert token.expires_at == timezone.make_aware(datetime.combine(day, time.min))


def _tomorrow_plus(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "Give the token a name"),
        ({"name": "   "}, "name", "Give the token a name"),
        ({"name": "x" * 81}, "name", "at most 80 characters (this one has 81)"),
        ({"name": "CI\x00 job"}, "name", "Null characters are not allowed."),
        ({"name": "CI\x1b[31m"}, "name", "no control characters"),
        ({"expiry": ""}, "expiry", "Choose when the token expires."),
        ({"expiry": "7"}, "expiry", "Choose 30, 90 or 365 days, or a date."),
        ({"expiry": "²⁰"}, "expiry", "Choose 30, 90 or 365 days, or a date."),
        ({"expiry": "date"}, "expires_on", "Enter the date the token expires."),
        ({"expiry": "date", "expires_on": "2020-01-01"}, "expires_on", "after today"),
        ({"expiry": "date", "expires_on": _tomorrow_plus(0)}, "expires_on", "after today"),
        ({"expiry": "date", "expires_on": "0001-01-01"}, "expires_on", "after today"),
        ({"expiry": "date", "expires_on": _tomorrow_plus(367)}, "expires_on", "at most 366 days"),
        ({"expiry": "date", "expires_on": "9999-12-31"}, "expires_on", "at most 366 days"),
        ({"expiry": "date", "expires_on": "2026-13-45"}, "expires_on", "YYYY-MM-DD"),
        ({"expiry": "date", "expires_on": "99999-01-01"}, "expires_on", "YYYY-MM-DD"),
        ({"expiry": "date", "expires_on": "1\x00"}, "expires_on", "YYYY-MM-DD"),
        ({"expiry": "30", "expires_on": _tomorrow_plus(10)}, "expires_on", "On a date"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_keeping_what_was_typed(
    client, pm, fields, field, message
):
    client.force_login(pm)
    response = _post(client, **fields)

    assert response.status_code == 200
    assert message in _error(response, field), response.content.decode()[:3000]
    assert not ApiToken.objects.exists()
    html = response.content.decode()
    assert response.templates[0].name == "accounts/tokens.html"
    typed = {"name": "Nightly export", "expires_on": ""} | fields
    if "\x00" not in typed["name"] and typed["name"].strip():
        assert f'value="{typed["name"]}"' in html.replace("&quot;", '"')
    if typed["expires_on"] and "\x00" not in typed["expires_on"]:
        assert f'value="{typed["expires_on"]}"' in html


def test_a_name_already_in_use_is_refused_and_a_revoked_tokens_name_is_free(client, pm):
    token, _ = _make(pm, "Nightly export")
    client.force_login(pm)

    response = _post(client, name="Nightly export")
    assert "already have a token named “Nightly export”" in _error(response, "name")
    assert ApiToken.objects.count() == 1
    assert 'value="Nightly export"' in response.content.decode()

    client.post(reverse("token-revoke", args=[token.pk]))
    assert _post(client, name="Nightly export").status_code == 200
    assert ApiToken.objects.filter(name="Nightly export", revoked_at__isnull=True).count() == 1


def test_an_expired_token_gives_up_its_name_to_a_new_one(client, pm):
    old, _ = _make(pm, "Nightly export")
    _age(old, created_days_ago=200, expired_days_ago=5)
    client.force_login(pm)

    response = _post(client, name="Nightly export")

    assert response.status_code == 200 and _error(response, "name") == ""
    old.refresh_from_db()
    assert old.revoked_at is not None
    assert old.ended(timezone.now())[0] == "expired"  # still reads as expired, not revoked
    assert ApiToken.objects.filter(name="Nightly export").count() == 2


def test_someone_elses_token_name_does_not_count(client, pm, other_pm):
    _make(other_pm, "Nightly export")
    client.force_login(pm)
    _post(client, name="Nightly export")
    assert ApiToken.objects.filter(owner=pm).count() == 1


def test_at_most_20_live_tokens_per_person(client, pm):
    for n in range(MAX_LIVE_TOKENS):
        _make(pm, f"Script {n}")
    client.force_login(pm)

    listing = client.get(TOKENS)
    assert "the most one person may hold" in listing.content.decode()
    response = _post(client, name="One more")

    assert response.status_code == 200
    assert "20 tokens in use" in response.content.decode()
    assert 'value="One more"' in response.content.decode()
    assert ApiToken.objects.filter(owner=pm).count() == MAX_LIVE_TOKENS

    # Revoked and expired ones do not count.
    first, second = ApiToken.objects.filter(owner=pm)[:2]
    client.post(reverse("token-revoke", args=[first.pk]))
    assert 'value="cnd_' in _post(client, name="One more").content.decode()
    _age(second, created_days_ago=40, expired_days_ago=1)
    assert 'value="cnd_' in _post(client, name="And another").content.decode()


# --- The list ---------------------------------------------------------------------------------


def test_the_list_shows_each_token_with_its_status_and_greys_ended_ones(client, pm, other_pm):
    live, _ = _make(pm, "Power BI refresh")
    revoked, _ = _make(pm, "Old laptop script")
    expired, _ = _make(pm, "Trial import")
    ancient, _ = _make(pm, "Forgotten one")
    _make(other_pm, "Raj's token")
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    _age(expired, created_days_ago=100, expired_days_ago=10)
    _age(ancient, created_days_ago=400, expired_days_ago=91)  # out of the list after 90 days
    ApiToken.objects.filter(pk=live.pk).update(last_used_at=timezone.now())
    client.force_login(pm)

    html = client.get(TOKENS).content.decode()

    rows = re.findall(r'<tr data-testid="token-row" data-state="(\w+)">(.*?)</tr>', html, re.S)
    assert len(rows) == 3
    assert "Raj&#x27;s token" not in html and "Forgotten one" not in html
    by_name = {
        re.search(r'fw-semibold text-break[^"]*">([^<]+)<', row).group(1): (state, row)
        for state, row in rows
    }
    assert list(by_name) == [
        "Old laptop script",
        "Power BI refresh",
        "Trial import",
    ]  # newest first
    state, row = by_name["Power BI refresh"]
    assert state == "active" and ">Active<" in row and "text-body-secondary" not in row
    assert f"{live.prefix}…" in row and "Never" not in row  # used just now
    state, row = by_name["Old laptop script"]
    assert state == "revoked" and "Revoked " in row and row.count("text-body-secondary") == 5
    state, row = by_name["Trial import"]
    assert state == "expired" and "Expired " in row and row.count("text-body-secondary") == 5
    assert "Never" in row
    # Only a live token can be revoked.
    assert reverse("token-revoke", args=[live.pk]) in html
    assert reverse("token-revoke", args=[revoked.pk]) not in html


def test_the_list_costs_the_same_queries_for_one_token_or_twenty(
    client, pm, django_assert_num_queries
):
    client.force_login(pm)
    client.get(TOKENS)  # warm up whatever is read once per process
    _make(pm, "Only one")
    # session, user, roles, tokens
    with django_assert_num_queries(4):
        assert client.get(TOKENS).status_code == 200
    for n in range(19):
        token, _ = _make(pm, f"Script {n}")
        if n % 3 == 0:
            ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    with django_assert_num_queries(4):
        assert client.get(TOKENS).status_code == 200


def test_an_empty_list_says_so(client, pm):
    client.force_login(pm)
    assert "You have no API tokens yet." in client.get(TOKENS).content.decode()


# --- Revoking --------------------------------------------------------------------------------


def test_revoking_asks_to_confirm_then_stops_the_token(client, pm):
    token, secret = _make(pm, "Power BI refresh")
    client.force_login(pm)
    html = client.get(TOKENS).content.decode()
    assert 'Yes, revoke<span class="visually-hidden"> “Power BI refresh”' in html

    assert client.get(reverse("token-revoke", args=[token.pk])).status_code == 405
    response = client.post(reverse("token-revoke", args=[token.pk]), follow=True)

    assert response.redirect_chain == [(TOKENS, 302)]
    assert "Revoked “Power BI refresh”" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get(ME, headers=_bearer(secret)).status_code == 401


def test_revoking_twice_keeps_the_first_time(client, pm):
    token, _ = _make(pm)
    client.force_login(pm)
    client.post(reverse("token-revoke", args=[token.pk]))
    token.refresh_from_db()
    first = token.revoked_at
    assert client.post(reverse("token-revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at == first


def test_another_persons_token_cannot_be_revoked_and_is_not_found(client, pm, other_pm):
    theirs, secret = _make(other_pm, "Raj's export")
    client.force_login(pm)

    assert client.post(reverse("token-revoke", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("token-revoke", args=[999_999_999])).status_code == 404
    assert client.post(reverse("token-revoke", args=[99999999999999999999])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert client.get(ME, headers=_bearer(secret)).status_code == 200


# --- Who may open the pages ----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["pm", "director", "pmo", "executive"])
def test_everyone_with_a_role_has_the_pages_and_the_menu_link(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(TOKENS)
    assert response.status_code == 200
    assert f'href="{TOKENS}">API tokens</a>' in response.content.decode()


def test_someone_without_a_role_gets_403_and_no_menu_link(client, outsider, pm):
    token, _ = _make(pm)
    client.force_login(outsider)
    assert client.get(TOKENS).status_code == 403
    assert _post(client).status_code == 403
    assert client.post(reverse("token-revoke", args=[token.pk])).status_code == 403
    assert not ApiToken.objects.filter(owner=outsider).exists()
    assert ">API tokens</a>" not in client.get(reverse("no-role")).content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client, pm):
    token, _ = _make(pm)
    for response in (
        client.get(TOKENS),
        _post(client),
        client.post(reverse("token-revoke", args=[token.pk])),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert ApiToken.objects.count() == 1


# --- The token on the API ------------------------------------------------------------------


def test_a_good_token_reaches_me_as_its_owner(client, pm):
    token, secret = _make(pm, "Power BI refresh")

    response = client.get(ME, headers=_bearer(secret))

    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "ana.silva"
    assert body["full_name"] == "Ana Silva"
    assert body["roles"] == [Role.PROJECT_MANAGER.value]
    assert body["authenticated_by"] == "token"
    assert body["token"]["name"] == "Power BI refresh"
    assert body["token"]["prefix"] == secret[:8]
    assert datetime.fromisoformat(body["token"]["expires_at"]) == token.expires_at
    assert {"private", "no-store"} <= set(response["Cache-Control"].replace(" ", "").split(","))


def test_the_scheme_is_case_insensitive(client, pm):
    _, secret = _make(pm)
    assert client.get(ME, headers={"Authorization": f"bearer {secret}"}).status_code == 200


def test_an_expired_token_is_refused_with_the_day_it_expired(client, pm):
    token, secret = _make(pm)
    _age(token, created_days_ago=60, expired_days_ago=2)

    response = client.get(ME, headers=_bearer(secret))

    assert response.status_code == 401
    day = timezone.localdate(token.expires_at).isoformat()
    assert response.json() == {"detail": f"This token has expired on {day}."}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_revoked_token_is_refused(client, pm):
    token, secret = _make(pm)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())

    response = client.get(ME, headers=_bearer(secret))

    assert response.status_code == 401
    assert response.json() == {"detail": "This token was revoked."}


@pytest.mark.parametrize(
    "credentials",
    [
        "",
        "   ",
        "abc",
        "tok_" + "a" * 40,  # another prefix
        "cnd_" + "a" * 39,  # one short
        "cnd_" + "a" * 41,  # one long
        "cnd_" + "é" * 40,  # non-ASCII
        "cnd_" + "a" * 39 + "\x00",  # NUL
        "cnd_" + "a" * 20 + " " + "a" * 19,  # a space inside
        "cnd_" + "a" * 39 + "=",  # not URL-safe base64
        "cnd_" + "a" * 39 + "٣",  # an Arabic-Indic digit
    ],
)
def test_a_malformed_token_is_refused_without_asking_the_database(
    client, pm, credentials, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get(ME, headers={"Authorization": f"Bearer {credentials}"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Malformed token."}


def test_a_well_formed_unknown_token_is_refused(client, pm):
    _, secret = _make(pm)
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    response = client.get(ME, headers=_bearer(wrong))
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_the_token_of_a_disabled_account_is_refused(client, pm):
    _, secret = _make(pm)
    User.objects.filter(pk=pm.pk).update(is_active=False)

    response = client.get(ME, headers=_bearer(secret))

    assert response.status_code == 401
    assert response.json() == {"detail": "The account this token belongs to is disabled."}


def test_no_credentials_get_401_with_a_bearer_challenge(client):
    response = client.get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_another_scheme_is_not_ours_and_counts_as_no_credentials(client, pm):
    response = client.get(ME, headers={"Authorization": "Basic YW5hLnNpbHZhOnB3"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_the_session_still_reaches_me(client, director):
    client.force_login(director)
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json() == {
        "username": "dora.director",
        "full_name": "Dora Director",
        "roles": [Role.DIRECTOR.value],
        "authenticated_by": "session",
        "token": None,
    }


def test_a_bad_token_is_refused_even_alongside_a_session(client, pm):
    # A request carrying a Bearer header is judged by it alone.
    token, secret = _make(pm)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    client.force_login(pm)
    assert client.get(ME, headers=_bearer(secret)).status_code == 401


def test_a_token_reads_only_what_the_endpoint_allows(client, pm):
    _, secret = _make(pm)
    assert client.post(ME, {}, headers=_bearer(secret)).status_code == 405


# --- last_used_at --------------------------------------------------------------------------


def test_last_used_is_written_at_most_once_a_minute(client, pm, django_assert_num_queries):
    token, secret = _make(pm)
    assert token.last_used_at is None

    with CaptureQueriesContext(connection) as both:
        # token and owner, the UPDATE of last_used_at, the owner's roles
        with django_assert_num_queries(3):
            assert client.get(ME, headers=_bearer(secret)).status_code == 200
        # within the minute: no UPDATE
        with django_assert_num_queries(2):
            assert client.get(ME, headers=_bearer(secret)).status_code == 200
    updates = [q["sql"] for q in both.captured_queries if "UPDATE" in q["sql"]]
    assert len(updates) == 1 and 'UPDATE "ppm_apitoken"' in updates[0], both.captured_queries
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None

    # A minute later the next request records it again.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(seconds=61))
    with django_assert_num_queries(3):
        client.get(ME, headers=_bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at > first


def test_a_refused_token_is_not_marked_used(client, pm):
    token, secret = _make(pm)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    client.get(ME, headers=_bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at is None


# --- The database's guards ---------------------------------------------------------------------


def _row(owner: User, **fields) -> ApiToken:
    now = timezone.now()
    secret = new_secret()
    values = {
        "owner": owner,
        "name": "Script",
        "prefix": secret[:8],
        "digest": secret_digest(secret),
        "created_at": now,
        "expires_at": now + timedelta(days=30),
    } | fields
    with transaction.atomic():
        return ApiToken.objects.create(**values)


@pytest.mark.parametrize(
    "fields",
    [
        {"expires_at": timezone.now() - timedelta(seconds=1)},  # before it was made
        {"expires_at": timezone.now() + timedelta(days=367)},  # beyond 366 days
        {"name": ""},
        {"prefix": "abcdefgh"},
        {"digest": "not a digest"},
        {"revoked_at": timezone.now() - timedelta(days=1)},  # before it was made
    ],
)
def test_the_database_refuses_a_token_that_breaks_a_rule(pm, fields):
    with pytest.raises(IntegrityError):
        _row(pm, **fields)


def test_the_database_keeps_names_unique_among_unrevoked_tokens_and_digests_unique(pm, other_pm):
    first = _row(pm, name="Script")
    with pytest.raises(IntegrityError):
        _row(pm, name="Script")
    _row(other_pm, name="Script")
    ApiToken.objects.filter(pk=first.pk).update(revoked_at=timezone.now())
    _row(pm, name="Script")
    with pytest.raises(IntegrityError):
        _row(other_pm, name="Other", digest=first.digest)


def test_a_person_deleted_takes_their_tokens_with_them(pm):
    _make(pm)
    make_user("someone.else", Role.PMO)
    pm.delete()
    assert not ApiToken.objects.exists()
