from __future__ import annotations

import socket

import pytest

from ppm import health


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_healthz_is_200_when_database_redis_and_a_worker_answer(client, celery_worker):
    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert body["checks"]["worker"]["detail"].startswith("answered by ")


@pytest.mark.django_db
def test_healthz_names_the_worker_when_no_worker_answers(client, monkeypatch):
    real = health.run_checks
    monkeypatch.setattr(health, "run_checks", lambda: real(worker_timeout=0.5))
    monkeypatch.setattr("ppm.views.run_checks", lambda: real(worker_timeout=0.5))

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["worker"]
    assert "no worker answered" in body["checks"]["worker"]["detail"]
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_healthz_names_redis_when_it_is_down(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{_free_port()}/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["redis", "worker"]
    assert "ConnectionError" in body["checks"]["redis"]["detail"]
    assert body["checks"]["worker"]["detail"] == "skipped: Redis is unreachable"


@pytest.mark.django_db
def test_healthz_names_the_database_when_it_is_down(client, monkeypatch):
    def broken() -> str:
        raise health.OperationalError("connection refused")

    monkeypatch.setattr(health, "_database", broken)
    monkeypatch.setattr("ppm.views.run_checks", lambda: health.run_checks(worker_timeout=0.5))

    response = client.get("/healthz")

    assert response.status_code == 503
    assert "database" in response.json()["failing"]
