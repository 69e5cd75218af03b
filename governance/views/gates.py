"""A project's gate page: the workflow version it follows, every gate with its status, and for
the next gate the checklist (tick with a note), the evidence per criterion (upload a file or
add a link; download; remove what no review cited) and "Request review" once the checklist
is complete. The PMO enrols a project that follows no workflow yet.

Who may do what: anyone who may view the project reads the page (ppm.access.can_view); its
manager, delegates, its portfolio's director and the PMO tick, attach and request
(ppm.access.can_change); only the PMO enrols. Evidence is downloaded through this app only
(`evidence_download`), by people who may see its project or intake request; anyone else gets
a 404, as if it did not exist.

Every write is a service call (governance.services.reviews); each POST answers htmx with the
next-gate fragment and a browser without JavaScript with a redirect back to the criterion.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.http import http_date
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from governance.forms_intake import CheckForm, EnrolForm, EvidenceForm, ReviewRequestForm
from governance.models import Evidence, GateCriterion, Review
from governance.selectors.gates import enrolment_gates, gate_page
from governance.selectors.intake import visible_intakes
from governance.selectors.reviews import may_view_review, review_facts
from governance.services.reviews import (
    ChecklistLine,
    criterion_check_set,
    evidence_add,
    evidence_remove,
    project_enrol,
    review_request,
)
from governance.services.workflows import workflow_for
from ppm.access import can_view
from ppm.htmx import HtmxHttpRequest, render_page, wants_fragment
from ppm.roles import Role, has_role
from projects.models import Project
from projects.services import DomainError
from projects.views.common import call_service, load_project, section_context

PAGE = "governance/gates/page.html"
FRAGMENT = "next-gate"


def review_url(pk: int) -> str:
    return reverse("governance:review", args=[pk])


# --- A checklist as the page shows it (shared with the intake request page) ------------------


@dataclass(frozen=True)
class EvidenceItem:
    evidence: Evidence
    download_url: str  # empty for a link
    remove_url: str  # empty when it may not be removed


@dataclass(frozen=True)
class ChecklistRow:
    line: ChecklistLine
    check_form: CheckForm
    evidence_form: EvidenceForm
    check_url: str
    evidence_url: str
    evidence: list[EvidenceItem]

    @property
    def criterion(self) -> GateCriterion:
        return self.line.criterion

    @property
    def anchor(self) -> str:
        return f"criterion-{self.line.criterion.pk}"

    @property
    def attach_open(self) -> bool:
        """Whether the attach form shows unfolded: it holds an error, or evidence is needed."""
        return bool(self.evidence_form.errors) or (
            self.line.criterion.evidence_required and not self.line.evidence
        )


# (criterion id, "check" or "evidence", the bound form to show instead of a fresh one)
Bound = tuple[int, str, Any] | None


def prefix(gate_criterion_pk: int) -> str:
    return f"c{gate_criterion_pk}"


def checklist_rows(
    lines: list[ChecklistLine],
    *,
    editable: bool,
    cited: frozenset[int],
    url: Callable[[str, int], str],
    bound: Bound = None,
) -> list[ChecklistRow]:
    """Rows with a form per line. `url(kind, pk)` names the page's URLs: kind "check" and
    "evidence" take a criterion id, "remove" an evidence id."""
    rows = []
    for line in lines:
        pk = line.criterion.pk
        check = CheckForm(
            prefix=prefix(pk),
            initial={"met": line.met, "note": line.check.note if line.check else ""},
        )
        attach = EvidenceForm(prefix=prefix(pk))
        if bound and bound[0] == pk:
            if bound[1] == "check":
                check = bound[2]
            else:
                attach = bound[2]
        items = [
            EvidenceItem(
                e,
                reverse("governance:evidence-download", args=[e.pk]) if e.file else "",
                url("remove", e.pk) if editable and e.pk not in cited else "",
            )
            for e in line.evidence
        ]
        rows.append(
            ChecklistRow(
                line,
                check,
                attach,
                url("check", pk) if editable else "",
                url("evidence", pk) if editable else "",
                items,
            )
        )
    return rows


def check_submit(
    request: HtmxHttpRequest, *, target, criterion: GateCriterion
) -> tuple[str, Bound]:
    """Tick a criterion from the posted form: (flash message, bound form with errors)."""
    form = CheckForm(request.POST, prefix=prefix(criterion.pk))
    if form.is_valid():
        data = form.cleaned_data
        done, _ = call_service(
            form,
            lambda: criterion_check_set(
                target=target,
                criterion=criterion,
                by=request.user,
                met=data["met"],
                note=data["note"],
            ),
        )
        if done is not None:
            state = "met" if data["met"] else "not met"
            return f"“{criterion.text}” marked {state}.", None
    return "", (criterion.pk, "check", form)


def evidence_submit(
    request: HtmxHttpRequest, *, target, criterion: GateCriterion
) -> tuple[str, Bound]:
    """Attach the posted file or link: (flash message, bound form with errors)."""
    form = EvidenceForm(request.POST, request.FILES, prefix=prefix(criterion.pk))
    if form.is_valid():
        data = form.cleaned_data
        added, _ = call_service(
            form,
            lambda: evidence_add(
                target=target,
                criterion=criterion,
                by=request.user,
                upload=data["file"] or None,
                link=data["link"],
                name=data["name"],
            ),
        )
        if added is not None:
            return f"“{added.name}” attached to “{criterion.text}”.", None
    return "", (criterion.pk, "evidence", form)


def remove_submit(request: HtmxHttpRequest, evidence: Evidence) -> tuple[str, str]:
    """Remove evidence: (flash message, error message)."""
    name = evidence.name
    try:
        evidence_remove(evidence=evidence, by=request.user)
    except DomainError as error:
        return "", error.message
    return f"“{name}” removed.", ""


def answer(
    request: HtmxHttpRequest,
    *,
    flash: str,
    error: str,
    bound: Bound,
    redirect_to: str,
    render: Callable[..., HttpResponse],
) -> HttpResponse:
    """After a checklist write: htmx gets the fragment; a browser gets a redirect back (done)
    or the whole page with the form's errors next to their fields."""
    if wants_fragment(request) or bound is not None:
        return render(bound=bound, flash=flash, error=error)
    if flash:
        messages.success(request, flash)
    if error:
        messages.error(request, error)
    return HttpResponseRedirect(redirect_to)


