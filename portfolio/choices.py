from django.db import models


class ResourceKind(models.TextChoices):
    PERSON = "person", "Named person"
    ROLE = "role", "Role (generic capacity)"


class EvMethod(models.TextChoices):
    """How a project earns value (projects.metrics.earned_value_by_method). The PMO sets one
    per portfolio; a project may override it."""

    PERCENT = "percent", "Percent complete as reported"
    MILESTONES = "milestones", "Weighted milestones"
    FIXED_0_100 = "0_100", "0/100 (all at finish)"
    FIXED_50_50 = "50_50", "50/50 (half at start, half at finish)"
