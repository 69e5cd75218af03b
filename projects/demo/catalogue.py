"""The small demo organisation, written by hand: portfolios, programmes and 27 projects.

Dates are offsets in months from the reference month (negative = in the past), so the
portfolio always looks current. Each project's story is told by its fields: a slip is a list
of (cumulative days late, reason) steps as they were reported; `cost_factor` is actual spend
over plan; `state` must agree with the dates (the builder checks).
"""

from __future__ import annotations

from dataclasses import dataclass

# (code, director username, programmes as (code, name, manager))
PORTFOLIO_OWNERS = {
    "ENT": ("director", [("S4", "S/4HANA Transformation", "raj.patel")]),
    "INF": ("director", [("CLOUD", "Cloud Migration Programme", "wei.chen")]),
    "SEC": ("director2", [("ZT", "Zero Trust Security Programme", "fatima.khan")]),
    "DAT": ("director", []),
    "WPL": ("director", []),
}

Plan = tuple[tuple[str, float, bool], ...]  # (milestone, fraction of the duration, is key)

MILESTONE_PLANS: dict[str, Plan] = {
    "erp": (
        ("Project kick-off", 0.0, False), ("Fit-to-standard workshops complete", 0.15, True),
        ("Solution blueprint signed off", 0.25, True), ("Build complete", 0.5, True),
        ("System integration test complete", 0.62, True),
        ("Data migration mock load 2 signed off", 0.7, False),
        ("User acceptance test sign-off", 0.8, True), ("Cutover rehearsal complete", 0.87, False),
        ("Go-live", 0.92, True), ("Hypercare exit", 1.0, True),
    ),
    "software": (
        ("Project kick-off", 0.0, False), ("Requirements baselined", 0.15, True),
        ("Solution design approved", 0.25, True), ("First release in test", 0.5, True),
        ("Integration testing complete", 0.65, False),
        ("User acceptance test sign-off", 0.78, True),
        ("Go-live", 0.88, True), ("Hypercare exit", 1.0, True),
    ),
    "cloud_migration": (
        ("Project kick-off", 0.0, False), ("Discovery and assessment complete", 0.15, True),
        ("Migration factory ready", 0.25, False), ("Pilot applications migrated", 0.4, True),
        ("Half of the applications migrated", 0.6, False),
        ("All applications migrated", 0.85, True),
        ("Source servers decommissioned", 0.95, True), ("Project closure", 1.0, False),
    ),
    "infrastructure": (
        ("Project kick-off", 0.0, False), ("Design approved", 0.15, True),
        ("Hardware ordered", 0.25, False), ("Hardware delivered and racked", 0.4, True),
        ("Migration complete", 0.75, True), ("Old environment decommissioned", 0.92, True),
        ("Project closure", 1.0, False),
    ),
    "network": (
        ("Project kick-off", 0.0, False), ("Site surveys complete", 0.15, True),
        ("Design approved", 0.25, True), ("Pilot sites live", 0.4, True),
        ("Wave 1 sites live", 0.6, True), ("Wave 2 sites live", 0.8, True),
        ("All sites live", 0.92, True), ("Project closure", 1.0, False),
    ),
    "security": (
        ("Project kick-off", 0.0, False), ("Current-state assessment complete", 0.12, False),
        ("Design approved", 0.25, True), ("Platform built", 0.45, True),
        ("Pilot group live", 0.6, True), ("Rollout complete", 0.85, True),
        ("Operational handover", 0.95, True), ("Project closure", 1.0, False),
    ),
    "data": (
        ("Project kick-off", 0.0, False), ("Architecture approved", 0.15, True),
        ("Platform foundation live", 0.35, True), ("First data products delivered", 0.55, True),
        ("Reporting migrated", 0.75, True), ("Legacy switched off", 0.9, True),
        ("Project closure", 1.0, False),
    ),
    "workplace": (
        ("Project kick-off", 0.0, False), ("Design approved", 0.15, True),
        ("Pilot group migrated", 0.3, True), ("Wave 1 complete", 0.5, True),
        ("Wave 2 complete", 0.7, True), ("All users migrated", 0.85, True),
        ("Legacy platform retired", 0.95, True), ("Project closure", 1.0, False),
    ),
}  # fmt: skip

