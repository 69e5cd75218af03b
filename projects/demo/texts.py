"""Words the demo data is written in: shared by the hand-written small set and the large one.

Everything here is plain data. Lists are indexed by deterministic hashes, so reordering or
extending a list changes the generated data (and the determinism checksum), never its shape.
"""

from __future__ import annotations

from decimal import Decimal

FIRST_NAMES = [
    "Olivia", "Liam", "Amara", "Noah", "Sofia", "Mateo", "Hannah", "Yusuf", "Chloe", "Arjun",
    "Elena", "Kwame", "Isabel", "Tomasz", "Mei", "Daniel", "Leila", "Jonas", "Aisha", "Pedro",
    "Freya", "Hiroshi", "Grace", "Omar", "Lena", "Samuel", "Nadia", "Viktor", "Ruth", "Diego",
    "Ingrid", "Kofi", "Clara", "Ravi", "Zoe", "Marek", "Anika", "Felix", "Bianca", "Tariq",
]  # fmt: skip

LAST_NAMES = [
    "Schneider", "Okoye", "Fernandes", "Novak", "Lindqvist", "Haddad", "Kowalski", "Moreau",
    "Tanaka", "Brennan", "Rossi", "Mensah", "Jansen", "Ivanova", "Dubois", "Nakamura",
    "Andersen", "Costa", "Byrne", "Gupta", "Horvat", "Keller", "Mwangi", "Larsen", "Petrov",
    "Quinn", "Rahman", "Santos", "Thorne", "Varga", "Wagner", "Yilmaz", "Zielinski", "Becker",
    "Castillo", "Duarte", "Eriksen", "Fischer", "Gallagher", "Holm",
]  # fmt: skip

# Resource groups capacity is planned by. The order matters to the large generator: a
# project's category picks its main group by position (see CATEGORY_MAIN_GROUP).
RESOURCE_GROUPS = [
    "Developers",
    "Infrastructure engineers",
    "Network engineers",
    "Security analysts",
    "Data engineers",
    "Business analysts",
    "Testers",
]
PM_RESOURCE_GROUP = "Project managers"

CATEGORY_MAIN_GROUP = {
    "software": 0,
    "erp": 0,
    "workplace": 0,
    "infrastructure": 1,
    "cloud_migration": 1,
    "network": 2,
    "security": 3,
    "data": 4,
}

# Portfolios of the large set: the first five are the small set's, in the same order.
PORTFOLIOS = [
    ("ENT", "Enterprise Applications", "ERP, CRM and HR platforms the business runs on."),
    ("INF", "Infrastructure & Cloud", "Data centres, hosting, cloud platforms and backup."),
    ("SEC", "Cyber Security", "Protecting people, systems and data; security operations."),
    ("DAT", "Data & Analytics", "Data platforms, reporting and analytics products."),
    ("WPL", "Digital Workplace", "Devices, collaboration tools and the service desk."),
    ("CXP", "Customer Experience", "Portals, mobile apps and contact-centre systems."),
    ("FIN", "Finance Systems", "Accounting, treasury, planning and consolidation."),
    ("HRS", "HR & Payroll Systems", "Core HR, payroll, recruiting and learning."),
    ("SCM", "Supply Chain & Logistics", "Warehouse, transport and planning systems."),
    ("MFG", "Manufacturing Systems", "MES, plant networks and quality systems."),
    ("ECO", "E-commerce", "Web shop, payments and order management."),
    ("NET", "Network & Connectivity", "WAN, LAN, Wi-Fi and telephony."),
    ("INT", "Integration & APIs", "Middleware, API gateway and event streaming."),
    ("REG", "Regulatory & Compliance", "Audit, regulatory reporting and records."),
    ("RND", "Research & Development IT", "Lab systems and engineering tools."),
    ("MOB", "Mobile & Field Services", "Field-force apps and mobile device management."),
    ("IAM", "Identity & Access", "Directories, single sign-on and privileged access."),
    ("SVC", "Service Management", "ITSM, monitoring and operations tooling."),
    ("RET", "Retail Stores Technology", "Point of sale, store networks and devices."),
    ("GSS", "Group Shared Services", "Shared platforms for every business unit."),
]

PROGRAM_THEMES = ["Modernisation", "Cloud adoption", "Compliance"]

ORG_OBJECTIVES = [
    ("Move to cloud-first infrastructure", "Exit owned data centres by the end of FY+2.", "3.00"),
    ("Reduce cyber risk", "Halve the number of critical findings and reach zero trust.", "3.00"),
    ("Make decisions with trusted data", "One governed data platform for reporting.", "2.00"),
    ("Modernise core business systems", "Replace end-of-support ERP and CRM platforms.", "2.50"),
    ("Improve the employee digital experience", "Modern devices and collaboration.", "1.50"),
    ("Lower the cost to run IT", "Reduce run cost per employee by 10 % a year.", "2.00"),
]