# --- The project's gate page ------------------------------------------------------------------


def _may_enrol(user) -> bool:
    return user.is_superuser or has_role(user, Role.PMO)


def _suggested_gate(project: Project) -> int | None:
    """The first gate of the workflow the selection rules would choose for the project."""
    try:
        version = workflow_for(
            portfolio_id=project.portfolio_id,
            category=project.category,
            budget=project.budget_at_completion,
        )
    except DomainError:
        return None
    first = version.gates.order_by("order").first()
    return first.pk if first else None


def _render(
    request: HtmxHttpRequest,
    project: Project,
    *,
    bound: Bound = None,
    flash: str = "",
    error: str = "",
    request_form: ReviewRequestForm | None = None,
    enrol_form: EnrolForm | None = None,
) -> HttpResponse:
    page = gate_page(project)
    editable = project.user_can_change and page.next_gate is not None and not page.open_review
    pk = project.pk
    names = {
        "check": "governance:project-gate-check",
        "evidence": "governance:project-gate-evidence",
        "remove": "governance:project-gate-evidence-remove",
    }
    rows = checklist_rows(
        page.lines,
        editable=editable,
        cited=page.cited,
        url=lambda kind, item: reverse(names[kind], args=[pk, item]),
        bound=bound,
    )
    may_enrol = page.workflow is None and _may_enrol(request.user)
    if may_enrol and enrol_form is None:
        enrol_form = EnrolForm(
            gates=enrolment_gates(), initial={"next_gate": _suggested_gate(project)}
        )
    context = {
        **section_context(request, project, "gates"),
        "page": page,
        "rows": rows,
        "editable": editable,
        "may_request": editable and page.complete,
        "request_form": request_form or ReviewRequestForm(),
        "enrol_form": enrol_form if may_enrol else None,
        "gates": [(row, review_url(row.review.pk) if row.review else "") for row in page.gates],
        "open_review_url": review_url(page.open_review.pk) if page.open_review else "",
        "last_review_url": review_url(page.last_review.pk) if page.last_review else "",
        "flash": flash,
        "error": error,
        "hx_target": "#next-gate",
    }
    # Without a next gate there is no fragment: htmx gets the whole page.
    return render_page(request, PAGE, context, partial=FRAGMENT if page.next_gate else None)


