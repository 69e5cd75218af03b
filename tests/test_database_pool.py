"""A PostgreSQL restart (or a failover, or an idle timeout on a proxy) closes every server-side
connection, while each web process keeps its own in its psycopg pool. Before the pool checked
a connection on checkout, every stale one became a 500 (seven of them after one restart)."""

from __future__ import annotations

import urllib.error
import urllib.request

import psycopg
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)

_NO_PROXY = urllib.request.ProxyHandler({})


def _drop_every_other_connection() -> int:
    """What a PostgreSQL restart does to the app's connections, done from outside the app."""
    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        dbname=params["NAME"],
        autocommit=True,
    ) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


def _get(url: str, session: str) -> int:
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={session}"})
    try:
        with urllib.request.build_opener(_NO_PROXY).open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_no_request_fails_after_postgresql_dropped_every_pooled_connection(live_server, client, pm):
    assert connection.settings_dict["OPTIONS"].get("pool"), "this test is about the pool"
    client.force_login(pm)
    session = client.cookies["sessionid"].value
    url = f"{live_server.url}/projects/"
    # Each request runs in a thread of the live server, takes a connection from the pool and
    # gives it back at its end: afterwards the pool holds connections the server will drop.
    assert [_get(url, session) for _ in range(3)] == [200, 200, 200]
    connection.close()  # the test's own connection goes back to the pool too
    # A busy process's pool holds more: six idle connections at once. psycopg_pool tried dead
    # ones one by one with 1 s, 2 s, 4 s … between them, so five dead ones made the next
    # request wait out the pool's timeout and fail (ppm.db.check_pooled_connection).
    pool = connection.pool
    held = [pool.getconn() for _ in range(6)]
    for conn in held:
        pool.putconn(conn)

    dropped = _drop_every_other_connection()

    assert dropped >= 1
    assert [_get(url, session) for _ in range(7)] == [200] * 7