LANDING_ZONE_PLAN: Plan = (
    ("Project kick-off", 0.0, False),
    ("Target architecture approved", 0.2, True),
    ("Policies and guardrails defined", 0.4, False),
    ("Landing zone built", 0.7, True),
    ("Security accreditation granted", 0.85, True),
    ("Handover to cloud operations", 1.0, True),
)


@dataclass(frozen=True)
class ProjectSpec:
    code: str
    name: str
    category: str
    method: str
    manager: str
    state: str
    start: int  # months from the reference month to the baseline start
    months: int  # baseline duration
    budget: int  # approximate budget at completion; the cost plan fixes the exact figure
    description: str
    program: str | None = None
    slip: tuple[tuple[int, str], ...] = ()
    cost_factor: str = "1.00"
    delegates: tuple[str, ...] = ()
    sponsor: str = "executive"
    plan: Plan | None = None

    @property
    def portfolio(self) -> str:
        return self.code.split("-")[0]


P = ProjectSpec
PROJECTS = [
    P("ENT-101", "S/4HANA Finance core rollout", "erp", "hybrid", "pm", "active", -14, 20,
      4_200_000, "Replace the ECC 6.0 finance core with S/4HANA for 14 legal entities.", "S4",
      ((21, "Data migration mock load 2 failed reconciliation"),
       (35, "Additional UAT cycle requested by Group Finance"),
       (49, "Cutover moved out of the year-end freeze")), "1.12", ("raj.patel",)),
    P("ENT-102", "S/4HANA data migration and cleansing", "erp", "waterfall", "ana.silva",
      "active", -12, 14, 950_000, "Cleanse and migrate customer, supplier and open items.",
      "S4", ((14, "Supplier master duplicates far above the estimate"),), "1.05"),
    P("ENT-103", "Ariba procurement integration", "erp", "agile", "raj.patel", "approved", 2, 10,
      780_000, "Connect SAP Ariba sourcing and buying to the new S/4HANA core.", "S4"),
    P("ENT-104", "Salesforce Service Cloud rollout", "software", "agile", "ana.silva", "active",
      -8, 12, 1_350_000, "One case-management tool for the three contact centres.",
      cost_factor="0.97", delegates=("pm",)),
    P("ENT-105", "Workday HR core replacement", "software", "hybrid", "sophie.martin", "active",
      -10, 18, 2_600_000, "Move core HR and payroll for 6,500 employees to Workday.",
      slip=((10, "Payroll parallel run needs a third cycle"),), cost_factor="1.02"),
    P("ENT-106", "Legacy CRM decommissioning", "software", "waterfall", "raj.patel", "closed",
      -22, 9, 420_000, "Archive and switch off the Siebel CRM after the Salesforce move.",
      slip=((12, "Archive extraction took longer than planned"),), cost_factor="1.04"),
    P("ENT-107", "Customer self-service portal redesign", "software", "agile", "lukas.weber",
      "on_hold", -6, 12, 890_000, "New portal for orders, invoices and returns.",
      cost_factor="0.90", sponsor="director"),
    P("INF-201", "Azure landing zone", "cloud_migration", "agile", "wei.chen", "closed", -20, 7,
      640_000, "Secure, policy-governed Azure foundation for every migration wave.", "CLOUD",
      cost_factor="0.95", plan=LANDING_ZONE_PLAN),
    P("INF-202", "Application migration wave 1", "cloud_migration", "hybrid", "pm", "active",
      -11, 12, 1_800_000, "Move 46 business applications from Frankfurt DC2 to Azure.", "CLOUD",
      ((14, "Two applications need re-platforming, not lift-and-shift"),
       (28, "Firewall rule backlog at the network team")), "1.08"),
    P("INF-203", "Application migration wave 2", "cloud_migration", "hybrid", "wei.chen",
      "approved", 1, 12, 2_100_000, "The remaining 58 applications, including SAP non-prod.",
      "CLOUD"),
    P("INF-204", "Frankfurt data-centre exit", "infrastructure", "waterfall", "pm", "active", -9,
      18, 3_400_000, "Empty and hand back DC2 before the lease ends.", "CLOUD",
      ((30, "Waits on the wave 1 migrations"),), "1.00"),
    P("INF-205", "SD-WAN network refresh", "network", "waterfall", "lukas.weber", "active", -13,
      16, 2_250_000, "Replace MPLS with SD-WAN at 180 sites.",
      slip=((21, "Router shipment held at customs"),
            (42, "Site surveys found cabling problems at 14 branches")), cost_factor="1.15"),
    P("INF-206", "Backup and disaster-recovery modernisation", "infrastructure", "waterfall",
      "fatima.khan", "active", -7, 10, 980_000, "Immutable backups and a tested DR runbook.",
      cost_factor="0.98"),
    P("INF-207", "Campus Wi-Fi 6E upgrade", "network", "waterfall", "lukas.weber", "closed", -26,
      8, 560_000, "New access points in the head office and two campuses."),
    P("INF-208", "Primary storage refresh", "infrastructure", "waterfall", "fatima.khan",
      "proposed", 4, 8, 1_200_000, "Replace end-of-support SAN arrays."),
    P("SEC-301", "Zero trust network access", "security", "agile", "raj.patel", "active", -9, 15,
      1_450_000, "Replace the VPN with identity-aware access to private applications.", "ZT",
      ((14, "Legacy applications do not support modern authentication"),), "1.06",
      sponsor="director2"),
    P("SEC-302", "SIEM replacement (Microsoft Sentinel)", "security", "hybrid", "pm", "active",
      -10, 12, 1_150_000, "Move security monitoring from QRadar to Sentinel.", "ZT",
      ((7, "Log source onboarding slower than planned"),
       (21, "Detection use-case tuning needs another month")), "1.18", sponsor="director2"),
    P("SEC-303", "Identity and access management modernisation", "security", "hybrid",
      "fatima.khan", "active", -15, 18, 2_050_000, "Entra ID, lifecycle automation and MFA.",
      "ZT", cost_factor="1.03", sponsor="director2"),
    P("SEC-304", "Privileged access management rollout", "security", "waterfall", "fatima.khan",
      "approved", 1, 9, 730_000, "Vault and session recording for all admin accounts.", "ZT",
      sponsor="director2"),
    P("SEC-305", "ISO 27001 recertification readiness", "security", "waterfall",
      "sophie.martin", "closed", -18, 7, 260_000, "Close audit findings before recertification.",
      sponsor="director2"),
    P("DAT-401", "Enterprise data platform (lakehouse)", "data", "agile", "wei.chen", "active",
      -12, 20, 3_100_000, "Governed lakehouse replacing departmental data marts.",
      slip=((14, "Source system access approvals delayed"),), cost_factor="1.09"),
    P("DAT-402", "Finance reporting in Power BI", "data", "agile", "sophie.martin", "active", -5,
      9, 540_000, "Management accounts and KPI packs on the new platform.", cost_factor="0.96"),
    P("DAT-403", "Master data management", "data", "hybrid", "ana.silva", "proposed", 5, 14,
      1_600_000, "Golden records for customer, supplier and product."),
    P("DAT-404", "Teradata warehouse decommissioning", "data", "waterfall", "wei.chen",
      "cancelled", -16, 12, 870_000, "Superseded by the lakehouse; cancelled at gate 2."),
    P("WPL-501", "Microsoft 365 rollout", "workplace", "hybrid", "pm", "closed", -24, 14,
      1_900_000, "Exchange Online, Teams and OneDrive for every employee.",
      slip=((14, "Mailbox migration throttled by the tenant"),), cost_factor="1.06"),
    P("WPL-502", "Windows 11 upgrade", "workplace", "waterfall", "lukas.weber", "active", -6, 10,
      1_250_000, "Upgrade 7,800 laptops before Windows 10 support ends.",
      slip=((10, "Compatibility testing found 37 blocking applications"),), cost_factor="1.01"),
    P("WPL-503", "ServiceNow ITSM replacement", "software", "agile", "ana.silva", "active", -4,
      11, 1_050_000, "Incident, request and change management on ServiceNow."),
]  # fmt: skip

