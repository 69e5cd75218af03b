"""The status service's refusal lists every RAG choice that needs a reason at once."""

from __future__ import annotations

from datetime import date

import pytest

from projects import services
from projects.services.status import MissingOverrideReasons
from projects.tests.factories import RiskFactory

pytestmark = pytest.mark.django_db


def test_every_missing_override_reason_is_named_in_one_refusal(pm, project):
    RiskFactory(project=project, probability=5, impact=5)  # the rules: risk and overall red
    report = services.status_report_start(project=project, period_end=date(2026, 10, 31), by=pm)
    report = services.status_report_update(
        report=report,
        expected_version=report.version,
        by=pm,
        cost_rag="amber",
        override_reasons={"risk": "Insured."},
    )

    with pytest.raises(MissingOverrideReasons) as refusal:
        services.status_report_submit(report=report, expected_version=report.version, by=pm)

    assert refusal.value.errors == {
        "cost_reason": "Cost is Amber but the rules suggest Green: say why.",
        "overall_reason": "Overall is Green but the rules suggest Red: say why.",
    }
    # It is a DomainError about the first of them, for callers that show one message.
    assert isinstance(refusal.value, services.DomainError)
    assert refusal.value.field == "cost_reason"
    report.refresh_from_db()
    assert report.state == "draft"