# (name, description, weight, higher_is_better)
SCORING_CRITERIA = [
    ("Strategic alignment", "Contribution to the strategic objectives.", "3.00", True),
    ("Financial return", "Net present value and payback of the business case.", "2.50", True),
    ("Risk reduction", "Operational, security or compliance risk removed.", "2.00", True),
    ("Regulatory obligation", "Required by law, regulator or auditor.", "1.50", True),
    ("Delivery complexity", "Technical and organisational difficulty.", "1.00", False),
]  # fmt: skip

# Twenty phases every large-set project walks through; the key ones drive schedule slip.
MILESTONE_PHASES = [
    "Project kick-off", "Business case approved", "Requirements baselined",
    "Solution architecture approved", "Vendor contract signed", "Design signed off",
    "Environments ready", "Build iteration 1 complete", "Build iteration 2 complete",
    "Build iteration 3 complete", "Integration testing complete", "Data migration rehearsal",
    "Security sign-off", "User acceptance testing complete", "Training delivered",
    "Cutover rehearsal complete", "Go-live", "Hypercare complete", "Handover to operations",
    "Project closure",
]  # fmt: skip
KEY_PHASES = (1, 5, 10, 13, 16, 19)
GO_LIVE_PHASE = 16

SLIP_REASONS = [
    "Vendor delivery delayed by three weeks",
    "Key architect unavailable during the design phase",
    "Scope increase approved through a change request",
    "Test environment not ready on time",
    "Data migration defects found in the rehearsal",
    "Business users unavailable for acceptance testing during the year-end close",
    "Security review found issues that must be fixed before go-live",
    "Hardware shipment held at customs",
    "Integration partner missed the interface delivery date",
    "Change freeze over the peak trading period",
    "Licence negotiation took longer than planned",
    "Performance testing showed the target load was not met",
]

# (title, description, response plan)
RISKS = [
    ("Key vendor resources may be reassigned", "The integrator is staffing several clients.",
     "Named resources written into the contract; weekly staffing review."),
    ("Legacy data quality may delay migration", "Duplicate and incomplete master records.",
     "Data cleansing sprint and business data owners per domain."),
    ("Business users may be unavailable for testing", "Testing overlaps with month-end close.",
     "Agree test windows with department heads; backfill with temporary staff."),
    ("Licence costs may exceed the estimate", "Pricing depends on the final user count.",
     "Cap agreed in the order form; quarterly true-up review."),
    ("Interfaces to legacy systems may be more complex than assumed", "Undocumented APIs.",
     "Early technical spike; interface contracts signed off by both teams."),
    ("Security accreditation may not be granted in time", "Pen test scheduled late.",
     "Book the pen test now; fix critical findings in the sprint after."),
    ("Network capacity may be insufficient at remote sites", "Branch links are 20 Mbit/s.",
     "Capacity survey of all sites; bandwidth upgrades ordered ahead."),
    ("Hardware lead times may extend", "Supply chain shortages for switches and servers.",
     "Order long-lead items at design approval; consider alternative models."),
    ("Organisational change may meet resistance", "New processes change daily routines.",
     "Change champions per site; early demos; training before go-live."),
    ("Cloud spend may grow faster than planned", "Workloads not yet right-sized.",
     "FinOps review every month; budgets and alerts per subscription."),
    ("Regulatory requirements may change during delivery", "New guidance expected.",
     "Monitor regulator publications; keep compliance analyst in the team."),
    ("Single point of knowledge in the legacy team", "One engineer knows the old system.",
     "Pair the engineer with two team members; record knowledge sessions."),
    ("Test automation may not be ready for regression", "Framework still being built.",
     "Prioritise the critical-path test suites; manual fallback plan."),
    ("Cutover window may be too short", "Only one weekend available.",
     "Two full rehearsals; rollback plan approved by the steering committee."),
    ("Supplier may not meet service levels after go-live", "New managed-service partner.",
     "Service credits in the contract; joint hypercare for six weeks."),
]  # fmt: skip

RISK_RESOLUTIONS = [
    "Mitigation completed; the risk did not materialise.",
    "Risk passed with the milestone; closed at the steering committee.",
    "Contract amendment signed; risk transferred to the supplier.",
    "Accepted by the sponsor; no further action.",
]