# Risks that belong to a kind of project, on top of the generic ones in texts.RISKS:
# (title, description, response plan).
CATEGORY_RISKS = {
    "erp": [
        ("Custom code remediation may exceed the estimate", "2,300 Z-objects in ECC.",
         "ATC scans every sprint; retire unused code first."),
        ("Finance key users may be unavailable at year end", "Close overlaps with UAT.",
         "Protect UAT dates in the finance calendar; backfill approvers."),
    ],
    "software": [
        ("Adoption may stay low after go-live", "Users keep their spreadsheets.",
         "Floor-walkers for four weeks; usage dashboard reviewed weekly."),
    ],
    "cloud_migration": [
        ("Applications may not run unchanged in the cloud", "Hard-coded IP addresses.",
         "Assess every application in discovery; budget for re-platforming."),
    ],
    "infrastructure": [
        ("Lease end date is fixed", "Late exit triggers a 12-month extension.",
         "Weekly tracking of rack evacuation; escalation at two weeks late."),
    ],
    "network": [
        ("Carrier circuit delivery may slip", "Lead times of 60–90 days.",
         "Order circuits at design approval; 4G backup for late sites."),
    ],
    "security": [
        ("Alert volume may overwhelm the SOC", "New detections produce false positives.",
         "Tune use cases in a shadow period before switching off the old tool."),
    ],
    "data": [
        ("Source owners may not grant access in time", "Access needs data-owner approval.",
         "Data-sharing agreements signed before each sprint."),
    ],
    "workplace": [
        ("Legacy macros may break", "Finance relies on VBA workbooks.",
         "Inventory and test critical workbooks in the pilot."),
    ],
}  # fmt: skip

