"""Notifications: what notify() writes, the inbox pages and the mail preference.

Delivery through a real worker (sent once, the worker down, concurrent senders, the digest) is
in test_notification_delivery.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from portfolio.tests.factories import make_user
from ppm import notifications
from ppm.choices import EmailPreference, EmailState, NotificationKind
from ppm.models import Notification, NotificationPreference
from ppm.navigation import items_for
from ppm.notifications import (
    SEND_SCHEDULED_KEY,
    email_preference_set,
    notify,
    request_send,
)
from ppm.roles import Role

pytestmark = pytest.mark.django_db

INBOX = reverse("inbox")
SETTINGS = reverse("inbox-settings")


def _notify(users, title="Change request raised: ERP-01", **extra) -> int:
    extra.setdefault("kind", NotificationKind.CHANGE_REQUESTED)
    return notify(users, title=title, **extra)


def _with_email(user: User) -> User:
    user.email = f"{user.username}@example.org"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def ana(pm) -> User:
    return _with_email(pm)


@pytest.fixture
def raj(other_pm) -> User:
    return _with_email(other_pm)


# --- notify() --------------------------------------------------------------------------------


def test_it_writes_one_row_per_distinct_active_person_with_the_mail_state_they_chose(
    ana, raj, director, pmo, django_assert_num_queries
):
    _with_email(pmo)
    NotificationPreference.objects.create(user=raj, email=EmailPreference.DIGEST)
    NotificationPreference.objects.create(user=pmo, email=EmailPreference.NONE)
    gone = make_user("gone.user", Role.PROJECT_MANAGER, email="gone@example.org", is_active=False)

    # preferences, then one insert for everyone
    with django_assert_num_queries(2):
        written = _notify(
            [ana, raj, pmo, director, gone, None, ana],
            body="Add payroll",
            url="/projects/1/changes/",
        )

    assert written == 4
    states = dict(Notification.objects.values_list("recipient__username", "email_state"))
    assert states == {
        ana.username: EmailState.PENDING,  # no preference row: each one
        raj.username: EmailState.DIGEST,
        pmo.username: EmailState.SKIPPED,  # chose no mail
        director.username: EmailState.SKIPPED,  # no address
    }
    row = Notification.objects.get(recipient=ana)
    assert (row.kind, row.body, row.url, row.read_at) == (
        "change_requested",
        "Add payroll",
        "/projects/1/changes/",
        None,
    )


def test_a_repeated_key_is_written_once_per_person(ana, raj):
    key = "status-due:7:2026-03-31"
    assert _notify([ana], key=key, kind=NotificationKind.STATUS_DUE) == 1
    assert _notify([ana, raj], key=key, kind=NotificationKind.STATUS_DUE) == 1  # raj's only
    assert _notify([ana, raj], key=key, kind=NotificationKind.STATUS_DUE) == 0
    assert Notification.objects.filter(key=key).count() == 2
    # Without a key nothing is de-duplicated.
    assert _notify([ana]) == 1
    assert _notify([ana]) == 1
    assert Notification.objects.filter(recipient=ana, key="").count() == 2


def test_nobody_to_tell_costs_no_query(django_assert_num_queries, outsider):
    outsider.is_active = False
    with django_assert_num_queries(0):
        assert _notify([None, outsider]) == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"kind": "gossip"}, "Unknown notification kind"),
        ({"title": "  "}, "needs a title"),
        ({"url": "https://evil.example/"}, "path on this site"),
        ({"url": "//evil.example/x"}, "path on this site"),
        ({"key": "k" * 201}, "at most 200"),
    ],
)
def test_a_call_that_is_wrong_whatever_the_data_is_refused(ana, extra, message):
    with pytest.raises(ValueError, match=message):
        _notify([ana], **extra)
    assert not Notification.objects.exists()


def test_a_title_becomes_one_line_and_fits(ana):
    _notify([ana], title="Status report due:\n ERP-01 " + "x" * 300)
    title = Notification.objects.get().title
    assert "\n" not in title and title.startswith("Status report due: ERP-01 x")
    assert len(title) == 200 and title.endswith("…")


def test_a_send_is_requested_after_commit_only_when_something_is_to_be_mailed(
    ana, director, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        _notify([director])  # no address: nothing to mail
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        _notify([ana, director])
    assert callbacks == [request_send]


def test_a_broker_that_does_not_answer_is_logged_not_raised(monkeypatch, caplog):
    cache.delete(SEND_SCHEDULED_KEY)

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(notifications.app, "send_task", broker_down)
    request_send()  # does not raise
    assert "the sweep will send it" in caplog.text
    # The request mark is given back, so the next notice tries the broker again.
    assert cache.get(SEND_SCHEDULED_KEY) is None


def test_a_burst_of_notices_asks_for_one_send(monkeypatch):
    cache.delete(SEND_SCHEDULED_KEY)
    sent = []
    monkeypatch.setattr(notifications.app, "send_task", lambda name, **kw: sent.append(name))
    for _ in range(5):
        request_send()
    assert sent == ["ppm.send_notifications"]
    cache.delete(SEND_SCHEDULED_KEY)


# --- The inbox -------------------------------------------------------------------------------


def test_the_inbox_shows_only_my_notifications_newest_first(client, ana, raj):
    _notify([ana], title="Older for Ana")
    _notify([ana], title="Newer for Ana", url="/projects/")
    _notify([raj], title="For Raj only")
    Notification.objects.filter(title="Older for Ana").update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    client.force_login(ana)
    page = client.get(INBOX).content.decode()
    assert page.index("Newer for Ana") < page.index("Older for Ana")
    assert "For Raj only" not in page
    assert '<a href="/projects/">Newer for Ana</a>' in page
    assert "2 unread" in page
    assert page.count('class="notification is-unread"') == 2


def test_marking_one_read_and_all_read(client, ana, raj):
    for n in range(3):
        _notify([ana], title=f"Notice {n}")
    _notify([raj], title="Raj's notice")
    first = Notification.objects.get(title="Notice 0")
    client.force_login(ana)

    response = client.post(reverse("inbox-read", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == INBOX
    first.refresh_from_db()
    assert first.read_at is not None
    read_at = first.read_at
    client.post(reverse("inbox-read", args=[first.pk]))  # again: the first time stays
    first.refresh_from_db()
    assert first.read_at == read_at
    assert "2 unread" in client.get(INBOX).content.decode()

    response = client.post(reverse("inbox-read-all"), {"page": "2"})
    assert response["Location"] == f"{INBOX}?page=2"
    assert not Notification.objects.filter(recipient=ana, read_at__isnull=True).exists()
    assert Notification.objects.get(recipient=raj).read_at is None  # not Raj's
    assert "Nothing unread" in client.get(INBOX).content.decode()


def test_someone_elses_notification_is_not_found(client, ana, raj):
    _notify([raj], title="Raj's notice")
    theirs = Notification.objects.get()
    client.force_login(ana)
    assert client.post(reverse("inbox-read", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("inbox-read", args=[999_999_999])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_is_post_only_and_needs_the_csrf_token(ana):
    from django.test import Client

    _notify([ana])
    note = Notification.objects.get()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ana)
    assert strict.get(reverse("inbox-read", args=[note.pk])).status_code == 405
    assert strict.get(reverse("inbox-read-all")).status_code == 405
    assert strict.post(reverse("inbox-read", args=[note.pk])).status_code == 403
    assert strict.post(reverse("inbox-read-all")).status_code == 403
    note.refresh_from_db()
    assert note.read_at is None


def test_signed_out_people_are_sent_to_sign_in(client):
    for url in (INBOX, SETTINGS, reverse("inbox-badge")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = client.post(reverse("inbox-read-all"))
    assert response["Location"].startswith("/accounts/login/")


def test_the_inbox_pages_by_fifty(client, ana):
    for n in range(51):
        _notify([ana], title=f"Notice {n:02d}")
    Notification.objects.update(created_at=timezone.now() - timedelta(days=1))
    Notification.objects.filter(title="Notice 00").update(
        created_at=timezone.now() - timedelta(days=2)
    )
    client.force_login(ana)
    first = client.get(INBOX).content.decode()
    assert first.count('data-testid="notification"') == 50
    assert "Notice 00" not in first
    second = client.get(INBOX, {"page": "2"}).content.decode()
    assert second.count('data-testid="notification"') == 1 and "Notice 00" in second
    assert client.get(INBOX, {"page": "²"}).status_code == 200  # odd input: page 1


def test_the_inbox_with_nothing_says_so(client, ana):
    client.force_login(ana)
    assert 'data-testid="inbox-empty"' in client.get(INBOX).content.decode()


@pytest.mark.parametrize("count", [3, 60])
def test_the_inbox_takes_a_fixed_number_of_queries(client, ana, django_assert_num_queries, count):
    for n in range(count):
        _notify([ana], title=f"Notice {n}", url=f"/projects/{n}/")
    client.force_login(ana)
    client.get(INBOX)
    # session, user, roles (navigation), the counts (all and unread), the page
    with django_assert_num_queries(5):
        page = client.get(INBOX).content.decode()
    assert f"{count} unread" in page


def test_the_unread_badge_counts_mine_and_is_empty_when_all_is_read(
    client, ana, raj, django_assert_num_queries
):
    for _ in range(3):
        _notify([ana])
    _notify([raj])
    client.force_login(ana)
    client.get(reverse("inbox-badge"))
    with django_assert_num_queries(3):  # session, user, the count
        badge = client.get(reverse("inbox-badge")).content.decode()
    assert '>3<span class="visually-hidden"> unread</span>' in badge
    client.post(reverse("inbox-read-all"))
    assert client.get(reverse("inbox-badge")).content.decode().strip() == ""


@pytest.mark.parametrize("persona", ["pm", "director", "pmo", "executive"])
def test_every_role_has_the_inbox_in_its_navigation(client, request, persona):
    user = request.getfixturevalue(persona)
    assert [i.label for i in items_for(user)][-1] == "Inbox"
    client.force_login(user)
    page = client.get(INBOX).content.decode()
    assert f'hx-get="{reverse("inbox-badge")}" hx-trigger="load"' in page


def test_someone_without_a_role_has_no_inbox_in_the_navigation(outsider):
    assert "Inbox" not in [i.label for i in items_for(outsider)]


# --- The mail preference ---------------------------------------------------------------------


def test_the_preference_form_shows_the_choice_and_saves_a_new_one(client, ana):
    client.force_login(ana)
    page = client.get(SETTINGS).content.decode()
    assert 'value="each" class="form-check-input"' in page and "checked" in page
    assert ana.email in page
    response = client.post(SETTINGS, {"email": "digest"})
    assert response.status_code == 302 and response["Location"] == SETTINGS
    assert NotificationPreference.objects.get(user=ana).email == "digest"
    assert "Saved: one daily digest." in client.get(SETTINGS).content.decode()


@pytest.mark.parametrize("value", ["weekly", "", "²", "each\x00"])
def test_a_bad_preference_is_refused_next_to_the_field(client, ana, value):
    NotificationPreference.objects.create(user=ana, email=EmailPreference.NONE)
    client.force_login(ana)
    response = client.post(SETTINGS, {"email": value})
    assert response.status_code == 200
    page = response.content.decode()
    expected = (
        "Choose how notifications are mailed to you."
        if value == ""
        else "Choose one of the three: each notification, one daily digest, or no mail."
    )
    assert expected in page
    assert 'data-testid="error-summary"' in page
    assert NotificationPreference.objects.get(user=ana).email == "none"


def test_without_an_address_the_page_says_nothing_is_mailed(client, director):
    client.force_login(director)
    assert 'data-testid="no-address"' in client.get(SETTINGS).content.decode()


def test_a_new_preference_applies_to_what_is_not_mailed_yet(
    ana, django_capture_on_commit_callbacks
):
    email_preference_set(user=ana, email=EmailPreference.DIGEST)
    _notify([ana], title="Waits for the digest")
    assert Notification.objects.get().email_state == EmailState.DIGEST

    with django_capture_on_commit_callbacks() as callbacks:
        email_preference_set(user=ana, email=EmailPreference.EACH)
    assert Notification.objects.get().email_state == EmailState.PENDING
    assert callbacks == [request_send]

    email_preference_set(user=ana, email=EmailPreference.DIGEST)
    assert Notification.objects.get().email_state == EmailState.DIGEST
    email_preference_set(user=ana, email=EmailPreference.NONE)
    assert Notification.objects.get().email_state == EmailState.SKIPPED
    # A mail already sent stays sent.
    Notification.objects.update(email_state=EmailState.SENT, emailed_at=timezone.now())
    email_preference_set(user=ana, email=EmailPreference.EACH)
    assert Notification.objects.get().email_state == EmailState.SENT
