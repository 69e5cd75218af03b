"""Reads behind the RAID log: the four registers, the risk heat map and the choices the forms
offer (owners, projects and milestones to depend on). One module per part:

- params: registers, filters, labels and score bands;
- log: counts, heat map, a page of a register, dependents;
- choices: owners, projects and milestones for the forms.
"""

from projects.selectors.raid.choices import (
    dependable_projects,
    milestones_of,
    owner_choices,
    visible_project_by_code,
)
from projects.selectors.raid.log import (
    Dependents,
    HeatCell,
    HeatMap,
    KindCount,
    RaidRow,
    Register,
    dependents_of,
    raid_counts,
    raid_register,
    risk_heat_map,
)
from projects.selectors.raid.params import (
    DEFAULT_KIND,
    DEFAULT_STATUS,
    IMPACT_LABELS,
    KINDS,
    PROBABILITY_LABELS,
    STATUS_FILTERS,
    RaidKind,
    RaidParams,
    score_band,
)

__all__ = [
    "DEFAULT_KIND",
    "DEFAULT_STATUS",
    "IMPACT_LABELS",
    "KINDS",
    "PROBABILITY_LABELS",
    "STATUS_FILTERS",
    "Dependents",
    "HeatCell",
    "HeatMap",
    "KindCount",
    "RaidKind",
    "RaidParams",
    "RaidRow",
    "Register",
    "dependable_projects",
    "dependents_of",
    "milestones_of",
    "owner_choices",
    "raid_counts",
    "raid_register",
    "risk_heat_map",
    "score_band",
    "visible_project_by_code",
]
