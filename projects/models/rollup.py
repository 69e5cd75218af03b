from __future__ import annotations

from django.db import models

from projects.models.project import Project


class RollupState(models.Model):
    """Whether a project's rollup figures are current: every write bumps `requested`.

    A recompute records the generation it computed; the figures are stale while
    requested > computed. Two counters instead of a flag let a recompute that started before
    a later write leave the row stale, so that write is never lost.

    It stays in `projects` while the figures moved to `reporting`: every project write bumps
    it in its own transaction (projects.services.common.mark_rollup_stale), and projects may
    not import reporting. The engine (reporting/engine.py) reads and settles it.
    """

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, primary_key=True, related_name="rollup_state"
    )
    requested = models.BigIntegerField(default=1)
    computed = models.BigIntegerField(default=0)
    stale_since = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["stale_since"],
                name="rollup_state_stale_idx",
                condition=models.Q(stale_since__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"rollup state of project {self.project_id}"

    @property
    def is_stale(self) -> bool:
        return self.requested > self.computed
