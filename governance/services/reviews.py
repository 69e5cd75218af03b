"""The gate engine: checklists and evidence, requesting a review, deciding it, delegation,
and what a decision does (a project passes its gate, an intake request becomes a project, a
change request is applied).

Every decision is evaluated by `governance.decision_rule`, the one definition of "approved":
the review row is locked while a decision is added, so two approvers deciding at the same
instant are counted one after the other, each exactly once; a decided review refuses more.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from governance import decision_rule
from governance.choices import IntakeState, ReviewKind, ReviewState, Verdict
from governance.models import (
    ChangeRule,
    CriterionCheck,
    Delegation,
    Evidence,
    Gate,
    GateCriterion,
    IntakeRequest,
    ProjectWorkflow,
    Review,
    ReviewDecision,
    ReviewSeat,
    WorkflowVersion,
)
from ppm.audit import acting_as
from ppm.roles import Role
from projects.choices import LifecycleState as S
from projects.models import ChangeRequest, Project
from projects.services.changes import change_request_decide
from projects.services.common import DomainError, save_versioned
from projects.services.dates import check_calendar
from projects.services.lifecycle import project_pass_gate

User = get_user_model()
MAX_COMMENT = 4000


def notify(*args, **kwargs) -> None:
    # ppm.notifications writes the inbox rows in this transaction and mails them after it.
    from ppm.notifications import notify as write

    write(*args, **kwargs)


# --- Seats ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeatSpec:
    label: str
    holders: tuple[int, ...]
    user_id: int | None = None
    group_id: int | None = None
    is_veto: bool = False


def panel_seats(panel, *, director_id: int | None) -> list[SeatSpec]:
    """The seats of a gate's or a change rule's panel for a project whose portfolio is
    directed by `director_id`, with who holds each (a group's active members, now)."""
    seats: list[SeatSpec] = []
    users = {u.pk: u for u in panel.approver_users.filter(is_active=True)}
    if panel.portfolio_director and director_id and director_id not in users:
        director = User.objects.filter(pk=director_id, is_active=True).first()
        if director:
            seats.append(
                SeatSpec(f"{_name(director)} (portfolio director)", (director.pk,), director.pk)
            )
    seats += [SeatSpec(_name(u), (u.pk,), u.pk) for u in users.values()]
    for group in panel.approver_groups.all():
        members = tuple(group.user_set.filter(is_active=True).values_list("pk", flat=True))
        seats.append(SeatSpec(f"Any of {group.name}", members, group_id=group.pk))
    if panel.veto_group_id:
        group = panel.veto_group
        members = tuple(group.user_set.filter(is_active=True).values_list("pk", flat=True))
        seats.append(SeatSpec(f"Veto: {group.name}", members, group_id=group.pk, is_veto=True))
    return seats


def _name(user) -> str:
    return user.get_full_name() or user.username


def _open_review(
    *,
    kind: str,
    panel,
    title: str,
    portfolio,
    by,
    note: str = "",
    checklist: list | None = None,
    now: datetime,
    **subject,
) -> Review:
    specs = panel_seats(panel, director_id=portfolio.director_id)
    if panel.rule != "all":
        # Under "any one" or "M of N" a group nobody belongs to is no approver: it could never
        # decide, and kept as a seat it would hold off a rejection the others made certain
        # (the default change panel's PMO seat in an organisation without a PMO member).
        specs = [s for s in specs if s.holders or s.is_veto]
    voting = [s for s in specs if not s.is_veto]
    if not voting or any(not s.holders for s in voting):
        empty = next((s.label for s in voting if not s.holders), None)
        raise DomainError(
            f"Nobody can decide this review: {empty} has no active member. Ask the PMO to fix "
            "the approvers."
            if empty
            else "Nobody can decide this review: it has no approvers. Ask the PMO."
        )
    if panel.rule == "m_of_n" and panel.rule_m > len(voting):
        raise DomainError(
            f"The rule needs {panel.rule_m} approvals but only {len(voting)} approvers exist "
            "for this project. Ask the PMO to fix the gate."
        )
    # The subject names the gate (and version) for gate and intake reviews: attempts count
    # per gate of a version; a change request's per change.
    previous = Review.objects.filter(kind=kind, **subject)
    review = Review.objects.create(
        kind=kind,
        portfolio=portfolio,
        title=title[:300],
        attempt=previous.count() + 1,
        rule=panel.rule,
        rule_m=panel.rule_m,
        sla_days=panel.sla_days,
        checklist=checklist or [],
        note=note.strip()[:MAX_COMMENT],
        requested_by=by,
        requested_at=now,
        due_at=now + timedelta(days=panel.sla_days),
        **subject,
    )
    ReviewSeat.objects.bulk_create(
        ReviewSeat(
            review=review,
            user_id=s.user_id,
            group_id=s.group_id,
            label=s.label[:200],
            is_veto=s.is_veto,
            holders=list(s.holders),
        )
        for s in specs
    )
    holders = {h for s in specs for h in s.holders} - {by.pk}
    notify(
        User.objects.filter(pk__in=holders),
        kind="change_requested" if kind == ReviewKind.CHANGE else "review_requested",
        title=f"Decision needed: {review.title}",
        body=f"Requested by {_name(by)}; due {timezone.localtime(review.due_at):%d %b %Y}.",
        url=f"/governance/reviews/{review.pk}/",
    )
    return review


# --- A project's workflow, checklist and evidence -------------------------------------------


def project_enrol(
    *, project: Project, version: WorkflowVersion, next_gate: Gate | None, by
) -> ProjectWorkflow:
    """Put a project (created before gates existed, or outside intake) under `version`, with
    `next_gate` as the gate it passes next."""
    if version.state != "published":
        raise DomainError("Projects follow a published version.", field="workflow_version")
    if next_gate is not None and next_gate.workflow_version_id != version.pk:
        raise DomainError("That gate belongs to another version.", field="next_gate")
    if ProjectWorkflow.objects.filter(project=project).exists():
        raise DomainError(
            "The project follows a workflow already; the PMO migrates it between versions."
        )
    with transaction.atomic(), acting_as(by, reason=f"Enrolled in {version}"):
        return ProjectWorkflow.objects.create(
            project=project, workflow_version=version, next_gate=next_gate
        )


def _subject(target) -> dict:
    return {"project": target} if isinstance(target, Project) else {"intake": target}


def criterion_check_set(
    *, target, criterion: GateCriterion, by, met: bool, note: str
) -> CriterionCheck:
    """Tick (or untick) a criterion of the next gate for a project or an intake request."""
    note = note.strip()
    if len(note) > 1000:
        raise DomainError("Keep the note under 1,000 characters.", field="note")
    subject = _subject(target)
    with transaction.atomic(), acting_as(by, reason=f"Checklist: {criterion.text[:80]}"):
        check, _ = CriterionCheck.objects.select_for_update().get_or_create(
            criterion=criterion, **subject, defaults={"updated_by": by}
        )
        check.met, check.note, check.updated_by = met, note, by
        check.version += 1
        check.save()
    return check


# What evidence may be: (extensions, the bytes a real file of that kind starts with).
EVIDENCE_TYPES: dict[str, tuple[tuple[str, ...], tuple[bytes, ...]]] = {
    "PDF": ((".pdf",), (b"%PDF-",)),
    "Word, Excel or PowerPoint": ((".docx", ".xlsx", ".pptx"), (b"PK\x03\x04",)),
    "OpenDocument": ((".odt", ".ods", ".odp"), (b"PK\x03\x04",)),
    "PNG image": ((".png",), (b"\x89PNG\r\n\x1a\n",)),
    "JPEG image": ((".jpg", ".jpeg"), (b"\xff\xd8\xff",)),
    "Text": ((".txt", ".md", ".csv"), ()),
}
ALLOWED_EXTENSIONS = tuple(e for exts, _ in EVIDENCE_TYPES.values() for e in exts)


def _check_file(upload: UploadedFile) -> tuple[str, str]:
    """(content type, sha256) of an acceptable upload; DomainError naming the problem."""
    name = (upload.name or "").strip()
    limit = settings.EVIDENCE_MAX_BYTES
    if upload.size is None or upload.size == 0:
        raise DomainError("The file is empty.", field="file")
    if upload.size > limit:
        raise DomainError(
            f"The file is {upload.size / 1_048_576:.1f} MB; evidence is at most "
            f"{limit / 1_048_576:.0f} MB. Attach a link to a larger document instead.",
            field="file",
        )
    lower = name.lower()
    kind = next((k for k, (exts, _) in EVIDENCE_TYPES.items() if lower.endswith(exts)), None)
    if kind is None or "\x00" in name or len(name) > 150:
        raise DomainError(
            "Evidence is a PDF, Office or OpenDocument file, a PNG or JPEG image, or text "
            f"({', '.join(ALLOWED_EXTENSIONS)}), with a name under 150 characters.",
            field="file",
        )
    digest = hashlib.sha256()
    head = b""
    for chunk in upload.chunks():
        if not head:
            head = chunk[:16]
        digest.update(chunk)
        if kind == "Text" and b"\x00" in chunk:
            raise DomainError("That is not a text file: it holds binary data.", field="file")
    upload.seek(0)
    signatures = EVIDENCE_TYPES[kind][1]
    if signatures and not head.startswith(signatures):
        raise DomainError(
            f"The file's name says {kind}, but its content is not: attach the document itself.",
            field="file",
        )
    content_type = {
        ".pdf": "application/pdf",
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".txt": "text/plain",
        ".md": "text/plain",
        ".csv": "text/plain",
    }.get("." + lower.rsplit(".", 1)[-1], "application/octet-stream")
    return content_type, digest.hexdigest()


def evidence_add(
    *,
    target,
    criterion: GateCriterion,
    by,
    upload: UploadedFile | None = None,
    link: str = "",
    name: str = "",
) -> Evidence:
    """Attach a document (checked for type and size, stored through Django's storage API) or
    a link to a criterion."""
    link = link.strip()
    if bool(upload) == bool(link):
        raise DomainError("Attach a file or give a link (one of them).", field="file")
    evidence = Evidence(criterion=criterion, uploaded_by=by, **_subject(target))
    if upload:
        evidence.content_type, evidence.sha256 = _check_file(upload)
        evidence.size = upload.size
        evidence.name = (name.strip() or upload.name)[:200]
    else:
        try:
            URLValidator(schemes=["https", "http"])(link)
        except ValidationError:
            raise DomainError("Give a full web address (https://…).", field="link") from None
        if len(link) > 500:
            raise DomainError("Keep the link under 500 characters.", field="link")
        evidence.link = link
        evidence.name = (name.strip() or link)[:200]
    with transaction.atomic(), acting_as(by, reason=f"Evidence attached: {evidence.name}"):
        if upload:
            evidence.file.save(upload.name.rsplit("/", 1)[-1], upload, save=False)
        evidence.save()
    return evidence


def evidence_remove(*, evidence: Evidence, by) -> None:
    """Remove evidence nobody has reviewed yet; what a review cited stays with the record."""
    cited = Review.objects.filter(
        Q(project_id=evidence.project_id)
        if evidence.project_id
        else Q(intake_id=evidence.intake_id),
        checklist__contains=[{"evidence": [{"id": evidence.pk}]}],
    ).exists()
    if cited:
        raise DomainError("A review cited this evidence: it stays with the decision record.")
    with transaction.atomic(), acting_as(by, reason=f"Evidence removed: {evidence.name}"):
        evidence.delete()
        if evidence.file:
            transaction.on_commit(lambda: evidence.file.storage.delete(evidence.file.name))


@dataclass(frozen=True)
class ChecklistLine:
    criterion: GateCriterion
    check: CriterionCheck | None
    evidence: tuple[Evidence, ...]

    @property
    def met(self) -> bool:
        return bool(self.check and self.check.met)

    @property
    def missing(self) -> str:
        if not self.met:
            return "not ticked"
        if self.criterion.evidence_required and not self.evidence:
            return "evidence required"
        return ""


def checklist(target, gate: Gate) -> list[ChecklistLine]:
    """The gate's criteria with the target's answers and evidence: three queries."""
    subject = _subject(target)
    criteria = list(gate.criteria.order_by("order"))
    checks = {
        c.criterion_id: c
        for c in CriterionCheck.objects.filter(criterion__gate=gate, **subject).select_related(
            "updated_by"
        )
    }
    evidence: dict[int, list[Evidence]] = {}
    for e in Evidence.objects.filter(criterion__gate=gate, **subject).select_related("uploaded_by"):
        evidence.setdefault(e.criterion_id, []).append(e)
    return [ChecklistLine(c, checks.get(c.pk), tuple(evidence.get(c.pk, ()))) for c in criteria]


def _freeze(lines: Sequence[ChecklistLine]) -> list[dict]:
    return [
        {
            "criterion": line.criterion.pk,
            "text": line.criterion.text,
            "evidence_required": line.criterion.evidence_required,
            "met": line.met,
            "note": line.check.note if line.check else "",
            "evidence": [
                {
                    "id": e.pk,
                    "name": e.name,
                    "link": e.link,
                    "size": e.size,
                    "sha256": e.sha256,
                    "uploaded_at": e.uploaded_at.isoformat(),
                }
                for e in line.evidence
            ],
        }
        for line in lines
    ]


def _check_complete(lines: Sequence[ChecklistLine]) -> None:
    gaps = [f"“{line.criterion.text}”: {line.missing}" for line in lines if line.missing]
    if gaps:
        raise DomainError("Complete the checklist first — " + "; ".join(gaps) + ".")


def review_request(*, project: Project, by, note: str = "", now: datetime | None = None) -> Review:
    """The project's manager (or a delegate, the PMO) asks for its next gate's review, once
    every criterion is ticked and the evidence each needs is attached."""
    now = now or timezone.now()
    with transaction.atomic(), acting_as(by, reason="Gate review requested"):
        pw = (
            ProjectWorkflow.objects.select_for_update(of=("self",))
            .select_related("next_gate__veto_group", "workflow_version__workflow")
            .filter(project=project)
            .first()
        )
        if pw is None:
            raise DomainError("The project follows no workflow yet: the PMO enrols it.")
        gate = pw.next_gate
        if gate is None:
            raise DomainError("The project has passed every gate of its workflow.")
        if project.state in (S.CLOSED, S.CANCELLED, S.ON_HOLD):
            raise DomainError(
                f"The project is {project.get_state_display().lower()}: no gate review now."
            )
        if Review.objects.filter(project=project, gate=gate, state=ReviewState.OPEN).exists():
            raise DomainError(f"A review of {gate.name} is under way already.")
        lines = checklist(project, gate)
        _check_complete(lines)
        return _open_review(
            kind=ReviewKind.GATE,
            panel=gate,
            title=f"{project.code} · {gate.name}",
            portfolio=project.portfolio,
            by=by,
            note=note,
            checklist=_freeze(lines),
            now=now,
            project=project,
            gate=gate,
            workflow_version=pw.workflow_version,
        )


def change_rule_for(change: ChangeRequest) -> ChangeRule | None:
    """The strictest change rule the change reaches (highest priority that matches)."""
    for rule in ChangeRule.objects.select_related("veto_group").order_by("-priority"):
        if rule.min_cost_impact is not None and abs(change.cost_impact) < rule.min_cost_impact:
            continue
        if (
            rule.min_schedule_days is not None
            and abs(change.schedule_impact_days) < rule.min_schedule_days
        ):
            continue
        return rule
    return None


class DefaultChangePanel:
    """When no change rule applies: the portfolio's director or any PMO member decides (as
    before the gate engine), within the default SLA."""

    rule = "any"
    rule_m = 1
    portfolio_director = True
    veto_group_id = None
    veto_group = None
    pk = None

    def __init__(self):
        self.approver_users = User.objects.none()
        self.approver_groups = Group.objects.filter(name=Role.PMO)
        self.sla_days = settings.CHANGE_REQUEST_DECISION_DAYS


def change_review_open(*, change: ChangeRequest, now: datetime | None = None) -> Review:
    """Open the review of a submitted change request (called in the submitter's transaction)."""
    rule = change_rule_for(change)
    project = change.project
    return _open_review(
        kind=ReviewKind.CHANGE,
        panel=rule or DefaultChangePanel(),
        title=f"{project.code} · Change: {change.title}",
        portfolio=project.portfolio,
        by=change.raised_by,
        now=now or change.submitted_at or timezone.now(),
        change_request=change,
        change_rule=rule,
    )


# --- Deciding -------------------------------------------------------------------------------


def _window(d: Delegation) -> tuple[datetime, datetime]:
    zone = timezone.get_default_timezone()
    starts = datetime.combine(d.starts, time.min, tzinfo=zone)
    ends = datetime.combine(d.ends + timedelta(days=1), time.min, tzinfo=zone)
    if d.revoked_at is not None:
        ends = min(ends, d.revoked_at)
    return starts, ends


def delegations_in_force(rows: Iterable[Delegation]) -> list[decision_rule.Delegation]:
    """The rule's view of delegation rows: each in force from its first day's midnight to the
    midnight after its last (organisation's zone), cut short when it was ended early."""
    out = []
    for d in rows:
        starts, ends = _window(d)
        if starts < ends:
            out.append(decision_rule.Delegation(d.holder_id, d.delegate_id, starts, ends))
    return out


def _delegations(holders: Iterable[int]) -> list[decision_rule.Delegation]:
    return delegations_in_force(Delegation.objects.filter(holder_id__in=set(holders)))


def evaluate(review: Review, seats, decisions, delegations) -> decision_rule.Outcome:
    voting = [s for s in seats if not s.is_veto]
    return decision_rule.evaluate(
        rule=decision_rule.Rule(review.rule, review.rule_m),
        approvers=[s.pk for s in voting],
        veto=[s.pk for s in seats if s.is_veto],
        members={s.pk: s.holders for s in seats},
        decisions=[decision_rule.Decision(d.person_id, d.verdict, d.at) for d in decisions],
        delegations=delegations,
    )


def may_decide(user, review: Review, seats, delegations, *, at: datetime) -> bool:
    """Whether `user` holds a seat of the review, or stands in for someone who does."""
    holders = {h for s in seats for h in s.holders}
    return user.pk in holders or any(
        d.delegate == user.pk and d.holder in holders and d.starts <= at < d.ends
        for d in delegations
    )


@dataclass(frozen=True)
class ChangeOptions:
    move_milestones: tuple[int, ...] = ()
    rebaseline: bool = False


def review_decide(
    *,
    review: Review,
    by,
    verdict: str,
    comment: str,
    now: datetime | None = None,
    change_options: ChangeOptions = ChangeOptions(),
) -> Review:
    """Add `by`'s decision; when the rule is met (or a veto or too many rejections end it),
    decide the review and carry out what it decides."""
    if verdict not in Verdict.values:
        raise DomainError("Approve, reject or defer.", field="verdict")
    comment = comment.strip()
    if verdict != Verdict.APPROVE and not comment:
        raise DomainError("Say why: a rejection or a deferral needs a comment.", field="comment")
    if len(comment) > MAX_COMMENT:
        raise DomainError(f"Keep the comment under {MAX_COMMENT:,} characters.", field="comment")
    now = now or timezone.now()
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review.pk)
        if review.state != ReviewState.OPEN:
            raise DomainError(
                f"This review was {review.get_state_display().lower()} already: "
                "nothing more can be decided on it."
            )
        seats = list(review.seats.all())
        decisions = list(review.decisions.all())
        latest = max((d.at for d in decisions), default=None)
        if latest is not None and latest >= now:
            # The row lock counts decisions one after the other; one whose clock was read
            # before it waited for the lock (or at the same instant) is still the later one,
            # and the rule (which orders by time) must count it after those already recorded.
            now = latest + timedelta(microseconds=1)
        delegations = _delegations(h for s in seats for h in s.holders)
        if not may_decide(by, review, seats, delegations, at=now):
            raise DomainError("You are not an approver of this review.")
        before = evaluate(review, seats, decisions, delegations)
        new = ReviewDecision(review=review, person=by, verdict=verdict, comment=comment, at=now)
        after = evaluate(review, seats, [*decisions, new], delegations)
        fresh = after.counted[len(before.counted) :]
        filled = [c for c in fresh if c[2] != "veto"]
        vetoed = any(c[2] == "veto" for c in fresh)
        if verdict != Verdict.DEFER and not filled and not vetoed:
            raise DomainError("Your decision is recorded already: each approver decides once.")
        by_pk = {s.pk: s for s in seats}
        if filled:
            new.seat = by_pk[filled[0][0]]
            if by.pk not in new.seat.holders:
                holder = next(
                    d.holder
                    for d in delegations
                    if d.delegate == by.pk
                    and d.holder in new.seat.holders
                    and d.starts <= now < d.ends
                )
                new.on_behalf_of_id = holder
        new.vetoed = vetoed
        with acting_as(by, reason=f"{Verdict(verdict).label}: {review.title}"):
            new.save()
            if after.state != decision_rule.OPEN:
                review.state, review.decided_at = after.state, now
                review.save(update_fields=["state", "decided_at"])
                _carry_out(review, by=by, comment=comment, options=change_options)
        _tell_requester(review, new, after)
    return review