def _gates_url(project: Project, anchor: str = "") -> str:
    url = reverse("governance:project-gates", args=[project.pk])
    return f"{url}#{anchor}" if anchor else url


@require_GET
@login_required
def project_gates(request: HtmxHttpRequest, project_pk: int) -> HttpResponse:
    return _render(request, load_project(request, project_pk))


def _next_criterion(project: Project, gate_criterion_pk: int) -> GateCriterion:
    """A criterion of the project's next gate, while no review of that gate is under way;
    404 for any other criterion."""
    page = gate_page(project)
    gate = page.next_gate
    criterion = next(
        (line.criterion for line in page.lines if line.criterion.pk == gate_criterion_pk), None
    )
    if gate is None or criterion is None:
        raise Http404("That criterion is not on the project's next gate.")
    if page.open_review is not None:
        raise _Refused(f"A review of {gate.name} is under way: its checklist is frozen in it.")
    return criterion


class _Refused(Exception):
    pass


def _checklist_write(
    request: HtmxHttpRequest,
    project_pk: int,
    gate_criterion_pk: int,
    submit: Callable[..., tuple[str, Bound]],
) -> HttpResponse:
    project = load_project(request, project_pk, write=True)
    try:
        criterion = _next_criterion(project, gate_criterion_pk)
    except _Refused as refused:
        flash, bound, error = "", None, str(refused)
    else:
        flash, bound = submit(request, target=project, criterion=criterion)
        error = ""
    return answer(
        request,
        flash=flash,
        error=error,
        bound=bound,
        redirect_to=_gates_url(project, f"criterion-{gate_criterion_pk}"),
        render=lambda **kw: _render(request, project, **kw),
    )


@require_POST
@login_required
def project_gate_check(request: HtmxHttpRequest, project_pk: int, gate_criterion_pk: int):
    return _checklist_write(request, project_pk, gate_criterion_pk, check_submit)


@require_POST
@login_required
def project_gate_evidence(request: HtmxHttpRequest, project_pk: int, gate_criterion_pk: int):
    return _checklist_write(request, project_pk, gate_criterion_pk, evidence_submit)


@require_POST
@login_required
def project_gate_evidence_remove(request: HtmxHttpRequest, project_pk: int, evidence_pk: int):
    project = load_project(request, project_pk, write=True)
    evidence = Evidence.objects.filter(pk=evidence_pk, project=project).first()
    if evidence is None:
        raise Http404("No such evidence on this project.")
    anchor = f"criterion-{evidence.criterion_id}"
    flash, error = remove_submit(request, evidence)
    return answer(
        request,
        flash=flash,
        error=error,
        bound=None,
        redirect_to=_gates_url(project, anchor),
        render=lambda **kw: _render(request, project, **kw),
    )


@require_POST
@login_required
def project_gate_request(request: HtmxHttpRequest, project_pk: int) -> HttpResponse:
    """Ask for the review of the project's next gate (the service checks the checklist)."""
    project = load_project(request, project_pk, write=True)
    form = ReviewRequestForm(request.POST)
    if form.is_valid():
        note = form.cleaned_data["note"]
        review, _ = call_service(
            form, lambda: review_request(project=project, by=request.user, note=note)
        )
        if review is not None:
            messages.success(
                request, f"Review of {review.gate.name} requested: the approvers have been told."
            )
            # The whole page changes (the gate track too): htmx loads it afresh.
            if wants_fragment(request):
                return HttpResponseClientRedirect(_gates_url(project))
            return HttpResponseRedirect(_gates_url(project))
    return _render(request, project, request_form=form)


