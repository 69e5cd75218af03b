"""The gate engine end to end in a real browser (issue 10): the PMO builds a three-gate
workflow; someone with no role asks for a project; the portfolio's director approves it into
a project; its manager fills the next gate's checklist with a document and requests the
review; two of three approvers approve; the project advances; the inbox and the history show
it all. Screenshots of the builder, the intake form, the review page and My approvals at
desktop and phone width go to docs/screenshots when they are retaken (`make screenshots`).
"""

from __future__ import annotations

import os
import re
import time

import pytest
from playwright.sync_api import expect

from governance.models import IntakeRequest, Review, Workflow
from portfolio.tests.factories import PortfolioFactory
from ppm.roles import Role
from projects.models import Project
from tests.browser_support import DESKTOP, PHONE, person, shoot, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(transactional_db):
    pmo = person("priya.nair", "Priya", "Nair", Role.PMO)
    director = person("helen.ward", "Helen", "Ward", Role.DIRECTOR)
    approvers = [
        person("diane.fischer", "Diane", "Fischer", Role.DIRECTOR),
        person("marcus.okafor", "Marcus", "Okafor", Role.DIRECTOR),
        person("eleanor.hughes", "Eleanor", "Hughes", Role.EXECUTIVE),
    ]
    ana = person("ana.silva", "Ana", "Silva", Role.PROJECT_MANAGER)
    sam = person("sam.lee", "Sam", "Lee")  # signed in, no role at all
    portfolio = PortfolioFactory(code="ENT", name="Enterprise Applications", director=director)
    return {
        "pmo": pmo,
        "director": director,
        "approvers": approvers,
        "ana": ana,
        "sam": sam,
        "portfolio": portfolio,
    }


def _phone(browser, base, username, url, name):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in(page, base, username)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} overflows at phone width: {width}px"
    shoot(page, name)
    context.close()


def _eventually(read, timeout: float = 10):
    """What `read` returns once it returns something (an htmx write lands after the click)."""
    deadline = time.monotonic() + timeout
    while (value := read()) is None:
        assert time.monotonic() < deadline, "the write never landed"
        time.sleep(0.1)
    return value