def _tell_requester(review: Review, decision: ReviewDecision, outcome) -> None:
    people = {review.requested_by_id}
    if review.project_id:
        people.add(review.project.manager_id)
    people.discard(decision.person_id)
    if review.state != ReviewState.OPEN:
        kind = "change_decided" if review.kind == ReviewKind.CHANGE else "review_decided"
        title = f"{review.get_state_display()}: {review.title}"
    elif decision.verdict == Verdict.DEFER:
        kind, title = "review_decided", f"Deferred by {_name(decision.person)}: {review.title}"
    else:
        return
    notify(
        User.objects.filter(pk__in=people),
        kind=kind,
        title=title,
        body=decision.comment[:1000],
        url=f"/governance/reviews/{review.pk}/",
    )


def _carry_out(review: Review, *, by, comment: str, options: ChangeOptions) -> None:
    approved = review.state == ReviewState.APPROVED
    reason = f"{review.get_kind_display()} #{review.pk} {review.get_state_display().lower()}" + (
        f" under {review.workflow_version}" if review.workflow_version_id else ""
    )
    if review.kind == ReviewKind.GATE and approved:
        _pass_gate(review.project, review.gate, by=by, reason=reason)
    elif review.kind == ReviewKind.INTAKE:
        _decide_intake(review, approved=approved, by=by, comment=comment, reason=reason)
    elif review.kind == ReviewKind.CHANGE:
        change = ChangeRequest.objects.select_for_update().get(pk=review.change_request_id)
        change_request_decide(
            request=change,
            expected_version=change.version,
            by=by,
            approve=approved,
            comment=comment or reason,
            move_milestones=options.move_milestones if approved else (),
            rebaseline=options.rebaseline and approved,
            approved_by_review=True,
        )


