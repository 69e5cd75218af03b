from __future__ import annotations

import importlib.util
import socket
import threading
from pathlib import Path

import pytest
from celery.signals import task_prerun
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from ppm import health

TOKEN = "probe-token-0123456789"


def _load_script(name: str):
    path = Path(settings.BASE_DIR) / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_script_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def _no_remembered_worker_answer():
    cache.delete_many([health.WORKER_RESULT_KEY, health.WORKER_PROBE_KEY])
    yield
    cache.delete_many([health.WORKER_RESULT_KEY, health.WORKER_PROBE_KEY])


@pytest.fixture
def pings():
    """Counts the ping tasks a worker actually ran: the round trips the checks caused."""
    ran: list[str] = []

    def count(sender=None, **kwargs) -> None:
        if sender is not None and sender.name == "ppm.ping":
            ran.append(kwargs["task_id"])

    task_prerun.connect(count, weak=False)
    yield ran
    task_prerun.disconnect(count)


@pytest.fixture
def staff_user(db) -> User:
    return User.objects.create_user("sam.staff", password="pw", is_staff=True)


@pytest.fixture
def short_worker_timeout(monkeypatch):
    real = health.worker_check
    monkeypatch.setattr(health, "worker_check", lambda **kw: real(timeout=0.5))


def _details(client: Client, url: str):
    return client.get(url, headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture(autouse=True)
def _token(settings):
    settings.HEALTHZ_TOKEN = TOKEN


# --- /healthz: everything, as before, with details only for staff or the token ---------------


@pytest.mark.django_db(transaction=True)
def test_healthz_is_200_when_database_redis_and_a_worker_answer(client, celery_worker):
    response = _details(client, "/healthz")

    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert body["checks"]["worker"]["detail"].startswith("answered by ")


@pytest.mark.django_db
def test_healthz_names_the_worker_when_no_worker_answers(client, short_worker_timeout):
    response = _details(client, "/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["worker"]
    assert "no worker answered" in body["checks"]["worker"]["detail"]
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_healthz_names_redis_when_it_is_down(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_free_port()}/0"

    response = _details(client, "/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["redis", "worker"]
    assert "ConnectionError" in body["checks"]["redis"]["detail"]
    assert body["checks"]["worker"]["detail"] == "skipped: Redis is unreachable"


@pytest.mark.django_db
def test_healthz_names_the_database_when_it_is_down(client, monkeypatch, short_worker_timeout):
    def broken() -> str:
        raise health.OperationalError("connection refused")

    monkeypatch.setattr(health, "_database", broken)

    response = _details(client, "/healthz")

    assert response.status_code == 503
    assert "database" in response.json()["failing"]


@pytest.mark.django_db(transaction=True)
def test_an_anonymous_caller_learns_the_status_but_no_host_name_or_exception(
    client, settings, celery_worker
):
    ok = client.get("/healthz")
    assert ok.status_code == 200
    assert ok.json() == {"status": "ok"}
    assert socket.gethostname() not in ok.text

    settings.REDIS_URL = f"redis://127.0.0.1:{_free_port()}/0"
    down = client.get("/healthz")
    assert down.status_code == 503
    assert down.json() == {"status": "unavailable"}


@pytest.mark.django_db
def test_a_wrong_token_sees_no_details_and_staff_do(client, settings, staff_user):
    settings.REDIS_URL = f"redis://127.0.0.1:{_free_port()}/0"

    wrong = client.get("/healthz/ready", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.json() == {"status": "unavailable"}

    settings.HEALTHZ_TOKEN = ""  # no token configured: an empty bearer must not match it
    empty = client.get("/healthz/ready", headers={"Authorization": "Bearer "})
    assert empty.json() == {"status": "unavailable"}

    client.force_login(staff_user)
    staff = client.get("/healthz/ready")
    assert staff.json()["failing"] == ["redis"]


# --- /healthz/live and /healthz/ready ----------------------------------------------------------


@pytest.mark.django_db
def test_live_asks_neither_database_nor_redis(
    client, settings, monkeypatch, django_assert_num_queries
):
    settings.REDIS_URL = f"redis://127.0.0.1:{_free_port()}/0"
    monkeypatch.setattr(health, "_database", lambda: pytest.fail("live touched the database"))

    with django_assert_num_queries(0):
        response = client.get("/healthz/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db(transaction=True)
def test_ready_checks_database_and_redis_and_queues_no_task(client, settings, celery_worker, pings):
    response = _details(client, "/healthz/ready")

    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "redis"}
    assert pings == []

    settings.REDIS_URL = f"redis://127.0.0.1:{_free_port()}/0"
    assert _details(client, "/healthz/ready").json()["failing"] == ["redis"]


@pytest.mark.django_db
def test_ready_names_the_database_when_it_is_down(client, monkeypatch):
    def broken() -> str:
        raise health.OperationalError("connection refused")

    monkeypatch.setattr(health, "_database", broken)

    response = _details(client, "/healthz/ready")

    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]


# --- /healthz/worker: one round trip shared by every caller -----------------------------------


@pytest.mark.django_db(transaction=True)
def test_forty_concurrent_callers_cause_one_worker_round_trip(celery_worker, pings):
    start = threading.Barrier(40)
    statuses: list[int] = []

    def call() -> None:
        start.wait()
        statuses.append(Client().get("/healthz/worker").status_code)

    threads = [threading.Thread(target=call) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * 40
    assert len(pings) == 1
    # Later callers within the cache period reuse the answer too.
    assert Client().get("/healthz").status_code == 200
    assert len(pings) == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_answer_expires_after_the_configured_seconds(
    client, settings, celery_worker, pings
):
    settings.HEALTHZ_WORKER_CACHE_SECONDS = 7

    assert client.get("/healthz/worker").status_code == 200

    ttl = cache._cache.get_client().ttl(cache.make_key(health.WORKER_RESULT_KEY))
    assert 0 < ttl <= 7
    cache.delete(health.WORKER_RESULT_KEY)  # as if the seconds had passed
    assert client.get("/healthz/worker").status_code == 200
    assert len(pings) == 2


@pytest.mark.django_db
def test_worker_is_503_when_no_worker_answers(client, short_worker_timeout):
    response = _details(client, "/healthz/worker")

    assert response.status_code == 503
    assert "no worker answered" in response.json()["checks"]["worker"]["detail"]


# --- Plain HTTP inside the deployment ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz/live", "/healthz/ready", "/healthz/worker", "/healthz"])
def test_health_paths_answer_over_plain_http_when_https_is_enforced(
    client, settings, path, short_worker_timeout
):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/accounts/login/").status_code == 301
    assert client.get(path).status_code in {200, 503}


@pytest.mark.django_db(transaction=True)
def test_the_container_health_check_asks_readiness_and_prints_details_with_the_token(
    live_server, monkeypatch, capsys
):
    healthcheck = _load_script("healthcheck")
    port = live_server.url.rsplit(":", 1)[1]
    monkeypatch.setenv("PORT", port)
    monkeypatch.setenv("ALLOWED_HOSTS", "localhost")
    monkeypatch.setenv("HEALTHZ_TOKEN", TOKEN)

    assert healthcheck.main() == 0  # no worker runs: readiness does not need one

    monkeypatch.setattr(health, "_database", lambda: (_ for _ in ()).throw(RuntimeError("gone")))
    assert healthcheck.main() == 1
    assert "RuntimeError: gone" in capsys.readouterr().err