def _gate(page, base, *, name, phase, state, criteria, director=False, approvers=(), m=None):
    page.get_by_role("link", name="Add gate").click()
    page.get_by_label("Gate name").fill(name)
    page.get_by_label("Phase after the gate").fill(phase)
    page.get_by_label("Project state after").select_option(label=state)
    if director:
        page.get_by_label("The portfolio's director").check()
    for who in approvers:
        page.get_by_label(re.compile(rf"^{who} ·")).check()
    if m:
        page.get_by_label("M of N approvers").check()
        page.get_by_label("M (approvals needed)").fill(str(m))
    for i, (text, evidence) in enumerate(criteria, start=1):
        page.get_by_label(f"Criterion {i}", exact=True).fill(text)
        if evidence:
            page.get_by_label(f"Evidence required for criterion {i}").check()
    page.get_by_test_id("save-gate").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def test_a_workflow_built_in_the_app_takes_an_idea_to_an_advancing_project(
    browser, live_server, people, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    base = live_server.url
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()

    # 1. The PMO builds a three-gate workflow, publishes it and makes it the default.
    sign_in(page, base, "priya.nair")
    page.goto(f"{base}/governance/workflows/new/")
    page.get_by_label("Name").fill("Fast track")
    page.get_by_test_id("create-workflow").click()
    page.wait_for_load_state("networkidle")
    _gate(
        page,
        base,
        name="Business case",
        phase="Planning",
        state="Approved",
        director=True,
        criteria=[("Benefits quantified", False)],
    )
    _gate(
        page,
        base,
        name="Plan",
        phase="Build",
        state="Active",
        approvers=["Diane Fischer", "Marcus Okafor", "Eleanor Hughes"],
        m=2,
        criteria=[("Schedule baselined", True), ("Risks logged", False)],
    )
    _gate(
        page,
        base,
        name="Go-live",
        phase="Run",
        state="Closed",
        director=True,
        criteria=[("Operations sign-off", True)],
    )
    shoot(page, "workflow-builder")
    page.get_by_label("What changed").fill("First version")
    page.get_by_test_id("publish-button").click()
    page.wait_for_load_state("networkidle")
    # On a new installation the Standard workflow is the default (on a flushed test database
    # there is none, and the first workflow becomes it).
    if page.get_by_test_id("make-default").count():
        page.get_by_test_id("make-default").click()
        page.wait_for_load_state("networkidle")
    workflow = Workflow.objects.get(name="Fast track")
    assert workflow.is_default
    version = workflow.versions.get(state="published")
    assert [g.name for g in version.gates.order_by("order")] == ["Business case", "Plan", "Go-live"]
    _phone(
        browser,
        base,
        "priya.nair",
        f"{base}/governance/workflows/{workflow.pk}/",
        "workflow-builder-phone",
    )
    gate = version.gates.get(name="Plan")
    _phone(
        browser,
        base,
        "priya.nair",
        f"{base}/governance/workflows/gates/{gate.pk}/edit/",
        "workflow-gate-form-phone",
    )

    # 2. Sam, with no role, asks for a project.
    sign_in(page, base, "sam.lee")
    page.goto(f"{base}/governance/intake/new/")
    page.get_by_label("Title").fill("Customer self-service portal")
    page.get_by_label("Portfolio").select_option(label="Enterprise Applications")
    page.get_by_label("Category").select_option(label="Software")
    page.get_by_label("Problem").fill("Customers phone us for every order status.")
    page.get_by_label("Proposed solution").fill("A self-service portal on the ERP's order data.")
    page.get_by_label("Benefits").fill("Two thirds fewer calls; 2 FTE back to sales.")
    page.get_by_label("Main risks").fill("The ERP's order interface is undocumented.")
    page.get_by_label("Cost estimate").fill("250,000")
    page.get_by_label("Desired start").fill("2027-01-01")
    page.get_by_label("Duration (months)").fill("9")
    page.get_by_label("Proposed project manager").select_option(label="Ana Silva")
    shoot(page, "intake-form")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state("networkidle")
    request = IntakeRequest.objects.get(title="Customer self-service portal")
    page.get_by_label(re.compile("^Met")).first.check()
    page.get_by_role("button", name="Save").first.click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_load_state("networkidle")
    request.refresh_from_db()
    assert request.state == "in_review"
    _phone(browser, base, "sam.lee", f"{base}/governance/intake/new/", "intake-form-phone")

    # 3. The portfolio's director finds it in My approvals and approves it into a project.
    sign_in(page, base, "helen.ward")
    page.goto(f"{base}/governance/approvals/")
    page.get_by_role("link", name=re.compile("^Decide Customer self-service portal")).click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state("networkidle")
    request.refresh_from_db()
    project = request.project
    assert (request.state, project.state, project.current_gate, project.phase) == (
        "approved",
        "approved",
        "Business case",
        "Planning",
    )
    assert project.manager == people["ana"]

    # 4. Ana fills the Plan gate's checklist, attaches the plan and requests the review.
    sign_in(page, base, "ana.silva")
    page.goto(f"{base}/governance/projects/{project.pk}/gates/")
    page.wait_for_load_state("networkidle")
    for text in ("Schedule baselined", "Risks logged"):
        page.get_by_label(f"Met: {text}").check()
        page.get_by_label(f"Note on “{text}”").fill("Done")
        page.get_by_label(f"Note on “{text}”").press("Enter")
        # The checklist is swapped in by htmx: wait for it, not just for the network.
        expect(page.get_by_text(f"“{text}” marked met.")).to_be_visible()
    attach = page.locator("details", has_text="Attach evidence to “Schedule baselined”")
    if not attach.evaluate("details => details.open"):  # open already while evidence is missing
        attach.locator("summary").click()
    plan = tmp_path / "baseline-plan.pdf"
    plan.write_bytes(b"%PDF-1.7\n% the baselined plan\n")
    attach.get_by_label("File").set_input_files(str(plan))
    attach.get_by_role("button", name="Attach").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("link", name="baseline-plan.pdf")).to_be_visible()
    page.get_by_label("Note to the reviewers").fill("Baselined with the steering committee.")
    page.get_by_role("button", name="Request review").click()
    review = _eventually(lambda: Review.objects.filter(project=project, state="open").first())
    assert review.checklist[0]["evidence"][0]["name"] == "baseline-plan.pdf"

    # 5. Two of the three approvers approve; the project advances to Build, active.
    for username in ("diane.fischer", "marcus.okafor"):
        sign_in(page, base, username)
        page.goto(f"{base}/governance/approvals/")
        if username == "diane.fischer":
            shoot(page, "my-approvals")
            _phone(browser, base, username, f"{base}/governance/approvals/", "my-approvals-phone")
        page.locator(f'a.btn[href="/governance/reviews/{review.pk}/"]').click()
        page.wait_for_load_state("networkidle")
        if username == "diane.fischer":
            shoot(page, "gate-review")
            _phone(
                browser,
                base,
                username,
                f"{base}/governance/reviews/{review.pk}/",
                "gate-review-phone",
            )
        page.get_by_label("Comment").fill("Plan is sound.")
        page.get_by_role("button", name="Approve").click()
        page.wait_for_load_state("networkidle")
    review.refresh_from_db()
    project = Project.objects.get(pk=project.pk)
    assert review.state == "approved"
    assert (project.state, project.current_gate, project.phase) == ("active", "Plan", "Build")
    expect(page.get_by_test_id("decision-record")).to_contain_text("Diane Fischer")
    expect(page.get_by_test_id("decision-record")).to_contain_text("Marcus Okafor")

    # 6. The inbox and the history show it all.
    sign_in(page, base, "ana.silva")
    page.goto(f"{base}/inbox/")
    expect(page.get_by_role("link", name=f"Approved: {review.title}")).to_be_visible()
    page.goto(f"{base}/projects/{project.pk}/history/")
    history = page.locator("main").inner_text()
    assert "Passed Plan" in history and "Marcus Okafor" in history
    sign_in(page, base, "sam.lee")
    page.goto(f"{base}/inbox/")
    expect(
        page.get_by_role("link", name="Approved: Intake: Customer self-service portal")
    ).to_be_visible()
    context.close()
