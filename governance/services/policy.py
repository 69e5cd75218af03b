"""The PMO's figures policy, edited in the app: the health thresholds and risk bands, each
portfolio's earned-value method and its budget envelope per fiscal year.

Every change is audited (pghistory, with the PMO's name and a reason) and checked against what
the editor saw, so two PMO members cannot silently overwrite each other. A change that alters
computed figures marks exactly the affected rollups stale in the same transaction: the
dashboard then says it is recomputing until the worker has caught up.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from portfolio.choices import EvMethod
from portfolio.models import HealthPolicy, Portfolio, PortfolioBudget
from ppm.audit import acting_as
from ppm.roles import Role, has_role
from projects.services.common import DomainError, mark_rollups_stale_selected, save_versioned

POLICY_FIELDS = (
    "cpi_amber",
    "cpi_red",
    "spi_amber",
    "spi_red",
    "slip_amber_days",
    "slip_red_days",
    "risk_amber_score",
    "risk_red_score",
    "fiscal_year_start_month",
)
MAX_ENVELOPE = Decimal("99999999999999.99")  # the column's 16 digits
FISCAL_YEARS = (2000, 2100)


def _require_pmo(user) -> None:
    if not (user.is_superuser or has_role(user, Role.PMO)):
        raise PermissionError("Only the PMO changes the figures policy.")


def _check_thresholds(values: dict) -> None:
    for index in ("cpi", "spi"):
        amber, red = values[f"{index}_amber"], values[f"{index}_red"]
        if not (Decimal("0") < red <= amber <= Decimal("2")):
            raise DomainError(
                f"{index.upper()} red must be above 0 and at or below amber (at most 2.00): "
                f"below red is red, below amber is amber.",
                field=f"{index}_red",
            )
    if values["slip_amber_days"] > values["slip_red_days"]:
        raise DomainError("Slip amber must be at or below slip red.", field="slip_amber_days")
    if not 1 <= values["risk_amber_score"] <= values["risk_red_score"] <= 25:
        raise DomainError(
            "Risk bands run from 1 to 25 (probability × impact), amber at or below red.",
            field="risk_amber_score",
        )
    if not 1 <= values["fiscal_year_start_month"] <= 12:
        raise DomainError(
            "The fiscal year starts in a month: 1 (January) to 12 (December).",
            field="fiscal_year_start_month",
        )


def health_policy_update(*, by, expected_version: int, **fields) -> tuple[HealthPolicy, int]:
    """Change the health thresholds, the risk bands or the fiscal year's first month. Every
    project's rule health (and fiscal-year plan) depends on them, so every rollup is marked
    stale. Returns the policy and the number marked."""
    _require_pmo(by)
    unknown = set(fields) - set(POLICY_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    policy = HealthPolicy.current()
    after = {name: fields.get(name, getattr(policy, name)) for name in POLICY_FIELDS}
    _check_thresholds(after)
    changes = {k: v for k, v in fields.items() if getattr(policy, k) != v}
    if not changes:
        return policy, 0
    reason = "health policy: " + ", ".join(
        f"{k} {getattr(policy, k)} → {v}" for k, v in sorted(changes.items())
    )
    with transaction.atomic(), acting_as(by, reason=reason):
        for name, value in changes.items():
            setattr(policy, name, value)
        save_versioned(policy, expected_version=expected_version, fields=changes)
        marked = mark_rollups_stale_selected("SELECT id FROM projects_project", [])
    return policy, marked


def portfolio_ev_method_set(*, by, portfolio: Portfolio, method: str, seen: str) -> int:
    """Set how a portfolio's projects earn value (those without a method of their own).
    `seen` is the method the PMO saw: if someone changed it meanwhile, nothing is written.
    Marks the portfolio's projects stale; returns how many."""
    _require_pmo(by)
    if method not in EvMethod.values:
        raise DomainError("Choose one of the listed methods.", field="ev_method")
    if method == seen and portfolio.ev_method == seen:
        return 0
    reason = f"earned value method of {portfolio.code}: {seen} → {method}"
    with transaction.atomic(), acting_as(by, reason=reason):
        updated = Portfolio.objects.filter(pk=portfolio.pk, ev_method=seen).update(ev_method=method)
        if not updated:
            portfolio.refresh_from_db()
            raise DomainError(
                f"Someone changed {portfolio.name}'s method meanwhile (it is now "
                f"“{EvMethod(portfolio.ev_method).label}”); nothing was saved.",
                field="ev_method",
            )
        portfolio.ev_method = method
        return mark_rollups_stale_selected(
            "SELECT id FROM projects_project WHERE portfolio_id = %s", [portfolio.pk]
        )


def envelope_set(
    *, by, portfolio: Portfolio, fiscal_year: int, amount: Decimal | None, seen: Decimal | None
) -> PortfolioBudget | None:
    """Set (or, with None, remove) a portfolio's envelope for a fiscal year. `seen` is the
    amount the PMO saw (None: none set). The envelope is read live by every page, so nothing
    needs recomputing."""
    _require_pmo(by)
    if not FISCAL_YEARS[0] <= fiscal_year <= FISCAL_YEARS[1]:
        raise DomainError("That fiscal year is out of range.", field="amount")
    if amount is not None and not Decimal("0") <= amount <= MAX_ENVELOPE:
        raise DomainError(
            "An envelope is an amount from 0 to 99,999,999,999,999.99.", field="amount"
        )
    reason = f"envelope of {portfolio.code} FY{fiscal_year}: {seen} → {amount}"
    with transaction.atomic(), acting_as(by, reason=reason):
        current = (
            PortfolioBudget.objects.select_for_update()
            .filter(portfolio=portfolio, fiscal_year=fiscal_year)
            .first()
        )
        if (current.amount if current else None) != seen:
            now = f"{current.amount:,}" if current else "not set"
            raise DomainError(
                f"Someone changed this envelope meanwhile (it is now {now}); nothing was saved.",
                field="amount",
            )
        if amount is None:
            if current:
                current.delete()
            return None
        if current:
            current.amount = amount
            current.save(update_fields=["amount"])
            return current
        return PortfolioBudget.objects.create(
            portfolio=portfolio, fiscal_year=fiscal_year, amount=amount
        )