@require_POST
@login_required
def project_gate_enrol(request: HtmxHttpRequest, project_pk: int) -> HttpResponse:
    """The PMO puts the project under a published workflow version, at its next gate."""
    project = load_project(request, project_pk)
    if not _may_enrol(request.user):
        raise PermissionDenied("Only the PMO enrols a project in a workflow.")
    form = EnrolForm(request.POST, gates=enrolment_gates())
    if form.is_valid():
        gate = form.gate()
        enrolled, _ = call_service(
            form,
            lambda: project_enrol(
                project=project, version=gate.workflow_version, next_gate=gate, by=request.user
            ),
        )
        if enrolled is not None:
            messages.success(
                request, f"{project.code} follows {gate.workflow_version}; next gate {gate.name}."
            )
            return HttpResponseRedirect(_gates_url(project))
    return _render(request, project, enrol_form=form)


# --- Evidence download ------------------------------------------------------------------------


def may_view_evidence(user, evidence: Evidence) -> bool:
    """Whoever may see the evidence's project, or its intake request; and whoever may see a
    review that cited it (an approver named from outside the portfolio decides on it)."""
    if evidence.project_id and can_view(user, evidence.project):
        return True
    if evidence.intake_id and visible_intakes(user).filter(pk=evidence.intake_id).exists():
        return True
    citing = Review.objects.filter(
        checklist__contains=[{"evidence": [{"id": evidence.pk}]}]
    ).order_by("-pk")[:5]
    return any(may_view_review(user, review_facts(r, user)) for r in citing)


_UNSAFE = re.compile(r"[^\w\-. ()]+")


def download_name(evidence: Evidence) -> str:
    """A file name safe in a Content-Disposition header and on any disk: the evidence's title
    with only letters, digits and a few marks, ending in the stored file's extension."""
    stored = evidence.file.name.rsplit("/", 1)[-1]
    extension = "." + stored.rsplit(".", 1)[-1].lower() if "." in stored else ""
    base = _UNSAFE.sub("_", evidence.name).strip(" ._")[:100] or "evidence"
    return base if base.lower().endswith(extension) else base + extension


@require_GET
@login_required
def evidence_download(request: HtmxHttpRequest, evidence_pk: int) -> FileResponse:
    evidence = Evidence.objects.select_related("project").filter(pk=evidence_pk).first()
    if evidence is None or not evidence.file or not may_view_evidence(request.user, evidence):
        raise Http404("No such document.")
    try:
        handle = evidence.file.storage.open(evidence.file.name, "rb")
    except FileNotFoundError:
        raise Http404("The document is missing from the file store.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download_name(evidence),
        content_type=evidence.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Last-Modified"] = http_date(evidence.uploaded_at.timestamp())
    return response


urlpatterns = [
    path("projects/<int:project_pk>/gates/", project_gates, name="project-gates"),
    path("projects/<int:project_pk>/gates/enrol/", project_gate_enrol, name="project-gate-enrol"),
    path(
        "projects/<int:project_pk>/gates/request/",
        project_gate_request,
        name="project-gate-request",
    ),
    path(
        "projects/<int:project_pk>/gates/criteria/<int:gate_criterion_pk>/check/",
        project_gate_check,
        name="project-gate-check",
    ),
    path(
        "projects/<int:project_pk>/gates/criteria/<int:gate_criterion_pk>/evidence/",
        project_gate_evidence,
        name="project-gate-evidence",
    ),
    path(
        "projects/<int:project_pk>/gates/evidence/<int:evidence_pk>/remove/",
        project_gate_evidence_remove,
        name="project-gate-evidence-remove",
    ),
    path("evidence/<int:evidence_pk>/", evidence_download, name="evidence-download"),
]
