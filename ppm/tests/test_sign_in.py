"""Sign-in throttle (our form and the admin's) and password reset by e-mail."""

from __future__ import annotations

import re
import socket
import threading

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.test import Client
from django.urls import reverse

from portfolio.tests.factories import make_user
from ppm.accounts import throttle
from ppm.roles import Role

ATTACKER = "203.0.113.7"
OFFICE = "198.51.100.20"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    client = throttle._redis()  # taken now: a test may point REDIS_URL somewhere unreachable

    def wipe() -> None:
        keys = list(client.scan_iter(f"{throttle._prefix()}:*"))
        if keys:
            client.delete(*keys)

    wipe()
    yield
    wipe()


@pytest.fixture
def password_checks():
    """Every password Django actually checked and found wrong (the throttle's cost to guess)."""
    seen: list[str] = []

    def count(sender, credentials, **kwargs) -> None:
        seen.append(credentials.get("username"))

    user_login_failed.connect(count, weak=False)
    yield seen
    user_login_failed.disconnect(count)


@pytest.fixture
def ana(db) -> User:
    user = make_user("ana.silva", Role.PROJECT_MANAGER, first_name="Ana", last_name="Silva")
    user.email = "ana.silva@example.org"
    user.save()
    return user


def _sign_in(client: Client, username: str, password: str, *, address: str = ATTACKER):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- Per account -------------------------------------------------------------------------------


def test_fifty_wrong_passwords_then_the_right_one_is_refused(client, ana, password_checks):
    for _ in range(50):
        _sign_in(client, "ana.silva", "guess")

    response = _sign_in(client, "ana.silva", "pw")

    assert response.status_code == 200
    assert not _signed_in(client)
    assert "Too many failed sign-in attempts" in response.text
    assert "Try again in 15 minutes" in response.text
    # Only the first five guesses were checked at all.
    assert len(password_checks) == 5


def test_the_lockout_follows_the_account_to_another_address(client, ana):
    for _ in range(5):
        _sign_in(client, "ana.silva", "guess", address=ATTACKER)

    elsewhere = _sign_in(client, "ANA.SILVA ", "pw", address=OFFICE)

    assert "Too many failed sign-in attempts" in elsewhere.text
    assert not _signed_in(client)


def test_four_failures_still_let_the_right_password_in_and_reset_the_count(client, ana):
    for _ in range(4):
        _sign_in(client, "ana.silva", "guess")
    assert _sign_in(client, "ana.silva", "pw").status_code == 302
    client.post(reverse("logout"))

    for _ in range(4):
        _sign_in(client, "ana.silva", "guess")

    assert _sign_in(client, "ana.silva", "pw").status_code == 302


def test_the_lockout_lasts_the_configured_minutes_and_then_lifts(client, ana, settings):
    settings.LOGIN_LOCKOUT_MINUTES = 3
    for _ in range(5):
        _sign_in(client, "ana.silva", "guess")

    refused = _sign_in(client, "ana.silva", "pw")
    assert "Try again in 3 minutes" in refused.text
    account_key = throttle._counters("ana.silva", ATTACKER)[0].key
    assert 170 < throttle._redis().ttl(account_key) <= 180

    throttle._redis().delete(account_key)  # as if the three minutes had passed
    assert _sign_in(client, "ana.silva", "pw").status_code == 302


def test_concurrent_guesses_cannot_slip_past_the_limit():
    allowed: list[bool] = []
    start = threading.Barrier(20)

    def attempt() -> None:
        start.wait()
        allowed.append(throttle.login_attempt_start(username="dora", address=ATTACKER) is None)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert allowed.count(True) == 5


# --- Per address -------------------------------------------------------------------------------


def test_an_address_trying_many_accounts_is_locked_out_and_others_are_not(
    client, ana, settings, password_checks
):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    for n in range(8):
        _sign_in(client, f"user{n}", "guess")

    from_attacker = _sign_in(client, "ana.silva", "pw", address=ATTACKER)
    assert "Too many failed sign-in attempts" in from_attacker.text
    assert not _signed_in(client)
    assert len(password_checks) == 8

    assert _sign_in(client, "ana.silva", "pw", address=OFFICE).status_code == 302