# (title, description)
ISSUES = [
    ("Test environment unstable", "Frequent outages stop the test team for hours at a time."),
    ("Supplier invoice disputed", "Invoice includes work not accepted yet."),
    ("Interface defect blocks end-to-end testing", "Messages rejected by the middleware."),
    ("Key user left the organisation", "Replacement needs training on the new process."),
    ("Firewall change request delayed", "Change board postponed the request twice."),
    ("Performance below target in load test", "Response times 3× the requirement."),
    ("Data extract incomplete", "Source system export truncates long text fields."),
    ("Budget code not set up by finance", "Purchase orders cannot be raised."),
]
ISSUE_RESOLUTIONS = [
    "Fixed and retested.",
    "Workaround agreed with the business; permanent fix scheduled.",
    "Escalated to the supplier and resolved under the contract.",
]

ASSUMPTIONS = [
    "Business process owners are available two days a week",
    "The vendor's standard product covers 80 % of requirements",
    "Existing licences can be reused for the new platform",
    "The network team delivers the firewall changes within two weeks",
    "No change freeze other than the year-end freeze",
    "Source data can be extracted in the agreed format",
]
ASSUMPTION_RESOLUTIONS = ["Confirmed.", "Confirmed with conditions; plan updated."]

DEPENDENCY_TITLES = [
    "Needs the shared platform in production",
    "Waits for identity integration",
    "Needs the network upgrade at the affected sites",
    "Needs the master data cleansed",
    "Waits for the new integration layer",
]

CHANGE_REQUESTS = [
    ("Add two further countries to the rollout", "Extends scope after the business case update."),
    ("Extend hypercare by four weeks", "Stabilisation needs more time after go-live."),
    ("Replace on-premises component with SaaS", "Vendor end-of-life announcement."),
    ("Defer reporting module to phase 2", "Keeps the go-live date while scope is re-planned."),
    ("Additional security testing", "Regulator requires an external penetration test."),
    ("Increase licence count", "Head count grew since the business case."),
]
CR_DECISIONS = {
    "approved": "Approved by the portfolio board; funded from the portfolio contingency.",
    "rejected": "Rejected: benefits do not justify the cost; revisit in next year's plan.",
}

LESSONS = [
    ("Book test windows with the business early", "Testing",
     "User testing clashed with the finance close and slipped by a month.",
     "Agree test windows at plan approval and protect them in the business calendar."),
    ("Rehearse cutover twice", "Deployment",
     "The first rehearsal found 14 missing steps in the runbook.",
     "Plan at least two full rehearsals with timings; go/no-go on the second."),
    ("Name vendor resources in the contract", "Procurement",
     "The integrator swapped its lead architect mid-design.",
     "Key-person clauses and a handover period for any replacement."),
    ("Clean data before migrating it", "Data",
     "Duplicate supplier records caused payment run errors after go-live.",
     "Start data cleansing during design; make data owners accountable."),
    ("Involve security from the start", "Security",
     "A late architecture review forced a redesign of the access model.",
     "Security architect in design reviews from the first sprint."),
    ("Track cloud costs weekly in hypercare", "Finance",
     "Oversized instances ran for two months before anyone noticed.",
     "Budgets and alerts per subscription; weekly FinOps review until stable."),
]  # fmt: skip

RAG_OPENINGS = {
    "green": [
        "Delivery is on track against the baseline.",
        "Good progress this period; schedule and budget are on plan.",
        "The project remains on plan and within budget.",
    ],
    "amber": [
        "Some pressure this period; recovery actions are in place.",
        "One workstream is behind; the plan can still be met.",
        "Watch items raised this period; no change to the end date yet.",
    ],
    "red": [
        "The project is off track and needs steering committee attention.",
        "Outside tolerance: a recovery plan goes to the steering committee this month.",
        "The baseline can no longer be met; a re-plan is being prepared for approval.",
    ],
}

# Cost plan slots by category: (expense type, cost category, share of the monthly budget in %).
COST_SLOTS: dict[str, list[tuple[str, str, int]]] = {
    "software": [("capex", "labour", 45), ("capex", "vendor", 30), ("opex", "licence", 15),
                 ("opex", "cloud", 10)],
    "infrastructure": [("capex", "labour", 25), ("capex", "hardware", 45),
                       ("opex", "vendor", 20), ("opex", "licence", 10)],
    "cloud": [("capex", "labour", 40), ("capex", "vendor", 25), ("opex", "cloud", 25),
              ("opex", "licence", 10)],
}  # fmt: skip
CATEGORY_COST_GROUP = {
    "software": "software",
    "erp": "software",
    "workplace": "software",
    "data": "software",
    "security": "software",
    "infrastructure": "infrastructure",
    "network": "infrastructure",
    "cloud_migration": "cloud",
}

RUN_COST_SHARE = Decimal("0.15")  # opex run-rate after go-live, as a share of the build rate
