"""Real rows behind every URL of the intake and gate pages, for the cross-app sweeps (the
permission matrix, odd input): a published workflow, the project enrolled at a gate with a
checklist and evidence (a stored file and a link), and an intake request by the project's
manager under review in the project's portfolio. The caller points MEDIA_ROOT somewhere
temporary first (a file is stored)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from governance.services import intake as intake_services
from governance.services import reviews
from governance.tests.gates import published_workflow
from portfolio.tests.factories import make_user
from ppm.roles import Role

PDF = b"%PDF-1.7\n%%EOF\n"


@dataclass(frozen=True)
class GateWorld:
    project_pk: int
    project_criterion_pk: int
    file_evidence_pk: int
    link_evidence_pk: int
    intake_pk: int
    intake_criterion_pk: int
    intake_evidence_pk: int

    def kwargs_for(self, name: str, params: list[str]) -> dict[str, int]:
        """URL kwargs for the governance URL `name` (without namespace), on the rows that
        make sense for it: an intake's own criterion and evidence for intake-*, the stored
        file for a download, the link for a removal."""
        intake = name.startswith("intake")
        values = {
            "project_pk": self.project_pk,
            "intake_pk": self.intake_pk,
            "gate_criterion_pk": self.intake_criterion_pk if intake else self.project_criterion_pk,
            "evidence_pk": self.intake_evidence_pk
            if intake
            else self.link_evidence_pk
            if name.endswith("remove")
            else self.file_evidence_pk,
        }
        return {p: values[p] for p in params}

    def ids(self) -> dict[str, list[int]]:
        """Every id worth trying for each parameter (for sweeps that try them all)."""
        return {
            "project_pk": [self.project_pk],
            "intake_pk": [self.intake_pk],
            "gate_criterion_pk": [self.project_criterion_pk, self.intake_criterion_pk],
            "evidence_pk": [self.file_evidence_pk, self.link_evidence_pk, self.intake_evidence_pk],
        }


def gate_world(project, pm) -> GateWorld:
    pmo = make_user("gate.world.pmo", Role.PMO)
    version = published_workflow(
        pmo,
        [
            {
                "name": "Idea",
                "phase": "Business case",
                "portfolio_director": True,
                "criteria": [("Sponsor found", False)],
            },
            {
                "name": "Plan",
                "phase": "Build",
                "portfolio_director": True,
                "criteria": [("Schedule baselined", True), ("Risks logged", False)],
            },
        ],
        name="Gate world",
    )
    plan = version.gates.get(name="Plan")
    reviews.project_enrol(project=project, version=version, next_gate=plan, by=pmo)
    criterion = plan.criteria.order_by("order").first()
    stored = reviews.evidence_add(
        target=project,
        criterion=criterion,
        by=pm,
        upload=SimpleUploadedFile("plan.pdf", PDF, "application/pdf"),
    )
    link = reviews.evidence_add(
        target=project, criterion=criterion, by=pm, link="https://wiki.example.org/plan"
    )
    intake = intake_services.intake_save(
        by=pm,
        data=intake_services.IntakeInput(
            title="Customer portal",
            portfolio=project.portfolio,
            category="software",
            problem="Customers phone us.",
            solution="A portal.",
            benefits="Fewer calls.",
            risks="The ERP.",
            cost_estimate=Decimal("250000.00"),
            desired_start=date(2027, 1, 1),
            duration_months=9,
            proposed_manager=pm,
        ),
    )
    idea = intake_services.intake_first_gate(intake).criteria.get()
    reviews.criterion_check_set(target=intake, criterion=idea, by=pm, met=True, note="")
    intake_link = reviews.evidence_add(
        target=intake, criterion=idea, by=pm, link="https://wiki.example.org/sponsor"
    )
    intake_services.intake_submit(intake=intake, by=pm, expected_version=intake.version)
    return GateWorld(
        project_pk=project.pk,
        project_criterion_pk=criterion.pk,
        file_evidence_pk=stored.pk,
        link_evidence_pk=link.pk,
        intake_pk=intake.pk,
        intake_criterion_pk=idea.pk,
        intake_evidence_pk=intake_link.pk,
    )
