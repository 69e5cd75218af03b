from __future__ import annotations

from django.db import models

from projects.models.project import Project


class RollupState(models.Model):
    """Whether a project's rollup figures are current: every write bumps `requested`.

    A recompute records the generation it computed; the figures are stale while
    requested > computed. Two counters instead of a flag let a recompute that started before
    a later write leave the row stale, so that write is never lost.
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


# Lifecycle states "in flight" (projects.selectors.IN_FLIGHT_STATES), as the partial indexes
# below must spell them.
IN_FLIGHT = ["approved", "active", "on_hold"]


def _money(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=2, **kwargs)


def _ratio(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=12, decimal_places=4, null=True, **kwargs)


class ProjectRollup(models.Model):
    """A project's computed figures (EVM, schedule, risk, rule health) as of `as_of`.

    Written only by the rollup engine (projects/rollups.py) with set-based SQL; dashboards and
    lists read these rows instead of aggregating raw data on every request.
    """

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, primary_key=True, related_name="rollup"
    )
    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, related_name="project_rollups"
    )
    as_of = models.DateField()
    state = models.CharField(max_length=10, default="", help_text="The project's lifecycle state.")
    bac = _money()
    pv = _money()
    ev = _money()
    ac = _money()
    cv = _money()
    sv = _money()
    eac = _money(null=True)
    etc = _money(null=True)
    vac = _money(null=True)
    cpi = _ratio()
    spi = _ratio()
    tcpi = _ratio()
    percent_complete = models.DecimalField(max_digits=5, decimal_places=2)
    slip_days = models.IntegerField(null=True)
    milestones_total = models.IntegerField()
    milestones_slipping = models.IntegerField()
    milestones_achieved = models.IntegerField()
    milestones_on_time = models.IntegerField()
    on_time_rate = _ratio()
    open_risks = models.IntegerField()
    high_risks = models.IntegerField()
    exposure = models.IntegerField()
    emv = _money()
    pending_scope_changes = models.IntegerField()
    priority_score = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        help_text="Weighted score over the PMO's active criteria, 0–100; None if unscored.",
    )
    schedule_rag = models.CharField(max_length=5)
    cost_rag = models.CharField(max_length=5)
    scope_rag = models.CharField(max_length=5)
    risk_rag = models.CharField(max_length=5)
    health_rag = models.CharField(max_length=5)
    reported_rag = models.CharField(max_length=5, blank=True)
    last_report_period_end = models.DateField(null=True)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["portfolio", "health_rag"]),
            models.Index(fields=["portfolio", "cpi"]),
            models.Index(fields=["portfolio", "spi"]),
            models.Index(fields=["portfolio", "slip_days"]),
            models.Index(fields=["portfolio", "exposure"]),
            # The dashboard's top-N reads: the largest scored projects in flight (bubble
            # chart) and the red ones by slip (needs attention), served in index order.
            models.Index(
                models.F("bac").desc(),
                name="rollup_scored_by_bac_idx",
                condition=models.Q(state__in=IN_FLIGHT, priority_score__isnull=False),
            ),
            models.Index(
                models.F("slip_days").desc(nulls_last=True),
                name="rollup_red_by_slip_idx",
                condition=models.Q(state__in=IN_FLIGHT, health_rag="red"),
            ),
        ]

    def __str__(self) -> str:
        return f"rollup of project {self.project_id} as of {self.as_of}"


class ProjectRollupSnapshot(models.Model):
    """A dated copy of a project's key rollup figures: the history behind trend charts."""

    taken_on = models.DateField()
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="snapshots")
    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, related_name="project_snapshots"
    )
    state = models.CharField(max_length=10)
    bac = _money()
    pv = _money()
    ev = _money()
    ac = _money()
    eac = _money(null=True)
    cpi = _ratio()
    spi = _ratio()
    slip_days = models.IntegerField(null=True)
    exposure = models.IntegerField()
    health_rag = models.CharField(max_length=5)
    reported_rag = models.CharField(max_length=5, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["taken_on", "project"], name="project_snapshot_one_per_day"
            ),
        ]
        indexes = [models.Index(fields=["portfolio", "taken_on"])]

    def __str__(self) -> str:
        return f"snapshot of project {self.project_id} on {self.taken_on}"
