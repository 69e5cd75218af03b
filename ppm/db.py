"""Database helpers the settings need before Django is set up (nothing here imports a model)."""

from __future__ import annotations

from psycopg_pool import ConnectionPool


def check_pooled_connection(conn) -> None:
    """The pool's check on checkout: one empty round trip. When it fails, every idle
    connection of the pool is checked at once and the dead ones replaced.

    After a PostgreSQL restart every idle connection of the pool is dead. psycopg_pool tries
    them one by one and waits between tries (1 s, 2 s, 4 s …, its reconnection backoff), so a
    pool holding five dead connections made its next request wait out DB_POOL_TIMEOUT and
    fail with a 500. Sweeping the pool on the first failure leaves only live connections, and
    the pool's very next try (which does not wait) gets one or opens a new one.
    """
    try:
        ConnectionPool.check_connection(conn)
    except Exception:
        pool = getattr(conn, "_pool", None)
        if pool is not None:
            pool.check()
        raise
