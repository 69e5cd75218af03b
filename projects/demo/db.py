"""Database plumbing for the demo generator: which tables it fills, how it writes them fast,
how it refuses to write over data, and how `--reset` empties them.
"""

# ruff: noqa: S608 -- SQL assembled from constants and integers; values are parameters
from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

import pgtrigger
from django.apps import apps
from django.db import connection, models
from django.db.models.fields.related import ManyToManyField
from pghistory.models import Event
from pghistory.trigger import Event as AuditTrigger

from portfolio.models import (
    Portfolio,
    PortfolioBudget,
    Program,
    Resource,
    ScoringCriterion,
    StrategicObjective,
)
from projects.models import (
    Allocation,
    Assumption,
    ChangeRequest,
    CostLine,
    Dependency,
    Issue,
    LessonLearned,
    Milestone,
    MilestoneForecast,
    Project,
    ProjectScore,
    Risk,
    StatusReport,
)

# Every table the generator writes, parents before children (the order rows are written in).
DOMAIN_MODELS: list[type[models.Model]] = [
    Portfolio,
    PortfolioBudget,
    Program,
    StrategicObjective,
    ScoringCriterion,
    Resource,
    Project,
    Project.delegates.through,
    Project.objectives.through,
    ProjectScore,
    Milestone,
    MilestoneForecast,
    StatusReport,
    CostLine,
    Allocation,
    Risk,
    Issue,
    Assumption,
    Dependency,
    ChangeRequest,
    LessonLearned,
]


def _audited_models() -> list[type[models.Model]]:
    return [m for m in DOMAIN_MODELS if not m._meta.auto_created]


def existing_rows() -> dict[str, int]:
    """Tables of the demo domain that already hold rows (label → a row count capped at 1)."""
    parts = [
        f"SELECT '{m._meta.label}', EXISTS (SELECT 1 FROM {m._meta.db_table})"
        for m in DOMAIN_MODELS
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {label: 1 for label, present in cursor.fetchall() if present}


def row_counts() -> dict[str, int]:
    """Exact row count of every demo table, keyed by model label."""
    parts = [f"SELECT '{m._meta.label}', count(*) FROM {m._meta.db_table}" for m in DOMAIN_MODELS]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        counts = dict(cursor.fetchall())
    return {m._meta.label: counts[m._meta.label] for m in DOMAIN_MODELS}


def audit_event_tables() -> list[str]:
    """The pghistory event tables that record changes to the demo tables."""
    audited = set(_audited_models())
    return sorted(
        m._meta.db_table
        for m in apps.get_models()
        if issubclass(m, Event) and getattr(m, "pgh_tracked_model", None) in audited
    )


def truncate_demo_tables() -> None:
    """Empty the demo tables, their audit history, and every table that refers to them.

    TRUNCATE fires no row triggers, so the trigger that protects submitted status reports
    from DELETE does not stand in the way; CASCADE also empties tables of other apps that
    point at projects or portfolios (gate reviews, rollups, report runs...).
    """
    tables = [m._meta.db_table for m in DOMAIN_MODELS] + audit_event_tables()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def _audit_triggers() -> list[tuple[type[models.Model], pgtrigger.Trigger]]:
    audited = set(_audited_models())
    return [
        (model, trigger)
        for model, trigger in pgtrigger.registered()
        if model in audited and isinstance(trigger, AuditTrigger)
    ]


@contextlib.contextmanager
def audit_triggers_disabled() -> Iterator[None]:
    """Switch off the pghistory audit triggers of the demo tables for one transaction.

    Generated rows are not user edits: an audit event per generated row would double the
    write volume. pgtrigger's Trigger.disable issues ALTER TABLE … DISABLE TRIGGER, which is
    transactional in PostgreSQL: other sessions never see the triggers off (they wait on the
    table lock instead), and a failure rolls the switch back with the data. We measured
    `pgtrigger.ignore()` first: its per-row check runs a PL/pgSQL exception block and made
    the bulk load 2.5× slower. Only audit triggers are touched; any other trigger still fires.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit triggers may only be disabled inside a transaction")
    triggers = _audit_triggers()
    for model, trigger in triggers:
        trigger.disable(model)
    yield
    # Deferred foreign-key checks are pending trigger events, and ALTER TABLE refuses to run
    # on a table that has some: run the checks now, then switch auditing back on.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for model, trigger in triggers:
        trigger.enable(model)


def reset_sequences() -> None:
    """Move every demo table's id sequence past the explicit ids the generator wrote."""
    with connection.cursor() as cursor:
        for model in DOMAIN_MODELS:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), coalesce(max(id), 1), "
                f"max(id) IS NOT NULL) FROM {table}",
                [table],
            )


def analyze() -> None:
    """Refresh planner statistics: the tables grew from nothing in one transaction."""
    with connection.cursor() as cursor:
        for model in DOMAIN_MODELS:
            cursor.execute(f"ANALYZE {model._meta.db_table}")


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not isinstance(f, ManyToManyField)]


class Rows:
    """Rows for one table, built in Python and written with one COPY.

    Ids are handed out here, in creation order, so a given seed always yields the same ids.
    Values are keyed by attribute name (`project_id`, not `project`); a field left out takes
    its model default, and the database refuses anything that breaks a constraint.
    """

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.rows: list[dict[str, Any]] = []

    def add(self, **values: Any) -> int:
        ident = len(self.rows) + 1
        values["id"] = ident
        self.rows.append(values)
        return ident

    def __len__(self) -> int:
        return len(self.rows)

    def write(self) -> int:
        fields = _columns(self.model)
        names = {f.attname for f in fields}
        for row in self.rows:
            unknown = set(row) - names
            if unknown:
                raise TypeError(f"{self.model._meta.label} has no field(s) {sorted(unknown)}")
        defaults = {f.attname: f.get_default() for f in fields}
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor: Django's wrapper has no COPY
            statement = f"COPY {self.model._meta.db_table} ({columns}) FROM STDIN"
            with raw.copy(statement) as copy:
                for row in self.rows:
                    copy.write_row(
                        [
                            f.get_db_prep_save(row.get(f.attname, defaults[f.attname]), connection)
                            for f in fields
                        ]
                    )
        return len(self.rows)


def write_all(tables: Iterable[Rows]) -> None:
    """Write tables in DOMAIN_MODELS order, so parents exist before their children."""
    by_model = {t.model: t for t in tables}
    for model in DOMAIN_MODELS:
        if model in by_model:
            by_model[model].write()
