"""What the RAID page is asked for: the registers, the status filters, the heat-map
drill-down, and the labels and score bands every part of the page shares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from django.db.models import Model

from portfolio.models import HealthPolicy
from projects.models import Assumption, Dependency, Issue, Risk

PROBABILITY_LABELS = {1: "Rare", 2: "Unlikely", 3: "Possible", 4: "Likely", 5: "Almost certain"}
IMPACT_LABELS = {1: "Minimal", 2: "Minor", 3: "Moderate", 4: "Major", 5: "Severe"}


@dataclass(frozen=True)
class RaidKind:
    """One register of the RAID log, as the URL and the page name it."""

    slug: str
    model: type[Model]
    singular: str
    plural: str


KINDS: dict[str, RaidKind] = {
    "risks": RaidKind("risks", Risk, "risk", "Risks"),
    "issues": RaidKind("issues", Issue, "issue", "Issues"),
    "assumptions": RaidKind("assumptions", Assumption, "assumption", "Assumptions"),
    "dependencies": RaidKind("dependencies", Dependency, "dependency", "Dependencies"),
}
DEFAULT_KIND = "risks"

# Status filters offered above every register.
STATUS_FILTERS = (
    ("open", "Open"),
    ("overdue", "Overdue"),
    ("closed", "Closed"),
    ("all", "All"),
)
DEFAULT_STATUS = "open"


def _score(value: str) -> int | None:
    return int(value) if value in {"1", "2", "3", "4", "5"} else None


@dataclass(frozen=True)
class RaidParams:
    """What the user asked the log for; unknown values fall back to the defaults."""

    kind: str = DEFAULT_KIND
    status: str = DEFAULT_STATUS
    probability: int | None = None
    impact: int | None = None
    page: str = "1"

    @classmethod
    def from_query(cls, query: Mapping[str, str], *, kind: str | None = None) -> RaidParams:
        chosen = kind or query.get("kind", DEFAULT_KIND)
        chosen = chosen if chosen in KINDS else DEFAULT_KIND
        status = query.get("status", DEFAULT_STATUS)
        risks = chosen == "risks"
        return cls(
            kind=chosen,
            status=status if status in dict(STATUS_FILTERS) else DEFAULT_STATUS,
            # The heat-map drill-down (probability × impact) only narrows the risk register.
            probability=_score(query.get("p", "")) if risks else None,
            impact=_score(query.get("i", "")) if risks else None,
            page=query.get("page", "1"),
        )

    @property
    def spec(self) -> RaidKind:
        return KINDS[self.kind]

    @property
    def drilled(self) -> bool:
        return self.probability is not None or self.impact is not None

    def query(self, **overrides) -> str:
        """The query string of these params (with overrides), defaults left out."""
        params = replace(self, **overrides)
        parts = [("kind", params.kind)]
        if params.status != DEFAULT_STATUS:
            parts.append(("status", params.status))
        if params.probability is not None:
            parts.append(("p", str(params.probability)))
        if params.impact is not None:
            parts.append(("i", str(params.impact)))
        return "?" + "&".join(f"{k}={v}" for k, v in parts)


def score_band(score: int, policy: HealthPolicy) -> str:
    """RAG band of a risk score under the PMO's policy (at or above a threshold is that band)."""
    if score >= policy.risk_red_score:
        return "red"
    if score >= policy.risk_amber_score:
        return "amber"
    return "green"