def _pass_gate(project: Project, gate: Gate, *, by, reason: str) -> None:
    pw = ProjectWorkflow.objects.select_for_update().get(project=project)
    project = Project.objects.select_for_update().get(pk=project.pk)
    project_pass_gate(
        project=project,
        gate=gate.name,
        phase=gate.phase,
        to=gate.state_after or None,
        by=by,
        expected_version=project.version,
        reason=f"Passed {gate.name}: {reason}",
    )
    nxt = (
        Gate.objects.filter(workflow_version=pw.workflow_version, order__gt=gate.order)
        .order_by("order")
        .first()
        if pw.workflow_version_id == gate.workflow_version_id
        else pw.next_gate
    )
    ProjectWorkflow.objects.filter(pk=pw.pk).update(next_gate=nxt, version=pw.version + 1)


def _decide_intake(review: Review, *, approved: bool, by, comment: str, reason: str) -> None:
    from governance.services.intake import intake_create_project

    intake = IntakeRequest.objects.select_for_update().get(pk=review.intake_id)
    if not approved:
        intake.state, intake.decided_at = IntakeState.RETURNED, review.decided_at
        intake.decision_comment = comment
        save_versioned(
            intake,
            expected_version=intake.version,
            fields=("state", "decided_at", "decision_comment"),
        )
        return
    intake_create_project(intake=intake, gate=review.gate, by=by, reason=reason)