def test_successful_sign_ins_do_not_count_against_a_shared_address(client, ana, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for _ in range(10):
        assert _sign_in(client, "ana.silva", "pw", address=OFFICE).status_code == 302
        client.post(reverse("logout"))
    _sign_in(client, "ana.silva", "typo", address=OFFICE)

    assert _sign_in(client, "ana.silva", "pw", address=OFFICE).status_code == 302


@pytest.mark.parametrize(
    ("remote", "forwarded", "proxies", "counted_as"),
    [
        ("10.0.0.5", "", 0, "10.0.0.5"),
        ("10.0.0.5", "203.0.113.7", 0, "10.0.0.5"),  # no proxy configured: the header is a lie
        ("10.0.0.5", "1.2.3.4, 203.0.113.7", 1, "203.0.113.7"),  # the client chose 1.2.3.4
        ("10.0.0.5", "", 1, "10.0.0.5"),
        ("2001:db8:1:2:3:4:5:6", "", 0, "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "", 0, "203.0.113.7"),
    ],
)
def test_the_address_counted(rf, settings, remote, forwarded, proxies, counted_as):
    settings.NUM_PROXIES = proxies
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    request = rf.post("/accounts/login/", REMOTE_ADDR=remote, headers=headers)

    assert throttle.client_address(request) == counted_as


def test_a_client_cannot_escape_the_address_limit_by_forging_forwarded_for(client, ana, settings):
    settings.NUM_PROXIES = 1
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for n in range(3):
        client.post(
            reverse("login"),
            {"username": f"user{n}", "password": "guess"},
            REMOTE_ADDR="10.0.0.2",  # the proxy
            headers={"X-Forwarded-For": f"9.9.9.{n}, {ATTACKER}"},
        )

    response = client.post(
        reverse("login"),
        {"username": "ana.silva", "password": "pw"},
        REMOTE_ADDR="10.0.0.2",
        headers={"X-Forwarded-For": f"9.9.9.99, {ATTACKER}"},
    )

    assert "Too many failed sign-in attempts" in response.text


# --- The admin's door --------------------------------------------------------------------------


def test_the_admin_sign_in_is_throttled_with_ours(client, db):
    User.objects.create_superuser("root", "root@example.org", "pw")
    for _ in range(5):
        client.post(
            reverse("admin:login"), {"username": "root", "password": "guess"}, REMOTE_ADDR=ATTACKER
        )

    response = client.post(
        reverse("admin:login"), {"username": "root", "password": "pw"}, REMOTE_ADDR=ATTACKER
    )

    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.text
    assert not _signed_in(client)
    # Our own form knows about those five failures too.
    assert "Too many failed" in _sign_in(client, "root", "pw", address=OFFICE).text


# --- When Redis is away ------------------------------------------------------------------------


def test_sign_in_still_works_when_redis_is_unreachable(client, ana, settings, caplog):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free_port = s.getsockname()[1]
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port}/0"

    assert _sign_in(client, "ana.silva", "pw").status_code == 302
    assert "login throttle unavailable" in caplog.text


# --- Password reset by e-mail ------------------------------------------------------------------


def test_the_sign_in_page_links_to_password_reset(client, db):
    page = client.get(reverse("login"))

    assert f'href="{reverse("password_reset")}"' in page.text


def test_a_reset_link_sets_a_new_password_and_lifts_a_lockout(client, ana, mailoutbox):
    for _ in range(5):
        _sign_in(client, "ana.silva", "guess")

    sent = client.post(reverse("password_reset"), {"email": "Ana.Silva@example.org"})

    assert sent.status_code == 302
    assert sent.url == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["ana.silva@example.org"]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert 'name="new_password1"' in form_page.text
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "amber-quarry-sonnet-81", "new_password2": "amber-quarry-sonnet-81"},
    )
    assert done.url == reverse("password_reset_complete")

    assert _sign_in(client, "ana.silva", "pw").status_code == 200  # the old one is gone
    assert _sign_in(client, "ana.silva", "amber-quarry-sonnet-81").status_code == 302
    # The link works once.
    assert "no longer works" in Client().get(link, follow=True).text


def test_the_reset_form_does_not_reveal_whether_an_address_has_an_account(client, ana, mailoutbox):
    known = client.post(reverse("password_reset"), {"email": "ana.silva@example.org"}, follow=True)
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)

    assert known.redirect_chain == unknown.redirect_chain
    assert known.status_code == unknown.status_code == 200
    assert _without_tokens(known.text) == _without_tokens(unknown.text)
    assert [m.to for m in mailoutbox] == [["ana.silva@example.org"]]


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"', "", html)
