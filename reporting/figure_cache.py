"""The dashboard's rendered body, cached until a figure it shows can have changed.

Rendering the dashboard (its queries, three SVG charts and a long template) costs far more
than sending it, and directors open it far more often than the figures change. The rendered
body is kept in the cache under a key made of:

- the *figures generation*: a random token replaced after every commit that can change what
  the dashboard shows: every engine recompute and series rebuild, and any save or delete of
  the core rows it reads directly (portfolios, their envelopes, resources, projects,
  milestones), so a new generation orphans every cached body at once;
- the selection (the user's portfolios, or the one asked for), the request's path and query
  (the body links to it), and the organisation's date (the body measures against it).

A body is never cached, nor served from the cache, while any figure of the selection is being
recomputed: those bodies poll until they are current and are rendered afresh each time. The
read order makes a race harmless: the generation is read before the figures, so a body
rendered from figures a recompute has just replaced is stored under the generation that
recompute retires. Entries also expire after FIGURE_CACHE_SECONDS, a net for a change made
outside the app (SQL by hand) or a user renamed in the admin.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import date

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

GENERATION_KEY = "reporting:figures-generation"
FIGURE_CACHE_SECONDS = 600


def _quietly(what: str, call, default=None):
    """Run a cache call; a cache outage costs speed (nothing is kept or found), never the page."""
    try:
        return call()
    except Exception:
        logger.warning("figure cache unreachable (%s)", what, exc_info=True)
        return default


def generation() -> str | None:
    """The current figures generation (started if there is none); None when the cache is
    unreachable, and then nothing is cached."""

    def read() -> str | None:
        current = cache.get(GENERATION_KEY)
        if current is None:  # a first start, or an emptied cache: start one (once)
            cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
            current = cache.get(GENERATION_KEY)
        return current

    return _quietly("reading the generation", read)


def new_generation() -> None:
    """Retire every cached body now (if the cache is down, entries expire on their own)."""
    _quietly("retiring bodies", lambda: cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None))


def new_generation_on_commit() -> None:
    """Retire the cached bodies now and again once the current transaction commits.

    Now, so a reader inside this transaction (or a test, whose transaction never commits)
    sees its own change; again at commit, because a body rendered by another request between
    the two read the figures as they were before this commit."""
    new_generation()
    transaction.on_commit(new_generation)


def body_key(*, generation: str, portfolio_ids: list[int], path: str, today: date) -> str:
    parts = f"{generation}|{','.join(map(str, sorted(portfolio_ids)))}|{path}|{today}"
    return "reporting:dashboard-body:" + hashlib.sha256(parts.encode()).hexdigest()


def get(key: str | None) -> str | None:
    return None if key is None else _quietly("reading a body", lambda: cache.get(key))


def put(key: str | None, html: str) -> None:
    if key is not None:
        _quietly("keeping a body", lambda: cache.set(key, html, timeout=FIGURE_CACHE_SECONDS))


def _changed(sender, **kwargs) -> None:
    if kwargs.get("raw"):  # loading fixtures
        return
    new_generation_on_commit()


def connect_signals() -> None:
    """Core rows the dashboard reads directly, not through the rollup tables."""
    from django.db.models.signals import post_delete, post_save

    from portfolio.models import Portfolio, PortfolioBudget, Resource
    from projects.models import Milestone, Project

    for model in (Portfolio, PortfolioBudget, Resource, Project, Milestone):
        post_save.connect(_changed, sender=model, dispatch_uid=f"figure-cache-{model.__name__}")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"figure-cache-del-{model.__name__}"
        )