# --- Delegation ------------------------------------------------------------------------------

MAX_DELEGATION_DAYS = 366


def delegation_create(
    *, holder, delegate, starts: date, ends: date, reason: str = ""
) -> Delegation:
    """`holder` is away from `starts` to `ends` (both included): `delegate` decides for them."""
    if delegate is None or delegate.pk == holder.pk:
        raise DomainError("Choose someone else to decide while you are away.", field="delegate")
    if not delegate.is_active:
        raise DomainError("That person's account is inactive.", field="delegate")
    for day, field in ((starts, "starts"), (ends, "ends")):
        check_calendar(day, field=field)
    today = timezone.localdate()
    if ends < starts:
        raise DomainError("The last day cannot be before the first.", field="ends")
    if ends < today:
        raise DomainError("The absence is over already.", field="ends")
    if starts < today - timedelta(days=1):
        raise DomainError("A delegation starts today or later.", field="starts")
    if (ends - starts).days >= MAX_DELEGATION_DAYS:
        raise DomainError("A delegation lasts at most a year.", field="ends")
    overlapping = Delegation.objects.filter(
        holder=holder, revoked_at__isnull=True, starts__lte=ends, ends__gte=starts
    )
    if overlapping.exists():
        raise DomainError(
            "You already delegate for part of these days: end that delegation first.",
            field="starts",
        )
    with transaction.atomic(), acting_as(holder, reason="Delegation while away"):
        return Delegation.objects.create(
            holder=holder, delegate=delegate, starts=starts, ends=ends, reason=reason.strip()[:200]
        )