# (project, title, description, schedule days, cost, state)
CHANGE_REQUESTS = [
    ("ENT-101", "Add Treasury module to scope", "Cash management in S/4HANA from day one.",
     45, 180_000, "approved"),
    ("ENT-101", "Defer group consolidation to phase 2", "Keep the current tool one more year.",
     0, -120_000, "rejected"),
    ("ENT-101", "Extend hypercare by four weeks", "Stabilise the first month-end close.",
     28, 60_000, "submitted"),
    ("ENT-105", "Add learning management module", "Replace the old LMS at the same time.",
     60, 210_000, "rejected"),
    ("INF-202", "Re-platform two applications", "Containers instead of lift-and-shift.",
     28, 120_000, "approved"),
    ("INF-205", "Add 12 retail branch sites", "Branches acquired in the spring.",
     30, 240_000, "approved"),
    ("SEC-301", "Pilot with contractors first", "Contractors as the first user group.",
     0, 0, "withdrawn"),
    ("SEC-302", "Extend log retention to two years", "Requested by internal audit.",
     0, 85_000, "submitted"),
    ("DAT-401", "Add real-time streaming ingestion", "Near-real-time sales dashboards.",
     21, 150_000, "draft"),
    ("WPL-501", "Include Teams Rooms", "Equip 40 meeting rooms for hybrid meetings.",
     14, 95_000, "approved"),
]  # fmt: skip

# (dependent project, provider project, title, dependent milestone, provider milestone)
DEPENDENCIES = [
    ("INF-204", "INF-202", "Data-centre exit needs wave 1 migrated",
     "Migration complete", "All applications migrated"),
    ("INF-203", "INF-201", "Wave 2 lands in the Azure landing zone",
     "Pilot applications migrated", "Handover to cloud operations"),
    ("SEC-301", "SEC-303", "Zero trust needs the new identity platform",
     "Pilot group live", "Platform built"),
    ("DAT-402", "DAT-401", "Finance reports are built on the lakehouse",
     "First data products delivered", "Platform foundation live"),
    ("DAT-402", "ENT-101", "Finance reporting needs S/4HANA in production",
     "Reporting migrated", "Go-live"),
    ("ENT-101", "ENT-102", "Cutover needs cleansed master data",
     "Cutover rehearsal complete", "Data migration mock load 2 signed off"),
    ("WPL-502", "WPL-501", "Windows 11 images include the Microsoft 365 apps", None, None),
    ("SEC-302", "INF-201", "Sentinel runs in the landing zone", None, None),
]  # fmt: skip