def delegation_revoke(*, delegation: Delegation, by) -> None:
    if delegation.holder_id != by.pk:
        raise DomainError("Only the person who delegated ends a delegation.")
    with transaction.atomic(), acting_as(by, reason="Delegation ended"):
        Delegation.objects.filter(pk=delegation.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )


# --- Overdue ---------------------------------------------------------------------------------


def reviews_flag_overdue(*, now: datetime | None = None) -> int:
    """Tell the approvers and the requester of each review past its SLA, once. Idempotent:
    the flag is claimed with a conditional UPDATE, so two sweeps never tell twice."""
    now = now or timezone.now()
    told = 0
    due = list(
        Review.objects.filter(
            state=ReviewState.OPEN, due_at__lt=now, overdue_notified=False
        ).values_list("pk", flat=True)[:500]
    )
    for pk in due:
        with transaction.atomic():
            if not Review.objects.filter(
                pk=pk, overdue_notified=False, state=ReviewState.OPEN
            ).update(overdue_notified=True):
                continue
            review = Review.objects.get(pk=pk)
            decided = set(
                review.decisions.exclude(verdict=Verdict.DEFER).values_list("person_id", flat=True)
            )
            people = {h for s in review.seats.all() for h in s.holders} - decided
            people.add(review.requested_by_id)
            notify(
                User.objects.filter(pk__in=people),
                kind="review_overdue",
                title=f"Overdue: {review.title}",
                body=f"It was due {timezone.localtime(review.due_at):%d %b %Y} and is still open.",
                url=f"/governance/reviews/{review.pk}/",
                key=f"review-overdue:{review.pk}",
            )
            told += 1
    return told
